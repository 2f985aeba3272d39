package local_test

import (
	"testing"

	"github.com/ballastml/ballast/store"
	"github.com/ballastml/ballast/store/backendtest"
	"github.com/ballastml/ballast/store/local"
)

func TestBackend(t *testing.T) {
	backendtest.Run(t, func(t *testing.T) store.Backend {
		return newBackend(t, t.TempDir())
	})
}

func newBackend(t testing.TB, dir string) *local.Backend {
	t.Helper()
	b, err := local.New(dir)
	if err != nil {
		t.Fatal(err)
	}
	return b
}
