-- Who did what to which install, and when: start, resume, retry step, cancel, clone,
-- certificate upload, sign-in and out, and later teardown and settings. `actor` is
-- "session <8 hex of the session id's digest>" or "api token", never a secret; `detail` is
-- plain text and must never hold one either. Rows are never updated or deleted.
CREATE TABLE audit_log (
    id          INTEGER PRIMARY KEY AUTOINCREMENT,
    at          TEXT NOT NULL,                        -- RFC 3339, UTC
    actor       TEXT NOT NULL,
    action      TEXT NOT NULL,
    install_id  TEXT,                                 -- NULL for console-wide actions
    detail      TEXT NOT NULL DEFAULT ''
) STRICT;

CREATE INDEX audit_log_install ON audit_log (install_id, id);
