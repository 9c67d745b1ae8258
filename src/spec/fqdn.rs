//! Fully qualified domain names (RFC 1123) and the add-on hosts derived from them.

use super::Invalid;

/// A lowercase FQDN without trailing dot: <= 253 characters, >= 2 labels of 1-63 characters
/// matching `[a-z0-9]([-a-z0-9]*[a-z0-9])?`, top-level label not all digits.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct Fqdn(String);

impl Fqdn {
    /// Parse, lowercasing and stripping one trailing dot.
    pub fn parse(input: &str) -> Result<Fqdn, Invalid> {
        todo!("{input}")
    }

    /// `prefix` glued to the first label: `dash-` + `katonic.example.com` = `dash-katonic.example.com`.
    pub fn with_prefix(&self, prefix: &str) -> Result<Fqdn, Invalid> {
        todo!("{prefix}")
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl std::fmt::Display for Fqdn {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.0)
    }
}
