package pin_test

import (
	"context"
	"testing"

	"github.com/opencontainers/go-digest"

	"github.com/ballastml/ballast/internal/client/pin"
)

// TestSet moves references to a new tag, as a release does, and pins them.
func TestSet(t *testing.T) {
	old := "sha256:" + digest.FromString("old").Encoded()
	d := func(ref string) string {
		r, err := pin.ParseRef(ref)
		if err != nil {
			t.Fatal(err)
		}
		return fakeDigest(r).String()
	}
	v2 := d("r.example.com/ml/x:v2")
	v2image := d("r.example.com/ml/x:v2-image")
	src := `containers:
- image: r.example.com/ml/x:v1@` + old + `
- image: r.example.com/ml/other:v1
volumes:
- image: {reference: "r.example.com/ml/x:v1-image@` + old + `"}
helm:
  image:
    repository: r.example.com/ml/x
    tag: v1
    digest: ` + old + `
images:
- name: r.example.com/ml/x
  newTag: '1.0'
- name: r.example.com/ml/x
  newTag: 1.0
`
	want := `containers:
- image: r.example.com/ml/x:v2@` + v2 + `
- image: r.example.com/ml/other:v1@` + d("r.example.com/ml/other:v1") + `
volumes:
- image: {reference: "r.example.com/ml/x:v2-image@` + v2image + `"}
helm:
  image:
    repository: r.example.com/ml/x
    tag: v2
    digest: ` + v2 + `
images:
- name: r.example.com/ml/x
  newTag: 'v2'
  digest: ` + v2 + `
- name: r.example.com/ml/x
  newTag: v2
  digest: ` + v2 + `
`
	p := &pin.Pinner{Resolver: fakeResolver{}, Set: map[string]string{"r.example.com/ml/x": "v2"}}
	res, probs := p.Pin(context.Background(), "f.yaml", []byte(src))
	if len(probs) > 0 {
		t.Fatal(probs)
	}
	if string(res.Out) != want {
		t.Errorf("got\n%s\nwant\n%s", res.Out, want)
	}

	// A plain tag that would read as a number gets quotes.
	p.Set["r.example.com/ml/x"] = "1.10"
	res, probs = p.Pin(context.Background(), "f.yaml", []byte("images:\n- name: r.example.com/ml/x\n  newTag: v1\n"))
	want = "images:\n- name: r.example.com/ml/x\n  newTag: \"1.10\"\n  digest: " + d("r.example.com/ml/x:1.10") + "\n"
	if len(probs) > 0 || string(res.Out) != want {
		t.Errorf("got %q %v, want %q", res.Out, probs, want)
	}
}
