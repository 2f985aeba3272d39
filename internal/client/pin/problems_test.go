package pin_test

import (
	"context"
	"strings"
	"testing"

	"github.com/ballastml/ballast/internal/client/pin"
	"github.com/ballastml/ballast/internal/client/pin/pintest"
)

// pinProblems pins src and returns the problems as text, checking that a
// file with problems is left unchanged.
func pinProblems(t *testing.T, p *pin.Pinner, src string) string {
	t.Helper()
	res, probs := p.Pin(context.Background(), "f.yaml", []byte(src))
	if len(probs) > 0 && res != nil {
		t.Errorf("Pin returned a result despite problems %v", probs)
	}
	return problemsText(probs)
}

func TestInvalidYAML(t *testing.T) {
	_, p := newRegistry(t)
	src := "image: registry.example.com/ml/server:v2\n---\ny: 2\n---\na: b: c\n"
	want := "f.yaml:5: invalid YAML: mapping values are not allowed in this context\n"
	if got := pinProblems(t, p, src); got != want {
		t.Errorf("got %q, want %q", got, want)
	}
	if got := problemsText(p.Check(context.Background(), "f.yaml", []byte(src))); got != want {
		t.Errorf("Check: got %q", got)
	}
}

func TestUnknownTag(t *testing.T) {
	_, p := newRegistry(t)
	src := "a:\n  image: registry.example.com/ml/server:v2\nb:\n  image: registry.example.com/ml/server:v9\n"
	want := "f.yaml:4: registry.example.com/ml/server:v9: tag not found\n"
	if got := pinProblems(t, p, src); got != want {
		t.Errorf("got %q, want %q", got, want)
	}
}

func TestInvalidReference(t *testing.T) {
	_, p := newRegistry(t)
	src := "containers:\n- image: \"${IMAGE}\"\n- image: registry.example.com/ML/Server:v2\n"
	got := pinProblems(t, p, src)
	for _, want := range []string{`f.yaml:2: invalid reference "${IMAGE}"`, `f.yaml:3: invalid reference "registry.example.com/ML/Server:v2"`} {
		if !strings.Contains(got, want) {
			t.Errorf("got %q, want it to contain %q", got, want)
		}
	}
}

func TestUnreachable(t *testing.T) {
	p := &pin.Pinner{Resolver: &pin.Registry{}}
	got := pinProblems(t, p, "image: 127.0.0.1:1/ml/server:v2\n")
	want := "f.yaml:1: 127.0.0.1:1/ml/server:v2: cannot reach registry 127.0.0.1:1: "
	if !strings.HasPrefix(got, want) {
		t.Errorf("got %q, want %q…", got, want)
	}
}

func TestAlreadyPinned(t *testing.T) {
	reg, p := newRegistry(t)
	src := "image: registry.example.com/ml/server:v2@sha256:" + strings.Repeat("1", 64) + "\n" +
		"other:\n  image: {repository: nginx, tag: '1.27', digest: 'sha256:" + strings.Repeat("2", 64) + "'}\n"
	res, probs := p.Pin(context.Background(), "f.yaml", []byte(src))
	if len(probs) > 0 || res.Changed() || string(res.Out) != src {
		t.Fatalf("Pin changed a pinned file: %v %q", probs, res.Out)
	}
	if n := reg.Requests(); n != 0 {
		t.Errorf("pinned references cost %d registry requests, want 0", n)
	}
	if probs := p.Check(context.Background(), "f.yaml", []byte(src)); len(probs) > 0 {
		t.Errorf("Check: %v", probs)
	}
}

func TestVerify(t *testing.T) {
	reg, p := newRegistry(t)
	p.Verify = true
	old := reg.Tag("ml/model", "v1")
	now := reg.Tag("ml/model", "v1-moved")
	reg.Put("ml/model", "v1", now)
	gone := "sha256:" + strings.Repeat("3", 64)
	src := "a:\n  image: r.example.com/ml/model:v1@" + old.String() + "\n" +
		"b:\n  image: r.example.com/ml/model@" + gone + "\n" +
		"c:\n  image: r.example.com/ml/model@" + now.String() + "\n"
	want := "f.yaml:2: r.example.com/ml/model:v1@" + old.String() + ": tag v1 now points to " + now.String() + "\n" +
		"f.yaml:4: r.example.com/ml/model@" + gone + ": digest not found\n"
	if got := problemsText(p.Check(context.Background(), "f.yaml", []byte(src))); got != want {
		t.Errorf("Check:\n%s\nwant:\n%s", got, want)
	}
	if got := pinProblems(t, p, src); got != want {
		t.Errorf("Pin:\n%s\nwant:\n%s", got, want)
	}
}

func TestDropTag(t *testing.T) {
	reg, p := newRegistry(t)
	p.DropTag = true
	d := reg.Tag("ml/server", "v2")
	src := "image: registry.example.com/ml/server:v2\nvalues:\n  image:\n    repository: registry.example.com/ml/server\n    tag: v2\n"
	want := "image: registry.example.com/ml/server@" + d.String() + "\nvalues:\n  image:\n    repository: registry.example.com/ml/server\n    tag: v2\n    digest: " + d.String() + "\n"
	res, probs := p.Pin(context.Background(), "f.yaml", []byte(src))
	if len(probs) > 0 || string(res.Out) != want {
		t.Errorf("got %q %v, want %q", res.Out, probs, want)
	}
}

func TestCredentials(t *testing.T) {
	reg := pintest.New(t)
	reg.Password = "s3cret"
	d := reg.Tag("ml/server", "v2")
	src := "image: " + reg.Host + "/ml/server:v2\n"
	for _, tc := range []struct {
		name  string
		login pin.Login
		want  string // a problem, or "" for success
	}{
		{"none", pin.Login{}, "access denied by " + reg.Host},
		{"password", pin.Login{Username: "ci", Password: "s3cret"}, ""},
		{"token", pin.Login{Token: "s3cret"}, ""},
		{"token for this host", pin.Login{Token: "s3cret", TokenHost: reg.Host}, ""},
		{"token for another host", pin.Login{Token: "s3cret", TokenHost: "elsewhere.example.com"}, "access denied"},
		{"wrong password", pin.Login{Password: "nope"}, "access denied"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			cred, err := tc.login.Credential()
			if err != nil {
				t.Fatal(err)
			}
			p := &pin.Pinner{Resolver: &pin.Registry{Credential: cred}}
			res, probs := p.Pin(context.Background(), "f.yaml", []byte(src))
			got := problemsText(probs)
			switch {
			case tc.want == "" && (got != "" || !strings.Contains(string(res.Out), d.String())):
				t.Errorf("got %q %q, want it pinned", got, res.Out)
			case tc.want != "" && !strings.Contains(got, tc.want):
				t.Errorf("got %q, want %q", got, tc.want)
			}
		})
	}
}
