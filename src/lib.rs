//! katonic-console: installs the Katonic MLOps platform on a private AKS cluster, from a
//! browser on a jumphost. The pure domain (spec, plan, install id) is the `katonic-domain`
//! crate; the simulator a rehearsal talks to is `katonic-sim`.
//!
//! Modules in layer order, top to bottom: each uses only modules listed after it (DESIGN.md,
//! "Crates and modules").

// Entry points: the CLI and the wiring of a console process.
pub mod commands;
pub mod startup;
// HTTP: pages, JSON API, SSE; and who may use them.
pub mod access;
pub mod web;
// The use cases pages, API and CLI share.
pub mod app;
// The engine: runs, steps, and what the steps talk to.
pub mod cluster;
pub mod steps;
pub mod teardown;
pub mod worker;
// The database, the events it publishes after commit, the Azure client.
pub mod azure;
pub mod events;
pub mod store;
// Leaves used by several layers.
pub mod config;
pub mod format;
pub mod lock;
pub mod metrics;
pub mod private_files;
pub mod redact;
pub mod secrets;
