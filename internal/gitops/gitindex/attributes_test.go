package gitindex

import (
	"testing"

	"github.com/ballastml/ballast/internal/format/gitglob"
)

func TestCompileGlob(t *testing.T) {
	for _, tc := range []struct {
		pattern, name string
		want          bool
	}{
		{"*.bin", "a.bin", true},
		{"*.bin", "dir/a.bin", false}, // '*' stops at '/'
		{"models/**", "models/a/b.bin", true},
		{"models/**", "models/x", true},
		{"models/**", "other/models/x", false},
		{"**/weights", "weights", true},
		{"**/weights", "a/b/weights", true},
		{"a/**/b", "a/b", true},
		{"a/**/b", "a/x/y/b", true},
		{"a/**/b", "a/x/y/c", false},
		{"a**b", "aXb", true}, // not a component: an ordinary '*'
		{"a**b", "a/b", false},
		{"file?.bin", "file1.bin", true},
		{"file?.bin", "file/.bin", false},
		{"[ab].bin", "a.bin", true},
		{"[!ab].bin", "c.bin", true},
		{"[!ab].bin", "a.bin", false},
		{"[a-c]x", "bx", true},
		{"[]]x", "]x", true},
		{"[x", "[x", true}, // unclosed: a literal '['
		{`\*.bin`, "*.bin", true},
		{`\*.bin`, "a.bin", false},
		{"a+b(c).bin", "a+b(c).bin", true},
		{"modèle.bin", "modèle.bin", true},
	} {
		re, err := gitglob.Compile(tc.pattern, true)
		if err != nil {
			t.Errorf("%q: %v", tc.pattern, err)
			continue
		}
		if got := re.MatchString(tc.name); got != tc.want {
			t.Errorf("%q matching %q = %v, want %v", tc.pattern, tc.name, got, tc.want)
		}
	}
}

func TestAttributes(t *testing.T) {
	files := map[string]string{
		".": `# comment
*.bin filter=lfs diff=lfs merge=lfs -text
*.txt text
/top.onnx filter=lfs
data/** filter=lfs
data/keep.csv -filter
weights/ filter=lfs
"with space.bin" filter=lfs
!neg.bin filter=lfs
[attr]lfsmacro filter=lfs
docs/*.pdf filter=lfs
docs/*.pdf !filter
`,
		"sub":      "*.bin -filter\nlocal/*.dat filter=lfs\n",
		"sub/deep": "x.bin filter=lfs\n",
		"other":    "*.bin filter=custom\n",
	}
	attrs := newAttributes(func(dir string) []attrRule { return parseAttributes([]byte(files[dir])) })
	for p, want := range map[string]bool{
		"model.bin":             true,
		"a/b/c/model.bin":       true,
		"readme.txt":            false,
		"top.onnx":              true,
		"nested/top.onnx":       false, // anchored at the root
		"data/a/b.csv":          true,
		"data/keep.csv":         false, // a later line wins
		"x/data/a.csv":          false,
		"weights/a":             false, // directory patterns match no file
		"with space.bin":        true,
		"docs/a.pdf":            false, // !filter: unspecified
		"sub/a.bin":             false, // a deeper file wins
		"sub/local/z.dat":       true,
		"sub/deep/x.bin":        true,
		"sub/deep/y.bin":        false,
		"other/a.bin":           false, // another filter driver
		"other/deeper/more.bin": false,
	} {
		if got := attrs.tracked(p); got != want {
			t.Errorf("tracked(%q) = %v, want %v", p, got, want)
		}
	}
}

func TestSourceMatch(t *testing.T) {
	s := Source{TagPattern: "v*", PathFilter: "models/**"}
	for tag, want := range map[string]bool{"v1.0.0": true, "v1/rc": true, "release": false} {
		if s.MatchTag(tag) != want {
			t.Errorf("MatchTag(%q) != %v", tag, want)
		}
	}
	if !(Source{}).MatchTag("any/thing") || !(Source{TagPattern: "*"}).MatchTag("a/b") {
		t.Error("the default tag pattern must match every tag")
	}
	for p, want := range map[string]bool{"models/a.bin": true, "models/x/y.bin": true, "data/a.bin": false} {
		if s.MatchPath(p) != want {
			t.Errorf("MatchPath(%q) != %v", p, want)
		}
	}
	for filter, p := range map[string]string{"*.onnx": "deep/dir/net.onnx", "models/": "models/a/b", "": "x"} {
		if !(Source{PathFilter: filter}).MatchPath(p) {
			t.Errorf("filter %q does not match %q", filter, p)
		}
	}
}
