package chunker

import (
	"bytes"
	"fmt"
	"io"
	"testing"
)

func BenchmarkChunker(b *testing.B) {
	data := randomBytes(1, 64<<20)
	for _, avg := range []int{64 << 10, 256 << 10, 1 << 20} {
		o := Options{Min: avg / 4, Avg: avg, Max: avg * 4}
		b.Run(fmt.Sprintf("Avg=%dKiB", avg>>10), func(b *testing.B) {
			r := bytes.NewReader(data)
			c, err := New(r, o)
			if err != nil {
				b.Fatal(err)
			}
			b.SetBytes(int64(len(data)))
			b.ReportAllocs()
			for b.Loop() {
				r.Reset(data)
				c.Reset(r)
				for {
					if _, err := c.Next(); err == io.EOF {
						break
					} else if err != nil {
						b.Fatal(err)
					}
				}
			}
		})
	}
}
