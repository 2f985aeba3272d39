package httpx

import (
	"bytes"
	"errors"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strconv"
	"strings"
	"sync"
	"testing"
)

// writerToSource is a store-like reader that writes its pieces itself.
type writerToSource struct {
	pieces [][]byte
	err    error // returned after the pieces
}

func (s *writerToSource) Read([]byte) (int, error) {
	return 0, errors.New("Read called; want WriteTo")
}

func (s *writerToSource) WriteTo(w io.Writer) (int64, error) {
	var n int64
	for _, p := range s.pieces {
		k, err := w.Write(p)
		n += int64(k)
		if err != nil {
			return n, err
		}
	}
	return n, s.err
}

// syncBuffer is a log sink the server's goroutines write to.
type syncBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (s *syncBuffer) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}

func (s *syncBuffer) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.String()
}

// TestCopyOrAbort: a complete source is sent whole, by Read or WriteTo; a
// source that fails or has fewer bytes than announced aborts the response
// (the client never sees a complete body) and is logged as a store
// failure. One with more bytes than announced is logged too; its client
// has had the bytes announced by then.
func TestCopyOrAbort(t *testing.T) {
	body := bytes.Repeat([]byte("0123456789"), 10000)
	cases := []struct {
		name    string
		src     func() io.Reader
		n       int64
		wantOK  bool
		wantLog string
	}{
		{"reader", func() io.Reader { return bytes.NewReader(body) }, int64(len(body)), true, ""},
		{"writer to", func() io.Reader { return &writerToSource{pieces: [][]byte{body[:70000], body[70000:]}} }, int64(len(body)), true, ""},
		{"reader short", func() io.Reader { return bytes.NewReader(body[:500]) }, int64(len(body)), false, "reading the store failed"},
		{"writer to short", func() io.Reader { return &writerToSource{pieces: [][]byte{body[:500]}} }, int64(len(body)), false, "reading the store failed"},
		{"writer to long", func() io.Reader { return &writerToSource{pieces: [][]byte{body, []byte("x")}} }, int64(len(body)), true, "reading the store failed"},
		{"writer to fails", func() io.Reader {
			return &writerToSource{pieces: [][]byte{body[:500]}, err: errors.New("chunk does not match its hash")}
		}, int64(len(body)), false, "reading the store failed"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			var logs syncBuffer
			log := slog.New(slog.NewTextHandler(&logs, nil))
			srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
				w.Header().Set("Content-Length", strconv.FormatInt(c.n, 10))
				w.WriteHeader(http.StatusOK)
				CopyOrAbort(w, r, log, "test download", c.src(), c.n)
			}))
			defer srv.Close()
			var got []byte
			resp, err := http.Get(srv.URL) // fails if the abort came before the headers were flushed
			if err == nil {
				got, err = io.ReadAll(resp.Body)
				resp.Body.Close()
			}
			if c.wantOK && (err != nil || !bytes.Equal(got, body)) {
				t.Fatalf("got %d bytes, err %v; want the whole body", len(got), err)
			}
			if !c.wantOK && err == nil {
				t.Fatalf("a failed copy read as a complete body of %d bytes", len(got))
			}
			srv.Close() // waits for the handler, so its log is written
			if c.wantLog == "" {
				if logs.String() != "" {
					t.Fatalf("unexpected log %q", logs.String())
				}
				return
			}
			if !strings.Contains(logs.String(), c.wantLog) {
				t.Fatalf("log %q lacks %q", logs.String(), c.wantLog)
			}
		})
	}
}
