package push

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"io"
	"strings"
	"sync/atomic"
	"testing"

	"oras.land/oras-go/v2/content/memory"

	"github.com/ballastml/ballast/internal/format/modelpack"
)

func TestArtifactSkipsPresentBlobs(t *testing.T) {
	ctx := context.Background()
	contents := map[string]string{}
	var files []modelpack.File
	// The same content at two paths is one blob.
	for path, s := range map[string]string{"m/a.bin": "one", "m/b.bin": "two", "m/copy-of-b.bin": "two"} {
		sum := sha256.Sum256([]byte(s))
		oid := hex.EncodeToString(sum[:])
		contents[oid] = s
		files = append(files, modelpack.File{Path: path, OID: oid, Size: int64(len(s))})
	}
	art, err := modelpack.ModelPack(files, modelpack.Metadata{Name: "ml/x"})
	if err != nil {
		t.Fatal(err)
	}
	var opened atomic.Int32 // Artifact opens concurrently
	open := func(_ context.Context, oid string, size int64) (io.ReadCloser, error) {
		opened.Add(1)
		return io.NopCloser(strings.NewReader(contents[oid])), nil
	}
	dst := memory.New()
	var progress atomic.Int64
	add := func(n int64) { progress.Add(n) }
	st, err := Artifact(ctx, dst, "v1", art, open, add)
	if err != nil {
		t.Fatal(err)
	}
	if total := LayerBytes(art); total != 6 || progress.Load() != total {
		t.Fatalf("first push: progress %d of %d, want all of the 6 layer bytes", progress.Load(), total)
	}
	if st.Pushed != 3 || st.Present != 0 || opened.Load() != 2 || st.Bytes != int64(len(art.Config))+6 {
		t.Fatalf("first push: %+v, %d opened", st, opened.Load())
	}
	desc, err := dst.Resolve(ctx, "v1")
	if err != nil || desc.Digest != art.Descriptor.Digest {
		t.Fatalf("tag v1: %v, %v", desc.Digest, err)
	}
	progress.Store(0)
	st, err = Artifact(ctx, dst, "v2", art, open, add)
	if err != nil || st.Pushed != 0 || st.Present != 3 || opened.Load() != 2 {
		t.Fatalf("second push: %+v, %v, %d opened", st, err, opened.Load())
	}
	if progress.Load() != 6 {
		t.Fatalf("second push: progress %d, want the 6 layer bytes found present", progress.Load())
	}
	if _, err := Artifact(ctx, dst, "v3", art, open, nil); err != nil {
		t.Fatalf("a push without progress: %v", err)
	}
}

func TestSameHost(t *testing.T) {
	if !sameHost("https://h:1/a/b", "https://h:1/c") || sameHost("https://h/a", "http://h/a") || sameHost("https://h/a", "https://evil/a") {
		t.Error("sameHost compares scheme and host")
	}
}
