package pulllog

import (
	"context"
	"crypto/rand"
	"encoding/hex"
)

// insert writes events in one transaction.
func (r *Recorder) insert(ctx context.Context, events []PullEvent) error {
	tx, err := r.db.BeginTx(ctx, nil)
	if err != nil {
		return err
	}
	defer tx.Rollback()
	stmt, err := tx.PrepareContext(ctx, `INSERT INTO pulls
		(id, pulled_at, repo, digest, reference, kind, protocol, user_name, token_id)
		VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)`)
	if err != nil {
		return err
	}
	defer stmt.Close()
	for _, ev := range events {
		if _, err := stmt.ExecContext(ctx, newID(), ev.Time.UnixNano(), ev.Repo, ev.Digest,
			ev.Reference, ev.Kind, ev.Protocol, ev.User, ev.TokenID); err != nil {
			return err
		}
	}
	return tx.Commit()
}

// newID returns a random row id.
func newID() string {
	var b [12]byte
	rand.Read(b[:])
	return hex.EncodeToString(b[:])
}
