package lfsserver

import (
	"bufio"
	"bytes"
	"encoding/base64"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"strconv"
	"strings"
	"sync"
	"testing"

	"github.com/ballastml/ballast/store"

	"github.com/opencontainers/go-digest"
)

func digestOf(oid string) digest.Digest { return digest.NewDigestFromEncoded(digest.SHA256, oid) }

func readAll(t *testing.T, resp *http.Response) string {
	t.Helper()
	b, err := io.ReadAll(resp.Body)
	if err != nil {
		t.Fatalf("read body: %v", err)
	}
	return string(b)
}

func TestUploadThenDownload(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	data := []byte("0123456789")
	if resp := e.put(testRepo, tokWriter, data); resp.StatusCode != http.StatusOK {
		t.Fatalf("PUT: status %d: %s", resp.StatusCode, readAll(t, resp))
	}
	resp := e.do(http.MethodGet, e.lfsURL(testRepo)+"/objects/"+oidOf(data), tokReader, nil)
	if body := readAll(t, resp); resp.StatusCode != http.StatusOK || body != string(data) {
		t.Fatalf("GET: %d %q", resp.StatusCode, body)
	}
	for k, want := range map[string]string{
		"Content-Length": "10",
		"Content-Type":   "application/octet-stream",
		"Accept-Ranges":  "bytes",
		"ETag":           `"` + oidOf(data) + `"`,
	} {
		if got := resp.Header.Get(k); got != want {
			t.Errorf("%s: %q, want %q", k, got, want)
		}
	}
	head := e.do(http.MethodHead, e.lfsURL(testRepo)+"/objects/"+oidOf(data), tokReader, nil)
	if head.StatusCode != http.StatusOK || head.ContentLength != 10 {
		t.Fatalf("HEAD: %d, length %d", head.StatusCode, head.ContentLength)
	}
}

func TestUploadRejectsWrongContent(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	data := []byte("the real bytes")
	oid := oidOf(data)
	url := e.lfsURL(testRepo) + "/objects/" + oid

	resp := e.do(http.MethodPut, url, tokWriter, strings.NewReader("other bytes!!!"))
	if body := wantError(t, resp, http.StatusUnprocessableEntity); !strings.Contains(body.Message, "digest") {
		t.Errorf("message %q does not name the digest", body.Message)
	}
	// Declared shorter than sent: the server reads Content-Length bytes,
	// which do not hash to the oid.
	if status := rawPut(t, e, url, int64(len(data)-4), data, false); status != http.StatusUnprocessableEntity {
		t.Errorf("body longer than Content-Length: status %d", status)
	}
	// Declared longer than sent: the body ends early.
	if status := rawPut(t, e, url, int64(len(data)+4), data, true); status != http.StatusUnprocessableEntity {
		t.Errorf("body shorter than Content-Length: status %d", status)
	}
	if e.store.has(digestOf(oid)) {
		t.Fatal("a rejected upload was stored")
	}
}

// rawPut sends a PUT whose Content-Length is declared, not len(body), and
// returns the response status. With closeWrite the client then half-closes.
func rawPut(t *testing.T, e *env, url string, declared int64, body []byte, closeWrite bool) int {
	t.Helper()
	conn, err := net.Dial("tcp", e.srv.Listener.Addr().String())
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	path := strings.TrimPrefix(url, e.srv.URL)
	creds := base64.StdEncoding.EncodeToString([]byte("user:" + tokWriter))
	fmt.Fprintf(conn, "PUT %s HTTP/1.1\r\nHost: test\r\nAuthorization: Basic %s\r\nContent-Length: %d\r\nConnection: close\r\n\r\n%s",
		path, creds, declared, body)
	if closeWrite {
		conn.(*net.TCPConn).CloseWrite()
	}
	resp, err := http.ReadResponse(bufio.NewReader(conn), nil)
	if err != nil {
		t.Fatalf("read response: %v", err)
	}
	resp.Body.Close()
	return resp.StatusCode
}

func TestUploadErrors(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	data := []byte("abc")
	url := e.lfsURL(testRepo) + "/objects/" + oidOf(data)

	// No Content-Length: the client streams the body chunked.
	resp := e.do(http.MethodPut, url, tokWriter, io.MultiReader(bytes.NewReader(data)))
	wantError(t, resp, http.StatusLengthRequired)
	wantError(t, e.do(http.MethodPut, url, tokReader, bytes.NewReader(data)), http.StatusForbidden)
	wantError(t, e.do(http.MethodPut, url, "", bytes.NewReader(data)), http.StatusUnauthorized)
	wantError(t, e.do(http.MethodPut, e.lfsURL(testRepo)+"/objects/ABC", tokWriter, bytes.NewReader(data)), http.StatusUnprocessableEntity)

	e.store.space = 2
	wantError(t, e.put(testRepo, tokWriter, data), http.StatusInsufficientStorage)
	if e.store.has(digestOf(oidOf(data))) {
		t.Fatal("upload without space was stored")
	}
}

func TestDownloadErrors(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	oid := e.store.add("ml/other", []byte("elsewhere"))
	url := e.lfsURL(testRepo) + "/objects/"
	wantError(t, e.do(http.MethodGet, url+oid, tokReader, nil), http.StatusNotFound)
	wantError(t, e.do(http.MethodGet, url+oidOf([]byte("none")), tokReader, nil), http.StatusNotFound)
	wantError(t, e.do(http.MethodGet, url+oid, tokOther, nil), http.StatusForbidden)
	for _, bad := range []string{"abc", strings.ToUpper(oid), oid + "0", "%2e%2e", oid[:63] + "%00"} {
		wantError(t, e.do(http.MethodGet, url+bad, tokReader, nil), http.StatusUnprocessableEntity)
	}
}

func TestDownloadRanges(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	data := []byte("0123456789")
	url := e.lfsURL(testRepo) + "/objects/" + e.store.add(testRepo, data)
	cases := []struct {
		rng, body, contentRange string
		status                  int
	}{
		{"bytes=2-5", "2345", "bytes 2-5/10", 206},
		{"bytes=7-", "789", "bytes 7-9/10", 206},
		{"bytes=-3", "789", "bytes 7-9/10", 206},
		{"bytes=-30", "0123456789", "bytes 0-9/10", 206},
		{"bytes=8-99", "89", "bytes 8-9/10", 206},
		{"bytes=9-9", "9", "bytes 9-9/10", 206},
		{"bytes=10-", "", "bytes */10", 416},
		{"bytes=-0", "", "bytes */10", 416},
		{"bytes=5-2", "", "bytes */10", 416},
		{"bytes=a-b", "", "bytes */10", 416},
		{"items=0-1", "", "bytes */10", 416},
		{"bytes=0-1,4-5", "", "bytes */10", 416},
	}
	for _, c := range cases {
		t.Run(c.rng, func(t *testing.T) {
			resp := e.do(http.MethodGet, url, tokReader, nil, "Range", c.rng)
			if resp.StatusCode != c.status || resp.Header.Get("Content-Range") != c.contentRange {
				t.Fatalf("status %d Content-Range %q, want %d %q", resp.StatusCode, resp.Header.Get("Content-Range"), c.status, c.contentRange)
			}
			if c.status != http.StatusPartialContent {
				if msg := wantError(t, resp, c.status).Message; !strings.Contains(msg, "range") {
					t.Errorf("unclear message %q", msg)
				}
				return
			}
			if got := readAll(t, resp); got != c.body || resp.Header.Get("Content-Length") != strconv.Itoa(len(c.body)) {
				t.Fatalf("body %q (Content-Length %s), want %q", got, resp.Header.Get("Content-Length"), c.body)
			}
		})
	}
	t.Run("If-Range mismatch sends everything", func(t *testing.T) {
		resp := e.do(http.MethodGet, url, tokReader, nil, "Range", "bytes=2-5", "If-Range", `"stale"`)
		if got := readAll(t, resp); resp.StatusCode != http.StatusOK || got != string(data) {
			t.Fatalf("%d %q", resp.StatusCode, got)
		}
	})
}

func TestDownloadEmptyObject(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	url := e.lfsURL(testRepo) + "/objects/" + e.store.add(testRepo, nil)
	resp := e.do(http.MethodGet, url, tokReader, nil)
	if got := readAll(t, resp); resp.StatusCode != http.StatusOK || got != "" || resp.ContentLength != 0 {
		t.Fatalf("%d %q length %d", resp.StatusCode, got, resp.ContentLength)
	}
	wantError(t, e.do(http.MethodGet, url, tokReader, nil, "Range", "bytes=0-"), http.StatusRequestedRangeNotSatisfiable)
}

func TestDownloadAbortsOnCorruption(t *testing.T) {
	t.Parallel()
	var logs syncBuffer
	e := newEnv(t, func(c *Config) { c.Logger = slog.New(slog.NewTextHandler(&logs, nil)) })
	data := bytes.Repeat([]byte("model-weights "), 100_000) // 1.4 MB
	oid := e.store.add(testRepo, data)
	e.store.corrupt[digestOf(oid)] = 700_000
	url := e.lfsURL(testRepo) + "/objects/" + oid

	for _, rng := range []string{"", "bytes=100-"} {
		req, _ := http.NewRequest(http.MethodGet, url, nil)
		req.SetBasicAuth("user", tokReader)
		if rng != "" {
			req.Header.Set("Range", rng)
		}
		resp, err := e.srv.Client().Do(req)
		if err != nil {
			t.Fatalf("range %q: %v; the status should precede the corruption", rng, err)
		}
		got, err := io.ReadAll(resp.Body)
		resp.Body.Close()
		if err == nil {
			t.Fatalf("range %q: read %d bytes without error; a corrupt read must abort", rng, len(got))
		}
		if len(got) > 700_000 {
			t.Fatalf("range %q: %d bytes passed the corruption point", rng, len(got))
		}
	}
	if out := logs.String(); strings.Count(out, "level=ERROR") != 2 || !strings.Contains(out, store.ErrCorrupt.Error()) {
		t.Fatalf("corruption not logged as two errors:\n%s", out)
	}
}

// syncBuffer is a bytes.Buffer safe for the server's goroutines.
type syncBuffer struct {
	mu  sync.Mutex
	buf bytes.Buffer
}

func (b *syncBuffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.Write(p)
}

func (b *syncBuffer) String() string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.String()
}

func TestVerify(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	oid := e.store.add(testRepo, []byte("12345"))
	url := e.lfsURL(testRepo) + "/objects/verify"
	post := func(tok string, p any) *http.Response { return e.doJSON(http.MethodPost, url, tok, p) }

	var got pointer
	decodeAs(t, post(tokWriter, pointer{oid, 5}), http.StatusOK, &got)
	if got.Oid != oid || got.Size != 5 {
		t.Fatalf("verify body %+v", got)
	}
	wantError(t, post(tokWriter, pointer{oid, 6}), http.StatusUnprocessableEntity)
	wantError(t, post(tokWriter, pointer{oidOf([]byte("no")), 2}), http.StatusNotFound)
	wantError(t, post(tokWriter, pointer{"../" + oid[3:], 5}), http.StatusUnprocessableEntity)
	wantError(t, post(tokWriter, pointer{oid, -5}), http.StatusUnprocessableEntity)
	wantError(t, post(tokReader, pointer{oid, 5}), http.StatusForbidden)
	wantError(t, post("", pointer{oid, 5}), http.StatusUnauthorized)
}
