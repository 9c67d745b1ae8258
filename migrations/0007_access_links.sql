-- One-time access links issued by `katonic-console access-link`, another process than the
-- running console: it writes the digest here, the console redeems it (deletes the row) when a
-- browser opens the link. Only the SHA-256 of the token is kept, never the token itself.
CREATE TABLE access_links (
    digest      TEXT PRIMARY KEY,                     -- hex SHA-256 of the token
    expires_at  INTEGER NOT NULL                      -- unix seconds, UTC
) STRICT;
