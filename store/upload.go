package store

import (
	"context"
	"crypto/rand"
	"database/sql"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"time"

	"github.com/opencontainers/go-digest"
)

// Upload errors.
var (
	// ErrUploadUnknown: no upload session of that id in that repository.
	ErrUploadUnknown = errors.New("upload session unknown")
	// ErrUploadOffset: an append did not start where the upload ends.
	ErrUploadOffset = errors.New("upload offset does not match")
)

// Upload is a resumable upload session: bytes appended over several
// requests, then committed as one blob. Its state is durable (metadata row
// plus one backend object per appended piece), so it survives a restart.
type Upload struct {
	ID        string
	Repo      string
	Size      int64 // bytes received so far
	StartedAt time.Time
	UpdatedAt time.Time
}

const uploadPrefix = "uploads/"

// StartUpload opens a new upload session in repo.
func (s *Store) StartUpload(ctx context.Context, repo string) (Upload, error) {
	var b [16]byte
	if _, err := rand.Read(b[:]); err != nil {
		return Upload{}, err
	}
	now := time.Now()
	u := Upload{ID: hex.EncodeToString(b[:]), Repo: repo, StartedAt: now, UpdatedAt: now}
	_, err := s.db.ExecContext(ctx,
		`INSERT INTO uploads (id, repo, size, parts, created_at, updated_at) VALUES (?, ?, 0, 0, ?, ?)`,
		u.ID, repo, now.Unix(), now.Unix())
	if err != nil {
		return Upload{}, fmt.Errorf("store index: start upload: %w", err)
	}
	return u, nil
}

// validUploadID reports whether id has the form StartUpload gives: 32
// lower-case hex digits.
func validUploadID(id string) bool {
	if len(id) != 32 {
		return false
	}
	for _, c := range []byte(id) {
		if !(c >= '0' && c <= '9' || c >= 'a' && c <= 'f') {
			return false
		}
	}
	return true
}

// GetUpload returns the session id of repo, or ErrUploadUnknown.
func (s *Store) GetUpload(ctx context.Context, repo, id string) (Upload, error) {
	u, _, err := s.getUpload(ctx, repo, id)
	return u, err
}

func (s *Store) getUpload(ctx context.Context, repo, id string) (Upload, int, error) {
	if !validUploadID(id) {
		// Never one we made; and not every database takes any byte in
		// a query (PostgreSQL refuses NUL).
		return Upload{}, 0, fmt.Errorf("%w: %q in %s", ErrUploadUnknown, id, repo)
	}
	var u Upload
	var parts int
	var created, updated int64
	err := s.db.QueryRowContext(ctx,
		`SELECT id, repo, size, parts, created_at, updated_at FROM uploads WHERE id = ? AND repo = ?`,
		id, repo).Scan(&u.ID, &u.Repo, &u.Size, &parts, &created, &updated)
	if errors.Is(err, sql.ErrNoRows) {
		return Upload{}, 0, fmt.Errorf("%w: %q in %s", ErrUploadUnknown, id, repo)
	}
	if err != nil {
		return Upload{}, 0, fmt.Errorf("store index: upload: %w", err)
	}
	u.StartedAt, u.UpdatedAt = time.Unix(created, 0), time.Unix(updated, 0)
	return u, parts, nil
}

// AppendUpload appends the bytes of r to the session, which must currently
// end at offset. The piece is durable before the session's size advances;
// if r fails, the session is unchanged.
func (s *Store) AppendUpload(ctx context.Context, repo, id string, offset int64, r io.Reader) (Upload, error) {
	defer s.foreground()()
	unlock := s.uploadLocks.Lock(id)
	defer unlock()
	u, parts, err := s.getUpload(ctx, repo, id)
	if err != nil {
		return Upload{}, err
	}
	if offset != u.Size {
		return u, fmt.Errorf("%w: upload is at byte %d, append starts at %d", ErrUploadOffset, u.Size, offset)
	}
	cr := &countingReader{r: r}
	if err := s.backend.Put(ctx, uploadPart(id, parts), cr); err != nil {
		return u, err
	}
	now := time.Now()
	if _, err := s.db.ExecContext(ctx,
		`UPDATE uploads SET size = ?, parts = ?, updated_at = ? WHERE id = ?`,
		u.Size+cr.n, parts+1, now.Unix(), id); err != nil {
		return u, fmt.Errorf("store index: append upload: %w", err)
	}
	u.Size += cr.n
	u.UpdatedAt = now
	return u, nil
}

// FinishUpload commits the session as blob d: the appended pieces followed
// by the bytes of body (bodySize of them; body may be nil when bodySize is
// 0, and bodySize < 0 means unknown). Like Put it hashes everything and
// publishes nothing unless the digest matches. The session ends whatever
// the outcome, except for ErrUploadUnknown.
func (s *Store) FinishUpload(ctx context.Context, repo, id string, d digest.Digest, body io.Reader, bodySize int64) (BlobInfo, error) {
	if err := validateDigest(d); err != nil {
		return BlobInfo{}, err
	}
	if bodySize < 0 {
		u, err := s.GetUpload(ctx, repo, id)
		if err != nil {
			return BlobInfo{}, err
		}
		if _, err := s.AppendUpload(ctx, repo, id, u.Size, body); err != nil {
			return BlobInfo{}, err
		}
		body, bodySize = nil, 0
	}
	unlock := s.uploadLocks.Lock(id)
	u, parts, err := s.getUpload(ctx, repo, id)
	unlock()
	if err != nil {
		return BlobInfo{}, err
	}
	defer s.CancelUpload(context.WithoutCancel(ctx), repo, id)
	readers := make([]io.Reader, 0, parts+1)
	for i := range parts {
		readers = append(readers, &lazyObject{ctx: ctx, b: s.backend, name: uploadPart(id, i)})
	}
	if body != nil {
		readers = append(readers, body)
	}
	return s.Put(ctx, repo, d, u.Size+bodySize, io.MultiReader(readers...))
}

// CancelUpload ends the session and deletes its pieces. Cancelling an
// unknown session is ErrUploadUnknown.
func (s *Store) CancelUpload(ctx context.Context, repo, id string) error {
	unlock := s.uploadLocks.Lock(id)
	defer unlock()
	_, parts, err := s.getUpload(ctx, repo, id)
	if err != nil {
		return err
	}
	return s.dropUpload(ctx, id, parts)
}

func (s *Store) dropUpload(ctx context.Context, id string, parts int) error {
	if _, err := s.db.ExecContext(ctx, `DELETE FROM uploads WHERE id = ?`, id); err != nil {
		return fmt.Errorf("store index: drop upload: %w", err)
	}
	for i := range parts {
		if err := s.backend.Delete(ctx, uploadPart(id, i)); err != nil {
			s.log.Warn("delete upload piece", "upload", id, "piece", i, "err", err)
		}
	}
	return nil
}

// reapUploads ends sessions not touched for longer than maxAge.
func (s *Store) reapUploads(ctx context.Context, maxAge time.Duration) (int, error) {
	rows, err := s.db.QueryContext(ctx,
		`SELECT id, parts FROM uploads WHERE updated_at < ?`, time.Now().Add(-maxAge).Unix())
	if err != nil {
		return 0, fmt.Errorf("store index: stale uploads: %w", err)
	}
	type stale struct {
		id    string
		parts int
	}
	var list []stale
	for rows.Next() {
		var st stale
		if err := rows.Scan(&st.id, &st.parts); err != nil {
			rows.Close()
			return 0, err
		}
		list = append(list, st)
	}
	rows.Close()
	for i, st := range list {
		if err := s.dropUpload(ctx, st.id, st.parts); err != nil {
			return i, err
		}
	}
	return len(list), rows.Err()
}

func uploadPart(id string, seq int) string {
	return fmt.Sprintf("%s%s/%08d", uploadPrefix, id, seq)
}

type countingReader struct {
	r io.Reader
	n int64
}

func (c *countingReader) Read(p []byte) (int, error) {
	n, err := c.r.Read(p)
	c.n += int64(n)
	return n, err
}

// lazyObject reads a whole backend object, opening it on first Read so a
// MultiReader over many pieces holds one open at a time.
type lazyObject struct {
	ctx  context.Context
	b    Backend
	name string
	rc   io.ReadCloser
	done bool
}

func (l *lazyObject) Read(p []byte) (int, error) {
	if l.done {
		return 0, io.EOF
	}
	if l.rc == nil {
		rc, err := l.b.ReadRange(l.ctx, l.name, 0, -1)
		if err != nil {
			return 0, fmt.Errorf("upload piece %s: %w", l.name, err)
		}
		l.rc = rc
	}
	n, err := l.rc.Read(p)
	if err == io.EOF {
		l.rc.Close()
		l.done = true
	}
	return n, err
}
