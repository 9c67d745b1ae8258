//! Everything the console applies to the cluster, and how it reaches it.
//!
//! `manifests` builds the objects from the typed install spec (pure, unit-tested, and validated
//! with `kubernetes-validate` in CI); `tls` checks uploaded certificates and generates trial ones;
//! `dns` renders the records an admin must publish. The steps that apply these live in `steps/`.

pub mod access;
pub mod apply;
pub mod dns;
pub mod in_cluster;
pub mod manifests;
pub mod reach;
pub mod tls;
pub mod verify;
pub mod zip;

/// The one field manager for every server-side apply the console makes: re-applying the same
/// objects is then a no-op, and a conflict names whoever else changed a field we own.
pub const FIELD_MANAGER: &str = "katonic-console";
