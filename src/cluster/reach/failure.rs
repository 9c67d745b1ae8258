//! A cluster call that failed, whichever way it went: the kube client's error, a Run Command
//! whose kubectl exited non-zero (with Azure's reason and the log's tail), or ARM refusing or
//! failing the Run Command itself.

use crate::azure::ArmError;

use super::super::apply::KubeFailure;

/// Lines of a failed command's output kept in its message.
pub const LOG_TAIL_LINES: usize = 12;

/// A Run Command that ran and failed (exit code ≠ 0, or Azure ended it `Failed`).
#[derive(Debug, Clone)]
pub struct CommandFailure {
    pub action: &'static str,
    pub object: String,
    pub exit_code: Option<i32>,
    /// Azure's `reason` when the command did not complete.
    pub reason: Option<String>,
    /// kubectl's `Error from server (<Reason>)`, when it printed one.
    pub api_reason: Option<String>,
    /// The last lines of the output.
    pub log_tail: String,
    /// Whether Azure cut the output at its limit (512 kB).
    pub truncated: bool,
}

#[derive(Debug, thiserror::Error)]
pub enum ReachFailure {
    #[error("{0}")]
    Kube(KubeFailure),
    #[error("{action} {object}: {}", describe(failure))]
    Command {
        action: &'static str,
        object: String,
        failure: Box<CommandFailure>,
    },
    #[error("{action} {object} through AKS Run Command: {source}")]
    Arm {
        action: &'static str,
        object: String,
        source: ArmError,
    },
    /// The command's output is not what kubectl prints (cut at Azure's limit, or a tool
    /// missing from the command pod's image).
    #[error("{action} {object} through AKS Run Command: {message}")]
    Output {
        action: &'static str,
        object: String,
        message: String,
    },
}

/// How a command failed, with the end of its output.
fn describe(f: &CommandFailure) -> String {
    let how = match (&f.reason, f.exit_code) {
        (Some(r), _) if !r.is_empty() => format!("the command did not complete ({r})"),
        (_, Some(code)) => format!("kubectl exited {code}"),
        _ => "the command failed".into(),
    };
    let cut = if f.truncated {
        " (output cut at Azure's 512 kB limit)"
    } else {
        ""
    };
    format!("{how}{cut}; its output ends: {}", f.log_tail.trim_end())
}

impl From<KubeFailure> for ReachFailure {
    fn from(k: KubeFailure) -> Self {
        ReachFailure::Kube(k)
    }
}

impl ReachFailure {
    /// The API's reason (`Conflict`, `Forbidden`…), or what failed on the way.
    pub fn code(&self) -> String {
        match self {
            ReachFailure::Kube(k) => k.code(),
            ReachFailure::Command { failure, .. } => match (&failure.api_reason, &failure.reason) {
                (Some(r), _) => r.clone(),
                (None, Some(_)) => "RunCommandFailed".into(),
                (None, None) => "RunCommandExitCode".into(),
            },
            ReachFailure::Arm { source, .. } => source.code().to_string(),
            ReachFailure::Output { .. } => "RunCommandOutput".into(),
        }
    }

    pub fn is_retryable(&self) -> bool {
        match self {
            ReachFailure::Kube(k) => k.is_retryable(),
            ReachFailure::Command { failure, .. } => {
                failure.api_reason.as_deref().is_some_and(|r| {
                    matches!(
                        r,
                        "TooManyRequests"
                            | "ServiceUnavailable"
                            | "InternalError"
                            | "ServerTimeout"
                            | "Timeout"
                    )
                })
            }
            ReachFailure::Arm { source, .. } => source.is_retryable(),
            ReachFailure::Output { .. } => false,
        }
    }

    /// A change to a field that cannot change (a storage class's parameters).
    pub fn is_immutable_field(&self) -> bool {
        match self {
            ReachFailure::Kube(k) => k.is_immutable_field(),
            ReachFailure::Command { failure, .. } => {
                failure.api_reason.as_deref() == Some("Invalid")
                    && failure.log_tail.contains("Forbidden: updates to")
            }
            _ => false,
        }
    }

    /// What the admin can do when it does not clear.
    pub fn hint(&self) -> String {
        match self {
            ReachFailure::Kube(k) => k.hint(),
            ReachFailure::Arm { source, .. } if source.status() == Some(403) => {
                "The console's identity may not use Run Command on this cluster: grant it \
                 Microsoft.ContainerService/managedClusters/runcommand/action and \
                 .../commandResults/read on the cluster (e.g. Contributor on the resource group), \
                 then resume."
                    .into()
            }
            ReachFailure::Arm { .. } => "Azure refused or failed the Run Command: the message \
                 names why (cluster stopped or updating, Run Command disabled with \
                 apiServerAccessProfile.disableRunCommand); fix it and resume."
                .into(),
            ReachFailure::Command { failure, .. } => command_hint(failure),
            ReachFailure::Output { .. } => "Run Command returns at most 512 kB of output and \
                 only the tools of its image (kubectl, helm, jq, grep, awk, xargs): resume; if it \
                 fails again, reach the cluster directly (cluster.access: direct from a machine \
                 in its VNet)."
                .into(),
        }
    }
}

fn command_hint(failure: &CommandFailure) -> String {
    match failure.api_reason.as_deref() {
        Some("Unauthorized") => "kubectl in the command pod was not let in: for a cluster with \
             local accounts disabled the console sends an Entra ID token (clusterToken) for the \
             AKS server application; check the console's identity has a Kubernetes role on the \
             cluster, then resume."
            .into(),
        Some("Conflict") => "Another tool changed a field the console manages (see the manager \
             named above): undo its change, or remove the object, and resume."
            .into(),
        Some("Forbidden") => "The identity kubectl runs as may not do this: grant the Azure \
             Kubernetes Service RBAC Cluster Admin role (or use local accounts), then resume."
            .into(),
        Some("Invalid") => "The cluster refused the object: the message names the field; fix \
             the policy or the version and resume."
            .into(),
        _ if failure.reason.is_some() => "Azure stopped the command (Run Command pods must start \
             within about a minute and finish within minutes): check the cluster has room for \
             a 200m CPU / 500Mi pod and that no policy blocks the aks-command namespace, then \
             resume."
            .into(),
        _ => "The command's output above says what failed; fix it and resume.".into(),
    }
}

/// kubectl's `Error from server (<Reason>): …` or `error: You must be logged in…` in `logs`.
pub(super) fn api_reason(logs: &str) -> Option<String> {
    if logs.contains("You must be logged in to the server") {
        return Some("Unauthorized".into());
    }
    let start = logs.find("Error from server (")? + "Error from server (".len();
    let end = logs[start..].find(')')?;
    Some(logs[start..start + end].to_string())
}

/// The last [`LOG_TAIL_LINES`] lines.
pub(super) fn tail(logs: &str) -> String {
    let lines: Vec<&str> = logs.lines().collect();
    lines[lines.len().saturating_sub(LOG_TAIL_LINES)..].join("\n")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn kubectl_reasons_and_the_output_tail_are_read_from_the_logs() {
        let logs = "namespace/katonic serverside-applied\nError from server (Conflict): Apply failed with 1 conflict: conflict with \"helm\"\n";
        assert_eq!(api_reason(logs).as_deref(), Some("Conflict"));
        assert_eq!(
            api_reason("error: You must be logged in to the server (Unauthorized)\n").as_deref(),
            Some("Unauthorized")
        );
        assert_eq!(api_reason("sh: 1: curl: not found\n"), None);
        let long: String = (0..40).map(|i| format!("line {i}\n")).collect();
        let kept = tail(&long);
        assert_eq!(kept.lines().count(), LOG_TAIL_LINES);
        assert!(kept.ends_with("line 39"), "{kept}");
    }

    #[test]
    fn a_conflict_through_run_command_is_terminal_with_its_fix_and_its_output() {
        let failure = ReachFailure::Command {
            action: "applying",
            object: "Namespace/katonic".into(),
            failure: Box::new(CommandFailure {
                action: "applying",
                object: "Namespace/katonic".into(),
                exit_code: Some(1),
                reason: None,
                api_reason: Some("Conflict".into()),
                log_tail: "Error from server (Conflict): conflict with \"helm\"".into(),
                truncated: true,
            }),
        };
        assert_eq!(failure.code(), "Conflict");
        assert!(!failure.is_retryable());
        assert!(failure.hint().contains("Another tool changed a field"));
        let text = failure.to_string();
        assert!(text.contains("kubectl exited 1"), "{text}");
        assert!(text.contains("512 kB"), "{text}");
        assert!(text.contains("conflict with \"helm\""), "{text}");
    }
}
