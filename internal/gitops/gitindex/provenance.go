package gitindex

import (
	"context"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"regexp"
	"strings"
)

// Page sizes: a limit of 0 or less means defaultLimit; more than maxLimit
// means maxLimit.
const (
	defaultLimit = 100
	maxLimit     = 1000
)

// oidRE is a Git LFS oid: 64 lower-case hex digits.
var oidRE = regexp.MustCompile(`^[0-9a-f]{64}$`)

func clampLimit(n int) int {
	if n <= 0 {
		return defaultLimit
	}
	return min(n, maxLimit)
}

// cursor is the position after the last row of a page, in the page's sort
// order. It travels base64url-encoded JSON, opaque to callers.
type cursor struct {
	Time int64  `json:"t"`
	Repo string `json:"r,omitempty"`
	Seq  int64  `json:"s"`
	Path string `json:"p,omitempty"`
}

func (c cursor) String() string {
	b, _ := json.Marshal(c)
	return base64.RawURLEncoding.EncodeToString(b)
}

func parseCursor(s string) (cursor, bool, error) {
	if s == "" {
		return cursor{}, false, nil
	}
	var c cursor
	b, err := base64.RawURLEncoding.DecodeString(s)
	if err == nil {
		err = json.Unmarshal(b, &c)
	}
	if err != nil {
		return cursor{}, false, fmt.Errorf("%w: %q", ErrInvalidCursor, s)
	}
	return c, true, nil
}

// normalizeOID accepts an LFS oid as 64 hex digits, optionally prefixed
// "sha256:" as an OCI digest is.
func normalizeOID(oid string) (string, error) {
	hex := strings.ToLower(strings.TrimPrefix(oid, "sha256:"))
	if !oidRE.MatchString(hex) {
		return "", fmt.Errorf("%w: %q", ErrInvalidOID, oid)
	}
	return hex, nil
}

// Occurrences returns every (repository, commit, path) whose tree has the
// LFS object oid, newest commit first, with the branches and tags whose
// tip is that commit. limit is clamped to 1..1000; cursor "" starts at the
// first page, and the cursor returned is "" after the last.
func (x *Indexer) Occurrences(ctx context.Context, oid string, limit int, cur string) ([]Occurrence, string, error) {
	oid, err := normalizeOID(oid)
	if err != nil {
		return nil, "", err
	}
	after, ok, err := parseCursor(cur)
	if err != nil {
		return nil, "", err
	}
	limit = clampLimit(limit)
	query := `SELECT ` + commitColumns + `, c.seq, f.repo, f.path
		FROM git_files f JOIN git_commits c ON c.repo = f.repo AND c.sha = f.commit_sha
		WHERE f.oid = ?`
	args := []any{oid}
	if ok {
		// After (time, repo, seq, path) in the order below.
		query += ` AND (c.commit_time < ? OR (c.commit_time = ? AND (f.repo > ? OR (f.repo = ? AND
			(c.seq < ? OR (c.seq = ? AND f.path > ?))))))`
		args = append(args, after.Time, after.Time, after.Repo, after.Repo, after.Seq, after.Seq, after.Path)
	}
	query += ` ORDER BY c.commit_time DESC, f.repo, c.seq DESC, f.path LIMIT ?`
	args = append(args, limit+1)
	rows, err := x.db.QueryContext(ctx, query, args...)
	if err != nil {
		return nil, "", err
	}
	defer rows.Close()
	out := []Occurrence{}
	var last cursor
	for rows.Next() {
		var (
			o   Occurrence
			seq int64
		)
		if o.Commit, err = scanCommit(rows, &seq, &o.Repo, &o.Path); err != nil {
			return nil, "", err
		}
		if len(out) == limit {
			rows.Close()
			return x.withRefs(ctx, out, last.String())
		}
		last = cursor{Time: o.Commit.CommitTime.Unix(), Repo: o.Repo, Seq: seq, Path: o.Path}
		out = append(out, o)
	}
	if err := rows.Err(); err != nil {
		return nil, "", err
	}
	return x.withRefs(ctx, out, "")
}

// withRefs fills in the refs of each occurrence's commit.
func (x *Indexer) withRefs(ctx context.Context, occ []Occurrence, next string) ([]Occurrence, string, error) {
	type at struct{ repo, commit string }
	cache := make(map[at][]Ref)
	for i := range occ {
		k := at{occ[i].Repo, occ[i].Commit.SHA}
		refs, ok := cache[k]
		if !ok {
			var err error
			if refs, err = refsAt(ctx, x.db, k.repo, k.commit); err != nil {
				return nil, "", err
			}
			cache[k] = refs
		}
		occ[i].Refs = refs
	}
	return occ, next, nil
}

// PathHistory returns each change of the LFS file at path in repo (added,
// changed or removed), newest commit first. Paging is as for Occurrences.
func (x *Indexer) PathHistory(ctx context.Context, repo, path string, limit int, cur string) ([]FileVersion, string, error) {
	if err := x.checkConnected(ctx, repo); err != nil {
		return nil, "", err
	}
	after, ok, err := parseCursor(cur)
	if err != nil {
		return nil, "", err
	}
	limit = clampLimit(limit)
	query := `SELECT ` + commitColumns + `, c.seq, ch.oid, ch.size, ch.removed
		FROM git_changes ch JOIN git_commits c ON c.repo = ch.repo AND c.sha = ch.commit_sha
		WHERE ch.repo = ? AND ch.path = ?`
	args := []any{repo, strings.TrimPrefix(path, "/")}
	if ok {
		query += ` AND (c.commit_time < ? OR (c.commit_time = ? AND c.seq < ?))`
		args = append(args, after.Time, after.Time, after.Seq)
	}
	query += ` ORDER BY c.commit_time DESC, c.seq DESC LIMIT ?`
	args = append(args, limit+1)
	rows, err := x.db.QueryContext(ctx, query, args...)
	if err != nil {
		return nil, "", err
	}
	defer rows.Close()
	out := []FileVersion{}
	var last cursor
	for rows.Next() {
		var (
			v       FileVersion
			seq     int64
			removed int
		)
		if v.Commit, err = scanCommit(rows, &seq, &v.OID, &v.Size, &removed); err != nil {
			return nil, "", err
		}
		if len(out) == limit {
			return out, last.String(), nil
		}
		v.Removed = removed != 0
		last.Time, last.Seq = v.Commit.CommitTime.Unix(), seq
		out = append(out, v)
	}
	return out, "", rows.Err()
}

// OIDRepo is an LFS object and a repository whose indexed history holds it.
type OIDRepo struct {
	OID, Repo string
}

// MinOIDPrefix is the shortest oid prefix OIDsWithPrefix looks up, as git
// abbreviates object names to at least 4 hex digits.
const MinOIDPrefix = 4

var oidPrefixRE = regexp.MustCompile(`^[0-9a-f]{4,64}$`)

// OIDsWithPrefix returns up to limit (oid, repository) pairs of the index
// whose oid starts with prefix (MinOIDPrefix to 64 lower-case hex digits),
// in oid then repository order, so that a short digest can be resolved
// against the repositories a caller can read.
func (x *Indexer) OIDsWithPrefix(ctx context.Context, prefix string, limit int) ([]OIDRepo, error) {
	if !oidPrefixRE.MatchString(prefix) {
		return nil, fmt.Errorf("%w: prefix %q: want %d to 64 lower-case hex digits", ErrInvalidOID, prefix, MinOIDPrefix)
	}
	// Every hex digit sorts below 'g', so [prefix, prefix+"g") is exactly
	// the oids that start with prefix, and the oid index serves the range.
	rows, err := x.db.QueryContext(ctx,
		`SELECT DISTINCT oid, repo FROM git_files WHERE oid >= ? AND oid < ? ORDER BY oid, repo LIMIT ?`,
		prefix, prefix+"g", clampLimit(limit))
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var out []OIDRepo
	for rows.Next() {
		var p OIDRepo
		if err := rows.Scan(&p.OID, &p.Repo); err != nil {
			return nil, err
		}
		out = append(out, p)
	}
	return out, rows.Err()
}
