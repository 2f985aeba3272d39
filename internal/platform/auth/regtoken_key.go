package auth

import (
	"context"
	"encoding/hex"
	"fmt"
	"time"

	"github.com/ballastml/ballast/internal/platform/db"
)

// LoadOrCreateKey returns the server key called name, creating it (32
// random bytes) on first use. The key lives in the metadata DB, so what it
// signs stays valid across restarts and replicas. Concurrent first calls
// agree on one key.
func LoadOrCreateKey(ctx context.Context, d *db.DB, name string) ([]byte, error) {
	if _, err := d.ExecContext(ctx,
		`INSERT INTO server_keys (name, key_hex, created_at) VALUES (?, ?, ?) ON CONFLICT DO NOTHING`,
		name, hex.EncodeToString(randomBytes(MinRegistryKeyLength)), time.Now().Unix()); err != nil {
		return nil, fmt.Errorf("create server key %q: %w", name, err)
	}
	var h string
	if err := d.QueryRowContext(ctx, `SELECT key_hex FROM server_keys WHERE name = ?`, name).Scan(&h); err != nil {
		return nil, fmt.Errorf("load server key %q: %w", name, err)
	}
	key, err := hex.DecodeString(h)
	if err != nil || len(key) < MinRegistryKeyLength {
		return nil, fmt.Errorf("server key %q is damaged", name)
	}
	return key, nil
}
