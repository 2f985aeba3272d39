package e2e

import (
	crand "crypto/rand"
	"crypto/sha256"
	"encoding/hex"
	"io"
	"math/rand/v2"
	"net/http"
	"sync"
	"testing"
	"time"
)

// slowReader hands out r in pieces with a pause between them, and closes
// reached once more than at bytes were read.
type slowReader struct {
	r       io.Reader
	piece   int
	pause   time.Duration
	at      int64
	reached chan struct{}

	n    int64
	once sync.Once
}

func (s *slowReader) Read(p []byte) (int, error) {
	time.Sleep(s.pause)
	if len(p) > s.piece {
		p = p[:s.piece]
	}
	n, err := s.r.Read(p)
	s.n += int64(n)
	if s.n >= s.at {
		s.once.Do(func() { close(s.reached) })
	}
	return n, err
}

// TestCrashMidUpload kills the server with SIGKILL in the middle of a large
// upload, restarts it on the same data directory, and checks the object is
// absent and can then be uploaded and downloaded intact.
func TestCrashMidUpload(t *testing.T) {
	s := startServer(t)
	const (
		repo   = "ml/crash"
		size   = 256 << 20
		killAt = 32 << 20
	)
	tok := s.createToken(t, "crash", repo+":write")
	s.seed(t, repo)
	var seed [32]byte
	crand.Read(seed[:])
	content := func() io.Reader { return io.LimitReader(rand.NewChaCha8(seed), size) }
	h := sha256.New()
	io.Copy(h, content())
	oid := hex.EncodeToString(h.Sum(nil))

	o := s.batchOne(t, tok, repo, "upload", oid, size)
	up, ok := o.Actions["upload"]
	if !ok {
		t.Fatalf("batch upload of a new object: no upload action in %+v", o)
	}
	body := &slowReader{r: content(), piece: 1 << 20, pause: 10 * time.Millisecond, at: killAt, reached: make(chan struct{})}
	req, err := http.NewRequest(http.MethodPut, up.Href, body)
	if err != nil {
		t.Fatal(err)
	}
	req.ContentLength = size
	req.SetBasicAuth("e2e", tok)
	for k, v := range up.Header {
		req.Header.Set(k, v)
	}
	type result struct {
		status int
		err    error
	}
	done := make(chan result, 1)
	go func() {
		resp, err := httpClient.Do(req)
		if err != nil {
			done <- result{err: err}
			return
		}
		resp.Body.Close()
		done <- result{status: resp.StatusCode}
	}()

	select {
	case <-body.reached:
	case r := <-done:
		t.Fatalf("upload ended before %d bytes were sent: status %d, error %v", killAt, r.status, r.err)
	case <-time.After(2 * time.Minute):
		t.Fatalf("upload did not reach %d bytes in 2 minutes", killAt)
	}
	s.kill9()
	if r := <-done; r.err == nil {
		t.Fatalf("upload interrupted by kill -9 got a response: status %d", r.status)
	}

	s.start()
	s.assertMissing(t, tok, repo, oid, size)

	s.upload(t, tok, repo, oid, size, content())
	if got, n := s.downloadSHA256(t, tok, repo, oid, size); got != oid || n != size {
		t.Fatalf("download after re-upload: %d bytes hashing to %s, want %d bytes %s", n, got, size, oid)
	}
}
