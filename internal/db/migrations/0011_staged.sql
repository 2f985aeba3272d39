-- Staged blobs (store/stage.go). A large upload is first stored as one raw
-- backend object and acknowledged; the compactor later cuts it into chunks,
-- deduplicates and packs them, records the recipe and drops this row in one
-- transaction. A blob has a row here or a recipe in blob_chunks, never both
-- once committed.
CREATE TABLE staged_blobs (
    digest     TEXT PRIMARY KEY REFERENCES blobs(digest),
    object     TEXT NOT NULL,         -- backend object holding the raw bytes
    block_size INTEGER NOT NULL,      -- bytes covered by each checksum
    sums       BLOB NOT NULL,         -- BLAKE3-256 of each block, 32 bytes each, in order
    created_at BIGINT NOT NULL
);
