package lfsserver

import (
	"bytes"
	"context"
	"io"
	"log/slog"
	"math/rand/v2"
	"net/http"
	"strings"
	"syscall"
	"testing"

	"github.com/ballastml/ballast/store"
	"github.com/ballastml/ballast/store/faulty"
	"github.com/ballastml/ballast/store/memory"
)

// The real store implements what the server needs of it.
var _ BlobStore = (*store.Store)(nil)

// newStoreEnvOn is newStoreEnv over the given backend.
func newStoreEnvOn(t *testing.T, b store.Backend) *env {
	t.Helper()
	return newEnv(t, func(c *Config) {
		opts := store.Options{Logger: slog.New(slog.DiscardHandler)}
		opts.Chunking.Min, opts.Chunking.Avg, opts.Chunking.Max = 4<<10, 16<<10, 64<<10
		st, err := store.New(b, c.DB, opts)
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { st.Close() })
		c.Store = st
	})
}

// newStoreEnv is an env whose server runs over the real store (memory
// backend, small chunks), so the store's side of the BlobStore contract is
// tested too. e.store is then unused.
func newStoreEnv(t *testing.T) *env {
	t.Helper()
	return newStoreEnvOn(t, memory.New())
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

// A stored object whose bytes went bad: the download is aborted, and from
// then on the batch API asks uploaders for the bytes and tells
// downloaders it is damaged; the upload repairs it, in every repository.
func TestStoreRepairsCorruptObject(t *testing.T) {
	t.Parallel()
	fb := faulty.Wrap(memory.New())
	e := newStoreEnvOn(t, fb)
	data := bytes.Repeat([]byte("0123456789abcdef"), 20_000)
	ptr := pointer{oidOf(data), int64(len(data))}
	for _, repo := range []string{testRepo, "ml/other"} {
		if resp := e.put(repo, tokWriter, data); resp.StatusCode != http.StatusOK {
			t.Fatalf("PUT to %s: %d", repo, resp.StatusCode)
		}
	}
	var pack string
	fb.List(context.Background(), "packs/", func(oi store.ObjectInfo) error { pack = oi.Name; return nil })
	fb.CorruptReads(pack, 10) // as if a byte of the pack on disk flipped

	url := e.lfsURL(testRepo) + "/objects/" + ptr.Oid
	resp := e.do(http.MethodGet, url, tokReader, nil)
	if _, err := io.ReadAll(resp.Body); err == nil && resp.StatusCode == http.StatusOK {
		t.Fatal("the download of a corrupt object completed")
	}
	resp.Body.Close()

	for _, repo := range []string{testRepo, "ml/other"} {
		down := e.batch(repo, tokReader, batchBody("download", ptr)).Objects[0]
		if down.Error == nil || down.Error.Code != http.StatusInternalServerError || down.Actions != nil {
			t.Fatalf("batch download of a damaged object in %s: %+v", repo, down)
		}
		up := e.batch(repo, tokWriter, batchBody("upload", ptr)).Objects[0]
		if up.Actions["upload"] == nil {
			t.Fatalf("batch upload of a damaged object in %s offers no upload: %+v", repo, up)
		}
	}
	body := wantError(t, e.do(http.MethodGet, url, tokReader, nil), http.StatusInternalServerError)
	if !strings.Contains(body.Message, "damaged") {
		t.Fatalf("GET of a damaged object: %q", body.Message)
	}

	if resp := e.put("ml/other", tokWriter, data); resp.StatusCode != http.StatusOK {
		t.Fatalf("repairing PUT: %d", resp.StatusCode)
	}
	for _, repo := range []string{testRepo, "ml/other"} {
		resp := e.do(http.MethodGet, e.lfsURL(repo)+"/objects/"+ptr.Oid, tokReader, nil)
		if got := readAll(t, resp); resp.StatusCode != http.StatusOK || got != string(data) {
			t.Fatalf("GET from %s after the repair: %d, %d bytes", repo, resp.StatusCode, len(got))
		}
		if up := e.batch(repo, tokWriter, batchBody("upload", ptr)).Objects[0]; up.Actions != nil {
			t.Fatalf("batch upload in %s after the repair still asks for the bytes", repo)
		}
	}
}

// A full backend answers an upload with 507 and a message that names no
// server path, inline and staged alike, and uploads work again once there
// is room.
func TestStoreUploadOnFullBackend(t *testing.T) {
	t.Parallel()
	for _, size := range []int{300 << 10, 9 << 20} { // inline; staged (over 8 MiB)
		fb := faulty.Wrap(memory.New())
		e := newStoreEnvOn(t, fb)
		data := make([]byte, size)
		rand.NewChaCha8([32]byte{byte(size)}).Read(data) // incompressible
		fb.FailPutAfterBytes(1000, syscall.ENOSPC)
		body := wantError(t, e.put(testRepo, tokWriter, data), http.StatusInsufficientStorage)
		if strings.Contains(body.Message, "/") {
			t.Fatalf("%d bytes: the message names a path: %q", size, body.Message)
		}
		fb.Reset()
		if resp := e.put(testRepo, tokWriter, data); resp.StatusCode != http.StatusOK {
			t.Fatalf("%d bytes, after space was freed: %d", size, resp.StatusCode)
		}
	}
}
