//! What goes wrong with a document: field errors (blocking) and warnings (advice).

use serde::{Deserialize, Serialize};

/// Why a single value was refused, before it is attached to a field path.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Invalid {
    /// Stable rule code, e.g. `cidr.host-bits`; tests and the API match on it.
    pub rule: &'static str,
    /// What is wrong, naming the offending value.
    pub message: String,
    /// What to do instead (what is allowed, or a corrected value).
    pub fix: String,
}

impl Invalid {
    pub fn new(rule: &'static str, message: impl Into<String>, fix: impl Into<String>) -> Self {
        Self {
            rule,
            message: message.into(),
            fix: fix.into(),
        }
    }

    /// Attach the field path (camelCase, dotted: `cluster.network.aksSubnetCidr`).
    pub fn at(self, field: impl Into<String>) -> FieldError {
        FieldError {
            field: field.into(),
            rule: self.rule.to_string(),
            message: self.message,
            fix: self.fix,
        }
    }
}

/// One refused field: which field, which rule, what is wrong and how to fix it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct FieldError {
    pub field: String,
    pub rule: String,
    pub message: String,
    pub fix: String,
}

impl std::fmt::Display for FieldError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(
            f,
            "{}: {} ({}) - fix: {}",
            self.field, self.message, self.rule, self.fix
        )
    }
}

/// Every field error of a document, in document order.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, thiserror::Error)]
#[error("the install spec has {} error(s)", .errors.len())]
pub struct SpecErrors {
    pub errors: Vec<FieldError>,
}

impl SpecErrors {
    /// Errors whose field is `prefix` or lies under it (`cluster.network` covers its CIDRs).
    pub fn under<'a>(&'a self, prefix: &'a str) -> impl Iterator<Item = &'a FieldError> + 'a {
        self.errors.iter().filter(move |e| {
            e.field == prefix
                || (e.field.starts_with(prefix) && e.field[prefix.len()..].starts_with('.'))
        })
    }
}

/// Advice that does not block: retired VM sizes, Kubernetes versions past support, and so on.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Warning {
    pub field: String,
    /// Stable code, e.g. `vm-size.retired`.
    pub code: String,
    pub message: String,
    pub suggestion: String,
}
