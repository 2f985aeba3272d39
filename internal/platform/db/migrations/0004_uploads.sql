-- Resumable uploads (OCI blob upload sessions). Each appended piece is a
-- backend object uploads/<id>/<seq>; the row records how many bytes and
-- pieces are durable, so a session survives a restart.
CREATE TABLE uploads (
    id         TEXT PRIMARY KEY,
    repo       TEXT NOT NULL,
    size       BIGINT NOT NULL,
    parts      INTEGER NOT NULL,
    created_at BIGINT NOT NULL,
    updated_at BIGINT NOT NULL
);
CREATE INDEX uploads_updated ON uploads(updated_at);
