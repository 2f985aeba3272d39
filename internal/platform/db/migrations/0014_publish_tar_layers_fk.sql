-- The publisher's record of image-form tar layers names blobs by digest.
-- It now refers to the blob with a foreign key, so a blob that garbage
-- collection deletes takes its rows with it: the store announces the
-- delete through the schema instead of deleting another package's rows.
-- Rows whose blob is gone already are dropped.
CREATE TABLE publish_tar_layers_new (
    header TEXT NOT NULL,    -- sha256 digest of the header bytes
    oid    TEXT NOT NULL,    -- the file's LFS oid
    digest TEXT NOT NULL REFERENCES blobs(digest) ON DELETE CASCADE, -- the whole tar layer
    size   BIGINT NOT NULL,
    PRIMARY KEY (header, oid)
);
INSERT INTO publish_tar_layers_new (header, oid, digest, size)
    SELECT header, oid, digest, size FROM publish_tar_layers WHERE digest IN (SELECT digest FROM blobs);
DROP TABLE publish_tar_layers;
ALTER TABLE publish_tar_layers_new RENAME TO publish_tar_layers;
CREATE INDEX publish_tar_layers_digest ON publish_tar_layers(digest);
