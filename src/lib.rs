//! katonic-console: installs the Katonic MLOps platform on a private AKS cluster.
pub mod plan;
pub mod spec;
