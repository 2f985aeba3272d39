package pulllog

import (
	"context"
	"strings"
	"time"
)

// Filter selects pulls; zero fields select everything.
type Filter struct {
	Repo   string
	Digest string
	User   string
	Since  time.Time // inclusive
	Until  time.Time // exclusive
	// Repos, when not empty, keeps only repositories matching one of these
	// patterns, written as auth scope patterns: '*' matches any run of
	// characters, '/' included.
	Repos []string
}

// where returns the SQL conditions and arguments of f.
func (f Filter) where() (string, []any) {
	var conds []string
	var args []any
	add := func(cond string, arg any) {
		conds = append(conds, cond)
		args = append(args, arg)
	}
	if f.Repo != "" {
		add("repo = ?", f.Repo)
	}
	if f.Digest != "" {
		add("digest = ?", f.Digest)
	}
	if f.User != "" {
		add("user_name = ?", f.User)
	}
	if !f.Since.IsZero() {
		add("pulled_at >= ?", f.Since.UnixNano())
	}
	if !f.Until.IsZero() {
		add("pulled_at < ?", f.Until.UnixNano())
	}
	if len(f.Repos) > 0 {
		var or []string
		for _, p := range f.Repos {
			or = append(or, `repo LIKE ? ESCAPE '\'`)
			args = append(args, likePattern(p))
		}
		conds = append(conds, "("+strings.Join(or, " OR ")+")")
	}
	if len(conds) == 0 {
		return "1 = 1", nil
	}
	return strings.Join(conds, " AND "), args
}

// likePattern turns a scope pattern into a LIKE pattern with escape '\'.
func likePattern(p string) string {
	r := strings.NewReplacer(`\`, `\\`, `%`, `\%`, `_`, `\_`, `*`, `%`)
	return r.Replace(p)
}

// List returns up to limit pulls matching f, newest first, and the cursor
// of the next page ("" after the last). cursor is "" or a next cursor of an
// earlier call with the same filter.
func (r *Recorder) List(ctx context.Context, f Filter, limit int, cursor string) ([]PullEvent, string, error) {
	pos, err := decodeCursor(cursor)
	if err != nil {
		return nil, "", err
	}
	limit = max(limit, 1)
	where, args := f.where()
	if pos != nil {
		where += " AND (pulled_at < ? OR (pulled_at = ? AND id < ?))"
		args = append(args, pos.ns, pos.ns, pos.key)
	}
	rows, err := r.db.QueryContext(ctx, `SELECT id, pulled_at, repo, digest, reference, kind, protocol, user_name, token_id
		FROM pulls WHERE `+where+` ORDER BY pulled_at DESC, id DESC LIMIT ?`, append(args, limit+1)...)
	if err != nil {
		return nil, "", err
	}
	defer rows.Close()
	var out []PullEvent
	var last position
	for rows.Next() {
		if len(out) == limit {
			return out, last.encode(), rows.Close()
		}
		var ev PullEvent
		if err := rows.Scan(&last.key, &last.ns, &ev.Repo, &ev.Digest, &ev.Reference,
			&ev.Kind, &ev.Protocol, &ev.User, &ev.TokenID); err != nil {
			return nil, "", err
		}
		ev.Time = time.Unix(0, last.ns).UTC()
		out = append(out, ev)
	}
	return out, "", rows.Err()
}
