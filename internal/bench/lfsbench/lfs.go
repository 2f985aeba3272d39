package main

import (
	"fmt"
	"os"
	"path/filepath"
	"time"

	"github.com/ballastml/ballast/internal/bench/benchkit"
)

// The targets for the 1 GiB file.
var (
	pushTarget  = &target{600, ">= 600 MiB/s"}
	fetchTarget = &target{450, ">= 450 MiB/s"}
	getTarget   = &target{1024, ">= 1 GiB/s"}
)

// lfsRepo is the repository the lfs section pushes to.
const lfsRepo = "bench/x"

// lfsRuns is how many times the lfs section times each push and each
// fetch, against ballast and against the null server; the targets are
// judged on the median.
const lfsRuns = 3

// The servers the lfs section compares, as indexes of its figures.
const (
	ballastIdx = iota
	nullIdx
)

var lfsServerNames = [2]string{"ballast", "null server"}

// lfsState is what the steps of the lfs section share.
type lfsState struct {
	b    *bench
	g    *gitEnv
	f    *dataFile
	null *benchkit.NullServer
	srv  *server // the latest ballast server
}

// urls are the Git LFS endpoints of ballast and of the null server.
func (s *lfsState) urls() [2]string {
	return [2]string{s.srv.lfsURL(lfsRepo), s.null.LFSURL(lfsRepo)}
}

// lfs moves the 1 GiB random file with the real git-lfs client through
// ballast and, in turns with it, through the null server: push from a
// working repository, fetch into a clone, then a raw GET of the object.
// Each push goes to a fresh ballast server (a second push of the same
// object would be deduplicated); the fetches and the GET use the last one.
func (b *bench) lfs() error {
	if err := needGitLFS(); err != nil {
		return err
	}
	if err := b.needBaseline(); err != nil {
		return err
	}
	s := &lfsState{b: b, f: b.big}
	var err error
	if s.null, err = benchkit.StartNullServer(); err != nil {
		return err
	}
	defer s.null.Close()
	s.null.AddFile("sha256:"+s.f.oid, s.f.path, s.f.size)
	defer func() {
		if s.srv != nil {
			b.stopServer(s.srv)
		}
	}()
	dir, err := b.dir("lfs")
	if err != nil {
		return err
	}
	defer os.RemoveAll(dir)
	if s.g, err = b.newGit(dir); err != nil {
		return err
	}
	work, origin, err := s.g.repo(dir, s.null.LFSURL(lfsRepo), "*.bin")
	if err != nil {
		return err
	}
	if err := linkOrCopy(s.f.path, filepath.Join(work, "model.bin")); err != nil {
		return err
	}
	if err := s.g.commit(work, "add a 1 GiB model"); err != nil {
		return err
	}

	b.printf("push: working repository -> a fresh server and data directory for each run; fetch: into")
	b.printf("a clone made with GIT_LFS_SKIP_SMUDGE=1, its .git/lfs/objects emptied before each run;")
	b.printf("GET: one request for the object, body discarded. %d runs of each push and fetch, the", lfsRuns)
	b.printf("servers in turns; the targets are judged on the median. The null server (in this program)")
	b.printf("counts an upload's bytes without hashing or storing them and sends the file from disk with")
	b.printf("sendfile: the least any server could do, so its figures are the client's own limit.")
	if err := s.pushes(work); err != nil {
		return err
	}
	// git push runs the pre-push hook: point it at the ballast server,
	// which has the object, so it uploads nothing.
	if _, err := s.g.run(work, "config", "lfs.url", s.srv.lfsURL(lfsRepo)); err != nil {
		return err
	}
	if _, err := s.g.run(work, "push", "-q", "origin", "main"); err != nil {
		return err
	}
	clone := filepath.Join(dir, "clone")
	if err := s.g.clone(origin, clone, s.srv.lfsURL(lfsRepo)); err != nil {
		return err
	}
	// The fetches read the compacted object, as every fetch but one
	// right after a push does.
	if err := s.fetches(clone); err != nil {
		return err
	}
	return s.gets()
}

// pushes times lfsRuns pushes from work to a fresh ballast server each
// and as many to the null server, and prints the medians.
func (s *lfsState) pushes(work string) error {
	var runs [2][]time.Duration
	for i := range lfsRuns {
		if s.srv != nil {
			s.b.stopServer(s.srv)
			s.srv = nil
		}
		var err error
		if s.srv, err = s.b.startServer(); err != nil {
			return err
		}
		for _, k := range lfsOrder(i) {
			d, err := s.g.timeLFS(work, s.urls()[k], "push", "--all", "origin")
			if err != nil {
				return fmt.Errorf("%s: %w", lfsServerNames[k], err)
			}
			runs[k] = append(runs[k], d)
			s.b.printRate(fmt.Sprintf("push run %d, %s", i+1, lfsServerNames[k]), s.f.size, d, nil)
			if k == ballastIdx {
				// The push is answered once the object is stored raw; the
				// server chunks and deduplicates it in the background.
				// Wait for that here, so it runs in no other timing.
				took, err := s.srv.compact(s.b.ctx)
				if err != nil {
					return err
				}
				s.b.printf("    its background compaction was done %.2f s after the push", took.Seconds())
			}
		}
	}
	s.printMedians("push", runs, "git lfs push --all origin (median)", "git lfs push, null server (client limit)", pushTarget)
	return nil
}

// fetches times lfsRuns fetches into clone, emptied of LFS objects before
// each, from the ballast server and from the null server, and prints the
// medians.
func (s *lfsState) fetches(clone string) error {
	// In earlier runs the first timed fetch was always the slowest, and
	// it was always ballast's; one untimed fetch first keeps whatever
	// causes that off the server that happens to go first.
	if err := os.RemoveAll(filepath.Join(clone, ".git", "lfs", "objects")); err != nil {
		return err
	}
	warm, err := s.g.timeLFS(clone, s.urls()[nullIdx], "fetch")
	if err != nil {
		return fmt.Errorf("%s: %w", lfsServerNames[nullIdx], err)
	}
	s.b.printRate("fetch warm-up, null server (not counted)", s.f.size, warm, nil)
	var runs [2][]time.Duration
	for i := range lfsRuns {
		for _, k := range lfsOrder(i) {
			if err := os.RemoveAll(filepath.Join(clone, ".git", "lfs", "objects")); err != nil {
				return err
			}
			d, err := s.g.timeLFS(clone, s.urls()[k], "fetch")
			if err != nil {
				return fmt.Errorf("%s: %w", lfsServerNames[k], err)
			}
			if err := checkSize(lfsObject(clone, s.f.oid), s.f.size); err != nil {
				return fmt.Errorf("after git lfs fetch from %s: %w", lfsServerNames[k], err)
			}
			runs[k] = append(runs[k], d)
			s.b.printRate(fmt.Sprintf("fetch run %d, %s", i+1, lfsServerNames[k]), s.f.size, d, nil)
		}
	}
	s.printMedians("fetch", runs, "git lfs fetch (fresh clone, median)", "git lfs fetch, null server (client limit)", fetchTarget)
	return nil
}

// gets times one raw GET of the object from the ballast server and one
// from the null server.
func (s *lfsState) gets() error {
	b, f := s.b, s.f
	get, client, err := b.rawGet(s.srv.objectURL(lfsRepo, f.oid), s.srv.token, f.size)
	if err != nil {
		return err
	}
	b.printRate(client+" GET (raw basic transfer)", f.size, get, getTarget)
	nullGet, client, err := b.rawGet(s.null.URL+"/"+lfsRepo+".git/info/lfs/objects/"+f.oid, "null", f.size)
	if err != nil {
		return err
	}
	b.printRate(client+" GET, null server (client limit)", f.size, nullGet, nil)
	b.printf("ballast GET at %.2f of the client limit", nullGet.Seconds()/get.Seconds())
	if client != "curl" {
		b.printf("curl is not on PATH: those GETs used Go's net/http with a 1 MiB buffer")
	}
	return nil
}

// printMedians prints the median of the runs against ballast, judged
// against goal, the median against the null server, and ballast's median
// as a fraction of the null server's.
func (s *lfsState) printMedians(what string, runs [2][]time.Duration, ballastLabel, nullLabel string, goal *target) {
	mb, mn := median(runs[ballastIdx]), median(runs[nullIdx])
	s.b.printRate(ballastLabel, s.f.size, mb, goal)
	s.b.printRate(nullLabel, s.f.size, mn, nil)
	s.b.printf("ballast %s at %.2f of the client limit (medians)", what, mn.Seconds()/mb.Seconds())
}

// lfsOrder is the order of the servers in run i: they take turns going
// first.
func lfsOrder(i int) [2]int {
	if i%2 == 1 {
		return [2]int{nullIdx, ballastIdx}
	}
	return [2]int{ballastIdx, nullIdx}
}

// timeLFS points repo's lfs.url at url and times `git lfs args...` in it.
func (g *gitEnv) timeLFS(repo, url string, args ...string) (time.Duration, error) {
	if _, err := g.run(repo, "config", "lfs.url", url); err != nil {
		return 0, err
	}
	return timed(func() error {
		_, err := g.run(repo, append([]string{"lfs"}, args...)...)
		return err
	})
}
