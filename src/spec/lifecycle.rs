//! Lifecycle advice: retired VM sizes, Kubernetes versions past AKS support, retiring plugins,
//! old add-on versions. Warnings, never errors: the admin decides.

use super::{InstallSpec, Warning};

pub fn warnings(spec: &InstallSpec, today: time::Date) -> Vec<Warning> {
    let _ = (spec, today);
    todo!()
}
