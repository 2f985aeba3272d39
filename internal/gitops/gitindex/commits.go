package gitindex

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"regexp"
	"sort"
	"strings"
	"time"
)

// commitColumns are the git_commits columns (alias c) scanCommit reads.
const commitColumns = `c.sha, c.parents, c.author_name, c.author_email, c.author_time, c.author_tz,
	c.committer_name, c.committer_email, c.commit_time, c.commit_tz, c.message`

// scanCommit scans commitColumns, then extra.
func scanCommit(row interface{ Scan(...any) error }, extra ...any) (Commit, error) {
	var (
		c        Commit
		parents  string
		at, ct   int64
		atz, ctz int
	)
	dest := append([]any{&c.SHA, &parents, &c.AuthorName, &c.AuthorEmail, &at, &atz,
		&c.CommitterName, &c.CommitterEmail, &ct, &ctz, &c.Message}, extra...)
	if err := row.Scan(dest...); err != nil {
		return Commit{}, err
	}
	c.Parents = strings.Fields(parents)
	c.AuthorTime = zoned(at, atz)
	c.CommitTime = zoned(ct, ctz)
	return c, nil
}

func zoned(unix int64, offset int) time.Time {
	return time.Unix(unix, 0).In(time.FixedZone("", offset))
}

// checkConnected returns ErrNotConnected unless repo has a Git source.
func (x *Indexer) checkConnected(ctx context.Context, repo string) error {
	var one int
	err := x.db.QueryRowContext(ctx, `SELECT 1 FROM git_sources WHERE repo = ?`, repo).Scan(&one)
	if errors.Is(err, sql.ErrNoRows) {
		return fmt.Errorf("%w: %s", ErrNotConnected, repo)
	}
	return err
}

var hexRE = regexp.MustCompile(`^[0-9a-fA-F]{7,40}$`)

// ResolveRef returns the commit ref names in repo: a tag, a branch (a tag
// wins, as in git; "refs/tags/…" and "refs/heads/…" choose), a full commit
// sha, or a prefix of at least 7 hex digits that only one indexed commit
// has.
func (x *Indexer) ResolveRef(ctx context.Context, repo, ref string) (Commit, error) {
	if err := x.checkConnected(ctx, repo); err != nil {
		return Commit{}, err
	}
	kinds := []string{KindTag, KindBranch}
	name := ref
	if n, ok := strings.CutPrefix(ref, "refs/tags/"); ok {
		kinds, name = []string{KindTag}, n
	} else if n, ok := strings.CutPrefix(ref, "refs/heads/"); ok {
		kinds, name = []string{KindBranch}, n
	}
	for _, kind := range kinds {
		c, err := scanCommit(x.db.QueryRowContext(ctx, `SELECT `+commitColumns+`
			FROM git_refs r JOIN git_commits c ON c.repo = r.repo AND c.sha = r.commit_sha
			WHERE r.repo = ? AND r.kind = ? AND r.name = ?`, repo, kind, name))
		if !errors.Is(err, sql.ErrNoRows) {
			return c, err
		}
	}
	if len(kinds) == 2 && hexRE.MatchString(ref) {
		return x.commitByPrefix(ctx, repo, strings.ToLower(ref))
	}
	return Commit{}, fmt.Errorf("%w: %q in %s", ErrUnknownRef, ref, repo)
}

// commitByPrefix finds the one commit whose sha starts with prefix
// (lower-case hex, so it holds no LIKE wildcard).
func (x *Indexer) commitByPrefix(ctx context.Context, repo, prefix string) (Commit, error) {
	rows, err := x.db.QueryContext(ctx, `SELECT `+commitColumns+` FROM git_commits c
		WHERE c.repo = ? AND c.sha LIKE ? ORDER BY c.sha LIMIT 2`, repo, prefix+"%")
	if err != nil {
		return Commit{}, err
	}
	defer rows.Close()
	var found []Commit
	for rows.Next() {
		c, err := scanCommit(rows)
		if err != nil {
			return Commit{}, err
		}
		found = append(found, c)
	}
	if err := rows.Err(); err != nil {
		return Commit{}, err
	}
	switch len(found) {
	case 0:
		return Commit{}, fmt.Errorf("%w: no commit %s in %s", ErrUnknownRef, prefix, repo)
	case 1:
		return found[0], nil
	}
	return Commit{}, fmt.Errorf("%w: %s is ambiguous in %s", ErrUnknownRef, prefix, repo)
}

// Commit returns an indexed commit of repo; sha may be anything ResolveRef
// accepts.
func (x *Indexer) Commit(ctx context.Context, repo, sha string) (Commit, error) {
	return x.ResolveRef(ctx, repo, sha)
}

// Files returns the LFS files of a commit of repo, sorted by path; sha may
// be anything ResolveRef accepts.
func (x *Indexer) Files(ctx context.Context, repo, sha string) ([]File, error) {
	c, err := x.ResolveRef(ctx, repo, sha)
	if err != nil {
		return nil, err
	}
	rows, err := x.db.QueryContext(ctx, `SELECT path, oid, size FROM git_files
		WHERE repo = ? AND commit_sha = ?`, repo, c.SHA)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	files := []File{}
	for rows.Next() {
		var f File
		if err := rows.Scan(&f.Path, &f.OID, &f.Size); err != nil {
			return nil, err
		}
		files = append(files, f)
	}
	sort.Slice(files, func(i, j int) bool { return files[i].Path < files[j].Path })
	return files, rows.Err()
}

// Refs returns repo's branches and tags, branches first, each by name.
func (x *Indexer) Refs(ctx context.Context, repo string) ([]Ref, error) {
	if err := x.checkConnected(ctx, repo); err != nil {
		return nil, err
	}
	return queryRefs(ctx, x.db, `SELECT name, kind, commit_sha FROM git_refs WHERE repo = ?`, repo)
}

// refsAt returns the refs of repo whose tip is commit.
func refsAt(ctx context.Context, q queryer, repo, commit string) ([]Ref, error) {
	return queryRefs(ctx, q, `SELECT name, kind, commit_sha FROM git_refs WHERE repo = ? AND commit_sha = ?`,
		repo, commit)
}

func queryRefs(ctx context.Context, q queryer, query string, args ...any) ([]Ref, error) {
	rows, err := q.QueryContext(ctx, query, args...)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	refs := []Ref{}
	for rows.Next() {
		var r Ref
		if err := rows.Scan(&r.Name, &r.Kind, &r.Commit); err != nil {
			return nil, err
		}
		refs = append(refs, r)
	}
	sort.Slice(refs, func(i, j int) bool {
		if refs[i].Kind != refs[j].Kind {
			return refs[i].Kind < refs[j].Kind
		}
		return refs[i].Name < refs[j].Name
	})
	return refs, rows.Err()
}

// Problems returns the problems found in repo's indexed commits, newest
// commit first.
func (x *Indexer) Problems(ctx context.Context, repo string) ([]Problem, error) {
	if err := x.checkConnected(ctx, repo); err != nil {
		return nil, err
	}
	rows, err := x.db.QueryContext(ctx, `SELECT p.commit_sha, p.path, p.kind, p.detail
		FROM git_problems p JOIN git_commits c ON c.repo = p.repo AND c.sha = p.commit_sha
		WHERE p.repo = ? ORDER BY c.commit_time DESC, c.seq DESC, p.path, p.kind`, repo)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	probs := []Problem{}
	for rows.Next() {
		var p Problem
		if err := rows.Scan(&p.Commit, &p.Path, &p.Kind, &p.Detail); err != nil {
			return nil, err
		}
		probs = append(probs, p)
	}
	return probs, rows.Err()
}
