package main

import (
	"context"
	"crypto/rand"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"
	"time"

	"github.com/ballastml/ballast/internal/testkit/miniotest"
	"github.com/ballastml/ballast/internal/testkit/pgtest"
	"github.com/ballastml/ballast/store/s3"
)

// scaleoutRatio is the target: S3 mode at least this fraction of
// local mode's throughput.
const scaleoutRatio = 0.7

// scaleout times git lfs push and fetch of the 1 GiB file through a server
// on local disk + SQLite and through one on MinIO + PostgreSQL (both real
// processes on this machine), in turns, lfsRuns times each, and prints the
// medians and their ratio.
func (b *bench) scaleout() error {
	if err := needGitLFS(); err != nil {
		return err
	}
	if err := b.needBaseline(); err != nil {
		return err
	}
	s3, err := miniotest.Start()
	if err != nil {
		return err
	}
	defer s3.Close()
	if err := s3.MakeBucket(b.ctx, "bench"); err != nil {
		return err
	}
	pg, err := pgtest.Start()
	if err != nil {
		return err
	}
	defer pg.Close()

	dir, err := b.dir("scaleout")
	if err != nil {
		return err
	}
	defer os.RemoveAll(dir)
	g, err := b.newGit(dir)
	if err != nil {
		return err
	}
	f := b.big
	work, origin, err := g.repo(dir, "http://127.0.0.1:1/none", "*.bin")
	if err != nil {
		return err
	}
	if err := linkOrCopy(f.path, filepath.Join(work, "model.bin")); err != nil {
		return err
	}
	if err := g.commit(work, "add a 1 GiB model"); err != nil {
		return err
	}
	if _, err := g.run(work, "push", "-q", "--no-verify", "origin", "main"); err != nil {
		return err
	}
	clone := filepath.Join(dir, "clone")
	if err := g.clone(origin, clone, "http://127.0.0.1:1/none"); err != nil {
		return err
	}

	b.printf("each run: a fresh server (and bucket prefix and database) per mode, git lfs push --all of")
	b.printf("the 1 GiB file, its background compaction waited for, then git lfs fetch into a clone")
	b.printf("emptied of LFS objects; the modes take turns going first. MinIO runs on this machine,")
	b.printf("on the same disk, so S3 mode pays for S3 requests and MinIO's own writes, not a network.")
	names := [2]string{"local disk + SQLite", "MinIO + PostgreSQL"}
	var push, fetch [2][]time.Duration
	for i := range lfsRuns {
		for _, k := range lfsOrder(i) {
			args, env, err := b.modeArgs(k, s3, pg)
			if err != nil {
				return err
			}
			srv, err := b.startServerWith(args, env)
			if err != nil {
				return fmt.Errorf("%s: %w", names[k], err)
			}
			d, err := g.timeLFS(work, srv.lfsURL(lfsRepo), "push", "--all", "origin")
			if err == nil {
				push[k] = append(push[k], d)
				b.printRate(fmt.Sprintf("push run %d, %s", i+1, names[k]), f.size, d, nil)
				_, err = srv.compact(b.ctx)
			}
			if err == nil {
				err = os.RemoveAll(filepath.Join(clone, ".git", "lfs", "objects"))
			}
			if err == nil {
				d, err = g.timeLFS(clone, srv.lfsURL(lfsRepo), "fetch")
			}
			if err == nil {
				err = checkSize(lfsObject(clone, f.oid), f.size)
			}
			b.stopServer(srv)
			if err != nil {
				return fmt.Errorf("%s: %w", names[k], err)
			}
			fetch[k] = append(fetch[k], d)
			b.printRate(fmt.Sprintf("fetch run %d, %s", i+1, names[k]), f.size, d, nil)
		}
	}
	if err := b.s3Floor(s3, f); err != nil {
		return err
	}
	for _, m := range []struct {
		what string
		runs [2][]time.Duration
	}{{"push", push}, {"fetch", fetch}} {
		local, s3 := median(m.runs[0]), median(m.runs[1])
		b.printRate("git lfs "+m.what+", "+names[0]+" (median)", f.size, local, nil)
		b.printRate("git lfs "+m.what+", "+names[1]+" (median)", f.size, s3, nil)
		ratio := local.Seconds() / s3.Seconds()
		verdict := "NOT MET"
		if ratio >= scaleoutRatio {
			verdict = "MET"
		}
		b.printf("%s: S3 mode at %.2fx local mode   target >= %.1fx: %s", m.what, ratio, scaleoutRatio, verdict)
	}
	return nil
}

// modeArgs returns the serve arguments and environment of mode k: 0 for
// the defaults, 1 for a fresh prefix of the bucket and a fresh database.
func (b *bench) modeArgs(k int, s3 *miniotest.Server, pg *pgtest.Server) ([]string, []string, error) {
	if k == 0 {
		return nil, nil, nil
	}
	ctx, cancel := context.WithTimeout(b.ctx, 30*time.Second)
	defer cancel()
	dbURL, err := pg.CreateDatabase(ctx)
	if err != nil {
		return nil, nil, err
	}
	prefix := strings.ToLower(rand.Text()[:10])
	return []string{"--db", dbURL, "--store", "s3://bench/" + prefix, "--s3-endpoint", s3.URL(), "--s3-path-style"},
		s3.Env(), nil
}

// s3Floor times the store's S3 backend alone writing the 1 GiB file to
// MinIO and reading it back, with no ballast server and no client: what
// any push and fetch in S3 mode pays at least on this machine.
func (b *bench) s3Floor(srv *miniotest.Server, f *dataFile) error {
	for _, kv := range srv.Env() {
		k, v, _ := strings.Cut(kv, "=")
		os.Setenv(k, v)
	}
	be, err := s3.New(s3.Config{Bucket: "bench", Prefix: "floor", Endpoint: srv.URL(), PathStyle: true, Region: "us-east-1"})
	if err != nil {
		return err
	}
	in, err := os.Open(f.path)
	if err != nil {
		return err
	}
	defer in.Close()
	put, err := timed(func() error { return be.Put(b.ctx, "floor.raw", in) })
	if err != nil {
		return err
	}
	b.printRate("S3 backend alone: Put to MinIO (the floor)", f.size, put, nil)
	get, err := timed(func() error {
		rc, err := be.ReadRange(b.ctx, "floor.raw", 0, -1)
		if err != nil {
			return err
		}
		defer rc.Close()
		_, err = io.Copy(io.Discard, rc)
		return err
	})
	if err != nil {
		return err
	}
	b.printRate("S3 backend alone: read from MinIO", f.size, get, nil)
	return be.Delete(b.ctx, "floor.raw")
}

// rssS3 is the rss section with the server's objects in MinIO and its
// metadata in PostgreSQL.
func (b *bench) rssS3() error {
	s3, err := miniotest.Start()
	if err != nil {
		return err
	}
	defer s3.Close()
	if err := s3.MakeBucket(b.ctx, "bench"); err != nil {
		return err
	}
	pg, err := pgtest.Start()
	if err != nil {
		return err
	}
	defer pg.Close()
	return b.rssOn(func() (*server, error) {
		args, env, err := b.modeArgs(1, s3, pg)
		if err != nil {
			return nil, err
		}
		return b.startServerWith(args, env)
	})
}
