package backendtest

import (
	"bytes"
	"errors"
	"io"
	"math/rand/v2"
	"slices"
	"testing"

	"github.com/ballastml/ballast/store"
)

// Run runs every conformance test as a subtest, each against a fresh,
// empty backend from newBackend.
func Run(t *testing.T, newBackend func(t *testing.T) store.Backend) {
	tests := []struct {
		name string
		fn   func(*testing.T, store.Backend)
	}{
		{"PutRead", testPutRead},
		{"Overwrite", testOverwrite},
		{"ReadRange", testReadRange},
		{"ReadMissing", testReadMissing},
		{"Stat", testStat},
		{"Delete", testDelete},
		{"List", testList},
		{"ListStopsOnError", testListStopsOnError},
		{"FailedPut", testFailedPut},
		{"CancelledPut", testCancelledPut},
		{"ConcurrentPuts", testConcurrentPuts},
		{"NestedNames", testNestedNames},
		{"InvalidNames", testInvalidNames},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) { tc.fn(t, newBackend(t)) })
	}
}

// randomBytes returns n pseudo-random bytes, the same for the same seed.
func randomBytes(seed uint64, n int) []byte {
	var s [32]byte
	s[0], s[1] = byte(seed), byte(seed>>8)
	buf := make([]byte, n)
	rand.NewChaCha8(s).Read(buf)
	return buf
}

func put(t *testing.T, b store.Backend, name string, data []byte) {
	t.Helper()
	if err := b.Put(t.Context(), name, bytes.NewReader(data)); err != nil {
		t.Fatalf("Put(%q, %d bytes): %v", name, len(data), err)
	}
}

func read(t *testing.T, b store.Backend, name string, offset, length int64) []byte {
	t.Helper()
	rc, err := b.ReadRange(t.Context(), name, offset, length)
	if err != nil {
		t.Fatalf("ReadRange(%q, %d, %d): %v", name, offset, length, err)
	}
	data, err := io.ReadAll(rc)
	if err != nil {
		t.Fatalf("ReadRange(%q, %d, %d): read: %v", name, offset, length, err)
	}
	if err := rc.Close(); err != nil {
		t.Fatalf("ReadRange(%q, %d, %d): close: %v", name, offset, length, err)
	}
	return data
}

// wantObject fails unless name holds exactly want, by ReadRange and Stat.
func wantObject(t *testing.T, b store.Backend, name string, want []byte) {
	t.Helper()
	if got := read(t, b, name, 0, -1); !bytes.Equal(got, want) {
		t.Fatalf("%q holds %d bytes, want the %d bytes put", name, len(got), len(want))
	}
	info, err := b.Stat(t.Context(), name)
	if err != nil {
		t.Fatalf("Stat(%q): %v", name, err)
	}
	if info.Size != int64(len(want)) || info.Name != name {
		t.Fatalf("Stat(%q) = %q, %d bytes; want %q, %d bytes", name, info.Name, info.Size, name, len(want))
	}
}

// wantMissing fails unless name is absent to ReadRange, Stat and List.
func wantMissing(t *testing.T, b store.Backend, name string) {
	t.Helper()
	if _, err := b.Stat(t.Context(), name); !errors.Is(err, store.ErrObjectNotExist) {
		t.Fatalf("Stat(%q) = %v, want ErrObjectNotExist", name, err)
	}
	rc, err := b.ReadRange(t.Context(), name, 0, -1)
	if err == nil {
		rc.Close()
	}
	if !errors.Is(err, store.ErrObjectNotExist) {
		t.Fatalf("ReadRange(%q) = %v, want ErrObjectNotExist", name, err)
	}
	if names := list(t, b, name); len(names) != 0 {
		t.Fatalf("List(%q) = %q, want nothing", name, names)
	}
}

// list returns the sorted names List reports for prefix, checking that
// each is reported once with the size Stat gives.
func list(t *testing.T, b store.Backend, prefix string) []string {
	t.Helper()
	var names []string
	err := b.List(t.Context(), prefix, func(info store.ObjectInfo) error {
		names = append(names, info.Name)
		st, err := b.Stat(t.Context(), info.Name)
		if err != nil {
			return err
		}
		if st.Size != info.Size {
			t.Errorf("List(%q) reports %q with %d bytes, Stat with %d", prefix, info.Name, info.Size, st.Size)
		}
		return nil
	})
	if err != nil {
		t.Fatalf("List(%q): %v", prefix, err)
	}
	slices.Sort(names)
	if len(slices.Compact(slices.Clone(names))) != len(names) {
		t.Fatalf("List(%q) reports a name twice: %q", prefix, names)
	}
	return names
}
