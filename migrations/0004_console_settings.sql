-- Console-wide settings, one row per section (`azure`: how the console reaches ARM). The
-- section's plain settings are JSON; its secret (the service principal's client secret) is
-- sealed with XChaCha20-Poly1305 under the data dir's `secret.key`, with
-- `console_settings|client_secret|<section>` as associated data. Plaintext never reaches this
-- table. `revision` grows with every change, so the worker knows when to rebuild its client.
CREATE TABLE console_settings (
    section           TEXT PRIMARY KEY NOT NULL,
    settings          TEXT NOT NULL,                  -- JSON object
    secret_nonce      BLOB,
    secret_ciphertext BLOB,
    revision          INTEGER NOT NULL DEFAULT 1,
    updated_at        TEXT NOT NULL                   -- RFC 3339, UTC
) STRICT;
