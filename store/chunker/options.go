package chunker

import (
	"errors"
	"fmt"
	"math/bits"
)

// Limits on Options: smallestAvg keeps the loose mask at least 4 bits wide,
// largestMax bounds the buffer a Chunker allocates (2*Max bytes).
const (
	smallestAvg = 64
	largestMax  = 1 << 30
)

// Options are the chunk size parameters, in bytes. Every chunk but the last
// of a stream has Min <= len <= Max; sizes cluster around Avg.
type Options struct {
	Min, Avg, Max int
}

// DefaultOptions returns the sizes the store uses: Avg 1 MiB, Min 512 KiB,
// Max 4 MiB. A Min of Avg/2 rather than FastCDC's usual Avg/4 leaves a
// quarter less of the stream to scan for boundaries.
func DefaultOptions() Options {
	return Options{Min: 512 << 10, Avg: 1 << 20, Max: 4 << 20}
}

// ErrOptions is wrapped by every error Validate returns.
var ErrOptions = errors.New("chunker: invalid options")

// Validate reports whether o can be used: 0 < Min < Avg < Max, Avg a power
// of two of at least 64 bytes, Max at most 1 GiB.
func (o Options) Validate() error {
	switch {
	case o.Min <= 0:
		return fmt.Errorf("%w: Min %d is not positive", ErrOptions, o.Min)
	case o.Avg < smallestAvg:
		return fmt.Errorf("%w: Avg %d is below %d", ErrOptions, o.Avg, smallestAvg)
	case o.Avg&(o.Avg-1) != 0:
		return fmt.Errorf("%w: Avg %d is not a power of two", ErrOptions, o.Avg)
	case o.Min >= o.Avg:
		return fmt.Errorf("%w: Min %d is not below Avg %d", ErrOptions, o.Min, o.Avg)
	case o.Max <= o.Avg:
		return fmt.Errorf("%w: Max %d is not above Avg %d", ErrOptions, o.Max, o.Avg)
	case o.Max > largestMax:
		return fmt.Errorf("%w: Max %d is above %d", ErrOptions, o.Max, largestMax)
	}
	return nil
}

// masks returns the strict mask (used below Avg) and the loose mask (used
// from Avg on) for normalized chunking level 2: log2(Avg)±2 bits, taken
// from the top of the fingerprint.
func (o Options) masks() (strict, loose uint64) {
	b := bits.TrailingZeros(uint(o.Avg))
	return topBits(b + 2), topBits(b - 2)
}

// topBits returns a mask of the n most significant bits of a uint64.
func topBits(n int) uint64 {
	return ^uint64(0) << (64 - n)
}
