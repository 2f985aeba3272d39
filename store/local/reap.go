package local

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"time"
)

// Temp files are owned. Each Backend value (a server process) takes a
// random owner id, holds an exclusive lock on <root>/.tmp/owner-<id>.lock
// for as long as it lives, and names its temp files put-<id>-*. A crash or
// kill -9 releases the lock with the process, so the next reap pass of any
// process sharing the directory sees that the owner is gone and removes its
// temp files at once, whatever their age, while temp files of live owners
// (this process's own Puts, or another process's) are never touched.

const (
	ownerPrefix = "owner-"
	ownerSuffix = ".lock"
	putPrefix   = "put-"
)

// owner is this backend's hold on its temp files.
type owner struct {
	id   string
	lock *os.File // locked while the backend lives; nil where locks are unsupported
}

// newOwner picks an id and locks its lock file.
func newOwner(tmp string) (owner, error) {
	var b [6]byte
	if _, err := rand.Read(b[:]); err != nil {
		return owner{}, err
	}
	o := owner{id: hex.EncodeToString(b[:])}
	f, err := os.OpenFile(filepath.Join(tmp, ownerPrefix+o.id+ownerSuffix), os.O_CREATE|os.O_RDWR, 0o600)
	if err != nil {
		return owner{}, fmt.Errorf("local backend: temp owner lock: %w", err)
	}
	// The file is new and its name random: nobody else holds its lock. Where
	// locks are unsupported tryLock says false, and owners count as live.
	if _, err := tryLock(f); err != nil {
		f.Close()
		return owner{}, fmt.Errorf("local backend: lock temp owner file: %w", err)
	}
	o.lock = f
	return o, nil
}

// tempPattern is the os.CreateTemp pattern of this owner's temp files.
func (o owner) tempPattern() string { return o.tempPrefix() + "*" }

func (o owner) tempPrefix() string { return putPrefix + o.id + "-" }

// Reap removes the temp files of owners that are gone (their process
// crashed, was killed or closed its backend), with their lock files, and
// temp files of unknown owners (an older version's names) idle for longer
// than reapAge. It returns how many temp files it removed. The store's
// reap pass calls it (store.Reaper).
func (b *Backend) Reap(ctx context.Context) (int, error) {
	entries, err := os.ReadDir(b.tmp)
	if err != nil {
		return 0, fmt.Errorf("local backend: reap temp files: %w", err)
	}
	alive := map[string]bool{b.owner.id: true} // owner id: its process lives
	isAlive := func(id string) bool {
		if a, ok := alive[id]; ok {
			return a
		}
		a := ownerAlive(filepath.Join(b.tmp, ownerPrefix+id+ownerSuffix))
		alive[id] = a
		return a
	}
	cutoff := time.Now().Add(-reapAge)
	n := 0
	for _, e := range entries {
		if err := ctx.Err(); err != nil {
			return n, err
		}
		name := e.Name()
		var doomed bool
		if id, ok := ownerOf(name); ok {
			doomed = !isAlive(id)
		} else if id, ok := tempOwner(name); ok && !isAlive(id) {
			doomed = true
		} else if strings.HasPrefix(name, putPrefix) && !strings.HasPrefix(name, b.owner.tempPrefix()) {
			// An unknown owner's, or one that looks alive but has not
			// written for longer than any write stays idle.
			fi, err := e.Info()
			doomed = err == nil && fi.ModTime().Before(cutoff)
		}
		if !doomed {
			continue
		}
		if err := os.Remove(filepath.Join(b.tmp, name)); err != nil && !errors.Is(err, fs.ErrNotExist) {
			return n, fmt.Errorf("local backend: reap temp files: %w", err)
		}
		if strings.HasPrefix(name, putPrefix) {
			n++
		}
	}
	return n, nil
}

// ownerAlive reports whether the owner of lock file p lives: the file is
// there and locked by someone else. An owner without a lock file closed
// its backend or never had one; one whose lock can be taken is gone.
func ownerAlive(p string) bool {
	f, err := os.OpenFile(p, os.O_RDWR, 0)
	if err != nil {
		return !errors.Is(err, fs.ErrNotExist) // unsure: keep its files
	}
	defer f.Close() // releases the lock if tryLock took it
	got, err := tryLock(f)
	return err != nil || !got
}

// ownerOf returns the owner id of a lock file name.
func ownerOf(name string) (string, bool) {
	if !strings.HasPrefix(name, ownerPrefix) || !strings.HasSuffix(name, ownerSuffix) {
		return "", false
	}
	return strings.TrimSuffix(strings.TrimPrefix(name, ownerPrefix), ownerSuffix), true
}

// tempOwner returns the owner id of a temp file name put-<id>-<random>.
func tempOwner(name string) (string, bool) {
	rest, ok := strings.CutPrefix(name, putPrefix)
	if !ok {
		return "", false
	}
	id, _, ok := strings.Cut(rest, "-")
	return id, ok && len(id) == 12
}

// ReapTemp removes every temp file last written more than olderThan ago,
// whoever owns it, and returns how many it removed. ReapTemp(0) removes
// everything and is only safe when no Put can be running.
func (b *Backend) ReapTemp(olderThan time.Duration) (int, error) {
	entries, err := os.ReadDir(b.tmp)
	if err != nil {
		return 0, fmt.Errorf("local backend: reap temp files: %w", err)
	}
	cutoff := time.Now().Add(-olderThan)
	n := 0
	for _, e := range entries {
		fi, err := e.Info()
		if !strings.HasPrefix(e.Name(), putPrefix) || err != nil || fi.ModTime().After(cutoff) {
			continue // a lock file, gone already, or possibly still being written
		}
		err = os.Remove(filepath.Join(b.tmp, e.Name()))
		if err != nil && !errors.Is(err, fs.ErrNotExist) {
			return n, fmt.Errorf("local backend: reap temp files: %w", err)
		}
		if err == nil {
			n++
		}
	}
	return n, nil
}
