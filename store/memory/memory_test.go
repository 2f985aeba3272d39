package memory_test

import (
	"testing"

	"github.com/ballastml/ballast/store"
	"github.com/ballastml/ballast/store/backendtest"
	"github.com/ballastml/ballast/store/memory"
)

func TestBackend(t *testing.T) {
	backendtest.Run(t, func(t *testing.T) store.Backend {
		return memory.New()
	})
}
