package store

import (
	"bytes"
	"context"
	"crypto/sha256"
	"errors"
	"fmt"
	"io"

	"github.com/opencontainers/go-digest"

	"github.com/ballastml/ballast/store/chunker"
)

// Part is one piece of a blob built by PutConcat: literal bytes, or a whole
// blob already linked to the repository. Exactly one field is set.
type Part struct {
	Bytes []byte
	Blob  digest.Digest
}

// PutConcat stores the concatenation of parts as a sha256 blob linked to
// repo, and returns it. The recipe of each Blob part is reused as it is, so
// its bytes are not stored again: a tar layer made of a header, a model
// file and padding costs the header and the padding. Every byte is still
// read, verified and hashed to compute the new digest.
func (s *Store) PutConcat(ctx context.Context, repo string, parts []Part) (BlobInfo, error) {
	var size int64
	for i, p := range parts {
		n, err := s.partSize(ctx, repo, p)
		if err != nil {
			return BlobInfo{}, fmt.Errorf("part %d: %w", i, err)
		}
		size += n
	}
	d, err := s.concatDigest(ctx, repo, parts)
	if err != nil {
		return BlobInfo{}, err
	}
	info := BlobInfo{Digest: d, Size: size}
	if exists, damaged, err := s.blobState(ctx, s.db, d); err != nil || (exists && !damaged) {
		if err != nil {
			return BlobInfo{}, err
		}
		return info, s.link(ctx, repo, d)
	}
	rec, err := s.concatRecipe(ctx, parts)
	if err != nil {
		return BlobInfo{}, err
	}
	return info, s.commit(ctx, repo, info, rec)
}

func (s *Store) partSize(ctx context.Context, repo string, p Part) (int64, error) {
	switch {
	case p.Blob != "" && p.Bytes != nil:
		return 0, errors.New("a part is either bytes or a blob, not both")
	case p.Blob != "":
		info, err := s.Stat(ctx, repo, p.Blob)
		return info.Size, err
	}
	return int64(len(p.Bytes)), nil
}

// concatDigest hashes the concatenation, reading Blob parts through Open
// so that every chunk is verified on the way.
func (s *Store) concatDigest(ctx context.Context, repo string, parts []Part) (digest.Digest, error) {
	h := sha256.New()
	buf := make([]byte, 1<<20)
	for _, p := range parts {
		if p.Blob == "" {
			h.Write(p.Bytes)
			continue
		}
		rc, err := s.Open(ctx, repo, p.Blob, 0, -1)
		if err != nil {
			return "", err
		}
		_, err = io.CopyBuffer(h, rc, buf)
		rc.Close()
		if err != nil {
			return "", err
		}
	}
	return digest.NewDigest(digest.SHA256, h), nil
}

// concatRecipe chunks and stores the literal parts and splices in the
// recipes of the blob parts, in order. A staged blob part is compacted
// first, so that it has a recipe.
func (s *Store) concatRecipe(ctx context.Context, parts []Part) (rec recipe, err error) {
	w := &chunkWorker{s: s, ctx: ctx, pw: newPackWriter(ctx, s), seen: make(map[chunkID]struct{})}
	defer func() {
		if err != nil {
			w.pw.abort(err)
		}
	}()
	for _, p := range parts {
		if p.Blob != "" {
			if err = s.ensureCompacted(ctx, p.Blob); err != nil {
				return recipe{}, err
			}
			err = s.walkRecipe(ctx, p.Blob, 0, 1<<62, func(c recipeChunk) error {
				w.rec.ids = append(w.rec.ids, c.id)
				w.rec.sizes = append(w.rec.sizes, c.size)
				return nil
			})
		} else {
			err = s.addBytes(w, p.Bytes)
		}
		if err != nil {
			return recipe{}, err
		}
	}
	if w.rec.packs, err = w.pw.finish(); err != nil {
		return recipe{}, err
	}
	return w.rec, nil
}

func (s *Store) addBytes(w *chunkWorker, b []byte) error {
	ch, err := chunker.New(bytes.NewReader(b), s.opts.Chunking)
	if err != nil {
		return err
	}
	for {
		c, err := ch.Next()
		if errors.Is(err, io.EOF) {
			return nil
		}
		if err != nil {
			return err
		}
		if err := w.add(c); err != nil {
			return err
		}
	}
}
