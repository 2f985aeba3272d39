package store

import (
	"bytes"
	"errors"
	"io"
	"testing"
	"testing/iotest"
)

// writeAll writes the payloads into p from a new goroutine and ends the
// stream with end; the returned channel gives the first Write error.
func writeAll(p *packPipe, payloads [][]byte, end error) <-chan error {
	errc := make(chan error, 1)
	go func() {
		for _, b := range payloads {
			if _, err := p.Write(b); err != nil {
				errc <- err
				return
			}
		}
		p.closeWrite(end)
		errc <- nil
	}()
	return errc
}

var pipePayloads = [][]byte{[]byte("chunk one "), {}, bytes.Repeat([]byte("x"), 5000), []byte("trailer")}

func TestPackPipeRead(t *testing.T) {
	p := newPackPipe()
	errc := writeAll(p, pipePayloads, nil)
	got, err := io.ReadAll(iotest.OneByteReader(p))
	if err != nil {
		t.Fatal(err)
	}
	if want := bytes.Join(pipePayloads, nil); !bytes.Equal(got, want) {
		t.Fatalf("read %d bytes, want %d", len(got), len(want))
	}
	if err := <-errc; err != nil {
		t.Fatal(err)
	}
}

func TestPackPipeWriteTo(t *testing.T) {
	p := newPackPipe()
	errc := writeAll(p, pipePayloads, nil)
	var out bytes.Buffer
	// One byte by Read first, so WriteTo must finish that payload.
	var first [1]byte
	if _, err := p.Read(first[:]); err != nil {
		t.Fatal(err)
	}
	out.Write(first[:])
	n, err := p.WriteTo(&out)
	if err != nil {
		t.Fatal(err)
	}
	want := bytes.Join(pipePayloads, nil)
	if !bytes.Equal(out.Bytes(), want) || n != int64(len(want)-1) {
		t.Fatalf("got %d bytes (WriteTo said %d), want %d", out.Len(), n, len(want))
	}
	if err := <-errc; err != nil {
		t.Fatal(err)
	}
}

// TestPackPipeWriteReturnsAfterUse checks the property the packWriter
// relies on to reuse its buffers: a Write returns only after the reader
// is done with the bytes.
func TestPackPipeWriteReturnsAfterUse(t *testing.T) {
	p := newPackPipe()
	buf := []byte("abcdef")
	errc := make(chan error, 1)
	go func() {
		_, err := p.Write(buf)
		buf[0] = 'X' // the reader must have seen 'a' by now
		p.closeWrite(nil)
		errc <- err
	}()
	var got bytes.Buffer
	if _, err := p.WriteTo(&got); err != nil {
		t.Fatal(err)
	}
	if err := <-errc; err != nil || got.String() != "abcdef" {
		t.Fatalf("got %q, write error %v", got.String(), err)
	}
}

func TestPackPipeWriterError(t *testing.T) {
	boom := errors.New("ingest failed")
	p := newPackPipe()
	writeAll(p, pipePayloads[:1], boom)
	if _, err := io.ReadAll(p); !errors.Is(err, boom) {
		t.Fatalf("Read: got %v, want the writer's error", err)
	}
	p = newPackPipe()
	writeAll(p, pipePayloads[:1], boom)
	if _, err := p.WriteTo(io.Discard); !errors.Is(err, boom) {
		t.Fatalf("WriteTo: got %v, want the writer's error", err)
	}
}

func TestPackPipeReaderError(t *testing.T) {
	full := errors.New("disk full")
	p := newPackPipe()
	errc := writeAll(p, pipePayloads, nil)
	if _, err := p.WriteTo(failingWriter{full}); !errors.Is(err, full) {
		t.Fatalf("WriteTo: got %v, want the write error", err)
	}
	if err := <-errc; !errors.Is(err, full) {
		t.Fatalf("Write: got %v, want the reader's error", err)
	}
	p = newPackPipe()
	errc = writeAll(p, pipePayloads, nil)
	p.closeRead(nil)
	if err := <-errc; !errors.Is(err, io.ErrClosedPipe) {
		t.Fatalf("Write after closeRead(nil): got %v, want io.ErrClosedPipe", err)
	}
}

type failingWriter struct{ err error }

func (f failingWriter) Write([]byte) (int, error) { return 0, f.err }
