package lease

import (
	"context"
	"crypto/rand"
	"fmt"
	"log/slog"
	"os"
	"time"

	"github.com/ballastml/ballast/internal/platform/db"
)

// Leases takes and renews leases for one process.
type Leases struct {
	db     *db.DB
	holder string        // this process
	ttl    time.Duration // a lease's lifetime
	log    *slog.Logger
}

// DefaultTTL is the lifetime of a lease: another replica takes over a dead
// holder's job within about this long.
const DefaultTTL = 30 * time.Second

// New returns the leases of this process on d; ttl <= 0 is DefaultTTL.
func New(d *db.DB, ttl time.Duration, log *slog.Logger) *Leases {
	if ttl <= 0 {
		ttl = DefaultTTL
	}
	host, _ := os.Hostname()
	return &Leases{db: d, ttl: ttl, log: log,
		holder: fmt.Sprintf("%s/%d/%s", host, os.Getpid(), rand.Text()[:8])}
}

// Holder names this process in the leases table.
func (l *Leases) Holder() string { return l.holder }

// TryAcquire takes the lease name, or renews it if this process holds it,
// and reports whether this process holds it now.
func (l *Leases) TryAcquire(ctx context.Context, name string) (bool, error) {
	now := time.Now()
	res, err := l.db.ExecContext(ctx,
		`INSERT INTO leases (name, holder, expires_at) VALUES (?, ?, ?)
		 ON CONFLICT (name) DO UPDATE SET holder = excluded.holder, expires_at = excluded.expires_at
		 WHERE leases.holder = excluded.holder OR leases.expires_at < ?`,
		name, l.holder, now.Add(l.ttl).UnixMilli(), now.UnixMilli())
	if err != nil {
		return false, fmt.Errorf("lease %s: %w", name, err)
	}
	n, err := res.RowsAffected()
	return n == 1, err
}

// Forget drops every lease, whoever holds it: for a database only one
// process uses (SQLite in a data directory), whose earlier holders are all
// gone, so that a restart after a crash need not wait for them to expire.
func (l *Leases) Forget(ctx context.Context) error {
	_, err := l.db.ExecContext(ctx, `DELETE FROM leases`)
	return err
}

// Release gives the lease up if this process holds it.
func (l *Leases) Release(ctx context.Context, name string) error {
	_, err := l.db.ExecContext(ctx, `DELETE FROM leases WHERE name = ? AND holder = ?`, name, l.holder)
	return err
}

// Run runs job whenever this process holds the lease name, until ctx is
// done: it tries to take the lease every third of its lifetime; once it
// holds it, it runs job with a context that is cancelled if a renewal
// fails, and gives the lease up when job returns. A job that returns while
// ctx is not done is started again at the next turn it holds the lease.
func (l *Leases) Run(ctx context.Context, name string, job func(context.Context)) {
	every := l.ttl / 3
	for {
		held, err := l.TryAcquire(ctx, name)
		if err != nil && ctx.Err() == nil {
			l.log.Warn("taking a job lease", "lease", name, "err", err)
		}
		if held {
			l.hold(ctx, name, every, job)
		}
		select {
		case <-ctx.Done():
			return
		case <-time.After(every):
		}
	}
}

// hold runs job while renewing the lease, then releases it.
func (l *Leases) hold(ctx context.Context, name string, every time.Duration, job func(context.Context)) {
	l.log.Info("job lease taken: running the job here", "lease", name, "holder", l.holder)
	jobCtx, cancel := context.WithCancel(ctx)
	defer cancel()
	done := make(chan struct{})
	go func() {
		defer close(done)
		job(jobCtx)
	}()
	t := time.NewTicker(every)
	defer t.Stop()
	for {
		select {
		case <-done:
			rctx, rcancel := context.WithTimeout(context.WithoutCancel(ctx), 10*time.Second)
			if err := l.Release(rctx, name); err != nil {
				l.log.Warn("releasing a job lease", "lease", name, "err", err)
			}
			rcancel()
			return
		case <-t.C:
			held, err := l.TryAcquire(ctx, name)
			if !held && ctx.Err() == nil {
				l.log.Warn("job lease lost: stopping the job here", "lease", name, "err", err)
				cancel()
				<-done
				return
			}
		}
	}
}
