package pulllog

import (
	"context"
	"time"
)

// LiveDigest summarises the recent pulls of one digest of a repository.
type LiveDigest struct {
	Digest        string    `json:"digest"`
	Kind          string    `json:"kind"`
	Pulls         int64     `json:"pulls"`
	Users         int64     `json:"users"` // distinct users
	LastPull      time.Time `json:"last_pull"`
	LastReference string    `json:"last_reference,omitempty"` // tag or digest a manifest was last asked by
}

// Live answers "which versions are live?": every digest of repo pulled at
// or after since, with its pull count and last pull, most recently pulled
// first, paginated like List.
func (r *Recorder) Live(ctx context.Context, repo string, since time.Time, limit int, cursor string) ([]LiveDigest, string, error) {
	pos, err := decodeCursor(cursor)
	if err != nil {
		return nil, "", err
	}
	limit = max(limit, 1)
	having, args := "1 = 1", []any{repo, repo, since.UnixNano()}
	if pos != nil {
		having = "MAX(pulled_at) < ? OR (MAX(pulled_at) = ? AND digest < ?)"
		args = append(args, pos.ns, pos.ns, pos.key)
	}
	rows, err := r.db.QueryContext(ctx, `SELECT digest, MAX(kind), COUNT(*), COUNT(DISTINCT user_name), MAX(pulled_at),
			COALESCE((SELECT p.reference FROM pulls p WHERE p.repo = ? AND p.digest = pulls.digest AND p.reference <> ''
				ORDER BY p.pulled_at DESC LIMIT 1), '')
		FROM pulls WHERE repo = ? AND pulled_at >= ?
		GROUP BY digest HAVING `+having+`
		ORDER BY MAX(pulled_at) DESC, digest DESC LIMIT ?`, append(args, limit+1)...)
	if err != nil {
		return nil, "", err
	}
	defer rows.Close()
	var out []LiveDigest
	var last position
	for rows.Next() {
		if len(out) == limit {
			return out, last.encode(), rows.Close()
		}
		var d LiveDigest
		if err := rows.Scan(&d.Digest, &d.Kind, &d.Pulls, &d.Users, &last.ns, &d.LastReference); err != nil {
			return nil, "", err
		}
		last.key = d.Digest
		d.LastPull = time.Unix(0, last.ns).UTC()
		out = append(out, d)
	}
	return out, "", rows.Err()
}
