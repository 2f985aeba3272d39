// Package memory is an in-memory store.Backend for unit tests of packages
// built on a backend. It follows the full contract, including name
// validation (errors wrap fs.ErrInvalid) and all-or-nothing Puts, and
// passes the shared suite in store/backendtest. Data lives until the
// Backend is garbage collected.
package memory
