package push

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"sync/atomic"

	ocispec "github.com/opencontainers/image-spec/specs-go/v1"
	"golang.org/x/sync/errgroup"
	"oras.land/oras-go/v2"

	"github.com/ballastml/ballast/internal/format/modelpack"
)

// Opener returns the bytes of the LFS object oid of the given size.
type Opener func(ctx context.Context, oid string, size int64) (io.ReadCloser, error)

// Objects opens LFS objects from a checkout's local LFS storage and, for
// those it does not have, from an LFS server (if LFS is not nil).
type Objects struct {
	Checkout *Checkout
	LFS      *LFS
}

// Open is an Opener.
func (o Objects) Open(ctx context.Context, oid string, size int64) (io.ReadCloser, error) {
	f, err := os.Open(o.Checkout.ObjectPath(oid))
	if err == nil || !errors.Is(err, fs.ErrNotExist) {
		return f, err
	}
	if o.LFS == nil {
		return nil, fmt.Errorf("object %s is not in the local Git LFS storage, and no Git LFS server was given", oid)
	}
	rc, err := o.LFS.Download(ctx, oid, size)
	if err != nil {
		return nil, fmt.Errorf("object %s is not in the local Git LFS storage, and downloading it failed: %w", oid, err)
	}
	return rc, nil
}

// Stats counts what a push sent.
type Stats struct {
	Pushed  int   // blobs uploaded
	Present int   // blobs the registry already had
	Bytes   int64 // bytes uploaded
}

// concurrency is how many blobs are uploaded at once.
const concurrency = 4

// Artifact pushes art to dst and tags it: the layers (opened with open,
// and only those dst does not have), the config, then the manifest. The
// registry verifies every blob against its digest.
//
// progress, if not nil, is told of every byte of the layers as it is sent
// or found present (a progress bar's Add); it must be safe for concurrent
// use. The total is the layers' size (LayerBytes).
func Artifact(ctx context.Context, dst oras.Target, tag string, art modelpack.Artifact, open Opener, progress func(n int64)) (Stats, error) {
	st := stats{progress: progress}
	g, gctx := errgroup.WithContext(ctx)
	g.SetLimit(concurrency)
	seen := map[string]bool{}
	for _, l := range art.Layers {
		if seen[l.Digest.String()] {
			continue // the same content at two paths
		}
		seen[l.Digest.String()] = true
		g.Go(func() error {
			return st.push(gctx, dst, l, true, func() (io.ReadCloser, error) { return open(gctx, l.Digest.Encoded(), l.Size) })
		})
	}
	if err := g.Wait(); err != nil {
		return st.Stats(), err
	}
	err := st.push(ctx, dst, art.ConfigDescriptor, false, func() (io.ReadCloser, error) {
		return io.NopCloser(bytes.NewReader(art.Config)), nil
	})
	if err != nil {
		return st.Stats(), err
	}
	if _, err := oras.TagBytes(ctx, dst, art.Descriptor.MediaType, art.Manifest, tag); err != nil {
		return st.Stats(), fmt.Errorf("push manifest: %w", err)
	}
	return st.Stats(), nil
}

// LayerBytes is the total progress of Artifact for art: the size of its
// distinct layers.
func LayerBytes(art modelpack.Artifact) int64 {
	seen := map[string]bool{}
	var n int64
	for _, l := range art.Layers {
		if !seen[l.Digest.String()] {
			seen[l.Digest.String()] = true
			n += l.Size
		}
	}
	return n
}

// stats is Stats, counted concurrently.
type stats struct {
	pushed, present atomic.Int32
	bytes           atomic.Int64
	progress        func(int64) // nil: none
}

func (s *stats) advance(n int64) {
	if s.progress != nil && n > 0 {
		s.progress(n)
	}
}

// countingReader tells advance of every byte read.
type countingReader struct {
	io.ReadCloser
	s *stats
}

func (c countingReader) Read(p []byte) (int, error) {
	n, err := c.ReadCloser.Read(p)
	c.s.advance(int64(n))
	return n, err
}

func (s *stats) Stats() Stats {
	return Stats{Pushed: int(s.pushed.Load()), Present: int(s.present.Load()), Bytes: s.bytes.Load()}
}

// push uploads the blob desc unless dst has it; a layer's bytes count as
// progress.
func (s *stats) push(ctx context.Context, dst oras.Target, desc ocispec.Descriptor, layer bool, open func() (io.ReadCloser, error)) error {
	ok, err := dst.Exists(ctx, desc)
	if err != nil {
		return fmt.Errorf("check %s: %w", desc.Digest, err)
	}
	if ok {
		s.present.Add(1)
		if layer {
			s.advance(desc.Size)
		}
		return nil
	}
	rc, err := open()
	if err != nil {
		return err
	}
	defer rc.Close()
	if layer {
		rc = countingReader{rc, s}
	}
	if err := dst.Push(ctx, desc, rc); err != nil {
		return fmt.Errorf("push %s: %w", desc.Digest, err)
	}
	s.pushed.Add(1)
	s.bytes.Add(desc.Size)
	return nil
}
