package oci

import (
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"time"

	"github.com/opencontainers/go-digest"
)

// This file holds the registry's SQL: manifests, tags, manifest references
// and referrers (tables of migration 0006_oci.sql). Statements are portable
// (SQLite and PostgreSQL).

// manifestInfo locates a stored manifest.
type manifestInfo struct {
	digest    digest.Digest
	mediaType string
	size      int64
}

func errManifestUnknown(repo, ref string) *Error {
	return newErr(http.StatusNotFound, CodeManifestUnknown, "manifest %s is unknown to repository %s", ref, repo)
}

// lookupManifest finds the manifest ref names in repo, or answers 404
// MANIFEST_UNKNOWN.
func (s *server) lookupManifest(ctx context.Context, repo string, ref reference) (manifestInfo, error) {
	var row *sql.Row
	if ref.tag != "" {
		row = s.db.QueryRowContext(ctx,
			`SELECT m.digest, m.media_type, m.size FROM tags t
			 JOIN manifests m ON m.repo = t.repo AND m.digest = t.digest
			 WHERE t.repo = ? AND t.tag = ?`, repo, ref.tag)
	} else {
		row = s.db.QueryRowContext(ctx,
			`SELECT digest, media_type, size FROM manifests WHERE repo = ? AND digest = ?`,
			repo, ref.digest.String())
	}
	var info manifestInfo
	err := row.Scan(&info.digest, &info.mediaType, &info.size)
	if errors.Is(err, sql.ErrNoRows) {
		return info, errManifestUnknown(repo, ref.String())
	}
	if err != nil {
		return info, fmt.Errorf("oci index: %w", err)
	}
	return info, nil
}

// saveManifest records manifest m (digest d, size bytes) in repo and points
// tags at it, in one transaction. Pushing the same bytes again (perhaps
// under another Content-Type) replaces the record.
func (s *server) saveManifest(ctx context.Context, repo string, d digest.Digest, size int64, m *manifest, tags []string) error {
	tx, err := s.db.BeginTx(ctx, nil)
	if err != nil {
		return err
	}
	defer tx.Rollback()
	now := time.Now().Unix()
	var subject, annotations sql.NullString
	if m.subject != nil {
		subject = sql.NullString{String: m.subject.Digest.String(), Valid: true}
	}
	if m.annotations != nil {
		annotations = sql.NullString{String: string(m.annotations), Valid: true}
	}
	if _, err := tx.ExecContext(ctx,
		`INSERT INTO manifests (repo, digest, media_type, artifact_type, size, subject, annotations, created_at)
		 VALUES (?, ?, ?, ?, ?, ?, ?, ?)
		 ON CONFLICT (repo, digest) DO UPDATE SET media_type = excluded.media_type,
		   artifact_type = excluded.artifact_type, subject = excluded.subject, annotations = excluded.annotations`,
		repo, d.String(), m.mediaType, m.artifactType, size, subject, annotations, now); err != nil {
		return fmt.Errorf("oci index: manifest: %w", err)
	}
	if err := saveRefs(ctx, tx, repo, d, m.refs); err != nil {
		return err
	}
	for _, tag := range tags {
		if _, err := tx.ExecContext(ctx,
			`INSERT INTO tags (repo, tag, digest, updated_at) VALUES (?, ?, ?, ?)
			 ON CONFLICT (repo, tag) DO UPDATE SET digest = excluded.digest, updated_at = excluded.updated_at`,
			repo, tag, d.String(), now); err != nil {
			return fmt.Errorf("oci index: tag: %w", err)
		}
	}
	return tx.Commit()
}

// saveRefs replaces the recorded references of manifest d.
func saveRefs(ctx context.Context, tx *sql.Tx, repo string, d digest.Digest, refs []descriptor) error {
	if _, err := tx.ExecContext(ctx,
		`DELETE FROM manifest_refs WHERE repo = ? AND manifest = ?`, repo, d.String()); err != nil {
		return fmt.Errorf("oci index: references: %w", err)
	}
	for _, ref := range refs {
		if _, err := tx.ExecContext(ctx,
			`INSERT INTO manifest_refs (repo, manifest, ref) VALUES (?, ?, ?) ON CONFLICT DO NOTHING`,
			repo, d.String(), ref.Digest.String()); err != nil {
			return fmt.Errorf("oci index: reference: %w", err)
		}
	}
	return nil
}

// removeManifest deletes manifest d of repo with its tags and references,
// and reports whether it existed. Its referrer entry goes with its row.
func (s *server) removeManifest(ctx context.Context, repo string, d digest.Digest) (bool, error) {
	tx, err := s.db.BeginTx(ctx, nil)
	if err != nil {
		return false, err
	}
	defer tx.Rollback()
	res, err := tx.ExecContext(ctx, `DELETE FROM manifests WHERE repo = ? AND digest = ?`, repo, d.String())
	if err != nil {
		return false, fmt.Errorf("oci index: delete manifest: %w", err)
	}
	if n, err := res.RowsAffected(); err != nil || n == 0 {
		return false, err
	}
	if _, err := tx.ExecContext(ctx, `DELETE FROM tags WHERE repo = ? AND digest = ?`, repo, d.String()); err != nil {
		return false, fmt.Errorf("oci index: delete tags: %w", err)
	}
	if err := saveRefs(ctx, tx, repo, d, nil); err != nil {
		return false, err
	}
	return true, tx.Commit()
}

// removeTag deletes one tag and reports whether it existed.
func (s *server) removeTag(ctx context.Context, repo, tag string) (bool, error) {
	res, err := s.db.ExecContext(ctx, `DELETE FROM tags WHERE repo = ? AND tag = ?`, repo, tag)
	if err != nil {
		return false, fmt.Errorf("oci index: delete tag: %w", err)
	}
	n, err := res.RowsAffected()
	return n > 0, err
}

// tagPage returns up to limit tags of repo that sort after last, in order.
// ORDER BY and ">" use the same collation, so pages never skip or repeat.
func (s *server) tagPage(ctx context.Context, repo, last string, limit int) ([]string, error) {
	rows, err := s.db.QueryContext(ctx,
		`SELECT tag FROM tags WHERE repo = ? AND tag > ? ORDER BY tag LIMIT ?`, repo, last, limit)
	if err != nil {
		return nil, fmt.Errorf("oci index: tags: %w", err)
	}
	defer rows.Close()
	tags := []string{}
	for rows.Next() {
		var t string
		if err := rows.Scan(&t); err != nil {
			return nil, fmt.Errorf("oci index: tags: %w", err)
		}
		tags = append(tags, t)
	}
	return tags, rows.Err()
}

// referrer is one entry of a referrers response.
// Reference: distribution-spec "Listing Referrers".
type referrer struct {
	MediaType    string          `json:"mediaType"`
	Digest       string          `json:"digest"`
	Size         int64           `json:"size"`
	ArtifactType string          `json:"artifactType,omitempty"`
	Annotations  json.RawMessage `json:"annotations,omitempty"`
}

// referrerPage returns, in digest order, the manifests of repo whose
// subject is subject and whose digest sorts after last, restricted to
// artifactType unless it is empty. It stops after limit entries, or once
// their annotations exceed budget bytes (always returning at least one),
// and reports whether more remain.
func (s *server) referrerPage(ctx context.Context, repo string, subject digest.Digest, artifactType, last string, limit, budget int) ([]referrer, bool, error) {
	rows, err := s.db.QueryContext(ctx,
		`SELECT digest, media_type, size, artifact_type, annotations FROM manifests
		 WHERE repo = ? AND subject = ? AND digest > ? AND (? = '' OR artifact_type = ?)
		 ORDER BY digest LIMIT ?`, repo, subject.String(), last, artifactType, artifactType, limit+1)
	if err != nil {
		return nil, false, fmt.Errorf("oci index: referrers: %w", err)
	}
	defer rows.Close()
	page := []referrer{}
	for rows.Next() {
		r, err := scanReferrer(rows)
		if err != nil {
			return nil, false, err
		}
		budget -= len(r.Annotations)
		if len(page) == limit || len(page) > 0 && budget < 0 {
			return page, true, nil
		}
		page = append(page, r)
	}
	return page, false, rows.Err()
}

func scanReferrer(rows *sql.Rows) (referrer, error) {
	var r referrer
	var ann sql.NullString
	if err := rows.Scan(&r.Digest, &r.MediaType, &r.Size, &r.ArtifactType, &ann); err != nil {
		return r, fmt.Errorf("oci index: referrers: %w", err)
	}
	if ann.Valid {
		r.Annotations = json.RawMessage(ann.String)
	}
	return r, nil
}
