package gitindex

import (
	"fmt"
	"io"

	"github.com/go-git/go-git/v5/plumbing"

	"github.com/ballastml/ballast/internal/format/lfspointer"
)

const (
	// largeFile is the size from which a file outside Git LFS is reported.
	largeFile = 1 << 20
	// maxAttributesFile bounds the .gitattributes files read.
	maxAttributesFile = 1 << 20
	// maxCachedBlobs bounds each of blobCache's maps; a full map is cleared.
	maxCachedBlobs = 1 << 16
)

// blobCache reads blobs of the mirror for classification, remembering what
// small blobs parsed to, so a blob seen at many paths or commits is read
// once.
type blobCache struct {
	m     mirror
	sizer interface {
		EncodedObjectSize(plumbing.Hash) (int64, error)
	}
	pointers map[plumbing.Hash]parsed
	attrs    map[plumbing.Hash][]attrRule
	read     func() // counts blob reads
}

// parsed is the outcome of lfspointer.Parse on a blob.
type parsed struct {
	ptr lfspointer.Pointer
	err error
}

func newBlobCache(m mirror, read func()) blobCache {
	b := blobCache{m: m, pointers: make(map[plumbing.Hash]parsed), attrs: make(map[plumbing.Hash][]attrRule), read: read}
	b.sizer, _ = m.Storer.(interface {
		EncodedObjectSize(plumbing.Hash) (int64, error)
	})
	return b
}

// classify says what the blob h is at a path for which tracked reports
// whether Git LFS tracks it: a pointer, a problem (kind and detail), or
// neither. Blobs larger than lfspointer.MaxSize are never read.
func (b *blobCache) classify(h plumbing.Hash, tracked func() bool) (ptr *lfspointer.Pointer, kind, detail string, err error) {
	size, err := b.size(h)
	switch {
	case err != nil:
		return nil, "", "", err
	case size == 0:
		return nil, "", "", nil // git-lfs keeps empty files as they are
	case size > lfspointer.MaxSize && tracked():
		return nil, ProblemOversizedPointer, fmt.Sprintf(
			"tracked by Git LFS but %d bytes: a pointer file has at most %d (the file was committed without Git LFS)",
			size, lfspointer.MaxSize), nil
	case size > largeFile:
		return nil, ProblemLargeNonLFS, fmt.Sprintf("%d bytes, not tracked by Git LFS", size), nil
	case size > lfspointer.MaxSize:
		return nil, "", "", nil
	}
	p, err := b.pointer(h)
	switch {
	case err != nil:
		return nil, "", "", err
	case p.err == nil:
		return &p.ptr, "", "", nil
	case tracked():
		return nil, ProblemMalformedPointer, p.err.Error(), nil
	}
	return nil, "", "", nil
}

func (b *blobCache) size(h plumbing.Hash) (int64, error) {
	if b.sizer != nil {
		return b.sizer.EncodedObjectSize(h)
	}
	obj, err := b.m.Storer.EncodedObject(plumbing.BlobObject, h)
	if err != nil {
		return 0, err
	}
	return obj.Size(), nil
}

// pointer parses the small blob h, once.
func (b *blobCache) pointer(h plumbing.Hash) (parsed, error) {
	if p, ok := b.pointers[h]; ok {
		return p, nil
	}
	data, err := b.readBlob(h, lfspointer.MaxSize)
	if err != nil {
		return parsed{}, err
	}
	var p parsed
	p.ptr, p.err = lfspointer.Parse(data)
	if len(b.pointers) >= maxCachedBlobs {
		clear(b.pointers)
	}
	b.pointers[h] = p
	return p, nil
}

// attributes parses the .gitattributes blob h, once. A file larger than
// maxAttributesFile is ignored.
func (b *blobCache) attributes(h plumbing.Hash) []attrRule {
	if r, ok := b.attrs[h]; ok {
		return r
	}
	var rules []attrRule
	if size, err := b.size(h); err == nil && size <= maxAttributesFile {
		if data, err := b.readBlob(h, maxAttributesFile); err == nil {
			rules = parseAttributes(data)
		}
	}
	if len(b.attrs) >= maxCachedBlobs {
		clear(b.attrs)
	}
	b.attrs[h] = rules
	return rules
}

// readBlob reads at most limit+1 bytes of blob h.
func (b *blobCache) readBlob(h plumbing.Hash, limit int64) ([]byte, error) {
	obj, err := b.m.Storer.EncodedObject(plumbing.BlobObject, h)
	if err != nil {
		return nil, err
	}
	r, err := obj.Reader()
	if err != nil {
		return nil, err
	}
	defer r.Close()
	b.read()
	return io.ReadAll(io.LimitReader(r, limit+1))
}
