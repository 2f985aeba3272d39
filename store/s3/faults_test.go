package s3_test

import (
	"bytes"
	"context"
	"crypto/rand"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"io"
	"log/slog"
	mrand "math/rand/v2"
	"net/http"
	"net/http/httptest"
	"net/http/httputil"
	"net/url"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/opencontainers/go-digest"

	"github.com/ballastml/ballast/internal/testkit/dbtest"
	"github.com/ballastml/ballast/store"
	"github.com/ballastml/ballast/store/s3"
)

// faultyS3 is a proxy in front of MinIO that, while on, breaks one request
// in three: a 503, a 500, a connection reset before any answer, a slow
// answer, a response body cut short, or a bit flipped in an upload.
type faultyS3 struct {
	mu     sync.Mutex
	on     bool
	rnd    *mrand.Rand
	counts map[string]int
	proxy  *httputil.ReverseProxy
}

func newFaultyS3(t *testing.T, target string) (*faultyS3, *httptest.Server) {
	u, _ := url.Parse(target)
	f := &faultyS3{rnd: mrand.New(mrand.NewPCG(1, 2)), counts: map[string]int{}}
	f.proxy = &httputil.ReverseProxy{
		// The signature covers the Host the client used: keep it.
		Rewrite:       func(pr *httputil.ProxyRequest) { pr.SetURL(u); pr.Out.Host = pr.In.Host },
		FlushInterval: -1,
		ModifyResponse: func(resp *http.Response) error {
			if resp.Request.Method == http.MethodGet && f.pick("truncate", 6) && resp.ContentLength > 10 {
				resp.Body = &cutBody{r: resp.Body, left: resp.ContentLength / 2}
			}
			return nil
		},
		ErrorLog: nil,
	}
	srv := httptest.NewServer(f)
	t.Cleanup(srv.Close)
	return f, srv
}

// pick reports, when faults are on, whether to inject kind, with a chance
// of 1 in n.
func (f *faultyS3) pick(kind string, n int) bool {
	f.mu.Lock()
	defer f.mu.Unlock()
	if !f.on || f.rnd.IntN(n) != 0 {
		return false
	}
	f.counts[kind]++
	return true
}

func (f *faultyS3) set(on bool) {
	f.mu.Lock()
	f.on = on
	f.mu.Unlock()
}

func (f *faultyS3) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	switch {
	case f.pick("503", 12):
		w.Header().Set("Content-Type", "application/xml")
		w.WriteHeader(http.StatusServiceUnavailable)
		io.WriteString(w, `<?xml version="1.0"?><Error><Code>SlowDown</Code><Message>slow down</Message></Error>`)
		return
	case f.pick("500", 12):
		w.Header().Set("Content-Type", "application/xml")
		w.WriteHeader(http.StatusInternalServerError)
		io.WriteString(w, `<?xml version="1.0"?><Error><Code>InternalError</Code><Message>oops</Message></Error>`)
		return
	case f.pick("reset", 12):
		if hj, ok := w.(http.Hijacker); ok {
			if c, _, err := hj.Hijack(); err == nil {
				c.Close()
				return
			}
		}
	case f.pick("slow", 12):
		time.Sleep(300 * time.Millisecond)
	case r.Method == http.MethodPut && r.ContentLength > 1000 && f.pick("flipped", 10):
		// A bit flipped on the way: the server must refuse the bytes
		// (their CRC32C does not match), never store them.
		r.Body = &flipBody{r: r.Body, at: r.ContentLength / 2}
	}
	f.proxy.ServeHTTP(w, r)
}

// flipBody flips one bit of the byte at offset at.
type flipBody struct {
	r   io.ReadCloser
	at  int64
	off int64
}

func (f *flipBody) Read(p []byte) (int, error) {
	n, err := f.r.Read(p)
	if f.at >= f.off && f.at < f.off+int64(n) {
		p[f.at-f.off] ^= 0x10
	}
	f.off += int64(n)
	return n, err
}

func (f *flipBody) Close() error { return f.r.Close() }

// cutBody ends a response body with an error after left bytes, which the
// proxy turns into a connection cut mid-body.
type cutBody struct {
	r    io.ReadCloser
	left int64
}

func (c *cutBody) Read(p []byte) (int, error) {
	if c.left <= 0 {
		return 0, errors.New("cut on purpose")
	}
	if int64(len(p)) > c.left {
		p = p[:c.left]
	}
	n, err := c.r.Read(p)
	c.left -= int64(n)
	return n, err
}

func (c *cutBody) Close() error { return c.r.Close() }

// TestStoreThroughFaultyS3: a store on S3 behind a proxy that fails, resets,
// slows down, cuts and corrupts requests. Every Put either succeeds or returns an
// error; every read returns the blob's bytes or an error, never other
// bytes; and once the faults stop, every Put that succeeded reads back
// whole: 0 lost, 0 corrupt.
func TestStoreThroughFaultyS3(t *testing.T) {
	setCredentials(t, srv.AccessKey, srv.SecretKey)
	f, proxy := newFaultyS3(t, srv.URL())
	backend, err := s3.New(s3.Config{Bucket: bucket, Prefix: "faults/" + strings.ToLower(rand.Text()[:8]),
		Endpoint: proxy.URL, PathStyle: true, Region: "us-east-1"})
	if err != nil {
		t.Fatal(err)
	}
	st, err := store.New(backend, dbtest.Open(t), store.Options{Logger: slog.New(slog.DiscardHandler), StageMin: -1})
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	f.set(true)

	ctx := context.Background()
	var stored []digest.Digest
	contents := map[digest.Digest][]byte{}
	failedPuts := 0
	for i := range 40 {
		data := make([]byte, 200<<10+i*37<<10)
		rand.Read(data)
		if i%4 == 0 && len(stored) > 0 {
			copy(data, contents[stored[len(stored)-1]]) // shares chunks with an earlier blob
		}
		sum := sha256.Sum256(data)
		d := digest.NewDigestFromEncoded(digest.SHA256, hex.EncodeToString(sum[:]))
		contents[d] = data
		if _, err := st.Put(ctx, "ml/x", d, int64(len(data)), bytes.NewReader(data)); err != nil {
			t.Logf("Put %d: %v", i, err)
			failedPuts++
			continue
		}
		stored = append(stored, d)
	}
	readErrors := 0
	for _, d := range stored {
		got, err := readBlob(ctx, st, d)
		if err != nil {
			readErrors++
			continue
		}
		if !bytes.Equal(got, contents[d]) {
			t.Fatalf("a read through the faulty proxy returned %d bytes that are not blob %s", len(got), d)
		}
	}
	f.set(false)
	t.Logf("faults injected: %v; Puts failed: %d of 40; reads failed: %d of %d", f.counts, failedPuts, readErrors, len(stored))
	if len(stored) == 0 {
		t.Fatal("no Put succeeded through the proxy")
	}
	for _, d := range stored {
		got, err := readBlob(ctx, st, d)
		if err != nil || !bytes.Equal(got, contents[d]) {
			t.Fatalf("blob %s, acknowledged while S3 misbehaved, reads back as %d bytes, %v", d, len(got), err)
		}
	}
	if n := st.Stats().CorruptChunks; n != 0 {
		t.Fatalf("%d chunks counted corrupt, though no stored byte was bad", n)
	}
}

func readBlob(ctx context.Context, st *store.Store, d digest.Digest) ([]byte, error) {
	rc, err := st.Open(ctx, "ml/x", d, 0, -1)
	if err != nil {
		return nil, err
	}
	defer rc.Close()
	return io.ReadAll(rc)
}
