-- Quarantine (store/quarantine.go). A chunk whose stored bytes failed
-- verification on a read is recorded here. Ingest no longer counts it as
-- present, and every blob whose recipe uses it reports itself damaged, so
-- the next upload of any of them writes a fresh copy of the chunk, which
-- heals them all (the chunk's row then points at the fresh copy and its row
-- here is deleted). Rows go with their chunk.
CREATE TABLE bad_chunks (
    chunk    BLOB PRIMARY KEY REFERENCES chunks(id) ON DELETE CASCADE,
    found_at BIGINT NOT NULL,
    reason   TEXT NOT NULL
);

-- A staged object that failed verification: its blob is damaged until it
-- is uploaded again, and the compactor leaves it alone.
ALTER TABLE staged_blobs ADD COLUMN corrupt_at BIGINT;
