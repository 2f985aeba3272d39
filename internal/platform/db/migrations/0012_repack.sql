-- Repacking (store/repack.go). A pack whose live chunks were copied to new
-- packs is retired: no chunk points to it any more, but a reader that
-- looked its chunks' locations up before may still be reading it, so its
-- object is deleted only a GC grace period after retired_at.
ALTER TABLE packs ADD COLUMN retired_at BIGINT;
