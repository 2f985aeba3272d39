package local_test

import (
	"bytes"
	"io"
	"math/rand/v2"
	"testing"
)

const benchSize = 32 << 20

func benchData() []byte {
	data := make([]byte, benchSize)
	rand.NewChaCha8([32]byte{1}).Read(data)
	return data
}

// BenchmarkPut measures a durable Put (including fsyncs) of one pack-sized
// object. The figure depends on the file system under the test's temp dir.
func BenchmarkPut(b *testing.B) {
	be := newBackend(b, b.TempDir())
	data := benchData()
	r := bytes.NewReader(data)
	b.SetBytes(benchSize)
	for b.Loop() {
		r.Reset(data)
		if err := be.Put(b.Context(), "packs/00/bench.pack", r); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkReadRange measures reading a whole pack-sized object, mostly from
// the page cache.
func BenchmarkReadRange(b *testing.B) {
	be := newBackend(b, b.TempDir())
	if err := be.Put(b.Context(), "bench.pack", bytes.NewReader(benchData())); err != nil {
		b.Fatal(err)
	}
	b.SetBytes(benchSize)
	for b.Loop() {
		rc, err := be.ReadRange(b.Context(), "bench.pack", 0, -1)
		if err != nil {
			b.Fatal(err)
		}
		if n, err := io.Copy(io.Discard, rc); err != nil || n != benchSize {
			b.Fatalf("read %d bytes, %v", n, err)
		}
		rc.Close()
	}
}
