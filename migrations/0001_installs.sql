-- Installs and their planned steps. History is a feature: rows are never deleted by success.
-- Never edit this file once released; add a new migration instead (sqlx checks checksums).

CREATE TABLE installs (
    id            TEXT PRIMARY KEY NOT NULL,          -- UUIDv7, time-ordered
    name          TEXT NOT NULL,
    status        TEXT NOT NULL DEFAULT 'draft'
                  CHECK (status IN ('draft', 'queued', 'running', 'succeeded', 'failed', 'cancelled')),
    -- The wizard's answers as an InstallDocument (JSON), possibly invalid while a draft.
    answers       TEXT NOT NULL,
    -- Wizard page the admin was last on, so "continue" returns there.
    wizard_step   TEXT NOT NULL DEFAULT 'azure',
    -- Canonical validated document (JSON) and its plan (JSON); NULL while the answers are invalid.
    spec          TEXT,
    plan          TEXT,
    -- Target, denormalised from the spec for history and the one-active-install-per-target rule.
    subscription_id TEXT,
    resource_group  TEXT,
    cluster_name    TEXT,
    cloned_from   TEXT REFERENCES installs (id),
    created_at    TEXT NOT NULL,                      -- RFC 3339, UTC
    updated_at    TEXT NOT NULL
) STRICT;

CREATE INDEX installs_by_update ON installs (updated_at DESC);

-- One row per planned step; (re)written whenever a draft's plan changes, then owned by the worker.
CREATE TABLE install_steps (
    install_id    TEXT NOT NULL REFERENCES installs (id) ON DELETE CASCADE,
    step_id       TEXT NOT NULL,
    position      INTEGER NOT NULL,
    title         TEXT NOT NULL,
    depends_on    TEXT NOT NULL,                      -- JSON array of step ids
    status        TEXT NOT NULL DEFAULT 'pending'
                  CHECK (status IN ('pending', 'running', 'succeeded', 'failed', 'skipped', 'cancelled')),
    attempt       INTEGER NOT NULL DEFAULT 0,
    started_at    TEXT,
    finished_at   TEXT,
    PRIMARY KEY (install_id, step_id)
) STRICT;
