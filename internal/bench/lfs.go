package main

import (
	"errors"
	"fmt"
	"io"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
)

// The targets for the 1 GiB file.
var (
	pushTarget  = &target{600, ">= 600 MiB/s"}
	fetchTarget = &target{450, ">= 450 MiB/s"}
	getTarget   = &target{1024, ">= 1 GiB/s"}
)

// lfsRepo is the repository the lfs section pushes to.
const lfsRepo = "bench/x"

// lfs moves the 1 GiB random file through a fresh server with the real
// git-lfs client: push from a working repository, fetch into a fresh
// clone, then a raw GET of the object.
func (b *bench) lfs() error {
	if err := needGitLFS(); err != nil {
		return err
	}
	if err := b.needBaseline(); err != nil {
		return err
	}
	f := b.big
	srv, err := b.startServer()
	if err != nil {
		return err
	}
	defer b.stopServer(srv)
	dir, err := b.dir("lfs")
	if err != nil {
		return err
	}
	defer os.RemoveAll(dir)
	g, err := b.newGit(dir)
	if err != nil {
		return err
	}
	lfsURL := srv.lfsURL(lfsRepo)
	work, origin, err := g.repo(dir, lfsURL, "*.bin")
	if err != nil {
		return err
	}
	if err := linkOrCopy(f.path, filepath.Join(work, "model.bin")); err != nil {
		return err
	}
	if err := g.commit(work, "add a 1 GiB model"); err != nil {
		return err
	}

	b.printf("push: working repository -> fresh server; fetch: into a fresh clone made with")
	b.printf("GIT_LFS_SKIP_SMUDGE=1; GET: one request for the object, body discarded")
	d, err := timed(func() error {
		_, err := g.run(work, "lfs", "push", "--all", "origin")
		return err
	})
	if err != nil {
		return err
	}
	b.printRate("git lfs push --all origin", f.size, d, pushTarget)
	if _, err := g.run(work, "push", "-q", "origin", "main"); err != nil {
		return err
	}

	clone := filepath.Join(dir, "clone")
	if err := g.clone(origin, clone, lfsURL); err != nil {
		return err
	}
	d, err = timed(func() error {
		_, err := g.run(clone, "lfs", "fetch")
		return err
	})
	if err != nil {
		return err
	}
	if err := checkSize(lfsObject(clone, f.oid), f.size); err != nil {
		return fmt.Errorf("after git lfs fetch: %w", err)
	}
	b.printRate("git lfs fetch (fresh clone)", f.size, d, fetchTarget)

	return b.rawGet(srv, f)
}

// rawGet times one GET of the object with curl, or with Go's net/http when
// curl is missing.
func (b *bench) rawGet(srv *server, f *dataFile) error {
	url := srv.objectURL(lfsRepo, f.oid)
	if _, err := exec.LookPath("curl"); err != nil {
		d, err := timed(func() error { return goGet(b, url, srv.token, f.size) })
		if err != nil {
			return err
		}
		b.printRate("GET with Go net/http (no curl)", f.size, d, getTarget)
		b.printf("curl is not on PATH: that GET used Go's net/http with a 1 MiB buffer")
		return nil
	}
	cmd := b.command("curl", "-sS", "--noproxy", "*", "-o", "/dev/null",
		"-w", "%{http_code} %{size_download}",
		"-H", "Authorization: Bearer "+srv.token, url)
	var out string
	d, err := timed(func() (err error) {
		out, err = output(cmd)
		return err
	})
	if err != nil {
		return err
	}
	if want := "200 " + strconv.FormatInt(f.size, 10); strings.TrimSpace(out) != want {
		return fmt.Errorf("curl GET %s: status and size %q, want %q", url, out, want)
	}
	b.printRate("curl GET (raw basic transfer)", f.size, d, getTarget)
	return nil
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
