package db

import "testing"

func TestRebind(t *testing.T) {
	tests := map[string]string{
		`SELECT 1`:                              `SELECT 1`,
		`SELECT a FROM t WHERE b = ? AND c > ?`: `SELECT a FROM t WHERE b = $1 AND c > $2`,
		`INSERT INTO t VALUES (?, '?', ?)`:      `INSERT INTO t VALUES ($1, '?', $2)`,
		`SELECT 'it''s ?', ? FROM "a?b"`:        `SELECT 'it''s ?', $1 FROM "a?b"`,
		"SELECT ? -- why?\nFROM t WHERE x = ?":  "SELECT $1 -- why?\nFROM t WHERE x = $2",
		`SELECT '?`:                             `SELECT '?`,
	}
	for in, want := range tests {
		if got := rebind(in); got != want {
			t.Errorf("rebind(%q) = %q, want %q", in, got, want)
		}
	}
}

func FuzzRebind(f *testing.F) {
	for _, s := range []string{"SELECT ? FROM t", "'?'", "-- ?\n?", `"?"`, "'it''s'?"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, q string) {
		got := rebind(q)
		if len(got) < len(q) {
			t.Fatalf("rebind(%q) = %q: shorter than its input", q, got)
		}
	})
}
