package pin_test

import (
	"context"
	"flag"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/ballastml/ballast/internal/client/pin"
	"github.com/ballastml/ballast/internal/client/pin/pintest"
)

var update = flag.Bool("update", false, "rewrite the golden files in testdata")

// newRegistry starts a fake registry holding the tags the testdata files
// name, and a Pinner that reaches it whatever host a reference names.
func newRegistry(t *testing.T) (*pintest.Registry, *pin.Pinner) {
	t.Helper()
	reg := pintest.New(t)
	for _, rt := range [][2]string{
		{"ml/server", "v2"},
		{"ml/cat-classifier", "v1.2.0"},
		{"ml/cat-classifier", "v1.2.0-image"},
		{"oras-project/oras", "v1.3.0"},
		{"library/nginx", "1.27"},
		{"library/busybox", "latest"},
		{"tools/debug", "latest"},
	} {
		reg.Tag(rt[0], rt[1])
	}
	r := &pin.Registry{Client: reg.Client(), PlainHTTP: true}
	return reg, &pin.Pinner{Resolver: r}
}

// golden compares got with the file testdata/name, or rewrites it with
// -update.
func golden(t *testing.T, name string, got []byte) {
	t.Helper()
	path := filepath.Join("testdata", name)
	if *update {
		if err := os.WriteFile(path, got, 0o644); err != nil {
			t.Fatal(err)
		}
		return
	}
	want, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	if string(got) != string(want) {
		t.Errorf("%s differs:\n--- got\n%s\n--- want\n%s", path, got, want)
	}
}

func problemsText(probs []pin.Problem) string {
	var b strings.Builder
	for _, p := range probs {
		b.WriteString(p.Error() + "\n")
	}
	return b.String()
}

// TestGolden pins each testdata file and compares the result, byte for
// byte, with its golden file; the check report and the dry-run diff too.
func TestGolden(t *testing.T) {
	files, _ := filepath.Glob("testdata/*.yaml")
	if len(files) == 0 {
		t.Fatal("no testdata")
	}
	ctx := context.Background()
	for _, file := range files {
		name := strings.TrimSuffix(filepath.Base(file), ".yaml")
		t.Run(name, func(t *testing.T) {
			_, p := newRegistry(t)
			src, err := os.ReadFile(file)
			if err != nil {
				t.Fatal(err)
			}
			golden(t, name+".check", []byte(problemsText(p.Check(ctx, name+".yaml", src))))
			res, probs := p.Pin(ctx, name+".yaml", src)
			if len(probs) > 0 {
				t.Fatalf("Pin: %v", probs)
			}
			golden(t, name+".pinned", res.Out)
			golden(t, name+".diff", []byte(res.Diff()))
			if probs := p.Check(ctx, name+".pinned", res.Out); len(probs) > 0 {
				t.Errorf("Check after Pin: %v", probs)
			}
			again, _ := p.Pin(ctx, name+".pinned", res.Out)
			if again.Changed() {
				t.Errorf("pinning twice changed the file again")
			}
		})
	}
}
