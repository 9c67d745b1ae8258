//! LoadBalancer Services: a loopback address after a delay, or the public IP the Service names
//! as cloud-provider-azure finds it.

use std::net::Ipv4Addr;

use serde_json::{Value, json};

use super::super::store::{Key, KubeState};
use super::{ClusterIps, LB_SECS, elapsed, event, key_of};
use crate::resources::public_ip::Lookup;

const PIP_NAME: &str = "service.beta.kubernetes.io/azure-pip-name";
const PIP_GROUP: &str = "service.beta.kubernetes.io/azure-load-balancer-resource-group";
const REQUESTED_IP: &str = "service.beta.kubernetes.io/azure-load-balancer-ipv4";
const INTERNAL: &str = "service.beta.kubernetes.io/azure-load-balancer-internal";

/// The address of the public IP a Service names, as cloud-provider-azure finds it: in the
/// annotated resource group (else the node resource group), readable by the cluster identity.
/// `Err` is the provider's failure message.
fn named_public_ip(svc: &Value, pip: &str, ips: Option<&ClusterIps>) -> Result<Ipv4Addr, String> {
    let annotations = &svc["metadata"]["annotations"];
    let service = format!(
        "{}/{}",
        svc["metadata"]["namespace"].as_str().unwrap_or(""),
        svc["metadata"]["name"].as_str().unwrap_or("")
    );
    let group = annotations[PIP_GROUP]
        .as_str()
        .filter(|g| !g.is_empty())
        .map(str::to_string)
        .or_else(|| ips.map(|i| i.node_resource_group.clone()))
        .unwrap_or_default();
    let missing = || {
        format!(
            "Error syncing load balancer: failed to ensure load balancer: PublicIP from annotation azure-pip-name={pip} for service {service} doesn't exist"
        )
    };
    let key = (group.to_ascii_lowercase(), pip.to_ascii_lowercase());
    match ips.and_then(|i| i.found.get(&key)) {
        None | Some(Lookup::Missing) => Err(missing()),
        Some(Lookup::Forbidden { id }) => Err(format!(
            "Error syncing load balancer: failed to ensure load balancer: Retriable: false, RetryAfter: 0s, HTTPStatusCode: 403, RawError: {{\"error\":{{\"code\":\"AuthorizationFailed\",\"message\":\"The client does not have authorization to perform action 'Microsoft.Network/publicIPAddresses/read' over scope '{id}' or the scope is invalid. If access was recently granted, please refresh your credentials.\"}}}}"
        )),
        Some(Lookup::Usable { address: None, id }) => Err(format!(
            "Error syncing load balancer: failed to ensure load balancer: public IP {id} has no address (allocation method Dynamic)"
        )),
        Some(Lookup::Usable {
            address: Some(a), ..
        }) => match a.parse::<Ipv4Addr>() {
            Ok(ip) if ip.is_loopback() => Ok(ip),
            _ => Err(format!(
                "Error syncing load balancer: failed to ensure load balancer: the simulator can only serve a public IP in 127.0.0.0/8, not {a}"
            )),
        },
    }
}

/// LoadBalancer Services get a 127.0.0.0/8 address; a requested one must be in that range; one
/// that names a public IP gets that IP's address, or none and a warning.
pub(super) fn services(
    ks: &mut KubeState,
    cluster: &str,
    scale: f64,
    ips: Option<&ClusterIps>,
) -> Vec<Ipv4Addr> {
    let mut out = Vec::new();
    for svc in ks.list(cluster, "services", None) {
        if svc["spec"]["type"] != "LoadBalancer"
            || svc["status"]["loadBalancer"]["ingress"].is_array()
        {
            continue;
        }
        out.extend(ensure_load_balancer(ks, cluster, &svc, scale, ips));
    }
    out
}

/// One Service's pass: its address once the delay is over, unless a fault withholds it or the
/// cloud provider would refuse it (then a warning event says why).
fn ensure_load_balancer(
    ks: &mut KubeState,
    cluster: &str,
    svc: &Value,
    scale: f64,
    ips: Option<&ClusterIps>,
) -> Option<Ipv4Addr> {
    let key = key_of("services", svc);
    service_event(
        ks,
        cluster,
        svc,
        "Normal",
        "EnsuringLoadBalancer",
        "Ensuring load balancer",
    );
    if withheld(ks, cluster, &key) {
        // Kubernetes reports a load balancer it cannot ensure; tests wait on this fact.
        service_event(
            ks,
            cluster,
            svc,
            "Warning",
            "SyncLoadBalancerFailed",
            "Error syncing load balancer: failed to ensure load balancer: no load balancer is available for this service",
        );
        return None;
    }
    if elapsed(ks, cluster, &key) < LB_SECS * scale {
        return None;
    }
    let ip = match chosen_address(ks, svc, ips) {
        Ok(ip) => ip,
        Err(message) => {
            service_event(
                ks,
                cluster,
                svc,
                "Warning",
                "SyncLoadBalancerFailed",
                &message,
            );
            return None;
        }
    };
    let mut s = svc.clone();
    s["status"]["loadBalancer"]["ingress"] = json!([{"ip": ip.to_string(), "ipMode": "VIP"}]);
    service_event(
        ks,
        cluster,
        svc,
        "Normal",
        "EnsuredLoadBalancer",
        "Ensured load balancer",
    );
    ks.put(cluster, key, s, false);
    Some(ip)
}

/// Whether a `noLoadBalancer` fault marked this Service.
fn withheld(ks: &KubeState, cluster: &str, key: &Key) -> bool {
    ks.clusters
        .get(cluster)
        .is_some_and(|c| c.no_lb.contains(key))
}

/// The address a Service gets: the public IP it names, else the one it requests, else the next
/// free one. `Err` is the provider's failure message.
fn chosen_address(
    ks: &mut KubeState,
    svc: &Value,
    ips: Option<&ClusterIps>,
) -> Result<Ipv4Addr, String> {
    let annotations = &svc["metadata"]["annotations"];
    let requested = annotations[REQUESTED_IP]
        .as_str()
        .or_else(|| svc["spec"]["loadBalancerIP"].as_str())
        .filter(|s| !s.is_empty());
    if let Some(pip) = annotations[PIP_NAME].as_str().filter(|s| !s.is_empty()) {
        return named_public_ip(svc, pip, ips);
    }
    let internal = annotations[INTERNAL] == "true";
    match requested {
        Some(s) => match s.parse::<Ipv4Addr>() {
            Ok(ip) if ip.is_loopback() => Ok(ip),
            // An internal load balancer's static address in the nodes' subnet, as Azure gives
            // it (the simulator serves it at a loopback alias: `SimHandle::reachable_address`).
            Ok(ip) if internal && ip.is_private() => {
                let subnets = ips.map(|i| i.node_subnets.as_slice()).unwrap_or_default();
                if subnets
                    .iter()
                    .any(|n| n.contains(&std::net::IpAddr::V4(ip)))
                {
                    in_use(ips, svc, ip).map_or(Ok(ip), Err)
                } else {
                    Err(format!(
                        "Error syncing load balancer: failed to ensure load balancer: Code=\"PrivateIPAddressNotInSubnet\" Message=\"Private static IP address {ip} does not belong to the range of subnet prefix {}.\"",
                        subnets
                            .iter()
                            .map(|n| n.to_string())
                            .collect::<Vec<_>>()
                            .join(", ")
                    ))
                }
            }
            _ => Err(format!(
                "Error syncing load balancer: failed to ensure load balancer: the simulator can only serve a requested IP in 127.0.0.0/8, not {s}"
            )),
        },
        None => Ok(ks.next_lb_ip(internal)),
    }
}

/// Azure's refusal of an internal load balancer frontend at an address another IP
/// configuration holds (`PrivateIPAddressInUse`), as cloud-provider-azure reports it.
fn in_use(ips: Option<&ClusterIps>, svc: &Value, ip: Ipv4Addr) -> Option<String> {
    let (_, holder) = ips?.held.iter().find(|(h, _)| *h == ip)?;
    let uid = svc["metadata"]["uid"].as_str().unwrap_or("service");
    let group = ips.map(|i| i.node_resource_group.as_str()).unwrap_or("");
    let sub = holder.split('/').nth(2).unwrap_or("");
    Some(format!(
        "Error syncing load balancer: failed to ensure load balancer: Retriable: false, RetryAfter: 0s, HTTPStatusCode: 400, RawError: {{\"error\":{{\"code\":\"PrivateIPAddressInUse\",\"message\":\"IP configuration /subscriptions/{sub}/resourceGroups/{group}/providers/Microsoft.Network/loadBalancers/kubernetes-internal/frontendIPConfigurations/a{} is using the private IP address {ip} which is already allocated to resource {holder}.\"}}}}",
        uid.replace('-', "")
    ))
}

fn service_event(
    ks: &mut KubeState,
    cluster: &str,
    svc: &Value,
    type_: &str,
    reason: &str,
    message: &str,
) {
    event(
        ks,
        cluster,
        svc,
        type_,
        reason,
        message,
        "service-controller",
    );
}
