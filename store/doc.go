// Package store is ballast's content-addressed, chunked, deduplicated blob
// store.
//
// A blob is a sequence of bytes named by its digest (sha256 or sha512). On
// ingest its bytes are hashed as they arrive and cut into content-defined
// chunks (package chunker); each chunk is named by the BLAKE3 hash of its
// uncompressed bytes, stored once store-wide, zstd-compressed when that pays,
// and appended to a pack: an immutable backend object of tens of MiB. The
// blob itself is a recipe, the ordered list of its chunks, kept in the
// metadata database together with the pack locations of the chunks.
//
// A large upload is staged first (stage.go): stored raw, checksummed per
// block, and visible once its digest checks out; the compactor (compact.go)
// chunks it later as above and swaps the staged object for a recipe.
//
// A blob is visible in a repository only when it is linked to it. Put links;
// Stat and Open only see linked blobs. Dedup is global, visibility is not.
//
// Invariants (see docs/architecture.md for the tests that prove each):
//   - Put publishes a blob only after its bytes hashed to the claimed digest,
//     their count equalled the claimed size, and every pack holding its chunks
//     (or its staged object) was durably written. Compaction records a recipe
//     only for bytes that hash to the blob's digest again.
//   - Open verifies every chunk against its hash (a staged block against its
//     BLAKE3 hash) before returning its bytes; a mismatch is ErrCorrupt, never
//     wrong bytes, and neither is a recipe that ends short.
//   - Memory per Put and per Open is bounded and independent of blob size.
//
// Not a library: the package is part of the ballast server. Its API takes
// the module's internal types (such as *db.DB and *auth.Identity), so code
// outside this module cannot use it; it sits at the top level of the tree
// because it is one of the product's named parts, and its exported names
// are what the server's other packages call.
package store
