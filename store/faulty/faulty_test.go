package faulty_test

import (
	"testing"

	"github.com/ballastml/ballast/store"
	"github.com/ballastml/ballast/store/backendtest"
	"github.com/ballastml/ballast/store/faulty"
	"github.com/ballastml/ballast/store/memory"
)

// TestBackend proves that a Backend with no fault set is transparent.
func TestBackend(t *testing.T) {
	backendtest.Run(t, func(t *testing.T) store.Backend {
		return faulty.Wrap(memory.New())
	})
}
