package local_test

import (
	"os"
	"path/filepath"
	"testing"
	"time"
)

// makeTemp leaves a temp file in dir last written age ago.
func makeTemp(t *testing.T, dir, name string, age time.Duration) string {
	t.Helper()
	p := filepath.Join(dir, ".tmp", name)
	if err := os.WriteFile(p, []byte("partial"), 0o600); err != nil {
		t.Fatal(err)
	}
	mtime := time.Now().Add(-age)
	if err := os.Chtimes(p, mtime, mtime); err != nil {
		t.Fatal(err)
	}
	return p
}

func exists(p string) bool {
	_, err := os.Stat(p)
	return err == nil
}

func TestReapTemp(t *testing.T) {
	dir := t.TempDir()
	b := newBackend(t, dir)
	old := makeTemp(t, dir, "put-old", 3*time.Hour)
	young := makeTemp(t, dir, "put-young", time.Minute)
	n, err := b.ReapTemp(time.Hour)
	if err != nil || n != 1 {
		t.Fatalf("ReapTemp = %d, %v; want 1 removed", n, err)
	}
	if exists(old) || !exists(young) {
		t.Fatalf("after ReapTemp: old temp exists %v, young exists %v; want false, true", exists(old), exists(young))
	}
	if n, err := b.ReapTemp(0); err != nil || n != 1 || exists(young) {
		t.Fatalf("ReapTemp(0) = %d, %v; want the young file removed too", n, err)
	}
}

func TestNewReapsOldTemp(t *testing.T) {
	dir := t.TempDir()
	newBackend(t, dir)
	old := makeTemp(t, dir, "put-old", 2*time.Hour)
	young := makeTemp(t, dir, "put-young", time.Second)
	newBackend(t, dir)
	if exists(old) || !exists(young) {
		t.Fatalf("after New: old temp exists %v, young exists %v; want false, true", exists(old), exists(young))
	}
}
