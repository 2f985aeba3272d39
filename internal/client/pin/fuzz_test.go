package pin_test

import (
	"bytes"
	"context"
	"os"
	"path/filepath"
	"testing"

	"github.com/ballastml/ballast/internal/client/pin"
)

// FuzzPin checks that finding and splicing references never panics, and
// that when a valid YAML file is pinned (some references also moved to new
// tags) the result is valid YAML holding the same references, all of them
// pinned.
func FuzzPin(f *testing.F) {
	files, _ := filepath.Glob("testdata/*.yaml")
	for _, file := range files {
		src, err := os.ReadFile(file)
		if err != nil {
			f.Fatal(err)
		}
		f.Add(src, false)
	}
	f.Add([]byte("image: {repository: r.example.com/x, tag: v1}\n"), true)
	f.Add([]byte("images:\n- name: r.example.com/x\n  newTag: v1\n  digest:\n"), false)
	f.Add([]byte("- image: &a r.example.com/x\n- image: *a\n"), true)
	f.Fuzz(func(t *testing.T, src []byte, dropTag bool) {
		p := &pin.Pinner{Resolver: fakeResolver{}, DropTag: dropTag, Set: map[string]string{
			"r.example.com/x":                        "1.10",
			"registry.example.com/ml/cat-classifier": "v2",
		}}
		before, scanErr := pin.Scan(src)
		res, probs := p.Pin(context.Background(), "f.yaml", src)
		if res == nil {
			if len(probs) == 0 {
				t.Fatal("Pin returned neither a result nor a problem")
			}
			return
		}
		if scanErr != nil {
			t.Fatalf("Pin pinned a file Scan rejects: %v", scanErr)
		}
		if !res.Changed() && !bytes.Equal(res.Out, src) {
			t.Fatal("an unchanged result differs from its input")
		}
		after, err := pin.Scan(res.Out)
		if err != nil {
			t.Fatalf("pinned output is not valid YAML: %v\n%q", err, res.Out)
		}
		if len(after) != len(before) {
			t.Fatalf("found %d references after pinning, %d before", len(after), len(before))
		}
		for _, s := range after {
			if s.Err == nil && !s.Ref.Pinned() {
				t.Fatalf("line %d: %s left unpinned", s.Line, s.Ref)
			}
		}
		if probs := p.Check(context.Background(), "f.yaml", res.Out); len(probs) > 0 {
			t.Fatalf("Check after Pin: %v", probs)
		}
	})
}
