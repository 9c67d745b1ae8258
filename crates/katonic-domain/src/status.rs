//! Where an install, and each of its planned steps, is in its life. Shared by the store (which
//! maps them to and from their stored text) and the events (which carry them).

use serde::de::IntoDeserializer;
use serde::{Deserialize, Serialize};

/// A status word that names no status of its kind: an unknown value read back or asked for.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{0}")]
pub struct UnknownStatus(String);

/// The variant of `T` whose serde name is `text`. Through serde, so every variant is accepted
/// by its stored name without a second list; the error names `what` was asked for and the
/// allowed values ("unknown step `nope`, expected one of `preflight`, …").
pub(crate) fn from_name<'de, T: Deserialize<'de>>(text: &'de str, what: &str) -> Result<T, String> {
    T::deserialize(IntoDeserializer::<serde::de::value::Error>::into_deserializer(text))
        .map_err(|e| e.to_string().replacen("variant", what, 1))
}

/// Where an install is in its life. Drafts are edited by the wizard; the worker owns the rest.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum InstallStatus {
    Draft,
    Queued,
    Running,
    Succeeded,
    Failed,
    Cancelled,
    /// The console stopped (crash, kill, power loss) while it ran; resumable.
    Interrupted,
}

impl InstallStatus {
    pub fn as_str(&self) -> &'static str {
        match self {
            InstallStatus::Draft => "draft",
            InstallStatus::Queued => "queued",
            InstallStatus::Running => "running",
            InstallStatus::Succeeded => "succeeded",
            InstallStatus::Failed => "failed",
            InstallStatus::Cancelled => "cancelled",
            InstallStatus::Interrupted => "interrupted",
        }
    }

    /// Queued or running: holds its target, events may still come.
    pub fn is_active(&self) -> bool {
        matches!(self, InstallStatus::Queued | InstallStatus::Running)
    }

    /// A run ended badly and can be resumed.
    pub fn is_resumable(&self) -> bool {
        matches!(
            self,
            InstallStatus::Failed | InstallStatus::Cancelled | InstallStatus::Interrupted
        )
    }

    /// A run has ended (well or badly): no more events until someone resumes it.
    pub fn ends_run(&self) -> bool {
        matches!(
            self,
            InstallStatus::Succeeded
                | InstallStatus::Failed
                | InstallStatus::Cancelled
                | InstallStatus::Interrupted
        )
    }
}

impl std::fmt::Display for InstallStatus {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.as_str())
    }
}

impl std::str::FromStr for InstallStatus {
    type Err = UnknownStatus;
    fn from_str(text: &str) -> Result<Self, Self::Err> {
        from_name(text, "status").map_err(UnknownStatus)
    }
}

/// A planned step's state within its install.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum StepStatus {
    Pending,
    Running,
    Succeeded,
    Failed,
    Cancelled,
    /// Was running when the console stopped.
    Interrupted,
}

impl StepStatus {
    pub fn as_str(&self) -> &'static str {
        match self {
            StepStatus::Pending => "pending",
            StepStatus::Running => "running",
            StepStatus::Succeeded => "succeeded",
            StepStatus::Failed => "failed",
            StepStatus::Cancelled => "cancelled",
            StepStatus::Interrupted => "interrupted",
        }
    }
}

impl std::fmt::Display for StepStatus {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.as_str())
    }
}

impl std::str::FromStr for StepStatus {
    type Err = UnknownStatus;
    fn from_str(text: &str) -> Result<Self, Self::Err> {
        from_name(text, "status").map_err(UnknownStatus)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn statuses_read_back_from_their_stored_text() {
        for s in [
            InstallStatus::Draft,
            InstallStatus::Queued,
            InstallStatus::Running,
            InstallStatus::Succeeded,
            InstallStatus::Failed,
            InstallStatus::Cancelled,
            InstallStatus::Interrupted,
        ] {
            assert_eq!(s.as_str().parse::<InstallStatus>(), Ok(s));
            assert_eq!(serde_json::to_string(&s).ok(), Some(format!("\"{s}\"")));
        }
        for s in [
            StepStatus::Pending,
            StepStatus::Running,
            StepStatus::Succeeded,
            StepStatus::Failed,
            StepStatus::Cancelled,
            StepStatus::Interrupted,
        ] {
            assert_eq!(s.as_str().parse::<StepStatus>(), Ok(s));
            assert_eq!(serde_json::to_string(&s).ok(), Some(format!("\"{s}\"")));
        }
    }

    #[test]
    fn an_unknown_status_names_the_allowed_ones() {
        let Err(e) = "queued".parse::<StepStatus>() else {
            panic!("a step is never queued");
        };
        assert!(e.to_string().starts_with("unknown status `queued`"), "{e}");
        assert!(e.to_string().contains("`pending`"), "{e}");
    }
}
