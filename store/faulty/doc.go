// Package faulty wraps a store.Backend to inject faults in tests: failed
// Puts, Puts whose input breaks after some bytes, and reads that return
// flipped, missing or no bytes. It is how tests prove that a failed write
// leaves nothing visible and that corruption is detected, not served.
//
// With no knob set, a wrapped backend behaves exactly like the one inside.
// Knobs may be set and reset while other goroutines use the backend.
package faulty
