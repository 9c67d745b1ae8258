//! katonic-console: installs the Katonic MLOps platform on a private AKS cluster, from a
//! browser on a jumphost. See `DESIGN.md` in the shared folder for the picture:
//! `web` → `spec` → `plan` → `store`, with the worker and the Azure/Kubernetes clients to come.

pub mod access;
pub mod azure;
pub mod certificate;
pub mod cluster;
pub mod commands;
pub mod config;
pub mod events;
pub mod format;
pub mod lock;
pub mod metrics;
pub mod private_files;
pub mod redact;
pub mod review;
pub mod secrets;
pub mod startup;
pub mod steps;
pub mod store;
pub mod teardown;
pub mod web;
pub mod worker;
