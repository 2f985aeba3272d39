package lfsserver

import (
	"bytes"
	"log/slog"
	"net/http"
	"strings"
	"testing"

	"github.com/ballastml/ballast/store"
	"github.com/ballastml/ballast/store/memory"
)

// The real store implements what the server needs of it.
var _ BlobStore = (*store.Store)(nil)

// newStoreEnv is an env whose server runs over the real store (memory
// backend, small chunks), so the store's side of the BlobStore contract is
// tested too. e.store is then unused.
func newStoreEnv(t *testing.T) *env {
	t.Helper()
	return newEnv(t, func(c *Config) {
		opts := store.Options{Logger: slog.New(slog.DiscardHandler)}
		opts.Chunking.Min, opts.Chunking.Avg, opts.Chunking.Max = 4<<10, 16<<10, 64<<10
		st, err := store.New(memory.New(), c.DB, opts)
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { st.Close() })
		c.Store = st
	})
}

func TestStoreCompliance(t *testing.T) {
	t.Parallel()
	runCompliance(t, newStoreEnv(t))
}

func TestStoreGitLFSClient(t *testing.T) {
	t.Parallel()
	runGitLFSClient(t, newStoreEnv(t))
}

func TestStoreTransfers(t *testing.T) {
	t.Parallel()
	e := newStoreEnv(t)
	data := bytes.Repeat([]byte("0123456789abcdef"), 20_000) // 320 KB, many chunks
	url := e.lfsURL(testRepo) + "/objects/" + oidOf(data)

	// Refused uploads leave nothing behind.
	wantError(t, e.do(http.MethodPut, url, tokWriter, bytes.NewReader(data[1:])), http.StatusUnprocessableEntity)
	if s := rawPut(t, e, url, int64(len(data)+10), data, true); s != http.StatusUnprocessableEntity {
		t.Fatalf("short body: status %d", s)
	}
	if s := rawPut(t, e, url, int64(len(data)-10), data, false); s != http.StatusUnprocessableEntity {
		t.Fatalf("long body: status %d", s)
	}
	wantError(t, e.do(http.MethodGet, url, tokReader, nil), http.StatusNotFound)

	if resp := e.put(testRepo, tokWriter, data); resp.StatusCode != http.StatusOK {
		t.Fatalf("PUT: %d %s", resp.StatusCode, readAll(t, resp))
	}
	resp := e.do(http.MethodGet, url, tokReader, nil, "Range", "bytes=100000-200003")
	if got := readAll(t, resp); resp.StatusCode != http.StatusPartialContent || got != string(data[100000:200004]) {
		t.Fatalf("range: %d, %d bytes", resp.StatusCode, len(got))
	}
	resp = e.do(http.MethodGet, url, tokReader, nil)
	if got := readAll(t, resp); got != string(data) {
		t.Fatalf("full read: %d bytes", len(got))
	}
	var p pointer
	decodeAs(t, e.doJSON(http.MethodPost, e.lfsURL(testRepo)+"/objects/verify", tokWriter, pointer{oidOf(data), int64(len(data))}), http.StatusOK, &p)

	// Another repository must upload the bytes itself.
	obj := e.batch("ml/other", tokWriter, batchBody("upload", pointer{oidOf(data), int64(len(data))})).Objects[0]
	if obj.Actions["upload"] == nil {
		t.Fatalf("other repository got no upload action: %+v", obj)
	}
	if !strings.HasSuffix(obj.Actions["upload"].Href, "/ml/other.git/info/lfs/objects/"+oidOf(data)) {
		t.Fatalf("href %q", obj.Actions["upload"].Href)
	}
}
