package main

import (
	"crypto/sha256"
	"encoding/binary"
	"encoding/hex"
	"fmt"
	"hash"
	"io"
	"math"
	"math/rand/v2"
	"os"
	"path/filepath"
	"runtime"
	"strings"
	"sync"
	"time"
)

// The synthetic model: no bf16 .safetensors file is reachable from here, so
// the run makes one. tensorCount tensors of tensorRows x tensorCols bf16
// values drawn from N(0, weightStd), about 256 MiB in all; version 2
// redraws every 20th tensor (5 of 100), as a partial retrain would.
const (
	tensorCount = 100
	tensorRows  = 1024
	tensorCols  = 1310
	tensorBytes = tensorRows * tensorCols * 2
	weightStd   = 0.02
)

// changedInV2 reports whether tensor i differs between the two versions.
func changedInV2(i int) bool { return i%20 == 10 }

// bf16Pair returns the two versions of the synthetic model, writing them on
// first use. The bytes depend only on the constants above.
func (b *bench) bf16Pair() ([2]*dataFile, error) {
	if b.bf16[0] != nil {
		return b.bf16, nil
	}
	var files [2]*os.File
	var hashes [2]hash.Hash
	var ws [2]io.Writer
	var names [2]string
	for v := range files {
		names[v] = filepath.Join(b.tmp, fmt.Sprintf("synthetic-bf16-v%d.safetensors", v+1))
		f, err := os.Create(names[v])
		if err != nil {
			return b.bf16, err
		}
		defer f.Close()
		files[v] = f
		hashes[v] = sha256.New()
		ws[v] = io.MultiWriter(f, hashes[v])
	}
	start := time.Now()
	n, err := writeSafetensors(b, ws)
	if err != nil {
		return b.bf16, err
	}
	b.printf("generated the synthetic bf16 model, two versions of %s each, in %.1f s", size(n), time.Since(start).Seconds())
	var out [2]*dataFile
	for v, f := range files {
		if err := f.Close(); err != nil {
			return b.bf16, err
		}
		out[v] = &dataFile{path: names[v], size: n, oid: hex.EncodeToString(hashes[v].Sum(nil))}
	}
	b.bf16 = out
	return out, nil
}

// writeSafetensors writes version 1 of the model to ws[0] and version 2 to
// ws[1] and returns the size of each. Tensors are generated in parallel, a
// batch of one per CPU at a time, and written in order.
func writeSafetensors(b *bench, ws [2]io.Writer) (int64, error) {
	header := safetensorsHeader()
	for _, w := range ws {
		if _, err := w.Write(header); err != nil {
			return 0, err
		}
	}
	workers := runtime.GOMAXPROCS(0)
	bufs := make([][2][]byte, workers)
	for k := range bufs {
		bufs[k] = [2][]byte{make([]byte, tensorBytes), make([]byte, tensorBytes)}
	}
	for start := 0; start < tensorCount; start += workers {
		if err := b.ctx.Err(); err != nil {
			return 0, err
		}
		n := min(workers, tensorCount-start)
		var wg sync.WaitGroup
		for k := range n {
			wg.Go(func() {
				i := start + k
				fillTensor(bufs[k][0], 1, i)
				if changedInV2(i) {
					fillTensor(bufs[k][1], 2, i)
				}
			})
		}
		wg.Wait()
		for k := range n {
			v2 := bufs[k][0]
			if changedInV2(start + k) {
				v2 = bufs[k][1]
			}
			if _, err := ws[0].Write(bufs[k][0]); err != nil {
				return 0, err
			}
			if _, err := ws[1].Write(v2); err != nil {
				return 0, err
			}
		}
	}
	return int64(len(header)) + tensorCount*tensorBytes, nil
}

// safetensorsHeader is the file's 8-byte little-endian header length and
// its JSON header, padded with spaces to a multiple of 8 bytes.
func safetensorsHeader() []byte {
	var sb strings.Builder
	sb.WriteString(`{"__metadata__":{"format":"pt","note":"synthetic bf16 weights drawn from N(0, 0.02)"}`)
	for i := range tensorCount {
		fmt.Fprintf(&sb, `,"model.layers.%02d.self_attn.%s.weight":{"dtype":"BF16","shape":[%d,%d],"data_offsets":[%d,%d]}`,
			i/4, [...]string{"q_proj", "k_proj", "v_proj", "o_proj"}[i%4],
			tensorRows, tensorCols, i*tensorBytes, (i+1)*tensorBytes)
	}
	sb.WriteString("}")
	for sb.Len()%8 != 0 {
		sb.WriteByte(' ')
	}
	out := binary.LittleEndian.AppendUint64(nil, uint64(sb.Len()))
	return append(out, sb.String()...)
}

// fillTensor fills buf with little-endian bf16 values from N(0, weightStd),
// drawn from a generator seeded by (seed, tensor).
func fillTensor(buf []byte, seed uint64, tensor int) {
	r := rand.New(rand.NewPCG(seed, uint64(tensor)))
	for j := 0; j+1 < len(buf); j += 2 {
		binary.LittleEndian.PutUint16(buf[j:], bf16(float32(r.NormFloat64()*weightStd)))
	}
}

// bf16 rounds f to bfloat16, to nearest, ties to even.
func bf16(f float32) uint16 {
	u := math.Float32bits(f)
	u += 0x7fff + (u>>16)&1
	return uint16(u >> 16)
}
