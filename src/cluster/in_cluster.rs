//! Verification through AKS Run Command: the ingress probed from inside the cluster (curl in
//! the command pod), each answer judged as a [`Check`] like the console's own probes.

use std::net::IpAddr;

use super::verify::{Check, Verdict};

/// Through AKS Run Command: HTTPS at `/` (and the health endpoint when `with_health`) probed
/// from inside the cluster, curl trusting only `chain` (the install's certificate chain, PEM):
/// a private address the console's own network cannot reach is checked where users meet it.
/// The DNS check stays the console's own (its resolver), as there is no other to ask.
pub async fn in_cluster(
    rc: &crate::cluster::reach::RunCommandReach,
    address: IpAddr,
    host: &str,
    chain: &[u8],
    with_health: bool,
) -> Result<Vec<Check>, crate::cluster::reach::ReachFailure> {
    let root = rc.probe_https(address, host, "/", chain).await?;
    let mut checks = vec![https_in_cluster(host, address, &root)];
    if with_health {
        let path = crate::cluster::manifests::HEALTH_PATH;
        let health = rc.probe_https(address, host, path, chain).await?;
        checks.push(health_in_cluster(host, path, &health));
    }
    Ok(checks)
}

/// curl's exit code 60: the served certificate does not chain to what the console stored.
const CURL_UNTRUSTED: i32 = 60;

/// Judge an in-cluster probe of `host` at the load balancer's `address`.
pub fn https_in_cluster(
    host: &str,
    address: IpAddr,
    probe: &crate::cluster::reach::HttpsProbe,
) -> Check {
    let at = format!("{address}:443 (probed from inside the cluster)");
    match (probe.curl_exit, probe.status) {
        (CURL_UNTRUSTED, _) => Check::new(
            "https",
            host,
            Verdict::Fail,
            format!(
                "{at} serves a certificate that is not the platform's ({}): the Ingress for \
                 {host} does not use the TLS secret. Check the Ingress's tls hosts and secretName",
                probe.message
            ),
        ),
        (0, Some(status)) if status >= 500 => Check::new(
            "https",
            host,
            Verdict::Fail,
            format!("answers HTTP {status} at {at}: the route exists but its backend fails"),
        ),
        (0, Some(404)) => Check::new(
            "https",
            host,
            Verdict::Warn,
            format!(
                "the platform's certificate is served at {at}, but / answers 404: no route for the host yet"
            ),
        ),
        (0, Some(status)) => Check::new(
            "https",
            host,
            Verdict::Pass,
            format!("HTTP {status} at {at}; the platform's certificate, trusted for {host}"),
        ),
        _ => Check::new(
            "https",
            host,
            Verdict::Fail,
            format!(
                "no HTTPS answer at {at}: {}. Check the ingress controller's pods and the load \
                 balancer's health probe",
                probe.message
            ),
        ),
    }
}

/// The health endpoint, probed from inside the cluster, must answer 200.
pub fn health_in_cluster(
    host: &str,
    path: &str,
    probe: &crate::cluster::reach::HttpsProbe,
) -> Check {
    match (probe.curl_exit, probe.status) {
        (0, Some(200)) => Check::new("health", host, Verdict::Pass, format!("{path} answers 200")),
        (0, Some(status)) => Check::new(
            "health",
            host,
            Verdict::Fail,
            format!(
                "{path} answers HTTP {status}: the platform is not healthy; see the installer's \
                 log and `kubectl get pods -n katonic`"
            ),
        ),
        _ => Check::new(
            "health",
            host,
            Verdict::Fail,
            format!("{path} did not answer: {}", probe.message),
        ),
    }
}
