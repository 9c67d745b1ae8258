//! Azure Resource Manager over REST: credentials (`azure_identity`, chosen by configuration),
//! the request pipeline (api-versions, correlation ids, error envelope, short retries) and
//! long-running operations, plus typed request bodies per resource built from Microsoft's specs
//! (`shared/azure-specs`). Knows nothing of installs or steps.

pub mod api;
pub mod client;
pub mod connection;
pub mod credential;
pub mod diagnose;
pub mod error;
pub mod lro;
pub mod permissions;
pub mod pfx;
pub mod placement;
pub mod resources;
pub mod run_command;
pub mod settings;
#[cfg(test)]
mod tests_recorded;

pub use client::{ArmClient, ArmResponse, Timing};
pub use error::ArmError;
pub use lro::{FinalState, Pending, Poll, Started};
pub use settings::{ArmSettings, Cloud, CredentialKind};
