//! katonic-console: installs the Katonic MLOps platform on a private AKS cluster, from a
//! browser on a jumphost. The pure domain (spec, plan, install id) is the `katonic-domain`
//! crate; the simulator a rehearsal talks to is `katonic-sim`.
//!
//! Modules in layer order, top to bottom: each uses only modules listed after it (DESIGN.md,
//! "Crates and modules"; `tests/it/layers.rs` checks it).

/// The CLI: `serve`, `install`, `plan`, `teardown`, `simulate`, ...
pub mod commands;

/// Wires a console process: config, database, worker, router, the in-process simulator.
pub mod startup;

/// HTTP only: pages, JSON API, SSE, guards; one error-to-response mapping.
pub mod web;

/// Who may use the console: access links, sessions, password, API token, allowed hosts.
pub mod access;

/// The console's flags and environment.
pub mod config;

/// The use cases pages, API and CLI share, with the state rules and the audit.
pub mod app;

/// One file or folder per step family, behind the worker's step contract; never the store.
pub mod steps;

/// Claims installs, schedules their steps, retries, cancels, resumes.
pub mod worker;

/// What a teardown would delete: the ledger, cross-checked with Azure.
pub mod teardown;

/// Kubernetes: manifests, server-side apply, waits, verification, TLS material.
pub mod cluster;

/// SQLite: installs, runs, steps, events, secrets, audit; publishes events after commit.
pub mod store;

/// Event types and the in-process bus.
pub mod events;

/// The ARM client: credentials, request pipeline, long-running operations, typed bodies.
pub mod azure;

/// Encryption of stored secrets.
pub mod secrets;

/// Owner-only files (keys, tokens).
pub mod private_files;

/// Removes secrets from anything shown or logged.
pub mod redact;

/// Counters and histograms for `/metrics`.
pub mod metrics;

/// How times, durations and targets read on pages and in the CLI.
pub mod format;

/// One console per data dir.
pub mod lock;

/// Today's date, read in one place.
pub mod clock;
