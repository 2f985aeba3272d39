package keyed

import (
	"sync"
	"testing"
)

// One key is held by one goroutine at a time; different keys do not wait
// for each other; the set is empty once every lock is released.
func TestMutex(t *testing.T) {
	var k Mutex
	var wg sync.WaitGroup
	inside := map[string]int{}
	var mu sync.Mutex
	for i := range 64 {
		key := []string{"a", "b", "c"}[i%3]
		wg.Go(func() {
			unlock := k.Lock(key)
			mu.Lock()
			inside[key]++
			if inside[key] > 1 {
				t.Errorf("two holders of %q", key)
			}
			mu.Unlock()
			mu.Lock()
			inside[key]--
			mu.Unlock()
			unlock()
		})
	}
	wg.Wait()
	if n := k.Len(); n != 0 {
		t.Fatalf("%d keys left after every unlock", n)
	}
	ua := k.Lock("a")
	ub := k.Lock("b") // would deadlock if keys shared a mutex
	ub()
	ua()
}
