package pulllog

import (
	"context"
	"fmt"
	"time"
)

// pruneBatch is how many rows one prune statement deletes at most, so that
// pruning a large backlog never holds the database's write lock for long.
const pruneBatch = 10000

// Prune deletes the pulls recorded before before and returns how many it
// deleted. It works in batches, each its own statement.
func (r *Recorder) Prune(ctx context.Context, before time.Time) (int64, error) {
	var total int64
	for {
		res, err := r.db.ExecContext(ctx,
			`DELETE FROM pulls WHERE id IN (SELECT id FROM pulls WHERE pulled_at < ? LIMIT ?)`,
			before.UnixNano(), pruneBatch)
		if err != nil {
			return total, fmt.Errorf("pull log: prune: %w", err)
		}
		n, err := res.RowsAffected()
		if err != nil {
			return total, fmt.Errorf("pull log: prune: %w", err)
		}
		total += n
		if n < pruneBatch {
			return total, nil
		}
	}
}
