//! katonic-domain: what an install *is*, with no I/O. The validated spec (`spec`), the plan
//! derived from it (`plan`: step DAG, inventory, IP budget, quota, cost, topology, names) and the
//! install's id and status (`status`: of an install and of its steps). Pure: no async runtime,
//! no database, no HTTP, no Kubernetes client; the console and its tests build on it, and it
//! builds on nothing of theirs.

pub mod install_id;
pub mod plan;
pub mod spec;
pub mod status;

pub use install_id::InstallId;
pub use status::{InstallStatus, StepStatus};
