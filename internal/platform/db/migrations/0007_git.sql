-- Git indexing (internal/gitindex). A repository connected to a Git remote
-- is mirrored under <data>/git; its commits, refs and the Git LFS pointer
-- files of every commit are indexed here. Shas are 40 lower-case hex, LFS
-- oids 64 lower-case hex. Times are Unix seconds, time zones are offsets
-- east of UTC in seconds. Columns holding a commit are named commit_sha
-- because COMMIT is an SQL keyword.
CREATE TABLE git_sources (
    repo        TEXT PRIMARY KEY,
    url         TEXT NOT NULL,             -- http(s) URL, file:// URL or absolute path
    username    TEXT NOT NULL DEFAULT '',
    password    TEXT NOT NULL DEFAULT '',  -- stored as given: it is sent to the Git host, so it cannot be hashed
    tag_pattern TEXT NOT NULL DEFAULT '*', -- tags to publish (read by the publisher)
    path_filter TEXT NOT NULL DEFAULT '',  -- file paths to publish; '' means all
    created_at  BIGINT NOT NULL,
    last_sync   BIGINT,                    -- end of the last sync attempt; NULL before the first
    last_error  TEXT NOT NULL DEFAULT ''   -- '' when the last sync succeeded
);

-- Every commit reachable from a branch or tag. A commit is written only
-- after all its parents, so an indexed commit implies indexed ancestors.
-- seq numbers a repository's commits in that order and breaks ties between
-- equal commit times ("newest first" is commit_time DESC, seq DESC).
CREATE TABLE git_commits (
    repo            TEXT NOT NULL,
    sha             TEXT NOT NULL,
    seq             BIGINT NOT NULL,
    tree            TEXT NOT NULL,
    parents         TEXT NOT NULL,   -- space-separated shas, in order
    author_name     TEXT NOT NULL,
    author_email    TEXT NOT NULL,
    author_time     BIGINT NOT NULL,
    author_tz       INTEGER NOT NULL,
    committer_name  TEXT NOT NULL,
    committer_email TEXT NOT NULL,
    commit_time     BIGINT NOT NULL,
    commit_tz       INTEGER NOT NULL,
    message         TEXT NOT NULL,
    PRIMARY KEY (repo, sha)
);
CREATE INDEX git_commits_tree ON git_commits(repo, tree);

-- Branch and tag tips, tags peeled to their commit.
CREATE TABLE git_refs (
    repo       TEXT NOT NULL,
    kind       TEXT NOT NULL,   -- 'branch' or 'tag'
    name       TEXT NOT NULL,   -- without refs/heads/ or refs/tags/
    commit_sha TEXT NOT NULL,
    PRIMARY KEY (repo, kind, name)
);
CREATE INDEX git_refs_commit ON git_refs(repo, commit_sha);

-- The LFS files of each commit's tree: one row per pointer file.
CREATE TABLE git_files (
    repo       TEXT NOT NULL,
    commit_sha TEXT NOT NULL,
    path       TEXT NOT NULL,
    oid        TEXT NOT NULL,
    size       BIGINT NOT NULL,
    PRIMARY KEY (repo, commit_sha, path)
);
CREATE INDEX git_files_oid ON git_files(oid);

-- Each commit that changed an LFS path compared with its parents (git's
-- history simplification: a merge that keeps one parent's version is not a
-- change). removed = 1 when the path stopped being an LFS file; oid is then
-- '' and size 0.
CREATE TABLE git_changes (
    repo       TEXT NOT NULL,
    path       TEXT NOT NULL,
    commit_sha TEXT NOT NULL,
    oid        TEXT NOT NULL,
    size       BIGINT NOT NULL,
    removed    INTEGER NOT NULL,
    PRIMARY KEY (repo, path, commit_sha)
);
CREATE INDEX git_changes_commit ON git_changes(repo, commit_sha);

-- Files that look wrong for Git LFS, recorded at the commit whose diff
-- introduced them: 'malformed-pointer', 'oversized-pointer',
-- 'large-non-lfs-file'.
CREATE TABLE git_problems (
    repo       TEXT NOT NULL,
    commit_sha TEXT NOT NULL,
    path       TEXT NOT NULL,
    kind       TEXT NOT NULL,
    detail     TEXT NOT NULL,
    PRIMARY KEY (repo, commit_sha, path, kind)
);
