package main

import (
	"bytes"
	"crypto/sha256"
	"encoding/base64"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"runtime"
	"sync"
	"time"
)

const (
	// stallUploads is how many uploads stall at once in the memory part.
	stallUploads = 150
	// stallSent is how much each of them sends before it stalls.
	stallSent = 5 << 20
)

// stall measures what uploads that stop sending cost the server (issue:
// "a stalled upload must not block other repositories"): how long an
// upload of a digest to one repository takes while an upload of the same
// digest to another stalls, and the server's memory while stallUploads
// uploads that sent stallSent bytes each stall, staged (64 MiB announced)
// and inline (7 MiB announced, under the staging threshold).
func (b *bench) stall() error {
	if runtime.GOOS != "linux" {
		return errors.New("needs /proc/PID/status, which only Linux has")
	}
	srv, err := b.startServer()
	if err != nil {
		return err
	}
	err = b.stallSameDigest(srv)
	b.stopServer(srv)
	if err != nil {
		return err
	}
	for _, c := range []struct {
		what     string
		announce int
	}{{"staged (64 MiB announced)", 64 << 20}, {"inline (7 MiB announced)", 7 << 20}} {
		if err := b.stallMemory(c.what, c.announce); err != nil {
			return err
		}
	}
	return nil
}

// stallMemory reports the RSS of a fresh server while stallUploads
// uploads announcing announce bytes stall after stallSent bytes each.
func (b *bench) stallMemory(what string, announce int) error {
	srv, err := b.startServer()
	if err != nil {
		return err
	}
	defer b.stopServer(srv)
	idle, err := readMemStatus(srv.pid())
	if err != nil {
		return err
	}
	conns := stallMany(srv, announce)
	time.Sleep(3 * time.Second) // let the server take in what was sent
	m, err := readMemStatus(srv.pid())
	for _, conn := range conns {
		conn.Close()
	}
	if err != nil {
		return err
	}
	b.printf("%d uploads stalled after %d MiB each, %s: RSS %6.1f MiB (idle %.1f MiB)",
		len(conns), stallSent>>20, what, float64(m.rss)/mib, float64(idle.rss)/mib)
	return nil
}

// stallSameDigest stalls an upload of a digest to ml/b and times an OCI
// upload of it to ml/a.
func (b *bench) stallSameDigest(srv *server) error {
	content := randomBytes(3 << 20)
	sum := sha256.Sum256(content)
	oid := hex.EncodeToString(sum[:])
	conn, err := net.Dial("tcp", srv.addr)
	if err != nil {
		return err
	}
	defer conn.Close()
	fmt.Fprintf(conn, "PUT /bench/b.git/info/lfs/objects/%s HTTP/1.1\r\nHost: %s\r\nAuthorization: %s\r\n"+
		"Content-Type: application/octet-stream\r\nContent-Length: %d\r\n\r\n", oid, srv.addr, basicAuth(srv.token), len(content))
	conn.Write(content[:1000])
	time.Sleep(200 * time.Millisecond)

	req, err := http.NewRequestWithContext(b.ctx, http.MethodPost, srv.url+"/v2/bench/a/blobs/uploads/?digest=sha256:"+oid, bytes.NewReader(content))
	if err != nil {
		return err
	}
	req.SetBasicAuth("bench", srv.token)
	client := &http.Client{Timeout: 2 * time.Minute}
	start := time.Now()
	resp, err := client.Do(req)
	if err != nil {
		return fmt.Errorf("OCI upload of a digest another repository's upload stalls on: %w", err)
	}
	io.Copy(io.Discard, resp.Body)
	resp.Body.Close()
	b.printf("OCI upload to bench/a while bench/b's upload of the same digest stalls: %d in %s",
		resp.StatusCode, time.Since(start).Round(time.Millisecond))
	return nil
}

// stallMany opens stallUploads uploads announcing announce bytes, sends
// stallSent bytes on each, and returns the connections, still open.
func stallMany(srv *server, announce int) []net.Conn {
	var mu sync.Mutex
	var conns []net.Conn
	var wg sync.WaitGroup
	chunk := randomBytes(stallSent)
	for range stallUploads {
		wg.Go(func() {
			conn, err := net.Dial("tcp", srv.addr)
			if err != nil {
				return
			}
			mu.Lock()
			conns = append(conns, conn)
			mu.Unlock()
			oid := hex.EncodeToString(randomBytes(32))
			fmt.Fprintf(conn, "PUT /bench/m.git/info/lfs/objects/%s HTTP/1.1\r\nHost: %s\r\nAuthorization: %s\r\n"+
				"Content-Type: application/octet-stream\r\nContent-Length: %d\r\n\r\n", oid, srv.addr, basicAuth(srv.token), announce)
			conn.SetWriteDeadline(time.Now().Add(15 * time.Second))
			conn.Write(chunk)
		})
	}
	wg.Wait()
	return conns
}

func basicAuth(token string) string {
	return "Basic " + base64.StdEncoding.EncodeToString([]byte("bench:"+token))
}
