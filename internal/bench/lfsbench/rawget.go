package main

import (
	"errors"
	"fmt"
	"io"
	"net/http"
	"os/exec"
	"strconv"
	"strings"
	"time"
)

// rawGet times one GET of the object at url with curl, or with Go's
// net/http when curl is missing, and returns the time and which client
// made the request.
func (b *bench) rawGet(url, token string, size int64) (time.Duration, string, error) {
	if _, err := exec.LookPath("curl"); err != nil {
		d, err := timed(func() error { return goGet(b, url, token, size) })
		return d, "Go net/http", err
	}
	cmd := b.command("curl", "-sS", "--noproxy", "*", "-o", "/dev/null",
		"-w", "%{http_code} %{size_download}",
		"-H", "Authorization: Bearer "+token, url)
	var out string
	d, err := timed(func() (err error) {
		out, err = output(cmd)
		return err
	})
	if err != nil {
		return 0, "", err
	}
	if want := "200 " + strconv.FormatInt(size, 10); strings.TrimSpace(out) != want {
		return 0, "", fmt.Errorf("curl GET %s: status and size %q, want %q", url, out, want)
	}
	return d, "curl", nil
}

// goGet downloads url to nowhere through a 1 MiB buffer and checks the
// status and the length.
func goGet(b *bench, url, token string, size int64) error {
	req, err := http.NewRequestWithContext(b.ctx, http.MethodGet, url, nil)
	if err != nil {
		return err
	}
	req.Header.Set("Authorization", "Bearer "+token)
	resp, err := httpClient.Do(req)
	if err != nil {
		return err
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		return fmt.Errorf("GET %s: %s", url, resp.Status)
	}
	n, err := io.CopyBuffer(io.Discard, resp.Body, make([]byte, mib))
	if err == nil && n != size {
		err = fmt.Errorf("GET %s: %d bytes, want %d", url, n, size)
	}
	return err
}

// needGitLFS fails unless git and git-lfs are on PATH.
func needGitLFS() error {
	for _, tool := range []string{"git", "git-lfs"} {
		if _, err := exec.LookPath(tool); err != nil {
			return errors.New(tool + " is not on PATH (make bench installs git-lfs into .tools/bin and puts that first on PATH)")
		}
	}
	return nil
}
