package publish

import (
	"bytes"
	"testing"

	"github.com/opencontainers/go-digest"

	"github.com/ballastml/ballast/store"
)

// A tar layer the store garbage-collects leaves no record behind: the
// publisher's cache row goes with the blob (ON DELETE CASCADE), so a later
// publication builds the layer again instead of naming a deleted blob.
func TestTarLayerRecordGoesWithItsBlob(t *testing.T) {
	e := newEnv(t)
	layer := []byte("a tar layer")
	d := digest.FromBytes(layer)
	if _, err := e.store.Put(e.ctx, repo, d, int64(len(layer)), bytes.NewReader(layer)); err != nil {
		t.Fatal(err)
	}
	header := digest.FromString("header")
	if err := e.pub.cacheLayer(e.ctx, header, "0123", store.BlobInfo{Digest: d, Size: int64(len(layer))}); err != nil {
		t.Fatal(err)
	}
	if got, err := e.pub.cachedLayer(e.ctx, header, "0123"); err != nil || got != d {
		t.Fatalf("cached layer %s, %v; want %s", got, err, d)
	}
	if err := e.store.Unlink(e.ctx, repo, d); err != nil {
		t.Fatal(err)
	}
	for range 2 { // the first pass notes the blob unlinked, the second deletes it
		if _, err := e.store.GC(e.ctx, 0); err != nil {
			t.Fatal(err)
		}
	}
	if got, err := e.pub.cachedLayer(e.ctx, header, "0123"); err != nil || got != "" {
		t.Fatalf("after GC deleted the layer: cached %q, %v; want none", got, err)
	}
}
