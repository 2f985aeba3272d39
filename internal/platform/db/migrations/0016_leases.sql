-- Leases of background jobs (internal/platform/lease): with several
-- replicas on one database, the holder of a job's lease is the only one
-- running it, and another takes over once the lease expires.
CREATE TABLE leases (
    name       TEXT PRIMARY KEY,
    holder     TEXT NOT NULL,
    expires_at INTEGER NOT NULL     -- unix milliseconds
);
