package faulty

import (
	"errors"
	"sync"

	"github.com/ballastml/ballast/store"
)

// ErrInjected is the error of an injected fault when the test gave none.
var ErrInjected = errors.New("injected fault")

// Backend is a store.Backend decorator with fault knobs. The zero knobs
// inject nothing; Reset returns to that state.
type Backend struct {
	inner store.Backend

	mu        sync.Mutex
	puts      int   // Puts since FailPutAfter
	failPutAt int   // 0: off; else the Put number that starts failing
	putBytes  int64 // <0: off; else bytes a Put reads before putErr
	putErr    error
	corrupt   map[string]int64
	once      map[string]int64 // corrupt the next read only
	truncate  map[string]bool
	failReads map[string]error
}

var _ store.Backend = (*Backend)(nil)

// Wrap returns a Backend that forwards to b until a knob is set.
func Wrap(b store.Backend) *Backend {
	f := &Backend{inner: b}
	f.Reset()
	return f
}

// Reset clears every knob and counter.
func (f *Backend) Reset() {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.puts, f.failPutAt = 0, 0
	f.putBytes, f.putErr = -1, nil
	f.corrupt = make(map[string]int64)
	f.once = make(map[string]int64)
	f.truncate = make(map[string]bool)
	f.failReads = make(map[string]error)
}

// FailPutAfter makes the n-th Put from now, and every later one, fail with
// ErrInjected before the inner backend sees it. FailPutAfter(1) fails the
// next Put; n < 1 is treated as 1.
func (f *Backend) FailPutAfter(n int) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.puts, f.failPutAt = 0, max(n, 1)
}

// FailPutAfterBytes makes every later Put hand the inner backend a reader
// that yields the first n bytes of the input and then fails with err
// (ErrInjected if err is nil); syscall.ENOSPC simulates a full disk
// mid-write. Inputs of at most n bytes are not affected.
func (f *Backend) FailPutAfterBytes(n int64, err error) {
	if err == nil {
		err = ErrInjected
	}
	f.mu.Lock()
	defer f.mu.Unlock()
	f.putBytes, f.putErr = max(n, 0), err
}

// CorruptReads flips every bit of the byte at offset at of object name in
// the results of ReadRange calls whose range covers it.
func (f *Backend) CorruptReads(name string, at int64) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.corrupt[name] = at
}

// CorruptNextRead is CorruptReads for the next ReadRange of name only, as
// a bit flipped on the way would be: the read after it is clean.
func (f *Backend) CorruptNextRead(name string, at int64) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.once[name] = at
}

// TruncateReads makes every ReadRange of name deliver only the first half
// (rounded down) of the bytes it should, then io.EOF, as a torn file would.
func (f *Backend) TruncateReads(name string) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.truncate[name] = true
}

// FailReads makes ReadRange of name fail with err (ErrInjected if nil).
func (f *Backend) FailReads(name string, err error) {
	if err == nil {
		err = ErrInjected
	}
	f.mu.Lock()
	defer f.mu.Unlock()
	f.failReads[name] = err
}
