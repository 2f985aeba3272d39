package lfsserver

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"io"
	"net/http"
	"strings"
	"sync"

	"github.com/opencontainers/go-digest"

	"github.com/ballastml/ballast/internal/platform/auth"
	"github.com/ballastml/ballast/store"
)

// fakeStore is an in-memory BlobStore with the store's contract: Put hashes
// what it reads and publishes nothing on a mismatch; blobs are visible only
// in repositories they are linked to.
type fakeStore struct {
	mu      sync.Mutex
	blobs   map[digest.Digest][]byte
	links   map[string]map[digest.Digest]bool
	space   int64                   // bytes the backend can still take; < 0 is unlimited
	corrupt map[digest.Digest]int64 // reads of these blobs fail with ErrCorrupt after n bytes
}

func newFakeStore() *fakeStore {
	return &fakeStore{
		blobs:   map[digest.Digest][]byte{},
		links:   map[string]map[digest.Digest]bool{},
		space:   -1,
		corrupt: map[digest.Digest]int64{},
	}
}

func (f *fakeStore) Put(ctx context.Context, repo string, d digest.Digest, size int64, r io.Reader) (store.BlobInfo, error) {
	data, err := io.ReadAll(r)
	if err != nil {
		return store.BlobInfo{}, fmt.Errorf("read upload: %w", err)
	}
	if int64(len(data)) != size {
		return store.BlobInfo{}, fmt.Errorf("%w: got %d bytes, want %d", store.ErrSizeMismatch, len(data), size)
	}
	if got := digest.FromBytes(data); got != d {
		return store.BlobInfo{}, fmt.Errorf("%w: got %s, want %s", store.ErrDigestMismatch, got, d)
	}
	f.mu.Lock()
	defer f.mu.Unlock()
	if f.space >= 0 && size > f.space {
		return store.BlobInfo{}, store.ErrNoSpace
	}
	f.blobs[d] = data
	f.linkLocked(repo, d)
	return store.BlobInfo{Digest: d, Size: size}, nil
}

func (f *fakeStore) linkLocked(repo string, d digest.Digest) {
	if f.links[repo] == nil {
		f.links[repo] = map[digest.Digest]bool{}
	}
	f.links[repo][d] = true
}

func (f *fakeStore) Stat(ctx context.Context, repo string, d digest.Digest) (store.BlobInfo, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	if !f.links[repo][d] {
		return store.BlobInfo{}, fmt.Errorf("%w: %s in %s", store.ErrNotFound, d, repo)
	}
	return store.BlobInfo{Digest: d, Size: int64(len(f.blobs[d]))}, nil
}

func (f *fakeStore) Open(ctx context.Context, repo string, d digest.Digest, offset, length int64) (io.ReadCloser, error) {
	info, err := f.Stat(ctx, repo, d)
	if err != nil {
		return nil, err
	}
	if offset < 0 || offset > info.Size || (offset == info.Size && info.Size > 0 && length != 0) {
		return nil, fmt.Errorf("%w: offset %d of %d", store.ErrInvalidRange, offset, info.Size)
	}
	f.mu.Lock()
	defer f.mu.Unlock()
	end := info.Size
	if length >= 0 && offset+length < end {
		end = offset + length
	}
	var r io.Reader = bytes.NewReader(f.blobs[d][offset:end])
	if n, ok := f.corrupt[d]; ok {
		r = io.MultiReader(io.LimitReader(r, n), errorReader{store.ErrCorrupt})
	}
	return io.NopCloser(r), nil
}

func (f *fakeStore) RepoExists(ctx context.Context, repo string) (bool, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	return len(f.links[repo]) > 0, nil
}

func (f *fakeStore) CheckSpace(ctx context.Context, n int64) error {
	f.mu.Lock()
	defer f.mu.Unlock()
	if f.space >= 0 && n > f.space {
		return fmt.Errorf("%w: %d bytes requested, %d available", store.ErrNoSpace, n, f.space)
	}
	return nil
}

// add stores data and links it to repo, returning its oid.
func (f *fakeStore) add(repo string, data []byte) string {
	f.mu.Lock()
	defer f.mu.Unlock()
	d := digest.FromBytes(data)
	f.blobs[d] = data
	f.linkLocked(repo, d)
	return d.Encoded()
}

func (f *fakeStore) has(d digest.Digest) bool {
	f.mu.Lock()
	defer f.mu.Unlock()
	_, ok := f.blobs[d]
	return ok
}

type errorReader struct{ err error }

func (e errorReader) Read([]byte) (int, error) { return 0, e.err }

// fakeAuth maps tokens, sent as the Basic password or a Bearer token, to
// identities. With anonymous set, requests without credentials get it.
type fakeAuth struct {
	tokens    map[string]*auth.Identity
	anonymous *auth.Identity
}

func (a *fakeAuth) Authenticate(r *http.Request) (*auth.Identity, error) {
	tok, ok := "", false
	if _, tok, ok = r.BasicAuth(); !ok {
		tok, ok = strings.CutPrefix(r.Header.Get("Authorization"), "Bearer ")
	}
	switch {
	case !ok && a.anonymous != nil:
		return a.anonymous, nil
	case !ok:
		return nil, auth.ErrNoCredentials
	}
	id, known := a.tokens[tok]
	if !known {
		return nil, auth.ErrInvalidToken
	}
	return id, nil
}

func identity(user string, scopes ...string) *auth.Identity {
	id := &auth.Identity{User: user, TokenID: "tok-" + user}
	for _, s := range scopes {
		sc, err := auth.ParseScope(s)
		if err != nil {
			panic(err)
		}
		id.Scopes = append(id.Scopes, sc)
	}
	return id
}

// oidOf returns the Git LFS oid of data.
func oidOf(data []byte) string {
	sum := sha256.Sum256(data)
	return hex.EncodeToString(sum[:])
}

func (f *fakeStore) count() int {
	f.mu.Lock()
	defer f.mu.Unlock()
	return len(f.blobs)
}
