//! What other resources read of AKS: nodes per VM size (compute usage and quota), and the IPs
//! pools and private API servers take in a subnet (subnet usage, capacity, delete checks).

use serde_json::Value;

use crate::state::{Resource, State};

use super::network::Net;
use super::{CLUSTER, POOL, pools_of, short_hash};

/// Node counts per pool in a region: (pool id, VM size, nodes).
pub(crate) fn node_usage(st: &State, location: &str) -> Vec<(String, String, u64)> {
    let mut out = Vec::new();
    for cluster in st.of_kind(CLUSTER) {
        if !cluster.body["location"]
            .as_str()
            .is_some_and(|l| l.eq_ignore_ascii_case(location))
        {
            continue;
        }
        for pool in pools_of(st, &cluster.id) {
            let props = &pool.body["properties"];
            // A pool whose create failed holds no VMs.
            if props["provisioningState"].as_str() == Some("Failed") {
                continue;
            }
            let nodes = props["count"].as_u64().unwrap_or(0);
            out.push((
                pool.id.clone(),
                props["vmSize"].as_str().unwrap_or("").to_string(),
                nodes,
            ));
        }
    }
    out
}

/// Which cluster uses a subnet, if any.
pub(crate) fn subnet_user(st: &State, subnet_id: &str) -> Option<String> {
    st.of_kind(POOL)
        .find(|p| {
            p.body["properties"]["vnetSubnetID"]
                .as_str()
                .is_some_and(|s| s.eq_ignore_ascii_case(subnet_id))
        })
        .map(|p| {
            p.id.rsplit_once("/agentPools/")
                .map(|(c, _)| c.to_string())
                .unwrap_or_else(|| p.id.clone())
        })
}

fn cluster_of(st: &State, pool: &Resource) -> Option<Resource> {
    let cid = pool.id.rsplit_once("/agentPools/")?.0;
    st.get(cid).cloned()
}

/// IPs taken in a subnet by pools other than `exclude` (nodes × IPs per node, plus the API
/// server's private endpoint of private clusters whose first pool is there).
pub(crate) fn subnet_ips_used(st: &State, subnet_id: &str, exclude: &[String]) -> i64 {
    subnet_ip_configurations_filtered(st, subnet_id, exclude).len() as i64
}

pub(crate) fn subnet_ip_configurations(st: &State, subnet_id: &str) -> Vec<String> {
    subnet_ip_configurations_filtered(st, subnet_id, &[])
}

fn subnet_ip_configurations_filtered(
    st: &State,
    subnet_id: &str,
    exclude: &[String],
) -> Vec<String> {
    let mut out = Vec::new();
    let sub = &st.account.subscription_id;
    for pool in st.of_kind(POOL) {
        let props = &pool.body["properties"];
        if !props["vnetSubnetID"]
            .as_str()
            .is_some_and(|s| s.eq_ignore_ascii_case(subnet_id))
        {
            continue;
        }
        let Some(cluster) = cluster_of(st, pool) else {
            continue;
        };
        let node_rg = cluster.body["properties"]["nodeResourceGroup"]
            .as_str()
            .unwrap_or("")
            .to_string();
        let first_pool = pools_of(st, &cluster.id).next().map(|r| r.id.clone());
        let private = cluster
            .body
            .pointer("/properties/apiServerAccessProfile/enablePrivateCluster")
            .and_then(Value::as_bool)
            .unwrap_or(false);
        if private && first_pool.as_deref() == Some(pool.id.as_str()) {
            let guid = short_hash(&cluster.id);
            out.push(format!("/subscriptions/{sub}/resourceGroups/{node_rg}/providers/Microsoft.Network/networkInterfaces/kube-apiserver.nic.{guid}/ipConfigurations/privateEndpointIpConfig.{guid}"));
        }
        if exclude.iter().any(|e| e.eq_ignore_ascii_case(&pool.id)) {
            continue;
        }
        let net = Net::from_profile(&cluster.body["properties"]["networkProfile"]);
        let per_node = net.ips_per_node(props["maxPods"].as_i64());
        let nodes = props["count"].as_i64().unwrap_or(0);
        let name = pool.body["name"].as_str().unwrap_or("pool");
        let vmss = format!("aks-{name}-{}-vmss", &short_hash(&pool.id)[..8]);
        for n in 0..nodes {
            for c in 0..per_node {
                out.push(format!(
                    "/subscriptions/{sub}/resourceGroups/{node_rg}/providers/Microsoft.Compute/virtualMachineScaleSets/{vmss}/virtualMachines/{n}/networkInterfaces/{vmss}/ipConfigurations/ipconfig{}",
                    c + 1
                ));
            }
        }
    }
    out
}
