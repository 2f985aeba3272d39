package chunker

// Cutter finds the chunk boundaries of a stream in windows of it that the
// caller buffers: the algorithm of Chunker without its buffer, for callers
// that manage their own memory. Get one from NewCutter.
type Cutter struct {
	opts   Options
	strict uint64 // mask used below Avg
	loose  uint64 // mask used from Avg on
}

// NewCutter returns a Cutter for o. It fails only if o is invalid.
func NewCutter(o Options) (Cutter, error) {
	if err := o.Validate(); err != nil {
		return Cutter{}, err
	}
	c := Cutter{opts: o}
	c.strict, c.loose = o.masks()
	return c, nil
}

// Options returns the sizes c cuts with.
func (c Cutter) Options() Options { return c.opts }

// Cut returns the length of the chunk at the start of data, where data
// starts at a chunk boundary; final says that data holds the rest of the
// stream. Bytes past Max are ignored. The answer is the one Chunker gives
// for the same stream. ok is false when data is too short to tell: it is
// not final, shorter than Max, and has no boundary; the caller then cuts
// again from the same start once it has more bytes.
func (c Cutter) Cut(data []byte, final bool) (n int, ok bool) {
	full := len(data) >= c.opts.Max
	if full {
		data = data[:c.opts.Max]
	}
	n = c.cut(data)
	if n < len(data) || full || final {
		return n, true
	}
	return 0, false
}

// cut returns the length of the chunk at the start of data, where data holds
// the next min(Max, remaining) bytes of the stream. It is FastCDC's
// Algorithm 1 with normalized chunking: the first Min bytes are skipped,
// the strict mask applies up to Avg bytes, the loose one up to len(data).
// The byte whose fingerprint matches ends the chunk.
func (c Cutter) cut(data []byte) int {
	minSize, avg := c.opts.Min, c.opts.Avg
	if len(data) <= minSize {
		return len(data)
	}
	avg = min(avg, len(data))
	n, fp := scan(data[minSize:avg], 0, c.strict)
	if n >= 0 {
		return minSize + n
	}
	if n, _ = scan(data[avg:], fp, c.loose); n >= 0 {
		return avg + n
	}
	return len(data)
}

// scan rolls the bytes of d into the Gear fingerprint fp, fp = fp<<1 +
// gear[b], and returns the length of the shortest prefix of d after which
// fp&mask == 0, or -1 if there is none, together with the fingerprint.
//
// It takes two bytes per step. The fingerprint after the second,
// fp<<2 + (gear[b0]<<1 + gear[b1]), does not wait for the one after the
// first, which is only tested; this halves the dependency chain of the
// hash and checks every byte all the same, so the boundaries are those of
// the byte-at-a-time loop.
func scan(d []byte, fp, mask uint64) (int, uint64) {
	i := 0
	for ; i < len(d)-1; i += 2 {
		g0, g1 := gear[d[i]], gear[d[i+1]]
		if (fp<<1+g0)&mask == 0 {
			return i + 1, fp<<1 + g0
		}
		fp = fp<<2 + (g0<<1 + g1)
		if fp&mask == 0 {
			return i + 2, fp
		}
	}
	if i < len(d) {
		fp = fp<<1 + gear[d[i]]
		if fp&mask == 0 {
			return i + 1, fp
		}
	}
	return -1, fp
}
