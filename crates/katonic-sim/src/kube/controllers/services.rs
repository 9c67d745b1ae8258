//! LoadBalancer Services: a loopback address after a delay, or the public IP the Service names
//! as cloud-provider-azure finds it.

use super::*;

const PIP_NAME: &str = "service.beta.kubernetes.io/azure-pip-name";
const PIP_GROUP: &str = "service.beta.kubernetes.io/azure-load-balancer-resource-group";

/// The address of the public IP a Service names, as cloud-provider-azure finds it: in the
/// annotated resource group (else the node resource group), readable by the cluster identity.
/// `Err` is the provider's failure message.
fn named_public_ip(
    svc: &Value,
    pip: &str,
    ips: Option<&ClusterIps>,
) -> Result<std::net::Ipv4Addr, String> {
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
        }) => match a.parse::<std::net::Ipv4Addr>() {
            Ok(ip) if ip.is_loopback() => Ok(ip),
            _ => Err(format!(
                "Error syncing load balancer: failed to ensure load balancer: the simulator can only serve a public IP in 127.0.0.0/8, not {a}"
            )),
        },
    }
}

/// LoadBalancer Services get a 127.0.0.0/8 address; a requested one must be in that range; one
/// that names a public IP gets that IP's address, or none and a warning.
// One piece: one pass over LoadBalancer Services; address, public IP and events of a Service are
// decided together.
pub(super) fn services(
    ks: &mut KubeState,
    cluster: &str,
    scale: f64,
    ips: Option<&ClusterIps>,
) -> Vec<std::net::Ipv4Addr> {
    let mut out = Vec::new();
    for svc in ks.list(cluster, "services", None) {
        if svc["spec"]["type"] != "LoadBalancer"
            || svc["status"]["loadBalancer"]["ingress"].is_array()
        {
            continue;
        }
        let key = key_of("services", &svc);
        event(
            ks,
            cluster,
            &svc,
            "Normal",
            "EnsuringLoadBalancer",
            "Ensuring load balancer",
            "service-controller",
        );
        if ks
            .clusters
            .get(cluster)
            .is_some_and(|c| c.no_lb.contains(&key))
        {
            continue;
        }
        if elapsed(ks, cluster, &key) < LB_SECS * scale {
            continue;
        }
        let requested =
            svc["metadata"]["annotations"]["service.beta.kubernetes.io/azure-load-balancer-ipv4"]
                .as_str()
                .or_else(|| svc["spec"]["loadBalancerIP"].as_str())
                .filter(|s| !s.is_empty());
        let pip = svc["metadata"]["annotations"][PIP_NAME]
            .as_str()
            .filter(|s| !s.is_empty());
        let from_pip = match pip.map(|p| named_public_ip(&svc, p, ips)) {
            Some(Err(message)) => {
                event(
                    ks,
                    cluster,
                    &svc,
                    "Warning",
                    "SyncLoadBalancerFailed",
                    &message,
                    "service-controller",
                );
                continue;
            }
            Some(Ok(ip)) => Some(ip),
            None => None,
        };
        let ip = match (from_pip, requested) {
            (Some(ip), _) => ip,
            (None, Some(s)) => match s.parse::<std::net::Ipv4Addr>() {
                Ok(ip) if ip.is_loopback() => ip,
                _ => {
                    event(
                        ks,
                        cluster,
                        &svc,
                        "Warning",
                        "SyncLoadBalancerFailed",
                        &format!(
                            "Error syncing load balancer: failed to ensure load balancer: the simulator can only serve a requested IP in 127.0.0.0/8, not {s}"
                        ),
                        "service-controller",
                    );
                    continue;
                }
            },
            (None, None) => ks.next_lb_ip(
                svc["metadata"]["annotations"]["service.beta.kubernetes.io/azure-load-balancer-internal"]
                    == "true",
            ),
        };
        let mut s = svc.clone();
        s["status"]["loadBalancer"]["ingress"] = json!([{"ip": ip.to_string(), "ipMode": "VIP"}]);
        event(
            ks,
            cluster,
            &svc,
            "Normal",
            "EnsuredLoadBalancer",
            "Ensured load balancer",
            "service-controller",
        );
        ks.put(cluster, key, s, false);
        out.push(ip);
    }
    out
}
