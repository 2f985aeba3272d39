package main

import (
	"bytes"
	"fmt"
	"io"
	"log/slog"
	"os"
	"path/filepath"
	"slices"
	"text/tabwriter"
	"time"

	"github.com/opencontainers/go-digest"

	"github.com/ballastml/ballast/internal/bench/benchkit"
	"github.com/ballastml/ballast/internal/platform/db"
	"github.com/ballastml/ballast/store"
	"github.com/ballastml/ballast/store/chunker"
	"github.com/ballastml/ballast/store/local"
)

// chunkAverages are the average chunk sizes compared; Min is Avg/4 and Max
// is Avg*4 for each. The store's default is measured too, after them, if it
// is not one of these.
var chunkAverages = []int{64 << 10, 128 << 10, 256 << 10, 512 << 10, 1 << 20}

// chunkConfigs returns the configurations the chunksize section measures.
func chunkConfigs() []chunker.Options {
	var configs []chunker.Options
	for _, avg := range chunkAverages {
		configs = append(configs, chunker.Options{Min: avg / 4, Avg: avg, Max: avg * 4})
	}
	if def := store.DefaultChunking(); !slices.Contains(configs, def) {
		configs = append(configs, def)
	}
	return configs
}

// chunkRandomSize is how much random data each configuration ingests.
const chunkRandomSize = 512 << 20

// chunkRounds is how many times each configuration's throughput is
// measured, each time in a fresh store; the best round is reported, the
// one least disturbed by other work on the machine.
const chunkRounds = 3

// chunkResult is what one chunking configuration measured.
type chunkResult struct {
	opts         chunker.Options
	ingest, read time.Duration
	chunks       int64 // chunks of the random blob
	silero, bf16 int64 // stored bytes of each pair, 0 if not measured
}

// chunksize runs the store package in-process (local backend, SQLite, both
// in a temporary directory) once per average chunk size.
func (b *bench) chunksize() error {
	if err := b.needBaseline(); err != nil {
		return err
	}
	data := make([]byte, chunkRandomSize)
	if _, err := io.ReadFull(randomStream(3), data); err != nil {
		return err
	}
	d := digest.FromBytes(data)
	models, err := b.sileroModels()
	if err != nil {
		return err
	}
	bf, err := b.bf16Pair()
	if err != nil {
		return err
	}
	pairs := [][]*dataFile{models.files, bf[:]}

	configs := chunkConfigs()
	results := make([]chunkResult, len(configs))
	for round := range chunkRounds {
		if round > 0 {
			pairs = nil // stored sizes do not vary: measured in round 0 only
		}
		for i, opts := range configs {
			r, err := b.measureChunking(opts, data, d, pairs)
			if err != nil {
				return fmt.Errorf("chunking %+v: %w", opts, err)
			}
			if round == 0 {
				results[i] = r
				continue
			}
			results[i].ingest = min(results[i].ingest, r.ingest)
			results[i].read = min(results[i].read, r.read)
		}
	}

	b.printf("ingest: store.Put of %s of random data (hash, chunk, compress, durable packs, metadata),", size(chunkRandomSize))
	b.printf("        best of %d rounds, each in a fresh store", chunkRounds)
	b.printf("read:   store.Open of that blob read to the end (every chunk verified; packs in the page cache), best of %d", chunkRounds)
	b.printf("chunks/GiB: recipe rows (and chunk rows) per GiB of new data")
	if models.skip != "" {
		b.printf("silero: skipped, %s", models.skip)
	} else {
		b.printf("silero: stored bytes for %s + %s (%s logical), ratio logical/stored",
			sileroNames[0], sileroNames[1], size(totalSize(models.files)))
	}
	b.printf("bf16:   stored bytes for the synthetic bf16 v1 + v2 (%s logical), ratio logical/stored", size(totalSize(bf[:])))
	fmt.Fprintln(b.out)
	tw := tabwriter.NewWriter(b.out, 0, 0, 2, ' ', 0)
	fmt.Fprintln(tw, "  avg\tmin..max\tingest MiB/s\tread MiB/s\tchunks/GiB\tsilero stored\tbf16 stored")
	def := store.DefaultChunking()
	for _, r := range results {
		note := ""
		if r.opts == def {
			note = "   current default"
		}
		ingest, read := benchkit.Rate(chunkRandomSize, r.ingest), benchkit.Rate(chunkRandomSize, r.read)
		fmt.Fprintf(tw, "  %s\t%s..%s\t%.0f (%.2fx)\t%.0f (%.2fx)\t%d\t%s\t%s%s\n",
			size(int64(r.opts.Avg)), size(int64(r.opts.Min)), size(int64(r.opts.Max)),
			ingest, ingest/b.openssl, read, read/b.openssl,
			r.chunks*gib/chunkRandomSize,
			storedCell(r.silero, models.files), storedCell(r.bf16, bf[:]), note)
	}
	return tw.Flush()
}

// storedCell formats stored bytes and the ratio logical/stored.
func storedCell(stored int64, files []*dataFile) string {
	if len(files) == 0 {
		return "skipped"
	}
	return fmt.Sprintf("%s (%s)", size(stored), ratio(totalSize(files), stored))
}

// measureChunking measures one configuration in a fresh store.
func (b *bench) measureChunking(opts chunker.Options, data []byte, d digest.Digest, pairs [][]*dataFile) (chunkResult, error) {
	res := chunkResult{opts: opts}
	dir, err := b.dir("chunks")
	if err != nil {
		return res, err
	}
	defer os.RemoveAll(dir)
	database, err := db.OpenSQLite(b.ctx, filepath.Join(dir, "meta.db"))
	if err != nil {
		return res, err
	}
	defer database.Close()
	objects := filepath.Join(dir, "objects")
	backend, err := local.New(objects)
	if err != nil {
		return res, err
	}
	st, err := store.New(backend, database, store.Options{Chunking: opts, StageMin: -1, Logger: slog.New(slog.DiscardHandler)})
	if err != nil {
		return res, err
	}
	defer st.Close()

	const repo = "bench/chunks"
	size := int64(len(data))
	res.ingest, err = timed(func() error {
		_, err := st.Put(b.ctx, repo, d, size, bytes.NewReader(data))
		return err
	})
	if err != nil {
		return res, err
	}
	err = database.QueryRowContext(b.ctx, `SELECT COUNT(*) FROM blob_chunks WHERE digest = ?`, d.String()).Scan(&res.chunks)
	if err != nil {
		return res, err
	}
	res.read, err = timed(func() error {
		rc, err := st.Open(b.ctx, repo, d, 0, -1)
		if err != nil {
			return err
		}
		defer rc.Close()
		n, err := io.CopyBuffer(io.Discard, rc, make([]byte, mib))
		if err == nil && n != size {
			err = fmt.Errorf("read back %d bytes, want %d", n, size)
		}
		return err
	})
	if err != nil {
		return res, err
	}
	stored := []*int64{&res.silero, &res.bf16}
	for i, files := range pairs {
		if len(files) == 0 {
			continue
		}
		before, err := dirSize(objects)
		if err != nil {
			return res, err
		}
		for _, f := range files {
			if err := putFile(b, st, "bench/pair", f); err != nil {
				return res, err
			}
		}
		after, err := dirSize(objects)
		if err != nil {
			return res, err
		}
		*stored[i] = after - before
	}
	return res, nil
}

// putFile stores the file f in repo.
func putFile(b *bench, st *store.Store, repo string, f *dataFile) error {
	in, err := os.Open(f.path)
	if err != nil {
		return err
	}
	defer in.Close()
	_, err = st.Put(b.ctx, repo, digest.NewDigestFromEncoded(digest.SHA256, f.oid), f.size, in)
	return err
}
