//! Document -> spec (collecting every error) and spec -> canonical document.

use super::{InstallDocument, InstallSpec, SpecErrors};

/// `(field, vendor guide value, why the console's default differs)`.
pub const DEFAULT_OVERRIDES: &[(&str, &str, &str)] = &[];

pub fn parse(doc: &InstallDocument) -> Result<InstallSpec, SpecErrors> {
    let _ = doc;
    todo!()
}

pub fn to_document(spec: &InstallSpec) -> InstallDocument {
    let _ = spec;
    todo!()
}

pub fn default_document() -> InstallDocument {
    todo!()
}
