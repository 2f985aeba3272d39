// Package backendtest is the conformance suite that every store.Backend
// must pass. A backend wires it in with one test:
//
//	func TestBackend(t *testing.T) {
//		backendtest.Run(t, func(t *testing.T) store.Backend {
//			return memory.New()
//		})
//	}
//
// Beyond the store.Backend comments, the suite pins down the classification
// callers rely on: a missing object is store.ErrObjectNotExist, a read
// starting past the end is store.ErrInvalidRange, an invalid name is
// fs.ErrInvalid, and a failed Put's error wraps the reader's or the
// context's error.
package backendtest
