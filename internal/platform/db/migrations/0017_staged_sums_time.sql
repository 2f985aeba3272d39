-- When each page of block hashes was written (unix seconds), so that the
-- reaper leaves alone the pages of an upload that another replica is
-- still receiving: it removes an object's pages only once none is newer
-- than the orphan age (store/reap.go). Pages written before this column
-- existed count as old.
ALTER TABLE staged_sums ADD COLUMN written_at BIGINT NOT NULL DEFAULT 0;
