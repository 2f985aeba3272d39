-- Staged blobs (store/stage.go). A large upload is first stored as one raw
-- backend object and acknowledged; the compactor later cuts it into chunks,
-- deduplicates and packs them, records the recipe and drops this row in one
-- transaction. A blob has a row here or a recipe in blob_chunks, never both
-- once committed.
CREATE TABLE staged_blobs (
    digest     TEXT PRIMARY KEY REFERENCES blobs(digest),
    object     TEXT NOT NULL UNIQUE,  -- backend object holding the raw bytes
    block_size INTEGER NOT NULL,      -- bytes covered by each hash
    created_at BIGINT NOT NULL
);

-- The BLAKE3-256 of every block of a staged object, 1024 blocks to a row,
-- written while the upload arrives so that an upload holds one page in
-- memory whatever its size. Rows of an object that no staged blob names
-- (an upload that failed or crashed) are removed by the reaper.
CREATE TABLE staged_sums (
    object TEXT NOT NULL,
    page   INTEGER NOT NULL,          -- first block / 1024
    sums   BLOB NOT NULL,             -- 32 bytes per block, in block order
    PRIMARY KEY (object, page)
);
