package store

import (
	"context"
	"encoding/binary"
	"fmt"
	"time"
)

// Pack format. A pack is an immutable backend object:
//
//	payload 0 | payload 1 | … | payload n-1 | entry 0 | … | entry n-1 | n (uint32) | magic
//
// Each payload is one chunk, raw or zstd-compressed. Each entry is
// id (32 bytes) | codec (1) | stored size (uint32) | size (uint32), little
// endian. The trailer makes a pack self-describing, so that the metadata of
// its chunks can be checked against, or rebuilt from, the pack alone.
const (
	packMagic     = "BLSTPK01"
	packEntrySize = 32 + 1 + 4 + 4
	packPrefix    = "packs/"
)

// Chunk codecs.
const (
	codecRaw  = 0
	codecZstd = 1
)

// chunkID names a chunk: the BLAKE3-256 of its uncompressed bytes.
type chunkID [32]byte

// chunkLoc says where a chunk's bytes live.
type chunkLoc struct {
	id     chunkID
	pack   string
	offset int64
	stored int // bytes in the pack
	size   int // uncompressed bytes
	codec  uint8
}

// packInfo is a pack written by one Put, to be recorded on commit.
type packInfo struct {
	name string
	size int64
}

// packWriter streams chunks into packs of about opts.PackSize bytes. Each
// pack is sent to the backend through a pipe while it is being filled, so no
// pack is ever held in memory; closed packs finish uploading in the
// background while the next one fills.
type packWriter struct {
	s        *Store
	ctx      context.Context
	cur      *openPack
	closing  []*openPack
	finished []packInfo
}

type openPack struct {
	name    string
	pipe    *packPipe
	done    chan error
	size    int64
	entries []byte
}

func newPackWriter(ctx context.Context, s *Store) *packWriter {
	return &packWriter{s: s, ctx: ctx}
}

// add appends one chunk payload and returns where it was put.
func (w *packWriter) add(id chunkID, codec uint8, payload []byte, size int) (chunkLoc, error) {
	if w.cur == nil {
		w.cur = w.open()
	}
	p := w.cur
	loc := chunkLoc{id: id, pack: p.name, offset: p.size, stored: len(payload), size: size, codec: codec}
	if _, err := p.pipe.Write(payload); err != nil {
		return chunkLoc{}, fmt.Errorf("write pack %s: %w", p.name, err)
	}
	p.size += int64(len(payload))
	var e [packEntrySize]byte
	copy(e[:32], id[:])
	e[32] = codec
	binary.LittleEndian.PutUint32(e[33:], uint32(len(payload)))
	binary.LittleEndian.PutUint32(e[37:], uint32(size))
	p.entries = append(p.entries, e[:]...)
	if p.size >= w.s.opts.PackSize {
		if err := w.closeCurrent(); err != nil {
			return chunkLoc{}, err
		}
	}
	return loc, nil
}

func (w *packWriter) open() *openPack {
	name := newPackName()
	p := &openPack{name: name, pipe: newPackPipe(), done: make(chan error, 1)}
	w.s.inflight.add(name)
	go func() {
		err := w.s.backend.Put(w.ctx, name, p.pipe)
		p.pipe.closeRead(err) // unblock the writer if Put gave up early
		p.done <- err
	}()
	return p
}

// closeCurrent writes the trailer and lets the pack finish in the background.
func (w *packWriter) closeCurrent() error {
	p := w.cur
	w.cur = nil
	trailer := make([]byte, 0, len(p.entries)+4+len(packMagic))
	trailer = append(trailer, p.entries...)
	trailer = binary.LittleEndian.AppendUint32(trailer, uint32(len(p.entries)/packEntrySize))
	trailer = append(trailer, packMagic...)
	w.closing = append(w.closing, p)
	if _, err := p.pipe.Write(trailer); err != nil {
		return fmt.Errorf("write pack %s: %w", p.name, err)
	}
	p.size += int64(len(trailer))
	p.pipe.closeWrite(nil)
	return nil
}

// finish closes the open pack and waits until every pack is durable.
func (w *packWriter) finish() ([]packInfo, error) {
	var err error
	if w.cur != nil {
		err = w.closeCurrent()
	}
	for _, p := range w.closing {
		if perr := <-p.done; perr != nil && err == nil {
			err = fmt.Errorf("store pack %s: %w", p.name, perr)
		}
		w.finished = append(w.finished, packInfo{name: p.name, size: p.size})
	}
	w.closing = nil
	return w.finished, err
}

// abort stops all uploads and deletes whatever packs were written. The
// reaper would remove them later anyway; deleting now frees space sooner.
func (w *packWriter) abort(cause error) {
	if w.cur != nil {
		w.cur.pipe.closeWrite(cause)
		w.closing = append(w.closing, w.cur)
		w.cur = nil
	}
	var names []string
	for _, p := range w.closing {
		<-p.done
		names = append(names, p.name)
	}
	for _, f := range w.finished {
		names = append(names, f.name)
	}
	ctx, cancel := context.WithTimeout(context.WithoutCancel(w.ctx), time.Minute)
	defer cancel()
	for _, n := range names {
		if err := w.s.backend.Delete(ctx, n); err != nil {
			w.s.log.Warn("delete aborted pack", "pack", n, "err", err)
		}
	}
	w.s.inflight.remove(names...)
}

func newPackName() string { return newObjectName(packPrefix, ".pack") }
