package local_test

import (
	"context"
	"os"
	"path/filepath"
	"strings"
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

// ownerLock returns the name of b's owner lock file in dir/.tmp.
func ownerLocks(t *testing.T, dir string) []string {
	t.Helper()
	entries, err := os.ReadDir(filepath.Join(dir, ".tmp"))
	if err != nil {
		t.Fatal(err)
	}
	var locks []string
	for _, e := range entries {
		if strings.HasPrefix(e.Name(), "owner-") {
			locks = append(locks, e.Name())
		}
	}
	return locks
}

// The temp files of an owner whose process is gone (its lock is free) are
// reaped at once, however young; those of a live owner never are.
func TestReapRemovesTempOfGoneOwners(t *testing.T) {
	dir := t.TempDir()
	live := newBackend(t, dir) // another live process sharing the directory
	locks := ownerLocks(t, dir)
	if len(locks) != 1 {
		t.Fatalf("owner locks %v, want one", locks)
	}
	liveID := strings.TrimSuffix(strings.TrimPrefix(locks[0], "owner-"), ".lock")
	liveTemp := makeTemp(t, dir, "put-"+liveID+"-123", time.Minute)

	// A killed process: its lock file stays, unlocked, with its temp files.
	deadLock := filepath.Join(dir, ".tmp", "owner-0123456789ab.lock")
	if err := os.WriteFile(deadLock, nil, 0o600); err != nil {
		t.Fatal(err)
	}
	deadTemp := makeTemp(t, dir, "put-0123456789ab-456", time.Second)

	b := newBackend(t, dir)
	if exists(deadTemp) || exists(deadLock) {
		t.Fatalf("after New: the gone owner's temp file %v and lock %v are still there", exists(deadTemp), exists(deadLock))
	}
	if !exists(liveTemp) {
		t.Fatal("New removed a temp file of a live owner")
	}
	deadTemp = makeTemp(t, dir, "put-0123456789ab-789", time.Second)
	if err := os.WriteFile(deadLock, nil, 0o600); err != nil {
		t.Fatal(err)
	}
	if n, err := b.Reap(context.Background()); err != nil || n != 1 || exists(deadTemp) || !exists(liveTemp) {
		t.Fatalf("Reap = %d, %v; gone owner's temp exists %v, live owner's %v", n, err, exists(deadTemp), exists(liveTemp))
	}
	live.Close()
	if n, err := b.Reap(context.Background()); err != nil || n != 1 || exists(liveTemp) {
		t.Fatalf("Reap after the other owner closed = %d, %v; its temp exists %v", n, err, exists(liveTemp))
	}
}

// Deleting the last piece of an upload session removes its directory.
func TestDeletePrunesEmptyDirectories(t *testing.T) {
	dir := t.TempDir()
	b := newBackend(t, dir)
	ctx := context.Background()
	for _, n := range []string{"uploads/abc/00000000", "uploads/abc/00000001"} {
		if err := b.Put(ctx, n, strings.NewReader("x")); err != nil {
			t.Fatal(err)
		}
	}
	b.Delete(ctx, "uploads/abc/00000000")
	if !exists(filepath.Join(dir, "uploads", "abc")) {
		t.Fatal("a directory with an object left was removed")
	}
	b.Delete(ctx, "uploads/abc/00000001")
	if exists(filepath.Join(dir, "uploads", "abc")) {
		t.Fatal("the empty session directory is still there")
	}
	if !exists(filepath.Join(dir, "uploads")) {
		t.Fatal("the top-level directory was removed")
	}
	if err := b.Put(ctx, "uploads/abc/00000002", strings.NewReader("y")); err != nil {
		t.Fatalf("Put into a pruned directory: %v", err)
	}
}
