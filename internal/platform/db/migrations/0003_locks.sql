-- Git LFS file locks (Reference: git-lfs docs/api/locking.md). A path is
-- locked at most once per repository; ids are opaque random strings and
-- are looked up together with the repository.
CREATE TABLE locks (
    id        TEXT PRIMARY KEY,
    repo      TEXT NOT NULL,
    path      TEXT NOT NULL,           -- relative to the repository root
    ref       TEXT NOT NULL DEFAULT '', -- refspec given when locking, if any
    owner     TEXT NOT NULL,           -- user name of the token that locked
    locked_at INTEGER NOT NULL,        -- Unix seconds
    UNIQUE (repo, path)
);
