package chunker

import "io"

// maxEmptyReads is how many reads in a row may return no data and no error
// before the Chunker gives up with io.ErrNoProgress, as bufio does.
const maxEmptyReads = 100

// Chunker splits the stream of an io.Reader into content-defined chunks.
// It is not safe for concurrent use.
type Chunker struct {
	Cutter
	r     io.Reader
	buf   []byte // fixed, 2*Max bytes
	start int    // first byte of buf not yet returned
	end   int    // end of the valid bytes in buf
	eof   bool   // r has reported io.EOF
	err   error  // sticky: io.EOF at the end, or the read error
}

// New returns a Chunker reading from r. It fails only if o is invalid.
func New(r io.Reader, o Options) (*Chunker, error) {
	cut, err := NewCutter(o)
	if err != nil {
		return nil, err
	}
	c := &Chunker{Cutter: cut, buf: make([]byte, 2*o.Max)}
	c.Reset(r)
	return c, nil
}

// Reset makes c read a new stream from r, reusing its buffer.
func (c *Chunker) Reset(r io.Reader) {
	c.r = r
	c.start, c.end = 0, 0
	c.eof = false
	c.err = nil
}

// Next returns the next chunk. The slice aliases the Chunker's buffer and is
// valid only until the next call to Next or Reset. After the last chunk Next
// returns nil, io.EOF. A read error from the underlying reader is returned
// as is, and again by every later call; the bytes buffered at that point
// are not returned.
func (c *Chunker) Next() ([]byte, error) {
	if c.err != nil {
		return nil, c.err
	}
	if c.end-c.start < c.opts.Max && !c.eof {
		if err := c.fill(); err != nil {
			c.err = err
			return nil, err
		}
	}
	if c.start == c.end {
		c.err = io.EOF
		return nil, io.EOF
	}
	end := min(c.end, c.start+c.opts.Max)
	n := c.cut(c.buf[c.start:end])
	chunk := c.buf[c.start : c.start+n : c.start+n]
	c.start += n
	return chunk, nil
}

// fill moves the unread bytes to the front of the buffer and reads until the
// buffer is full or the reader reports io.EOF. Short reads are fine.
func (c *Chunker) fill() error {
	c.end = copy(c.buf, c.buf[c.start:c.end])
	c.start = 0
	n, eof, err := Fill(c.r, c.buf[c.end:], len(c.buf)-c.end)
	c.end += n
	c.eof = eof
	return err
}

// Fill reads from r into buf until it holds at least min bytes or r
// reports io.EOF, which it returns as eof rather than as an error. Like
// bufio, it gives up with io.ErrNoProgress after maxEmptyReads reads in a
// row that return neither data nor an error.
func Fill(r io.Reader, buf []byte, min int) (n int, eof bool, err error) {
	empty := 0
	for n < min && n < len(buf) {
		k, err := r.Read(buf[n:])
		n += k
		switch {
		case err == io.EOF:
			return n, true, nil
		case err != nil:
			return n, false, err
		case k > 0:
			empty = 0
		default:
			if empty++; empty >= maxEmptyReads {
				return n, false, io.ErrNoProgress
			}
		}
	}
	return n, false, nil
}
