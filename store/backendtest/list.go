package backendtest

import (
	"errors"
	"slices"
	"testing"

	"github.com/ballastml/ballast/store"
)

func testList(t *testing.T, b store.Backend) {
	all := []string{"index/one", "packs/00/aa.pack", "packs/00/ab.pack", "packs/01/ba.pack", "top"}
	if names := list(t, b, ""); len(names) != 0 {
		t.Fatalf("List of an empty backend = %q", names)
	}
	for i, name := range all {
		put(t, b, name, randomBytes(uint64(i), 100+i))
	}
	tests := []struct {
		prefix string
		want   []string
	}{
		{"", all},
		{"packs/", all[1:4]},
		{"packs/0", all[1:4]},
		{"packs/00/", all[1:3]},
		{"packs/00/a", all[1:3]},
		{"packs/00/aa.pack", all[1:2]},
		{"t", all[4:]},
		{"top", all[4:]},
		{"index", all[:1]},
		{"nope", nil},
		{"packs/02/", nil},
		{"packs/00/aa.pack/", nil},
		{"top/", nil},
		{"../", nil},
		{"/", nil},
	}
	for _, tc := range tests {
		if got := list(t, b, tc.prefix); !slices.Equal(got, tc.want) {
			t.Errorf("List(%q) = %q, want %q", tc.prefix, got, tc.want)
		}
	}
}

func testListStopsOnError(t *testing.T, b store.Backend) {
	for _, name := range []string{"a/1", "a/2", "b/3", "c"} {
		put(t, b, name, []byte(name))
	}
	stop := errors.New("stop")
	calls := 0
	err := b.List(t.Context(), "", func(store.ObjectInfo) error {
		calls++
		return stop
	})
	if !errors.Is(err, stop) {
		t.Fatalf("List = %v, want the error fn returned", err)
	}
	if calls != 1 {
		t.Fatalf("List called fn %d times after it failed, want 1 call", calls)
	}
}
