//! ARM failures as step errors: retryable ones go back to the worker's backoff; the rest fail
//! the step with Azure's code and message, the request ids for support, and what to do.

use crate::azure::ArmError;
use crate::worker::StepError;
use katonic_domain::spec::InstallSpec;

/// What the admin can do about an ARM error code.
fn hint(code: &str) -> &'static str {
    match code {
        "QuotaExceeded" | "ErrCode_InsufficientVCPUQuota" | "OperationNotAllowed" => {
            "Request more vCPU quota for the VM family named above in this region (Azure portal: \
             Subscriptions → Usage + quotas), or choose smaller sizes or lower maximums; then resume."
        }
        "SkuNotAvailable" | "AvailabilityZoneNotSupported" => {
            "Choose a VM size offered in this region and zones (preflight lists them), clone the \
             install with it and start the clone."
        }
        "InsufficientSubnetSize" | "SubnetIsFull" => {
            "Use Azure CNI overlay (nodes only take subnet addresses) or a larger AKS subnet; the \
             review page's IP budget shows the figures."
        }
        "AuthorizationFailed" | "LinkedAuthorizationFailed" => {
            "Give the console's identity Contributor and User Access Administrator (or the \
             vendor guide's custom role with Microsoft.Authorization/roleAssignments/write) on \
             the resource group, then resume."
        }
        "RequestDisallowedByPolicy" => {
            "An Azure Policy forbids this resource as configured; ask the policy owner for an \
             exemption or change the setting it names, then resume."
        }
        "StorageAccountAlreadyTaken" | "AlreadyInUse" | "AccountNameInvalid" => {
            "The name is taken in Azure (names are global): set storage.accountName or \
             registry.name to another name in a clone of this install."
        }
        "InvalidResourceGroupLocation" => {
            "The resource group exists in another region: use that region or another resource \
             group."
        }
        "AuthenticationFailed" | "InvalidAuthenticationToken" => {
            "Check the console's credentials (AZURE_TENANT_ID, AZURE_CLIENT_ID, \
             AZURE_CLIENT_SECRET, or the managed identity) and that the secret has not expired."
        }
        "ConnectionFailed" => {
            "The console cannot reach Azure Resource Manager from this host: check DNS, proxy \
             and firewall rules (and --ca-file behind a TLS-inspecting proxy)."
        }
        _ => "Read Azure's message above; fix the cause, then resume the install.",
    }
}

/// Figures from the install itself that make a hint concrete.
fn figures(code: &str, spec: &InstallSpec) -> Option<String> {
    match code {
        "QuotaExceeded" | "ErrCode_InsufficientVCPUQuota" => {
            let plan = katonic_domain::plan::InstallPlan::from_spec(spec, crate::clock::today());
            let needs: Vec<String> = plan
                .quota
                .iter()
                .map(|q| format!("{} vCPUs of {}", q.vcpus_at_max, q.family))
                .collect();
            Some(format!(
                "At its maximum node counts the install needs {} in {}.",
                needs.join(", "),
                spec.azure.location
            ))
        }
        "InsufficientSubnetSize" | "SubnetIsFull" => {
            let b = spec.ip_budget();
            Some(format!(
                "Subnet {} has {} usable addresses; the install needs {} at most ({} nodes + {} surge, {} per node, {} for the load balancer).",
                b.subnet,
                b.usable,
                b.needed,
                b.max_nodes,
                b.surge_nodes,
                b.per_node,
                b.load_balancer_ips
            ))
        }
        "SkuNotAvailable" | "AvailabilityZoneNotSupported" => Some(format!(
            "The install asks for {} in zones {}.",
            spec.cluster
                .node_pools
                .iter()
                .map(|p| p.vm_size.to_string())
                .collect::<Vec<_>>()
                .join(", "),
            spec.cluster
                .zones
                .as_slice()
                .iter()
                .map(|z| z.number().to_string())
                .collect::<Vec<_>>()
                .join(", ")
        )),
        _ => None,
    }
}

/// As [`step_error`], with the install's own figures in the hint where they help.
pub fn step_error_for(spec: &InstallSpec, doing: &str, e: ArmError) -> StepError {
    let extra = figures(e.code(), spec);
    match (step_error(doing, e), extra) {
        (
            StepError::Terminal {
                code,
                message,
                hint,
            },
            Some(extra),
        ) => StepError::Terminal {
            code,
            message,
            hint: format!("{extra} {hint}"),
        },
        (other, _) => other,
    }
}

/// Convert, naming what the step was doing.
pub fn step_error(doing: &str, e: ArmError) -> StepError {
    let ids = e.ids().map(|ids| format!(" [{ids}]")).unwrap_or_default();
    if e.is_retryable() {
        StepError::retryable(
            e.code(),
            format!("{doing}: {}{ids}", e.message()),
            e.retry_after(),
        )
    } else {
        StepError::terminal(
            e.code(),
            format!("{doing}: {}{ids}", e.message()),
            hint(e.code()),
        )
    }
}
