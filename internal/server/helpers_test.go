package server

import (
	"log/slog"
	"testing"

	"github.com/ballastml/ballast/internal/testkit/dbtest"

	"github.com/ballastml/ballast/internal/platform/db"
	"github.com/ballastml/ballast/store"
	"github.com/ballastml/ballast/store/memory"
)

// newTestStore is a store on the memory backend over a new database.
func newTestStore(t *testing.T) (*db.DB, *store.Store) {
	t.Helper()
	d := dbtest.Open(t)
	st, err := store.New(memory.New(), d, store.Options{Logger: slog.New(slog.DiscardHandler)})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { st.Close() })
	return d, st
}
