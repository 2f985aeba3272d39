package store

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"log/slog"
	"runtime"
	"sync"
	"sync/atomic"
	"time"

	"github.com/klauspost/compress/zstd"

	"github.com/ballastml/ballast/internal/platform/db"
	"github.com/ballastml/ballast/internal/platform/keyed"
	"github.com/ballastml/ballast/store/chunker"
)

// Options tune a Store. The zero value of each field means its default.
type Options struct {
	// Chunking sets the content-defined chunk sizes.
	Chunking chunker.Options
	// PackSize is the size at which a pack is closed and a new one started.
	PackSize int64
	// OrphanAge is how old an unreferenced pack must be before it is reaped.
	OrphanAge time.Duration
	// UploadMaxAge is how long an upload session may stay untouched before
	// it is abandoned and reaped.
	UploadMaxAge time.Duration
	// StageMin is the size from which an upload is staged: acknowledged
	// once stored raw, and chunked by the compactor afterwards (stage.go).
	// Zero means DefaultStageMin; a negative value turns staging off, so
	// every upload is chunked before Put returns.
	StageMin int64
	// StageBacklog bounds the bytes of staged blobs not compacted yet;
	// uploads beyond it are chunked inline. Zero means DefaultStageBacklog.
	StageBacklog int64
	// UploadMemory bounds the bytes of buffers all uploads hold at once
	// (membudget.go). Zero means DefaultUploadMemory; it must hold at
	// least two blocks of the chunker (2 × 2 × Chunking.Max).
	UploadMemory int64
	// UploadMemoryWait is how long an upload waits for buffer room before
	// it fails with ErrBusy. Zero means DefaultUploadMemoryWait.
	UploadMemoryWait time.Duration
	// Logger receives corruption reports and reaper activity.
	Logger *slog.Logger
}

// DefaultPackSize is the target size of a pack object: large enough that a
// 10 GiB model is a few hundred backend objects, small enough to upload to
// S3 in one request.
const DefaultPackSize = 32 << 20

func (o Options) withDefaults() Options {
	if o.Chunking == (chunker.Options{}) {
		o.Chunking = DefaultChunking()
	}
	if o.PackSize <= 0 {
		o.PackSize = DefaultPackSize
	}
	if o.OrphanAge <= 0 {
		o.OrphanAge = time.Hour
	}
	if o.UploadMaxAge <= 0 {
		o.UploadMaxAge = 24 * time.Hour
	}
	if o.StageMin == 0 {
		o.StageMin = DefaultStageMin
	}
	if o.StageBacklog <= 0 {
		o.StageBacklog = DefaultStageBacklog
	}
	if o.UploadMemory <= 0 {
		o.UploadMemory = DefaultUploadMemory
	}
	if o.UploadMemoryWait <= 0 {
		o.UploadMemoryWait = DefaultUploadMemoryWait
	}
	if o.Logger == nil {
		o.Logger = slog.Default()
	}
	return o
}

// DefaultChunking is the chunk size configuration new data is cut with:
// chunker.DefaultOptions, 1 MiB on average (512 KiB to 4 MiB). Measured
// (docs/architecture.md): against 256 KiB chunks it costs 2% more storage
// on a changed bf16 model and nothing on real ONNX versions, and gains 15%
// in git lfs push throughput, with a quarter of the metadata rows.
func DefaultChunking() chunker.Options {
	return chunker.DefaultOptions()
}

// Store is the blob store. It is safe for concurrent use.
type Store struct {
	backend Backend
	db      *db.DB
	opts    Options
	log     *slog.Logger

	enc *zstd.Encoder
	dec *zstd.Decoder

	chunkExistsStmt *sql.Stmt // is a chunk stored, and not quarantined?

	counters counters // for Stats

	uploadLocks keyed.Mutex // serialises the requests of one upload session
	mem         *memBudget  // bounds the buffers of all uploads
	inflight    packSet     // packs and staged objects written but not yet committed
	bufs        sync.Pool   // chunk-sized scratch buffers
	blocks      sync.Pool   // *block: buffers of incoming streams
	stageBlocks sync.Pool   // *block: stagedBlock-sized buffers of staged uploads
	chunkBufs   sync.Pool   // *chunkBuf: cut chunks, slices of blocks
	subs        subscribers

	active       atomic.Int64 // transfers running (Puts, open readers)
	lastTransfer atomic.Int64 // when the last transfer ended, Unix nanoseconds
	urgent       atomic.Int32 // Compact calls running: the background compactor stops pausing
	stagedBytes  atomic.Int64 // size of the staged blobs: the compactor's backlog
	compactWake  chan struct{}
	compactMu    sync.Mutex // one compaction at a time
	gcMu         sync.Mutex // one GC pass at a time
}

// New returns a store keeping bytes in backend and metadata in database.
func New(backend Backend, database *db.DB, opts Options) (*Store, error) {
	opts = opts.withDefaults()
	if err := opts.Chunking.Validate(); err != nil {
		return nil, fmt.Errorf("store: %w", err)
	}
	if least := 2 * int64(max(blockSize(opts.Chunking), stagedBlock)); opts.UploadMemory < least {
		return nil, fmt.Errorf("store: upload memory of %d bytes is less than two blocks (%d bytes)", opts.UploadMemory, least)
	}
	enc, err := zstd.NewWriter(nil,
		zstd.WithEncoderLevel(zstd.SpeedFastest),
		zstd.WithEncoderConcurrency(runtime.GOMAXPROCS(0)),
		zstd.WithEncoderCRC(false), // chunks are verified by their BLAKE3 id
		zstd.WithAllLitEntropyCompression(true),
	)
	if err != nil {
		return nil, err
	}
	dec, err := zstd.NewReader(nil,
		zstd.WithDecoderConcurrency(runtime.GOMAXPROCS(0)),
		zstd.WithDecoderMaxMemory(uint64(opts.Chunking.Max)*2),
	)
	if err != nil {
		return nil, err
	}
	stmt, err := database.PrepareContext(context.Background(),
		`SELECT 1 FROM chunks c WHERE c.id = ? AND NOT EXISTS (SELECT 1 FROM bad_chunks q WHERE q.chunk = c.id)`)
	if err != nil {
		enc.Close()
		dec.Close()
		return nil, fmt.Errorf("store: %w", err)
	}
	staged, err := loadStagedBytes(context.Background(), database)
	if err != nil {
		enc.Close()
		dec.Close()
		stmt.Close()
		return nil, fmt.Errorf("store: %w", err)
	}
	s := &Store{backend: backend, db: database, opts: opts, log: opts.Logger, enc: enc, dec: dec, chunkExistsStmt: stmt,
		compactWake: make(chan struct{}, 1), mem: newMemBudget(opts.UploadMemory, opts.UploadMemoryWait)}
	s.stagedBytes.Store(staged)
	s.bufs.New = func() any { b := make([]byte, 0, opts.Chunking.Max); return &b }
	s.blocks.New = func() any { return &block{buf: make([]byte, blockSize(opts.Chunking)), pool: &s.blocks} }
	s.stageBlocks.New = func() any { return &block{buf: make([]byte, stagedBlock), pool: &s.stageBlocks} }
	s.chunkBufs.New = func() any { return &chunkBuf{pool: &s.chunkBufs} }
	return s, nil
}

// Close releases the store's compression state. It does not close the
// backend or the database, which the caller owns.
func (s *Store) Close() error {
	s.dec.Close()
	return errors.Join(s.chunkExistsStmt.Close(), s.enc.Close())
}

// CheckSpace returns ErrNoSpace if the backend reports less than n bytes
// free. Backends that cannot tell are assumed to have room.
func (s *Store) CheckSpace(ctx context.Context, n int64) error {
	sr, ok := s.backend.(SpaceReporter)
	if !ok {
		return nil
	}
	avail, err := sr.Available(ctx)
	if err != nil {
		return err
	}
	if avail < n {
		return fmt.Errorf("%w: %d bytes requested, %d available", ErrNoSpace, n, avail)
	}
	return nil
}

// packSet records the names of packs that are written but not yet
// referenced by committed metadata, so the reaper leaves them alone.
type packSet struct {
	mu    sync.Mutex
	names map[string]struct{}
}

func (p *packSet) add(name string) {
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.names == nil {
		p.names = make(map[string]struct{})
	}
	p.names[name] = struct{}{}
}

func (p *packSet) remove(names ...string) {
	p.mu.Lock()
	defer p.mu.Unlock()
	for _, n := range names {
		delete(p.names, n)
	}
}

func (p *packSet) has(name string) bool {
	p.mu.Lock()
	defer p.mu.Unlock()
	_, ok := p.names[name]
	return ok
}
