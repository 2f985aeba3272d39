package main

import (
	"errors"
	"fmt"
	"io"
	"net/http"
	"runtime"
	"strings"
	"sync"
	"time"
)

const (
	// rssUploadSize is the size of the upload the server's memory is
	// watched during.
	rssUploadSize = 4 << 30
	// rssTarget is the limit on the server's peak RSS.
	rssTarget = 256 * mib
	// rssInterval is how often the server's memory is sampled.
	rssInterval = 50 * time.Millisecond
)

// rss uploads 4 GiB of incompressible bytes to a fresh server with one
// HTTP PUT (a Git LFS basic-transfer upload) while sampling the server's
// memory. The bytes are generated on the fly, twice: once to learn their
// sha256 (the oid), once as the request body, so nothing is stored on the
// client side.
func (b *bench) rss() error { return b.rssOn(b.startServer) }

// rssOn is rss against the server start starts.
func (b *bench) rssOn(start func() (*server, error)) error {
	if runtime.GOOS != "linux" {
		return errors.New("needs /proc/PID/status, which only Linux has")
	}
	if err := b.needBaseline(); err != nil {
		return err
	}
	srv, err := start()
	if err != nil {
		return err
	}
	defer b.stopServer(srv)
	idle, err := readMemStatus(srv.pid())
	if err != nil {
		return err
	}

	const seed = 4
	var oid string
	d, err := timed(func() (err error) {
		oid, err = sha256Hex(b.ctx, randomStream(seed), rssUploadSize)
		return err
	})
	if err != nil {
		return err
	}
	b.printRate("client: sha256 of the stream first", rssUploadSize, d, nil)

	sampler := sampleMemory(srv.pid(), rssInterval)
	d, err = timed(func() error {
		body := ctxReader{b.ctx, io.LimitReader(randomStream(seed), rssUploadSize)}
		return putObject(b, srv, "bench/rss", oid, body, rssUploadSize)
	})
	peak, samples, serr := sampler.finish()
	if err != nil {
		return err
	}
	if serr != nil {
		return serr
	}
	end, err := readMemStatus(srv.pid())
	if err != nil {
		return err
	}
	b.printRate("HTTP PUT upload (one request)", rssUploadSize, d, nil)
	b.printf("server RSS before the upload:         %7.1f MiB", float64(idle.rss)/mib)
	b.printf("largest VmRSS of %4d samples (%s):  %7.1f MiB", samples, rssInterval, float64(peak.rss)/mib)
	verdict := "NOT MET"
	if end.hwm <= rssTarget {
		verdict = "MET"
	}
	b.printf("peak RSS, VmHWM after the upload:     %7.1f MiB   target <= %d MiB: %s", float64(end.hwm)/mib, rssTarget/mib, verdict)
	return b.rssConcurrent()
}

// rssConcurrent uploads four 1 GiB streams at once to a fresh server:
// memory per upload must stay bounded when uploads overlap, not only for
// one. It has no target of its own; it prints the peak and its share per
// upload.
func (b *bench) rssConcurrent() error {
	const (
		streams    = 4
		streamSize = 1 << 30
	)
	srv, err := b.startServer()
	if err != nil {
		return err
	}
	defer b.stopServer(srv)
	idle, err := readMemStatus(srv.pid())
	if err != nil {
		return err
	}
	oids := make([]string, streams)
	for i := range oids {
		if oids[i], err = sha256Hex(b.ctx, randomStream(uint64(10+i)), streamSize); err != nil {
			return err
		}
	}
	sampler := sampleMemory(srv.pid(), rssInterval)
	errs := make([]error, streams)
	d, _ := timed(func() error {
		var wg sync.WaitGroup
		for i, oid := range oids {
			wg.Go(func() {
				body := ctxReader{b.ctx, io.LimitReader(randomStream(uint64(10+i)), streamSize)}
				errs[i] = putObject(b, srv, "bench/rss", oid, body, streamSize)
			})
		}
		wg.Wait()
		return nil
	})
	_, _, serr := sampler.finish()
	if err := errors.Join(append(errs, serr)...); err != nil {
		return err
	}
	end, err := readMemStatus(srv.pid())
	if err != nil {
		return err
	}
	b.printRate(fmt.Sprintf("%d concurrent HTTP PUT uploads", streams), streams*streamSize, d, nil)
	b.printf("peak RSS, VmHWM after them:           %7.1f MiB   (%.1f MiB above idle, %.1f MiB per upload)",
		float64(end.hwm)/mib, float64(end.hwm-idle.rss)/mib, float64(end.hwm-idle.rss)/mib/streams)
	return nil
}

// putObject uploads n bytes from body as object oid of repo with a Git LFS
// basic-transfer PUT.
func putObject(b *bench, srv *server, repo, oid string, body io.Reader, n int64) error {
	url := srv.objectURL(repo, oid)
	req, err := http.NewRequestWithContext(b.ctx, http.MethodPut, url, body)
	if err != nil {
		return err
	}
	req.ContentLength = n
	req.Header.Set("Authorization", "Bearer "+srv.token)
	req.Header.Set("Content-Type", "application/octet-stream")
	resp, err := httpClient.Do(req)
	if err != nil {
		return fmt.Errorf("PUT %s: %w", url, err)
	}
	defer resp.Body.Close()
	msg, _ := io.ReadAll(io.LimitReader(resp.Body, 4096))
	if resp.StatusCode != http.StatusOK {
		return fmt.Errorf("PUT %s: %s: %s", url, resp.Status, strings.TrimSpace(string(msg)))
	}
	return nil
}
