-- Auth: access tokens. Only the SHA-256 of a secret is stored; the id is a
-- short public handle for listing and revoking. Times are Unix seconds;
-- a NULL expires_at never expires, a NULL revoked_at is not revoked.
-- The owner column is user_name because "user" is reserved in PostgreSQL.
CREATE TABLE tokens (
    id           TEXT PRIMARY KEY,
    user_name    TEXT NOT NULL,
    secret_hash  TEXT NOT NULL UNIQUE,  -- lower-case hex SHA-256 of the secret
    scopes       TEXT NOT NULL,         -- space-separated "pattern:level"
    created_at   BIGINT NOT NULL,
    expires_at   BIGINT,
    revoked_at   BIGINT,
    last_used_at BIGINT
);
CREATE INDEX tokens_user_name ON tokens(user_name);
