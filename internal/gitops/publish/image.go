package publish

import (
	"context"
	"database/sql"
	"errors"
	"fmt"

	"github.com/opencontainers/go-digest"

	"github.com/ballastml/ballast/internal/format/modelpack"
	"github.com/ballastml/ballast/store"
)

// image builds the image form of files: each file's tar layer is stored
// with PutConcat (header, the stored LFS object, padding), so the file's
// bytes are not stored again.
func (p *Publisher) image(ctx context.Context, repo string, files []modelpack.File, meta modelpack.Metadata) (modelpack.Artifact, error) {
	layers := make([]modelpack.ImageLayer, 0, len(files))
	for _, f := range files {
		l, err := p.tarLayer(ctx, repo, f)
		if err != nil {
			return modelpack.Artifact{}, fmt.Errorf("publish %s: image layer of %s: %w", repo, f.Path, err)
		}
		layers = append(layers, l)
	}
	return modelpack.Image(layers, meta)
}

// tarLayer stores the tar layer of f in repo, or finds the one built
// before. A layer is a function of its header bytes and the file's oid, so
// a cached digest still linked to repo is the layer.
func (p *Publisher) tarLayer(ctx context.Context, repo string, f modelpack.File) (modelpack.ImageLayer, error) {
	t, err := modelpack.NewTarLayer(f)
	if err != nil {
		return modelpack.ImageLayer{}, err
	}
	header := digest.FromBytes(t.Header)
	if d, err := p.cachedLayer(ctx, header, f.OID); err != nil {
		return modelpack.ImageLayer{}, err
	} else if d != "" {
		if info, err := p.Store.Stat(ctx, repo, d); err == nil && info.Size == t.Size {
			return modelpack.ImageLayer{File: f, Digest: d, Size: t.Size}, nil
		}
	}
	info, err := p.Store.PutConcat(ctx, repo, []store.Part{{Bytes: t.Header}, {Blob: f.Digest()}, {Bytes: t.Trailer}})
	if err != nil {
		return modelpack.ImageLayer{}, err
	}
	if err := p.cacheLayer(ctx, header, f.OID, info); err != nil {
		return modelpack.ImageLayer{}, err
	}
	return modelpack.ImageLayer{File: f, Digest: info.Digest, Size: info.Size}, nil
}

// cachedLayer returns the digest of the layer built from header and oid,
// or "" if none was recorded (or there is no DB).
func (p *Publisher) cachedLayer(ctx context.Context, header digest.Digest, oid string) (digest.Digest, error) {
	if p.DB == nil {
		return "", nil
	}
	var d digest.Digest
	err := p.DB.QueryRowContext(ctx,
		`SELECT digest FROM publish_tar_layers WHERE header = ? AND oid = ?`, header.String(), oid).Scan(&d)
	if errors.Is(err, sql.ErrNoRows) {
		return "", nil
	}
	if err != nil {
		return "", fmt.Errorf("publish: tar layer cache: %w", err)
	}
	return d, nil
}

func (p *Publisher) cacheLayer(ctx context.Context, header digest.Digest, oid string, info store.BlobInfo) error {
	if p.DB == nil {
		return nil
	}
	_, err := p.DB.ExecContext(ctx,
		`INSERT INTO publish_tar_layers (header, oid, digest, size) VALUES (?, ?, ?, ?) ON CONFLICT DO NOTHING`,
		header.String(), oid, info.Digest.String(), info.Size)
	if err != nil {
		return fmt.Errorf("publish: tar layer cache: %w", err)
	}
	return nil
}
