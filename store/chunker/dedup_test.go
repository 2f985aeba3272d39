package chunker

import (
	"bytes"
	"crypto/sha256"
	"fmt"
	"slices"
	"testing"
)

// TestShiftResilience inserts 100 bytes near the start of a 32 MiB input:
// only the chunks around the insertion may change.
func TestShiftResilience(t *testing.T) {
	data := randomBytes(11, 32<<20)
	shifted := slices.Concat(data[:1000], randomBytes(12, 100), data[1000:])
	for _, o := range []Options{DefaultOptions(), {Min: 16 << 10, Avg: 64 << 10, Max: 256 << 10}} {
		t.Run(fmt.Sprintf("Avg=%d", o.Avg), func(t *testing.T) {
			before := hashes(chunkReader(t, bytes.NewReader(data), o))
			after := hashes(chunkReader(t, bytes.NewReader(shifted), o))
			seen := make(map[[32]byte]bool, len(before))
			for _, h := range before {
				seen[h] = true
			}
			shared := 0
			for _, h := range after {
				if seen[h] {
					shared++
				}
			}
			t.Logf("%d of %d chunks shared", shared, len(after))
			if shared < len(before)*9/10 {
				t.Errorf("%d of %d chunks shared after the insertion, want at least 90%%", shared, len(before))
			}
			// All but the first few chunks are the same, in the same order.
			const few = 3
			if len(after) < len(before) || !slices.Equal(before[few:], after[len(after)-len(before)+few:]) {
				t.Errorf("the chunks after the first %d differ (%d chunks before, %d after)", few, len(before), len(after))
			}
		})
	}
}

func hashes(chunks [][]byte) [][32]byte {
	h := make([][32]byte, len(chunks))
	for i, c := range chunks {
		h[i] = sha256.Sum256(c)
	}
	return h
}

// TestSizeDistribution checks on random data that chunk sizes centre on Avg
// and that the loose mask above Avg makes forced cuts at Max rare.
func TestSizeDistribution(t *testing.T) {
	data := randomBytes(13, 64<<20)
	for _, avg := range []int{8 << 10, 64 << 10, 1 << 20} {
		o := Options{Min: avg / 4, Avg: avg, Max: avg * 4}
		t.Run(fmt.Sprintf("Avg=%d", avg), func(t *testing.T) {
			sizes := lengths(chunkReader(t, bytes.NewReader(data), o))
			sizes = sizes[:len(sizes)-1] // the last chunk is cut by the end of input
			total, atMax, near := 0, 0, 0
			for _, n := range sizes {
				total += n
				if n == o.Max {
					atMax++
				}
				if n >= avg/2 && n <= avg*2 {
					near++
				}
			}
			mean := float64(total) / float64(len(sizes))
			t.Logf("%d chunks, mean %.0f (%.2f×Avg), %d%% within [Avg/2, 2×Avg], %d at Max",
				len(sizes), mean, mean/float64(avg), near*100/len(sizes), atMax)
			if mean < 0.7*float64(avg) || mean > 1.3*float64(avg) {
				t.Errorf("mean chunk size %.0f, want within 30%% of %d", mean, avg)
			}
			if near*100 < len(sizes)*80 {
				t.Errorf("%d of %d chunks within [Avg/2, 2×Avg], want at least 80%%", near, len(sizes))
			}
			if atMax*100 > len(sizes) {
				t.Errorf("%d of %d chunks cut at Max, want under 1%%", atMax, len(sizes))
			}
		})
	}
}
