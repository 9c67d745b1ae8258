-- Installs, their steps (the journal the worker resumes from) and their events (the live
-- progress every browser replays). History is a feature: rows are never deleted by success.
-- Never edit this file once released; add a new migration instead (sqlx checks checksums).

CREATE TABLE installs (
    id            TEXT PRIMARY KEY NOT NULL,          -- UUIDv7, time-ordered
    name          TEXT NOT NULL,
    status        TEXT NOT NULL DEFAULT 'draft'
                  CHECK (status IN ('draft', 'queued', 'running', 'succeeded', 'failed',
                                    'cancelled', 'interrupted')),
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
    -- Runs: how many times the worker has claimed it; the lease of the worker running it now.
    -- Every worker write checks `lease_owner` and `lease_expires_ms` (fencing).
    run_count        INTEGER NOT NULL DEFAULT 0,
    lease_owner      TEXT,
    lease_expires_ms INTEGER,                          -- Unix milliseconds
    cancel_requested INTEGER NOT NULL DEFAULT 0 CHECK (cancel_requested IN (0, 1)),
    -- Last event's sequence number: events are numbered 1, 2, 3… per install.
    last_event_seq   INTEGER NOT NULL DEFAULT 0,
    -- Why the last run ended badly (the failed step, Azure's code, a remediation hint).
    error_step    TEXT,
    error_code    TEXT,
    error_message TEXT,
    error_hint    TEXT,
    created_at    TEXT NOT NULL,                      -- RFC 3339, UTC
    updated_at    TEXT NOT NULL,
    started_at    TEXT,
    finished_at   TEXT
) STRICT;

CREATE INDEX installs_by_update ON installs (updated_at DESC);
CREATE INDEX installs_by_status ON installs (status);
-- One active install per target: Azure names are case-insensitive, hence lower().
CREATE UNIQUE INDEX installs_one_active_per_target
    ON installs (lower(subscription_id), lower(resource_group), lower(cluster_name))
    WHERE status IN ('queued', 'running');

-- The step journal: one row per planned step; (re)written while a draft's plan changes, then
-- owned by the worker. `outputs` are committed before any dependent starts; `checkpoint` holds
-- what a resumed attempt needs mid-step (e.g. a long-running operation's polling URL).
CREATE TABLE install_steps (
    install_id    TEXT NOT NULL REFERENCES installs (id) ON DELETE CASCADE,
    step_id       TEXT NOT NULL,
    position      INTEGER NOT NULL,
    title         TEXT NOT NULL,
    depends_on    TEXT NOT NULL,                      -- JSON array of step ids
    status        TEXT NOT NULL DEFAULT 'pending'
                  CHECK (status IN ('pending', 'running', 'succeeded', 'failed', 'cancelled',
                                    'interrupted')),
    attempt       INTEGER NOT NULL DEFAULT 0,
    outputs       TEXT,                               -- JSON object
    checkpoint    TEXT,                               -- JSON object
    error_class   TEXT CHECK (error_class IN ('retryable', 'terminal')),
    error_code    TEXT,
    error_message TEXT,
    error_hint    TEXT,
    started_at    TEXT,
    finished_at   TEXT,
    PRIMARY KEY (install_id, step_id)
) STRICT;

-- Every step transition, progress message and log line, numbered per install. The sequence
-- number is the SSE event id.
CREATE TABLE install_events (
    install_id  TEXT NOT NULL REFERENCES installs (id) ON DELETE CASCADE,
    seq         INTEGER NOT NULL,
    at          TEXT NOT NULL,
    kind        TEXT NOT NULL CHECK (kind IN ('install', 'step', 'progress', 'log')),
    level       TEXT NOT NULL CHECK (level IN ('info', 'warn', 'error')),
    step_id     TEXT,
    attempt     INTEGER,
    -- For `install` and `step` events: the status entered.
    status      TEXT,
    message     TEXT NOT NULL,
    PRIMARY KEY (install_id, seq)
) STRICT, WITHOUT ROWID;
