package main

import (
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"io"
	"slices"
	"sync"
	"time"

	"github.com/ballastml/ballast/internal/testkit/miniotest"
	"github.com/ballastml/ballast/internal/testkit/pgtest"
)

const (
	replicaPushes    = 64       // objects pushed per configuration
	replicaParallel  = 16       // at once
	replicaPushBytes = 16 << 20 // each
)

// replicas pushes replicaPushes objects, replicaParallel at a time, with
// Git LFS basic-transfer PUTs, to one ballast and to two (the same MinIO
// prefix and PostgreSQL database, requests dealt to them in turn as a
// load balancer would), and prints throughput and latency percentiles.
func (b *bench) replicas() error {
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
	objects := make([][]byte, replicaPushes)
	oids := make([]string, replicaPushes)
	for i := range objects {
		objects[i] = make([]byte, replicaPushBytes)
		if _, err := io.ReadFull(randomStream(uint64(1000+i)), objects[i]); err != nil {
			return err
		}
		sum := sha256.Sum256(objects[i])
		oids[i] = hex.EncodeToString(sum[:])
	}
	b.printf("%d objects of %s, %d PUTs at once, each configuration on a fresh bucket prefix and", replicaPushes, size(replicaPushBytes), replicaParallel)
	b.printf("database; MinIO and PostgreSQL on this machine, so replicas share its cores with them.")
	for _, n := range []int{1, 2} {
		args, env, err := b.modeArgs(1, s3, pg)
		if err != nil {
			return err
		}
		env = append(env, "BALLAST_ADMIN_TOKEN="+adminToken(nil))
		var srvs []*server
		for range n {
			srv, err := b.startServerWith(args, env)
			if err != nil {
				return err
			}
			defer b.stopServer(srv)
			srvs = append(srvs, srv)
		}
		lat, total, err := b.pushAll(srvs, objects, oids)
		if err != nil {
			return fmt.Errorf("%d replicas: %w", n, err)
		}
		slices.Sort(lat)
		b.printRate(fmt.Sprintf("%d replica(s): %d pushes", n, replicaPushes), int64(replicaPushes)*replicaPushBytes, total, nil)
		b.printf("    latency of one push: p50 %.2f s, p99 %.2f s", lat[len(lat)/2].Seconds(), lat[len(lat)*99/100].Seconds())
		for _, srv := range srvs {
			b.stopServer(srv)
		}
	}
	return nil
}

// pushAll PUTs every object, replicaParallel at a time, the i-th to
// srvs[i%len(srvs)], and returns each PUT's latency and the total time.
func (b *bench) pushAll(srvs []*server, objects [][]byte, oids []string) ([]time.Duration, time.Duration, error) {
	lat := make([]time.Duration, len(objects))
	errs := make([]error, len(objects))
	sem := make(chan struct{}, replicaParallel)
	var wg sync.WaitGroup
	start := time.Now()
	for i := range objects {
		sem <- struct{}{}
		wg.Go(func() {
			defer func() { <-sem }()
			t := time.Now()
			errs[i] = putObject(b, srvs[i%len(srvs)], "bench/replicas", oids[i], bytes.NewReader(objects[i]), int64(len(objects[i])))
			lat[i] = time.Since(t)
		})
	}
	wg.Wait()
	total := time.Since(start)
	for _, err := range errs {
		if err != nil {
			return nil, 0, err
		}
	}
	return lat, total, nil
}
