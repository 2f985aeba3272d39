package backendtest

import (
	"errors"
	"io/fs"
	"slices"
	"strings"
	"testing"

	"github.com/ballastml/ballast/store"
)

func testNestedNames(t *testing.T, b store.Backend) {
	names := []string{"a/b/c/d/e.obj", "a/b/x", "a/y", "sub.dir/file-1_2.x", "z/.dot/..dots"}
	for i, name := range names {
		put(t, b, name, randomBytes(uint64(i), 10+i))
	}
	for i, name := range names {
		wantObject(t, b, name, randomBytes(uint64(i), 10+i))
	}
	if got, want := list(t, b, "a/b/"), names[:2]; !slices.Equal(got, want) {
		t.Fatalf("List(a/b/) = %q, want %q", got, want)
	}
	if err := b.Delete(t.Context(), names[0]); err != nil {
		t.Fatal(err)
	}
	wantMissing(t, b, names[0])
	if got, want := list(t, b, "a/"), names[1:3]; !slices.Equal(got, want) {
		t.Fatalf("List(a/) after Delete = %q, want %q", got, want)
	}
}

func testInvalidNames(t *testing.T, b store.Backend) {
	invalid := []string{
		"", "/", "/abs", "../x", "..", ".", "a/..", "a/../b", "./a", "a/./b",
		"a//b", "a/", "A", "a b", `a\b`, "a:b", "ünï",
	}
	ctx := t.Context()
	for _, name := range invalid {
		errs := map[string]error{
			"Put":    b.Put(ctx, name, strings.NewReader("x")),
			"Delete": b.Delete(ctx, name),
		}
		_, errs["Stat"] = b.Stat(ctx, name)
		rc, err := b.ReadRange(ctx, name, 0, -1)
		if err == nil {
			rc.Close()
		}
		errs["ReadRange"] = err
		for op, err := range errs {
			if !errors.Is(err, fs.ErrInvalid) {
				t.Errorf("%s(%q) = %v, want fs.ErrInvalid", op, name, err)
			}
		}
	}
	if names := list(t, b, ""); len(names) != 0 {
		t.Fatalf("invalid names stored objects: %q", names)
	}
}
