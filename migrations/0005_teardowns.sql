-- Teardowns: a teardown is a run of its own (an `installs` row of kind 'teardown', with its own
-- plan of delete steps, journal and events), pointing at the install whose resources it deletes.
-- The target columns are the torn-down install's, so the one-active-run-per-target rule keeps a
-- teardown from racing its install (or a second teardown).

ALTER TABLE installs ADD COLUMN kind TEXT NOT NULL DEFAULT 'install'
    CHECK (kind IN ('install', 'teardown'));
ALTER TABLE installs ADD COLUMN teardown_of TEXT REFERENCES installs (id);

CREATE INDEX installs_by_teardown_of ON installs (teardown_of) WHERE teardown_of IS NOT NULL;
