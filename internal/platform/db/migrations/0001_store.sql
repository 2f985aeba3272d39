-- Store: packs hold chunks, blobs are recipes of chunks, links make blobs
-- visible in repositories.
CREATE TABLE repositories (
    name       TEXT PRIMARY KEY,
    created_at INTEGER NOT NULL
);

CREATE TABLE packs (
    name       TEXT PRIMARY KEY,      -- backend object name
    size       INTEGER NOT NULL,
    created_at INTEGER NOT NULL
);

CREATE TABLE chunks (
    id          BLOB PRIMARY KEY,     -- BLAKE3-256 of the uncompressed bytes
    pack        TEXT NOT NULL REFERENCES packs(name),
    pack_offset INTEGER NOT NULL,
    stored_size INTEGER NOT NULL,     -- bytes in the pack
    size        INTEGER NOT NULL,     -- uncompressed bytes
    codec       INTEGER NOT NULL      -- 0 raw, 1 zstd
);
CREATE INDEX chunks_pack ON chunks(pack);

CREATE TABLE blobs (
    digest     TEXT PRIMARY KEY,      -- "sha256:<hex>" or "sha512:<hex>"
    size       INTEGER NOT NULL,
    created_at INTEGER NOT NULL
);

CREATE TABLE blob_chunks (
    digest      TEXT NOT NULL REFERENCES blobs(digest),
    seq         INTEGER NOT NULL,     -- position in the recipe, from 0
    blob_offset INTEGER NOT NULL,     -- offset of the chunk's first byte in the blob
    chunk       BLOB NOT NULL REFERENCES chunks(id),
    PRIMARY KEY (digest, seq)
);
CREATE INDEX blob_chunks_chunk ON blob_chunks(chunk);

CREATE TABLE links (
    repo       TEXT NOT NULL REFERENCES repositories(name),
    digest     TEXT NOT NULL REFERENCES blobs(digest),
    created_at INTEGER NOT NULL,
    PRIMARY KEY (repo, digest)
);
CREATE INDEX links_digest ON links(digest);
