-- The Git directory whose files the image form places at /models
-- (modelpack.ImageFiles): '' automatic, '/' the repository root, else
-- that directory.
ALTER TABLE git_sources ADD COLUMN image_root TEXT NOT NULL DEFAULT '';
