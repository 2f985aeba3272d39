-- Garbage collection (store.GC). A blob that a GC pass finds linked to no
-- repository is noted here with the time; a later pass deletes it if it is
-- still unlinked a grace period after it was noted, so a blob unlinked by
-- mistake can be linked again (pushed, mounted) in the meantime.
CREATE TABLE gc_unlinked (
    digest   TEXT PRIMARY KEY,
    noted_at BIGINT NOT NULL
);
