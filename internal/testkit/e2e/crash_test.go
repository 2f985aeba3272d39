package e2e

import (
	"context"
	crand "crypto/rand"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"io"
	"io/fs"
	"math/rand/v2"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/ballastml/ballast/internal/platform/db"
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

	tmp := filepath.Join(s.dataDir, "objects", ".tmp")
	if n := countPutTemps(t, tmp); n == 0 {
		t.Fatal("no temp file of the killed upload: the test did not kill mid-write")
	}
	s.start()
	// The killed process's temp files are removed when the new one starts,
	// however young they are: their owner is gone.
	if n := countPutTemps(t, tmp); n != 0 {
		t.Fatalf("%d temp files of the killed process survived the restart", n)
	}
	s.assertMissing(t, tok, repo, oid, size)

	s.upload(t, tok, repo, oid, size, content())
	if got, n := s.downloadSHA256(t, tok, repo, oid, size); got != oid || n != size {
		t.Fatalf("download after re-upload: %d bytes hashing to %s, want %d bytes %s", n, got, size, oid)
	}
}

// TestCrashMidCompaction kills the server with SIGKILL while it compacts a
// staged upload and checks the object is still staged with no recipe, then
// restarts it: the object downloads intact and compacts on the next try.
func TestCrashMidCompaction(t *testing.T) {
	s := startServer(t)
	const (
		repo = "ml/crash-compact"
		size = 256 << 20
	)
	tok := s.createToken(t, "crash", repo+":write")
	s.seed(t, repo)
	var oid string
	var content func() io.Reader
	// The kill lands mid-compaction unless the machine stalls for the
	// rest of it between seeing the first pack and the kill; then the
	// scenario is tried again with a new object.
	for attempt := 1; ; attempt++ {
		var seed [32]byte
		crand.Read(seed[:])
		content = func() io.Reader { return io.LimitReader(rand.NewChaCha8(seed), size) }
		h := sha256.New()
		io.Copy(h, content())
		oid = hex.EncodeToString(h.Sum(nil))
		s.upload(t, tok, repo, oid, size, content())
		if s.killMidCompaction(t, oid) {
			break
		}
		if attempt == 3 {
			t.Fatal("three kills in a row came after the compaction had committed")
		}
		s.start()
	}

	s.start()
	if got, n := s.downloadSHA256(t, tok, repo, oid, size); got != oid || n != size {
		t.Fatalf("download after the crash: %d bytes hashing to %s, want %d bytes %s", n, got, size, oid)
	}
	out, err := s.ballast(t, "gc", "--compact", "--json", "--server", s.url, "--token", s.admin)
	if err != nil {
		t.Fatal(err)
	}
	var res struct {
		CompactedBytes int64 `json:"compacted_bytes"`
		StagedBytes    int64 `json:"staged_bytes"`
	}
	if err := json.Unmarshal([]byte(out), &res); err != nil {
		t.Fatalf("gc --json printed %q: %v", out, err)
	}
	// The background compactor may have compacted it since the restart;
	// either way nothing may stay staged.
	if res.StagedBytes != 0 || countFiles(t, filepath.Join(s.dataDir, "objects", "staged")) != 0 {
		t.Fatalf("after gc --compact: %+v, staged objects left", res)
	}
	if got, n := s.downloadSHA256(t, tok, repo, oid, size); got != oid || n != size {
		t.Fatalf("download after compaction: %d bytes hashing to %s, want %d bytes %s", n, got, size, oid)
	}
}

// killMidCompaction starts `ballast gc --compact`, kills the server with
// SIGKILL as soon as a pack is being written, and reports whether the
// crash left blob oid staged with no recipe (true) or the compaction had
// already committed (false). Anything else fails the test.
func (s *server) killMidCompaction(t *testing.T, oid string) bool {
	t.Helper()
	// A compaction writes packs through temp files: kill once a new one
	// appears (an earlier kill may have left some).
	tmp := filepath.Join(s.dataDir, "objects", ".tmp")
	before := tempNames(t, tmp)
	gcDone := make(chan struct{})
	go func() {
		defer close(gcDone)
		s.ballast(t, "gc", "--compact", "--server", s.url, "--token", s.admin) // fails when the server dies
	}()
	deadline := time.Now().Add(time.Minute)
	for !hasNew(tempNames(t, tmp), before) {
		if time.Now().After(deadline) {
			t.Fatal("no pack was being written a minute after gc --compact started")
		}
		time.Sleep(2 * time.Millisecond)
	}
	s.kill9()
	<-gcDone
	meta, err := db.OpenSQLite(context.Background(), filepath.Join(s.dataDir, "meta.db"))
	if err != nil {
		t.Fatal(err)
	}
	defer meta.Close()
	var staged, recipe int
	err = meta.QueryRow(`SELECT (SELECT COUNT(*) FROM staged_blobs WHERE digest = ?), (SELECT COUNT(*) FROM blob_chunks WHERE digest = ?)`,
		"sha256:"+oid, "sha256:"+oid).Scan(&staged, &recipe)
	switch {
	case err != nil:
		t.Fatal(err)
	case staged == 1 && recipe == 0:
		return true
	case staged == 0 && recipe > 0:
		return false
	}
	t.Fatalf("after the crash: %d staged rows and %d recipe rows for the blob; want one or the other", staged, recipe)
	return false
}

func tempNames(t *testing.T, dir string) map[string]bool {
	t.Helper()
	entries, err := os.ReadDir(dir)
	if err != nil && !errors.Is(err, fs.ErrNotExist) {
		t.Fatal(err)
	}
	names := make(map[string]bool, len(entries))
	for _, e := range entries {
		names[e.Name()] = true
	}
	return names
}

// countPutTemps counts the backend's temp files in dir (not its owner
// lock files).
func countPutTemps(t *testing.T, dir string) int {
	t.Helper()
	n := 0
	for name := range tempNames(t, dir) {
		if strings.HasPrefix(name, "put-") {
			n++
		}
	}
	return n
}

func hasNew(now, before map[string]bool) bool {
	for n := range now {
		if !before[n] {
			return true
		}
	}
	return false
}
