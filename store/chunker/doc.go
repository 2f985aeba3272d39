// Package chunker cuts a byte stream into content-defined chunks with
// FastCDC.
//
// Boundaries depend only on the bytes, not on how the stream is read, so the
// same content yields the same chunks wherever it appears: in another file,
// in another version of a model, or shifted by an insertion. That is what
// lets the store deduplicate across files, versions and repositories.
//
// The algorithm is FastCDC with normalized chunking at level 2:
//
//   - A Gear rolling hash, fp = fp<<1 + gear[b], one shift and one add per
//     byte. The 256-entry table is fixed forever (see gear.go).
//   - The first Min bytes of every chunk are skipped, not hashed.
//   - Up to Avg bytes a strict mask with log2(Avg)+2 bits is used, after it
//     a loose mask with log2(Avg)-2 bits, which pulls chunk sizes towards Avg.
//   - A chunk is cut at Max bytes whatever the hash says.
//
// Reference: W. Xia et al., "FastCDC: a Fast and Efficient Content-Defined
// Chunking Approach for Data Deduplication", USENIX ATC 2016, Algorithm 1.
//
// The masks select the top bits of the 64-bit fingerprint. Bit k of a Gear
// fingerprint depends on the last k+1 bytes only, so testing the top bits
// makes every cut decision depend on the full 64-byte window; this plays
// the role of the paper's zero-padded masks.
//
// A Chunker holds one fixed buffer of 2*Max bytes and does not allocate per
// chunk; the slice Next returns aliases that buffer.
package chunker
