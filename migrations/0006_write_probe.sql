-- One row the readiness check rewrites to learn whether the database can be written (a full
-- disk or a failing one), without touching any install's data.
CREATE TABLE write_probe (
    id INTEGER PRIMARY KEY CHECK (id = 1),
    checked_at INTEGER NOT NULL
);
