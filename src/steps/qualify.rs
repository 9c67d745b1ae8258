//! Does an existing AKS cluster qualify for the platform? Read from its ARM resource (no
//! Kubernetes access needed yet): version, network policy engine, the spec's pools with their
//! labels, and a private API server. Pure, so every rule is unit-tested.

use serde_json::Value;

use katonic_domain::spec::{InstallSpec, MIN_KUBERNETES};

/// One finding; `fix` is set for warnings and failures.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(super) struct Finding {
    pub check: &'static str,
    pub severity: Severity,
    pub detail: String,
    pub fix: Option<String>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum Severity {
    Pass,
    Warn,
    Fail,
}

fn pass(check: &'static str, detail: String) -> Finding {
    Finding {
        check,
        severity: Severity::Pass,
        detail,
        fix: None,
    }
}

fn problem(check: &'static str, severity: Severity, detail: String, fix: String) -> Finding {
    Finding {
        check,
        severity,
        detail,
        fix: Some(fix),
    }
}

/// The findings for `cluster` (a `managedClusters` GET body) against `spec`.
pub(super) fn qualify(spec: &InstallSpec, cluster: &Value) -> Vec<Finding> {
    let name = spec.cluster.name.as_str();
    let rg = spec.azure.resource_group.as_str();
    let az = format!("--resource-group {rg} --name {name}");
    let mut out = vec![
        kubernetes_version(cluster, &az),
        network_policy(cluster, &az),
    ];
    out.extend(node_pools(spec, cluster));
    out.push(private_api_server(cluster, &az));
    out
}

/// The cluster runs Kubernetes 1.29 or later.
fn kubernetes_version(cluster: &Value, az: &str) -> Finding {
    let version = cluster
        .pointer("/properties/currentKubernetesVersion")
        .or_else(|| cluster.pointer("/properties/kubernetesVersion"))
        .and_then(Value::as_str)
        .unwrap_or("");
    match minor_of(version) {
        Some(v) if v >= MIN_KUBERNETES => pass(
            "cluster version",
            format!("Kubernetes {version} (the platform needs 1.29 or later)"),
        ),
        Some(_) => problem(
            "cluster version",
            Severity::Fail,
            format!("Kubernetes {version} is older than the platform's minimum, 1.29"),
            format!(
                "Upgrade the cluster (one minor version at a time): az aks get-upgrades {az}, then az aks upgrade {az} --kubernetes-version <next>"
            ),
        ),
        None => problem(
            "cluster version",
            Severity::Fail,
            format!("the cluster reports no readable Kubernetes version ({version:?})"),
            "Check the cluster in the Azure portal, then resume.".into(),
        ),
    }
}

/// A network policy engine enforces the platform's NetworkPolicies.
fn network_policy(cluster: &Value, az: &str) -> Finding {
    let policy = cluster
        .pointer("/properties/networkProfile/networkPolicy")
        .and_then(Value::as_str)
        .unwrap_or("none");
    if policy.eq_ignore_ascii_case("none") {
        problem(
            "network policy",
            Severity::Fail,
            "the cluster has no network policy engine: the platform's NetworkPolicies would not be enforced".into(),
            format!(
                "Enable one: az aks update {az} --network-policy azure (Azure CNI), or cilium with the Cilium dataplane, or calico"
            ),
        )
    } else {
        pass("network policy", format!("engine {policy}"))
    }
}

/// Each of the spec's pools is in the cluster, labelled, and of the spec's size.
fn node_pools(spec: &InstallSpec, cluster: &Value) -> Vec<Finding> {
    let name = spec.cluster.name.as_str();
    let rg = spec.azure.resource_group.as_str();
    let mut out = Vec::new();
    let profiles: Vec<&Value> = cluster
        .pointer("/properties/agentPoolProfiles")
        .and_then(Value::as_array)
        .map(|a| a.iter().collect())
        .unwrap_or_default();
    for pool in spec.cluster.node_pools.iter() {
        let pool_name = pool.name.as_str();
        let (label, role) = pool.label();
        let Some(profile) = profiles
            .iter()
            .find(|p| p["name"].as_str() == Some(pool_name))
        else {
            out.push(problem(
                "node pools",
                Severity::Fail,
                format!("pool {pool_name} ({role}) is not in the cluster"),
                format!(
                    "Add it: az aks nodepool add {} --cluster-name {name} --name {pool_name} --node-vm-size {} --labels {label}={role}, or set the spec's pool names to the cluster's",
                    format_args!("--resource-group {rg}"),
                    pool.vm_size
                ),
            ));
            continue;
        };
        if profile["nodeLabels"][label].as_str() != Some(role) {
            out.push(problem(
                "node pools",
                Severity::Fail,
                format!("pool {pool_name} lacks the node label {label}={role}"),
                format!(
                    "az aks nodepool update --resource-group {rg} --cluster-name {name} --name {pool_name} --labels {label}={role}"
                ),
            ));
            continue;
        }
        let actual_size = profile["vmSize"].as_str().unwrap_or("?");
        if !actual_size.eq_ignore_ascii_case(pool.vm_size.as_str()) {
            out.push(problem(
                "node pools",
                Severity::Warn,
                format!(
                    "pool {pool_name} runs {actual_size}, the spec says {}: plan and cost figures assume the spec",
                    pool.vm_size
                ),
                "Set the spec's VM size to the pool's, or use a pool of the spec's size.".into(),
            ));
            continue;
        }
        out.push(pass(
            "node pools",
            format!("pool {pool_name}: {actual_size}, labelled {label}={role}"),
        ));
    }
    out
}

/// The API server has no public endpoint, as the install is declared private.
fn private_api_server(cluster: &Value, az: &str) -> Finding {
    let private = cluster
        .pointer("/properties/apiServerAccessProfile/enablePrivateCluster")
        .and_then(Value::as_bool)
        .unwrap_or(false);
    if private {
        pass(
            "private API server",
            "the API server has no public endpoint".into(),
        )
    } else {
        problem(
            "private API server",
            Severity::Fail,
            "the cluster's API server is public; the install is declared private (vendor guide: a private AKS cluster)".into(),
            format!(
                "Use a private cluster (az aks create … --enable-private-cluster), or restrict this one's API server to your networks with az aks update {az} --api-server-authorized-ip-ranges and install onto a private cluster later"
            ),
        )
    }
}

/// `(major, minor)` of `1.31.2` or `1.31`.
fn minor_of(version: &str) -> Option<(u32, u32)> {
    let mut parts = version.split('.');
    let major = parts.next()?.parse().ok()?;
    let minor = parts.next()?.parse().ok()?;
    Some((major, minor))
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn spec() -> InstallSpec {
        let mut spec = katonic_domain::spec::testutil::sample_spec();
        spec.cluster.mode = katonic_domain::spec::ClusterMode::Existing;
        spec
    }

    fn qualifying(spec: &InstallSpec) -> Value {
        let pools: Vec<Value> = spec
            .cluster
            .node_pools
            .iter()
            .map(|p| {
                json!({"name": p.name.as_str(), "vmSize": p.vm_size.as_str(),
                       "nodeLabels": {"katonic.ai/node-pool": p.role.as_str()}})
            })
            .collect();
        json!({"properties": {
            "currentKubernetesVersion": "1.31.2",
            "networkProfile": {"networkPolicy": "azure"},
            "agentPoolProfiles": pools,
            "apiServerAccessProfile": {"enablePrivateCluster": true}
        }})
    }

    fn failures(findings: &[Finding]) -> Vec<String> {
        findings
            .iter()
            .filter(|f| f.severity == Severity::Fail)
            .map(|f| f.detail.clone())
            .collect()
    }

    #[test]
    fn a_private_cluster_with_the_pools_labels_policy_and_version_qualifies() {
        let spec = spec();
        let findings = qualify(&spec, &qualifying(&spec));
        assert!(
            findings.iter().all(|f| f.severity == Severity::Pass),
            "{findings:#?}"
        );
    }

    #[test]
    fn each_shortfall_fails_naming_what_and_how_to_fix_it() {
        let spec = spec();
        let mut cluster = qualifying(&spec);
        cluster["properties"]["currentKubernetesVersion"] = json!("1.28.9");
        cluster["properties"]["networkProfile"]["networkPolicy"] = json!("none");
        cluster["properties"]["apiServerAccessProfile"]["enablePrivateCluster"] = json!(false);
        cluster["properties"]["agentPoolProfiles"][1]["nodeLabels"] = json!({});
        let pools = cluster["properties"]["agentPoolProfiles"]
            .as_array_mut()
            .unwrap();
        pools.truncate(2);
        let findings = qualify(&spec, &cluster);
        let failed = failures(&findings);
        assert_eq!(failed.len(), 5, "{findings:#?}");
        for (fragment, fix) in [
            ("1.28.9 is older", "az aks upgrade"),
            ("no network policy engine", "--network-policy"),
            (
                "lacks the node label katonic.ai/node-pool=compute",
                "nodepool update",
            ),
            ("(gpu) is not in the cluster", "az aks nodepool add"),
            ("API server is public", "--enable-private-cluster"),
        ] {
            let f = findings
                .iter()
                .find(|f| f.detail.contains(fragment))
                .unwrap_or_else(|| panic!("{fragment}: {findings:#?}"));
            assert!(f.fix.as_deref().unwrap().contains(fix), "{f:?}");
        }
    }

    #[test]
    fn a_different_vm_size_is_a_warning() {
        let spec = spec();
        let mut cluster = qualifying(&spec);
        cluster["properties"]["agentPoolProfiles"][0]["vmSize"] = json!("Standard_D4s_v5");
        let findings = qualify(&spec, &cluster);
        assert!(failures(&findings).is_empty());
        assert!(
            findings
                .iter()
                .any(|f| f.severity == Severity::Warn && f.detail.contains("Standard_D4s_v5")),
            "{findings:#?}"
        );
    }
}
