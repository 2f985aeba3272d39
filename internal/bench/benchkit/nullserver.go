package benchkit

import (
	"encoding/json"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"strings"
	"sync"
	"time"
)

// NullServer is the least work any server could do and still let the real
// clients finish: git-lfs push and fetch (nulllfs.go) and oras push and
// pull (nulloci.go). An upload is read to the end and only counted, never
// hashed or stored (blobs of at most maxKept bytes, such as an OCI config,
// are kept in memory); a download of a large blob is a file the benchmark
// registered with AddFile, sent from disk with sendfile. A benchmark timed
// against it measures the client's own limit: the ceiling no server can
// lift. It runs in the benchmark's process, listens on 127.0.0.1 only and
// accepts any credentials.
type NullServer struct {
	// Addr is the listening address, 127.0.0.1:port; URL is http://Addr.
	Addr, URL string

	srv *http.Server

	mu        sync.Mutex
	files     map[string]nullFile     // digest → file served from disk
	kept      map[string][]byte       // digest → small blob kept in memory
	have      map[string]int64        // repo+" "+digest → size, OCI blobs received
	manifests map[string]nullManifest // repo+" "+tag or digest → manifest
	uploads   int                     // OCI upload sessions started
}

// nullFile is a file on disk a NullServer serves by digest.
type nullFile struct {
	path string
	size int64
}

// maxKept is the largest upload a NullServer keeps in memory; larger ones
// are discarded after counting.
const maxKept = 4 << 20

// StartNullServer starts a NullServer on a free loopback port. Close stops
// it.
func StartNullServer() (*NullServer, error) {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return nil, err
	}
	s := &NullServer{
		Addr:      l.Addr().String(),
		files:     map[string]nullFile{},
		kept:      map[string][]byte{},
		have:      map[string]int64{},
		manifests: map[string]nullManifest{},
	}
	s.URL = "http://" + s.Addr
	s.srv = &http.Server{Handler: s, ReadHeaderTimeout: 10 * time.Second}
	go s.srv.Serve(l)
	return s, nil
}

// Close stops the server and closes its connections.
func (s *NullServer) Close() error { return s.srv.Close() }

// AddFile makes the file at path, of size bytes, the content of digest
// ("sha256:<hex>"): what a download of that digest sends, and the size an
// upload of it must have. The server trusts that the file has that digest;
// the clients check it when they download.
func (s *NullServer) AddFile(digest, path string, size int64) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.files[digest] = nullFile{path, size}
}

// ServeHTTP sends /v2/… to the OCI handler and …/info/lfs/… to the Git LFS
// handler.
func (s *NullServer) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	switch p := r.URL.Path; {
	case p == "/v2" || strings.HasPrefix(p, "/v2/"):
		s.serveOCI(w, r)
	case strings.Contains(p, ".git/info/lfs/"):
		s.serveLFS(w, r)
	default:
		http.NotFound(w, r)
	}
}

// file is the registered file of digest, if any.
func (s *NullServer) file(digest string) (nullFile, bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	f, ok := s.files[digest]
	return f, ok
}

// receive reads an upload of digest to the end. It keeps the bytes when
// the request says there are at most maxKept of them, and otherwise only
// counts them. The count must match the request's Content-Length and the
// size of the registered file of digest, if there is one.
func (s *NullServer) receive(r *http.Request, digest string) (n int64, data []byte, err error) {
	if r.ContentLength >= 0 && r.ContentLength <= maxKept {
		data, err = readSmall(r)
		n = int64(len(data))
	} else {
		n, err = discard(r.Body)
	}
	switch f, ok := s.file(digest); {
	case err != nil:
		return n, nil, err
	case r.ContentLength >= 0 && n != r.ContentLength:
		return n, nil, errSize(n, r.ContentLength)
	case ok && n != f.size:
		return n, nil, errSize(n, f.size)
	}
	return n, data, nil
}

func errSize(got, want int64) error {
	return fmt.Errorf("received %d bytes, want %d", got, want)
}

// readSmall reads a request body of at most maxKept bytes.
func readSmall(r *http.Request) ([]byte, error) {
	data, err := io.ReadAll(io.LimitReader(r.Body, maxKept+1))
	if err == nil && len(data) > maxKept {
		err = fmt.Errorf("more than %d bytes", maxKept)
	}
	return data, err
}

// discard reads r to the end through a 1 MiB buffer and returns how many
// bytes it read. (io.Copy to io.Discard would read 8 KiB at a time.)
func discard(r io.Reader) (int64, error) {
	buf := make([]byte, 1<<20)
	var n int64
	for {
		k, err := r.Read(buf)
		n += int64(k)
		if err == io.EOF {
			return n, nil
		}
		if err != nil {
			return n, err
		}
	}
}

// sendFile answers a GET or HEAD with the file f. http.ServeContent copies
// an *os.File to the connection with sendfile, so the bytes never pass
// through this process.
func sendFile(w http.ResponseWriter, r *http.Request, f nullFile) {
	fh, err := os.Open(f.path)
	if err != nil {
		http.Error(w, err.Error(), http.StatusInternalServerError)
		return
	}
	defer fh.Close()
	// Set, so that ServeContent does not read the start of the file to
	// sniff a type.
	w.Header().Set("Content-Type", "application/octet-stream")
	http.ServeContent(w, r, "", time.Time{}, fh)
}

// writeJSON sends v as JSON with the status and content type given.
func writeJSON(w http.ResponseWriter, status int, ctype string, v any) {
	w.Header().Set("Content-Type", ctype)
	w.WriteHeader(status)
	json.NewEncoder(w).Encode(v)
}
