-- Image-form tar layers built by the publisher (internal/publish). A layer
-- is the tar header, the file's LFS object and padding, so its digest is a
-- function of the header bytes and the oid: recording it means a file that
-- is unchanged between published versions is never hashed again.
CREATE TABLE publish_tar_layers (
    header TEXT NOT NULL,    -- sha256 digest of the header bytes
    oid    TEXT NOT NULL,    -- the file's LFS oid
    digest TEXT NOT NULL,    -- digest of the whole tar layer
    size   BIGINT NOT NULL,
    PRIMARY KEY (header, oid)
);
