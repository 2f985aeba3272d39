-- OCI registry metadata. A manifest's bytes are a blob in the store, linked
-- to its repository; these tables say which blobs are manifests, what tags
-- name them, what they refer to (for the referrers API) and what they
-- reference (configs, layers, index children). Times are Unix seconds.
CREATE TABLE manifests (
    repo          TEXT NOT NULL,
    digest        TEXT NOT NULL,
    media_type    TEXT NOT NULL,            -- the Content-Type it was pushed with
    artifact_type TEXT NOT NULL DEFAULT '', -- as the referrers API lists it
    size          BIGINT NOT NULL,
    subject       TEXT,                     -- digest of its subject; NULL if none
    annotations   TEXT,                     -- JSON object; NULL if none
    created_at    BIGINT NOT NULL,
    PRIMARY KEY (repo, digest)
);
CREATE INDEX manifests_subject ON manifests(repo, subject, digest);

CREATE TABLE tags (
    repo       TEXT NOT NULL,
    tag        TEXT NOT NULL,
    digest     TEXT NOT NULL,
    updated_at BIGINT NOT NULL,
    PRIMARY KEY (repo, tag)
);
CREATE INDEX tags_digest ON tags(repo, digest);

-- What each manifest needs (never its subject), for garbage collection and
-- for refusing to unlink blobs a manifest still uses.
CREATE TABLE manifest_refs (
    repo     TEXT NOT NULL,
    manifest TEXT NOT NULL,  -- digest of the referencing manifest
    ref      TEXT NOT NULL,  -- digest of a config, layer or child manifest
    PRIMARY KEY (repo, manifest, ref)
);
CREATE INDEX manifest_refs_ref ON manifest_refs(repo, ref);
