package httpx

import (
	"bufio"
	"bytes"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"testing"
	"time"
)

// bodyServer serves MinBodyRate(window) over a handler that reads the
// whole body, waits hold, and reports what it saw on the channel.
type bodyResult struct {
	n      int64
	err    error
	ctxErr error // the request context's error after the hold
}

func bodyServer(t *testing.T, window, hold time.Duration) (*httptest.Server, <-chan bodyResult) {
	t.Helper()
	results := make(chan bodyResult, 4)
	h := MinBodyRate(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		n, err := io.Copy(io.Discard, r.Body)
		time.Sleep(hold)
		results <- bodyResult{n: n, err: err, ctxErr: r.Context().Err()}
		if err != nil {
			w.WriteHeader(http.StatusRequestTimeout)
			return
		}
		fmt.Fprintf(w, "%d", n)
	}), window)
	srv := httptest.NewServer(h)
	t.Cleanup(srv.Close)
	return srv, results
}

func wait(t *testing.T, ch <-chan bodyResult) bodyResult {
	t.Helper()
	select {
	case r := <-ch:
		return r
	case <-time.After(20 * time.Second):
		t.Fatal("the handler never finished")
		return bodyResult{}
	}
}

// A body that sends some bytes and then nothing is cut off, and the
// handler sees ErrBodyStalled.
func TestMinBodyRateCutsOffAStall(t *testing.T) {
	srv, results := bodyServer(t, 200*time.Millisecond, 0)
	conn, err := net.Dial("tcp", srv.Listener.Addr().String())
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	fmt.Fprintf(conn, "PUT /x HTTP/1.1\r\nHost: x\r\nContent-Length: 3145728\r\n\r\n")
	conn.Write(make([]byte, 1000))
	r := wait(t, results)
	if !errors.Is(r.err, ErrBodyStalled) || r.n != 1000 {
		t.Fatalf("stalled body: read %d bytes, %v; want 1000 and ErrBodyStalled", r.n, r.err)
	}
	// The answer reaches the client: the server does not wait for the rest
	// of the body before sending it.
	conn.SetReadDeadline(time.Now().Add(10 * time.Second))
	resp, err := http.ReadResponse(bufio.NewReader(conn), nil)
	if err != nil || resp.StatusCode != http.StatusRequestTimeout {
		t.Fatalf("answer to a stalled body: %v, %v; want 408", resp, err)
	}
}

// Trickling a byte at a time does not keep a body alive: what counts is
// MinBodyBytes per window.
func TestMinBodyRateCutsOffATrickle(t *testing.T) {
	srv, results := bodyServer(t, 300*time.Millisecond, 0)
	conn, err := net.Dial("tcp", srv.Listener.Addr().String())
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	fmt.Fprintf(conn, "PUT /x HTTP/1.1\r\nHost: x\r\nContent-Length: 1000000\r\n\r\n")
	stop := make(chan struct{})
	defer close(stop)
	go func() {
		for {
			select {
			case <-stop:
				return
			case <-time.After(20 * time.Millisecond):
				if _, err := conn.Write([]byte{0}); err != nil {
					return
				}
			}
		}
	}()
	if r := wait(t, results); !errors.Is(r.err, ErrBodyStalled) {
		t.Fatalf("trickled body: %d bytes, %v; want ErrBodyStalled", r.n, r.err)
	}
}

// A slow body that keeps up the rate is read whole, and a handler that
// works for longer than a window after the body ended keeps its request
// (the deadline is cleared, the connection stays usable).
func TestMinBodyRateKeepsASteadyBody(t *testing.T) {
	const window = 300 * time.Millisecond
	srv, results := bodyServer(t, window, 2*window)
	pr, pw := io.Pipe()
	go func() {
		chunk := make([]byte, MinBodyBytes)
		for range 5 {
			pw.Write(chunk)
			time.Sleep(window / 3)
		}
		pw.Close()
	}()
	req, err := http.NewRequest(http.MethodPut, srv.URL+"/x", pr)
	if err != nil {
		t.Fatal(err)
	}
	req.ContentLength = 5 * MinBodyBytes
	resp, err := srv.Client().Do(req)
	if err != nil {
		t.Fatal(err)
	}
	body, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	r := wait(t, results)
	if r.err != nil || r.n != 5*MinBodyBytes || r.ctxErr != nil {
		t.Fatalf("steady body: %d bytes, %v, context %v", r.n, r.err, r.ctxErr)
	}
	if resp.StatusCode != http.StatusOK || string(body) != fmt.Sprint(5*MinBodyBytes) {
		t.Fatalf("response %d %q", resp.StatusCode, body)
	}

	// The same connection serves the next request.
	conn, err := net.Dial("tcp", srv.Listener.Addr().String())
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	br := bufio.NewReader(conn)
	for i := range 2 {
		fmt.Fprintf(conn, "PUT /x HTTP/1.1\r\nHost: x\r\nContent-Length: 3\r\n\r\nabc")
		time.Sleep(window + window/2) // idle between requests is not a stall
		resp, err := http.ReadResponse(br, nil)
		if err != nil {
			t.Fatalf("request %d on a kept-alive connection: %v", i, err)
		}
		b, _ := io.ReadAll(resp.Body)
		if !bytes.Equal(b, []byte("3")) {
			t.Fatalf("request %d: %q", i, b)
		}
		wait(t, results)
	}
}
