package store

import (
	"sync"

	"github.com/opencontainers/go-digest"
)

// subscribers are told about every new link of a blob to a repository.
type subscribers struct {
	mu  sync.RWMutex
	fns []func(repo string, d digest.Digest)
}

// Subscribe registers fn to be called after a blob is linked to a
// repository (by Put, Link or FinishUpload), on the goroutine that linked
// it. fn must be quick; hand slow work to a goroutine of its own.
func (s *Store) Subscribe(fn func(repo string, d digest.Digest)) {
	s.subs.mu.Lock()
	defer s.subs.mu.Unlock()
	s.subs.fns = append(s.subs.fns, fn)
}

func (s *Store) notifyLinked(repo string, d digest.Digest) {
	s.subs.mu.RLock()
	defer s.subs.mu.RUnlock()
	for _, fn := range s.subs.fns {
		fn(repo, d)
	}
}
