-- Secrets of an install (an uploaded certificate and its key), sealed with XChaCha20-Poly1305
-- under the data dir's `secret.key`; the associated data is the install id and the name, so a
-- ciphertext copied to another row does not open. Plaintext never reaches this table.
CREATE TABLE install_secrets (
    install_id  TEXT NOT NULL REFERENCES installs (id) ON DELETE CASCADE,
    name        TEXT NOT NULL,
    nonce       BLOB NOT NULL,
    ciphertext  BLOB NOT NULL,
    created_at  TEXT NOT NULL,                        -- RFC 3339, UTC
    PRIMARY KEY (install_id, name)
) STRICT;
