package store_test

import (
	"bytes"
	"context"
	"io"
	"log/slog"
	"math/rand/v2"
	"path/filepath"
	"testing"

	"github.com/ballastml/ballast/internal/platform/db"
	"github.com/ballastml/ballast/store"
	"github.com/ballastml/ballast/store/local"
)

func benchStore(b *testing.B, opts store.Options) *store.Store {
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
	opts.Logger = slog.New(slog.DiscardHandler)
	st, err := store.New(backend, d, opts)
	if err != nil {
		b.Fatal(err)
	}
	b.Cleanup(func() { st.Close() })
	return st
}

// benchModes are the two ways Put stores a large blob.
var benchModes = []struct {
	name string
	opts store.Options
}{
	{"inline", store.Options{StageMin: -1}},
	{"staged", store.Options{}},
}

const benchSize = 256 << 20

// newBenchData fills data with the i-th stream of random bytes, so that no
// chunk dedups against an earlier iteration's, and returns it.
func newBenchData(data []byte, i int) []byte {
	var seed [32]byte
	seed[0], seed[1] = byte(i), byte(i>>8)
	rand.NewChaCha8(seed).Read(data)
	return data
}

// BenchmarkPut stores 256 MiB of new incompressible data per iteration:
// chunked before Put returns (inline), or staged for the compactor.
func BenchmarkPut(b *testing.B) {
	for _, m := range benchModes {
		b.Run(m.name, func(b *testing.B) {
			st := benchStore(b, m.opts)
			data := make([]byte, benchSize)
			b.SetBytes(benchSize)
			for i := 0; b.Loop(); i++ {
				b.StopTimer()
				d := sha(newBenchData(data, i))
				b.StartTimer()
				if _, err := st.Put(context.Background(), "bench/x", d, benchSize, bytes.NewReader(data)); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}

// BenchmarkCompact compacts a staged 256 MiB incompressible blob.
func BenchmarkCompact(b *testing.B) {
	st := benchStore(b, store.Options{})
	data := make([]byte, benchSize)
	b.SetBytes(benchSize)
	for i := 0; b.Loop(); i++ {
		b.StopTimer()
		d := sha(newBenchData(data, i))
		if _, err := st.Put(context.Background(), "bench/x", d, benchSize, bytes.NewReader(data)); err != nil {
			b.Fatal(err)
		}
		b.StartTimer()
		if n, _, err := st.Compact(context.Background()); err != nil || n != 1 {
			b.Fatalf("Compact = %d, %v", n, err)
		}
	}
}

// BenchmarkOpen reads back a 256 MiB incompressible blob, staged and
// compacted.
func BenchmarkOpen(b *testing.B) {
	for _, compacted := range []bool{false, true} {
		name := map[bool]string{false: "staged", true: "compacted"}[compacted]
		b.Run(name, func(b *testing.B) {
			st := benchStore(b, store.Options{})
			data := randomBytes(2, benchSize)
			d := sha(data)
			if _, err := st.Put(context.Background(), "bench/x", d, benchSize, bytes.NewReader(data)); err != nil {
				b.Fatal(err)
			}
			if compacted {
				if _, _, err := st.Compact(context.Background()); err != nil {
					b.Fatal(err)
				}
			}
			buf := make([]byte, 1<<20)
			b.SetBytes(benchSize)
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
		})
	}
}
