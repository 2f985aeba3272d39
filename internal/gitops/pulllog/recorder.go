package pulllog

import (
	"context"
	"log/slog"
	"sync"
	"sync/atomic"
	"time"

	"github.com/ballastml/ballast/internal/platform/db"
)

// Options tune a Recorder; zero values take the defaults.
type Options struct {
	Logger   *slog.Logger
	Buffer   int           // events waiting to be written (default 4096)
	Interval time.Duration // how often buffered events are written (default 100ms)
	MaxBatch int           // events per transaction at most (default 512)
}

const (
	defaultBuffer   = 4096
	defaultInterval = 100 * time.Millisecond
	defaultMaxBatch = 512
	writeTimeout    = 30 * time.Second
)

// Recorder records pulls in the metadata DB and answers queries about them.
type Recorder struct {
	db       *db.DB
	log      *slog.Logger
	interval time.Duration
	maxBatch int
	write    func(context.Context, []PullEvent) error // insert; replaced in tests

	mu      sync.RWMutex // guards closed against sends on a closed events
	closed  bool
	events  chan PullEvent
	done    chan struct{}
	dropped atomic.Int64
}

// New returns a Recorder writing to d and starts its writer. Call Close to
// stop it.
func New(d *db.DB, opts Options) *Recorder {
	r := newRecorder(d, opts)
	go r.run()
	return r
}

func newRecorder(d *db.DB, opts Options) *Recorder {
	r := &Recorder{
		db:       d,
		log:      opts.Logger,
		interval: opts.Interval,
		maxBatch: opts.MaxBatch,
		done:     make(chan struct{}),
	}
	if r.log == nil {
		r.log = slog.New(slog.DiscardHandler)
	}
	if r.interval <= 0 {
		r.interval = defaultInterval
	}
	if r.maxBatch <= 0 {
		r.maxBatch = defaultMaxBatch
	}
	if opts.Buffer <= 0 {
		opts.Buffer = defaultBuffer
	}
	r.events = make(chan PullEvent, opts.Buffer)
	r.write = r.insert
	return r
}

// Record queues ev for writing without ever blocking. A zero Time is set to
// now. When the buffer is full, or after Close, the event is dropped and
// counted.
func (r *Recorder) Record(ev PullEvent) {
	if ev.Time.IsZero() {
		ev.Time = time.Now()
	}
	r.mu.RLock()
	defer r.mu.RUnlock()
	if r.closed {
		r.dropped.Add(1)
		return
	}
	select {
	case r.events <- ev:
	default:
		r.dropped.Add(1)
	}
}

// Dropped returns how many events were dropped since New.
func (r *Recorder) Dropped() int64 { return r.dropped.Load() }

// Close writes the buffered events and stops the writer. Later events are
// dropped. It is safe to call more than once.
func (r *Recorder) Close() error {
	r.mu.Lock()
	if !r.closed {
		r.closed = true
		close(r.events)
	}
	r.mu.Unlock()
	<-r.done
	return nil
}

// run collects events into batches and writes a batch when it is full,
// every interval, and when events is closed.
func (r *Recorder) run() {
	defer close(r.done)
	tick := time.NewTicker(r.interval)
	defer tick.Stop()
	batch := make([]PullEvent, 0, r.maxBatch)
	var reported int64
	for {
		select {
		case ev, ok := <-r.events:
			if !ok {
				r.flush(batch)
				return
			}
			if batch = append(batch, ev); len(batch) >= r.maxBatch {
				batch = r.flush(batch)
			}
		case <-tick.C:
			batch = r.flush(batch)
			reported = r.reportDrops(reported)
		}
	}
}

// flush writes batch and returns it emptied. A failed write is logged and
// its events counted as dropped: the pull log must not hold up downloads.
func (r *Recorder) flush(batch []PullEvent) []PullEvent {
	if len(batch) == 0 {
		return batch
	}
	ctx, cancel := context.WithTimeout(context.Background(), writeTimeout)
	defer cancel()
	if err := r.write(ctx, batch); err != nil {
		r.dropped.Add(int64(len(batch)))
		r.log.Error("pull log: writing events failed; they are lost", "events", len(batch), "err", err)
	}
	return batch[:0]
}

// reportDrops logs a warning when events were dropped since the last
// report, and returns the new total.
func (r *Recorder) reportDrops(reported int64) int64 {
	n := r.dropped.Load()
	if n > reported {
		r.log.Warn("pull log: events dropped (buffer full or a failed write)", "dropped", n-reported, "total_dropped", n)
	}
	return n
}
