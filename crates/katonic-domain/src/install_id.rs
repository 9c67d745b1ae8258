//! The install's id: one per install, kept for life (history, names of what it created).

use serde::Serialize;

/// An install's id: a UUIDv7 (time-ordered, so ids sort by creation).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize)]
#[serde(transparent)]
pub struct InstallId(uuid::Uuid);

impl InstallId {
    pub fn new() -> InstallId {
        InstallId(uuid::Uuid::now_v7())
    }

    /// The all-zero id: a stable placeholder for previews (`katonic-console manifests`).
    pub fn nil() -> InstallId {
        InstallId(uuid::Uuid::nil())
    }

    /// Parse an id from a URL, a CLI argument or a database row.
    pub fn parse(text: &str) -> Option<InstallId> {
        uuid::Uuid::parse_str(text).ok().map(InstallId)
    }
}

impl Default for InstallId {
    fn default() -> Self {
        Self::new()
    }
}

impl std::fmt::Display for InstallId {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        self.0.fmt(f)
    }
}
