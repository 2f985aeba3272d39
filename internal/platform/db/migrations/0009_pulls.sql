-- The pull log: one row per blob download or manifest fetch (see package
-- pulllog for what counts as a pull). id is random, a tiebreak for rows
-- pulled in the same nanosecond; pulled_at is Unix nanoseconds.
CREATE TABLE pulls (
    id        TEXT PRIMARY KEY,
    pulled_at BIGINT NOT NULL,
    repo      TEXT NOT NULL,
    digest    TEXT NOT NULL,
    reference TEXT NOT NULL DEFAULT '', -- tag or digest a manifest was asked by
    kind      TEXT NOT NULL,            -- blob or manifest
    protocol  TEXT NOT NULL,            -- lfs or oci
    user_name TEXT NOT NULL,
    token_id  TEXT NOT NULL DEFAULT ''  -- empty for anonymous pulls
);
CREATE INDEX pulls_repo_time ON pulls(repo, pulled_at);
CREATE INDEX pulls_digest_time ON pulls(digest, pulled_at);
CREATE INDEX pulls_time ON pulls(pulled_at);
