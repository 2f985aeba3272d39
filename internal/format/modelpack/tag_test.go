package modelpack

import (
	"regexp"
	"strings"
	"testing"
)

var tagRE = regexp.MustCompile(`^[a-zA-Z0-9_][a-zA-Z0-9._-]{0,127}$`)

func TestTag(t *testing.T) {
	cases := []struct{ git, suffix, want string }{
		{"v1.2.0", "", "v1.2.0"},
		{"v1.2.0", "-image", "v1.2.0-image"},
		{"release/v1.0", "", "release-v1.0"},
		{"-rc", "", "_rc"},
		{".hidden", "", "_hidden"},
		{"v1+build.5", "", "v1-build.5"},
		{"模型", "", "_-----"},
		{"", "", "_"},
	}
	for _, c := range cases {
		if got := Tag(c.git, c.suffix); got != c.want {
			t.Errorf("Tag(%q, %q) = %q, want %q", c.git, c.suffix, got, c.want)
		}
	}
	long1, long2 := strings.Repeat("a", 200)+"1", strings.Repeat("a", 200)+"2"
	for _, suffix := range []string{"", "-image"} {
		a, b := Tag(long1, suffix), Tag(long2, suffix)
		if len(a) != MaxTagLength || a == b || !tagRE.MatchString(a) || !strings.HasSuffix(a, suffix) {
			t.Errorf("long tags map to %q and %q", a, b)
		}
	}
	for _, s := range []string{"a/b/c", "...", "x" + strings.Repeat(".", 130), "v1 2", "ä"} {
		if got := Tag(s, "-image"); !tagRE.MatchString(got) {
			t.Errorf("Tag(%q) = %q is not a valid OCI tag", s, got)
		}
	}
	if got := CommitTag("0123456789abcdef0123"); got != "git-0123456789ab" {
		t.Errorf("CommitTag = %q", got)
	}
}

func FuzzTag(f *testing.F) {
	f.Add("v1.0", "-image")
	f.Fuzz(func(t *testing.T, s, suffix string) {
		if !tagRE.MatchString("a"+suffix) || len(suffix) > 16 {
			return
		}
		if got := Tag(s, suffix); !tagRE.MatchString(got) {
			t.Fatalf("Tag(%q, %q) = %q", s, suffix, got)
		}
	})
}
