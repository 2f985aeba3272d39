package store

import (
	"io"
	"sync"
)

// packPipe carries a pack's bytes from the packWriter to the Backend.Put
// reading them, like io.Pipe: each Write returns once the reader is done
// with its bytes, so the writer may reuse them. Unlike io.Pipe it
// implements io.WriterTo, so a backend that copies with WriteTo (the local
// one does) writes each payload straight from the ingest block to its
// file, without the copy into a read buffer that Read needs.
type packPipe struct {
	payloads chan []byte   // written payloads, in order; closed by closeWrite
	acks     chan struct{} // one per payload, when the reader is done with it
	gone     chan struct{} // closed by closeRead: the reader stopped

	werr error // why the writer stopped, nil for a clean end; set before payloads closes
	rerr error // why the reader stopped; set before gone closes

	wonce, ronce sync.Once
	rest         []byte // the part of the current payload Read has not returned yet
}

func newPackPipe() *packPipe {
	return &packPipe{payloads: make(chan []byte), acks: make(chan struct{}), gone: make(chan struct{})}
}

// Write hands p to the reader and waits until the reader is done with it.
func (p *packPipe) Write(b []byte) (int, error) {
	if len(b) == 0 {
		return 0, nil
	}
	select {
	case p.payloads <- b:
	case <-p.gone:
		return 0, p.rerr
	}
	select {
	case <-p.acks:
		return len(b), nil
	case <-p.gone:
		return 0, p.rerr
	}
}

// closeWrite ends the stream: the reader sees io.EOF if err is nil, else err.
func (p *packPipe) closeWrite(err error) {
	p.wonce.Do(func() {
		p.werr = err
		close(p.payloads)
	})
}

// closeRead stops the reader side: pending and later Writes fail with err.
func (p *packPipe) closeRead(err error) {
	if err == nil {
		err = io.ErrClosedPipe
	}
	p.ronce.Do(func() {
		p.rerr = err
		close(p.gone)
	})
}

// next waits for the next payload; at the end it returns the writer's
// error, or io.EOF.
func (p *packPipe) next() ([]byte, error) {
	b, ok := <-p.payloads
	if !ok {
		if p.werr != nil {
			return nil, p.werr
		}
		return nil, io.EOF
	}
	return b, nil
}

// Read copies from the current payload, acknowledging it once it is all
// read.
func (p *packPipe) Read(b []byte) (int, error) {
	if len(p.rest) == 0 {
		next, err := p.next()
		if err != nil {
			return 0, err
		}
		p.rest = next
	}
	n := copy(b, p.rest)
	p.rest = p.rest[n:]
	if len(p.rest) == 0 {
		p.acks <- struct{}{}
	}
	return n, nil
}

// WriteTo writes every payload to w as it comes, acknowledging each after
// w.Write returns. On a write error it stops the pipe, so the writer
// fails too.
func (p *packPipe) WriteTo(w io.Writer) (int64, error) {
	var total int64
	if len(p.rest) > 0 { // left by an earlier Read
		n, err := w.Write(p.rest)
		total += int64(n)
		p.rest = nil
		if err != nil {
			p.closeRead(err)
			return total, err
		}
		p.acks <- struct{}{}
	}
	for {
		b, err := p.next()
		if err == io.EOF {
			return total, nil
		}
		if err != nil {
			return total, err
		}
		n, err := w.Write(b)
		total += int64(n)
		if err == nil && n < len(b) {
			err = io.ErrShortWrite
		}
		if err != nil {
			p.closeRead(err)
			return total, err
		}
		p.acks <- struct{}{}
	}
}
