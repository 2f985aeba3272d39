package store_test

import (
	"bytes"
	"context"
	"io"
	"math/rand/v2"
	"path/filepath"
	"testing"

	"github.com/ballastml/ballast/internal/db"
	"github.com/ballastml/ballast/store"
	"github.com/ballastml/ballast/store/local"
)

func benchStore(b *testing.B) *store.Store {
	dir := b.TempDir()
	d, err := db.OpenSQLite(context.Background(), filepath.Join(dir, "meta.db"))
	if err != nil {
		b.Fatal(err)
	}
	b.Cleanup(func() { d.Close() })
	backend, err := local.New(filepath.Join(dir, "objects"))
	if err != nil {
		b.Fatal(err)
	}
	st, err := store.New(backend, d, store.Options{})
	if err != nil {
		b.Fatal(err)
	}
	b.Cleanup(func() { st.Close() })
	return st
}

// BenchmarkPut ingests 256 MiB of incompressible data per iteration, each
// time new random bytes, so that no chunk dedups.
func BenchmarkPut(b *testing.B) {
	st := benchStore(b)
	const size = 256 << 20
	data := make([]byte, size)
	b.SetBytes(size)
	b.ResetTimer()
	for i := 0; b.Loop(); i++ {
		b.StopTimer()
		var seed [32]byte
		seed[0], seed[1] = byte(i), byte(i>>8)
		rand.NewChaCha8(seed).Read(data)
		d := sha(data)
		b.StartTimer()
		if _, err := st.Put(context.Background(), "bench/x", d, size, bytes.NewReader(data)); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkOpen reads back a 256 MiB incompressible blob.
func BenchmarkOpen(b *testing.B) {
	st := benchStore(b)
	const size = 256 << 20
	data := randomBytes(2, size)
	d := sha(data)
	if _, err := st.Put(context.Background(), "bench/x", d, size, bytes.NewReader(data)); err != nil {
		b.Fatal(err)
	}
	buf := make([]byte, 1<<20)
	b.SetBytes(size)
	b.ResetTimer()
	for b.Loop() {
		rc, err := st.Open(context.Background(), "bench/x", d, 0, -1)
		if err != nil {
			b.Fatal(err)
		}
		if _, err := io.CopyBuffer(io.Discard, rc, buf); err != nil {
			b.Fatal(err)
		}
		rc.Close()
	}
}
