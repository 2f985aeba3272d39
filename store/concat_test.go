package store_test

import (
	"bytes"
	"context"
	"errors"
	"sync"
	"testing"

	"github.com/opencontainers/go-digest"

	"github.com/ballastml/ballast/store"
)

func TestPutConcatReusesBlobBytes(t *testing.T) {
	f := newFixture(t, nil)
	ctx := context.Background()
	model := randomBytes(40, 3<<20)
	f.put(t, "ml/x", model)
	_, before := f.backendBytes(t)

	header := bytes.Repeat([]byte("h"), 512)
	padding := make([]byte, 300)
	parts := []store.Part{{Bytes: header}, {Blob: sha(model)}, {Bytes: padding}}
	info, err := f.st.PutConcat(ctx, "ml/x", parts)
	if err != nil {
		t.Fatal(err)
	}
	want := append(append(append([]byte{}, header...), model...), padding...)
	if info.Digest != sha(want) || info.Size != int64(len(want)) {
		t.Fatalf("PutConcat = %+v, want %s (%d bytes)", info, sha(want), len(want))
	}
	got, err := f.read(t, "ml/x", info.Digest, 0, -1)
	if err != nil || !bytes.Equal(got, want) {
		t.Fatalf("read back: %v", err)
	}
	// Ranges that straddle the parts read right too.
	if got, _ := f.read(t, "ml/x", info.Digest, 500, 100); !bytes.Equal(got, want[500:600]) {
		t.Fatal("range across the header/blob boundary is wrong")
	}
	_, after := f.backendBytes(t)
	if grew := after - before; grew > 64<<10 {
		t.Fatalf("concatenation stored %d new bytes; the model's bytes must not be stored again", grew)
	}
	// Idempotent.
	if again, err := f.st.PutConcat(ctx, "ml/x", parts); err != nil || again != info {
		t.Fatalf("second PutConcat = %+v, %v", again, err)
	}
}

func TestPutConcatNeedsLinkedBlobs(t *testing.T) {
	f := newFixture(t, nil)
	model := randomBytes(41, 1000)
	f.put(t, "ml/a", model)
	_, err := f.st.PutConcat(context.Background(), "ml/b", []store.Part{{Blob: sha(model)}})
	if !errors.Is(err, store.ErrNotFound) {
		t.Fatalf("concatenating a blob of another repository: %v, want ErrNotFound", err)
	}
	_, err = f.st.PutConcat(context.Background(), "ml/a", []store.Part{{Blob: sha(model), Bytes: []byte("x")}})
	if err == nil {
		t.Fatal("a part with both bytes and a blob was accepted")
	}
}

func TestSubscribeSeesEveryLink(t *testing.T) {
	f := newFixture(t, nil)
	ctx := context.Background()
	var mu sync.Mutex
	var seen []string
	f.st.Subscribe(func(repo string, d digest.Digest) {
		mu.Lock()
		defer mu.Unlock()
		seen = append(seen, repo+"@"+d.Encoded()[:8])
	})
	b := randomBytes(42, 1000)
	f.put(t, "ml/a", b)                                    // new blob
	f.put(t, "ml/b", b)                                    // existing blob, new link
	if err := f.st.Link(ctx, "ml/c", sha(b)); err != nil { // mount
		t.Fatal(err)
	}
	u, _ := f.st.StartUpload(ctx, "ml/d")
	if _, err := f.st.FinishUpload(ctx, "ml/d", u.ID, sha(b), bytes.NewReader(b), int64(len(b))); err != nil {
		t.Fatal(err)
	}
	short := sha(b).Encoded()[:8]
	want := []string{"ml/a@" + short, "ml/b@" + short, "ml/c@" + short, "ml/d@" + short}
	mu.Lock()
	defer mu.Unlock()
	if len(seen) != len(want) {
		t.Fatalf("notified %v, want %v", seen, want)
	}
	for i := range want {
		if seen[i] != want[i] {
			t.Fatalf("notified %v, want %v", seen, want)
		}
	}
}
