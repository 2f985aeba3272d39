-- Server keys that must survive a restart, such as the key that signs the
-- short-lived registry tokens of the OCI token flow. The key is stored
-- hex-encoded as TEXT, which every supported database handles alike.
CREATE TABLE server_keys (
    name       TEXT PRIMARY KEY,
    key_hex    TEXT NOT NULL,
    created_at BIGINT NOT NULL
);
