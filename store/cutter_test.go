package store

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"math/rand/v2"
	"sync"
	"testing"
	"testing/iotest"

	"github.com/ballastml/ballast/store/chunker"
)

var cutterOpts = chunker.Options{Min: 64, Avg: 256, Max: 1024}

// testPools are the cutter's pools.
type testPools struct {
	blocks, chunks sync.Pool
}

func newTestPools(o chunker.Options) *testPools {
	p := &testPools{}
	p.blocks.New = func() any {
		return &block{buf: make([]byte, blockSize(o)), pool: &p.blocks}
	}
	p.chunks.New = func() any { return &chunkBuf{pool: &p.chunks} }
	return p
}

// chunkerCut is the reference: the chunks the streaming Chunker cuts.
func chunkerCut(t *testing.T, data []byte, o chunker.Options) [][]byte {
	t.Helper()
	c, err := chunker.New(bytes.NewReader(data), o)
	if err != nil {
		t.Fatal(err)
	}
	var out [][]byte
	for {
		b, err := c.Next()
		if err == io.EOF {
			return out
		}
		if err != nil {
			t.Fatal(err)
		}
		out = append(out, bytes.Clone(b))
	}
}

// TestBlockCutterMatchesChunker holds every chunk until the end, so a block
// reused while a chunk still pointed into it would show as wrong bytes.
func TestBlockCutterMatchesChunker(t *testing.T) {
	rng := rand.New(rand.NewPCG(7, 7))
	random := make([]byte, 64<<10)
	for i := range random {
		random[i] = byte(rng.Uint32())
	}
	zeros := make([]byte, 10<<10) // one repeated byte: boundaries fall alike in every chunk
	lengths := []int{0, 1, 63, 64, 1023, 1024, 2047, 2048, 2049, 4096, len(random)}
	readers := map[string]func(io.Reader) io.Reader{
		"whole":   func(r io.Reader) io.Reader { return r },
		"onebyte": iotest.OneByteReader,
		"half":    iotest.HalfReader,
		"dataerr": iotest.DataErrReader,
	}
	for _, n := range lengths {
		for _, src := range [][]byte{random[:n], zeros[:min(n, len(zeros))]} {
			want := chunkerCut(t, src, cutterOpts)
			for name, wrap := range readers {
				t.Run(fmt.Sprintf("%d/%s", len(src), name), func(t *testing.T) {
					p := newTestPools(cutterOpts)
					c, err := newBlockCutter(wrap(bytes.NewReader(src)), cutterOpts, fromPool(&p.blocks), &p.chunks)
					if err != nil {
						t.Fatal(err)
					}
					var got []*chunkBuf
					for {
						cb, err := c.next(1)
						if err == io.EOF {
							break
						}
						if err != nil {
							t.Fatal(err)
						}
						got = append(got, cb)
					}
					c.close()
					if len(got) != len(want) {
						t.Fatalf("%d chunks, want %d", len(got), len(want))
					}
					for i, cb := range got {
						if !bytes.Equal(cb.b, want[i]) {
							t.Fatalf("chunk %d: %d bytes differ from the Chunker's %d", i, len(cb.b), len(want[i]))
						}
						blk := cb.blk
						cb.release()
						if r := blk.refs.Load(); r < 0 {
							t.Fatalf("block released too often: refs %d", r)
						}
					}
				})
			}
		}
	}
}

// TestBlockCutterReleasesBlocks checks that every block taken from the pool
// ends with no reference once the chunks and the cutter are released.
func TestBlockCutterReleasesBlocks(t *testing.T) {
	data := bytes.Repeat([]byte("ballast "), 2000)
	p := newTestPools(cutterOpts)
	var blocks []*block
	p.blocks.New = func() any {
		b := &block{buf: make([]byte, blockSize(cutterOpts)), pool: &p.blocks}
		blocks = append(blocks, b)
		return b
	}
	c, err := newBlockCutter(bytes.NewReader(data), cutterOpts, fromPool(&p.blocks), &p.chunks)
	if err != nil {
		t.Fatal(err)
	}
	var chunks []*chunkBuf
	for {
		cb, err := c.next(2)
		if err == io.EOF {
			break
		}
		if err != nil {
			t.Fatal(err)
		}
		chunks = append(chunks, cb)
	}
	c.close()
	if len(blocks) < 2 {
		t.Fatalf("%d blocks for %d bytes: the test needs the stream to span blocks", len(blocks), len(data))
	}
	for _, cb := range chunks {
		cb.release()
		cb.release()
	}
	for i, b := range blocks {
		if r := b.refs.Load(); r != 0 {
			t.Errorf("block %d: refs %d after every release", i, r)
		}
	}
}

func TestBlockCutterReadError(t *testing.T) {
	boom := errors.New("boom")
	r := io.MultiReader(bytes.NewReader(make([]byte, 3000)), iotest.ErrReader(boom))
	p := newTestPools(cutterOpts)
	c, err := newBlockCutter(r, cutterOpts, fromPool(&p.blocks), &p.chunks)
	if err != nil {
		t.Fatal(err)
	}
	defer c.close()
	for {
		cb, err := c.next(1)
		if errors.Is(err, boom) {
			return
		}
		if err != nil {
			t.Fatalf("got %v, want the read error", err)
		}
		cb.release()
	}
}
