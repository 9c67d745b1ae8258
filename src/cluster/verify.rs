//! Checks of a finished install from where the admin stands: does each host resolve to the load
//! balancer, answer HTTPS there with our certificate, and does the platform report healthy.
//! Each check is a [`Check`] with a verdict and a sentence an admin can act on.

use std::net::{IpAddr, SocketAddr};
use std::time::Duration;

use serde::{Deserialize, Serialize};
use time::OffsetDateTime;

use super::access::Resolve;
use super::tls::LeafFacts;

/// How long one HTTPS request may take.
pub const REQUEST_TIMEOUT: Duration = Duration::from_secs(10);

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Verdict {
    Pass,
    /// Works, but something needs the admin (a record to publish, a certificate to renew).
    Warn,
    Fail,
    /// Not checkable by design (a pool that scales from zero has no node to schedule on).
    Skipped,
}

impl Verdict {
    pub fn label(self) -> &'static str {
        match self {
            Verdict::Pass => "PASS",
            Verdict::Warn => "WARN",
            Verdict::Fail => "FAIL",
            Verdict::Skipped => "SKIP",
        }
    }
}

/// One line of the verification report.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Check {
    /// What was checked: `dns`, `https`, `health`, `storage`, `scheduling`.
    pub kind: String,
    /// Of what: a host, a storage class, a pool.
    pub subject: String,
    pub verdict: Verdict,
    pub detail: String,
}

impl Check {
    pub fn new(kind: &str, subject: &str, verdict: Verdict, detail: impl Into<String>) -> Check {
        Check {
            kind: kind.to_string(),
            subject: subject.to_string(),
            verdict,
            detail: detail.into(),
        }
    }
}

impl std::fmt::Display for Check {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(
            f,
            "{} {} {}: {}",
            self.verdict.label(),
            self.kind,
            self.subject,
            self.detail
        )
    }
}

/// Does `host` resolve to the load balancer's `address` from this machine? Not resolving is a
/// warning (the records may not be published yet; HTTPS is checked at the address anyway);
/// resolving elsewhere is a failure (users would reach something else).
pub async fn dns(resolver: &dyn Resolve, host: &str, address: IpAddr, zone: &str) -> Check {
    let found: Vec<IpAddr> = resolver
        .resolve(host, 443)
        .await
        .map(|addrs| addrs.into_iter().map(|a| a.ip()).collect())
        .unwrap_or_default();
    if found.contains(&address) {
        return Check::new("dns", host, Verdict::Pass, format!("resolves to {address}"));
    }
    if found.is_empty() {
        return Check::new(
            "dns",
            host,
            Verdict::Warn,
            format!(
                "does not resolve from this machine yet: publish `{host}. A {address}` in {zone} \
                 (see the DNS records), and link a private zone to this VNet"
            ),
        );
    }
    let listed: Vec<String> = found.iter().map(IpAddr::to_string).collect();
    Check::new(
        "dns",
        host,
        Verdict::Fail,
        format!(
            "resolves to {} instead of the load balancer's {address}: update the A record in {zone}",
            listed.join(", ")
        ),
    )
}

/// What an HTTPS request at the load balancer returned.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct HttpsAnswer {
    pub status: u16,
    /// First line of the body, for messages.
    pub first_line: String,
    /// The served leaf certificate (DER).
    pub leaf: Option<Vec<u8>>,
}

/// `GET https://<host><path>` sent to `address:port` (SNI and Host are `host`; the system
/// resolver and any proxy are bypassed: the question is what the load balancer serves).
/// Certificate trust is judged by [`https`], not by the TLS library: the point is to compare
/// what is served with what the console stored, which also works for private CAs.
pub async fn fetch(
    address: IpAddr,
    port: u16,
    host: &str,
    path: &str,
) -> Result<HttpsAnswer, String> {
    let client = reqwest::Client::builder()
        .resolve(host, SocketAddr::new(address, port))
        .tls_danger_accept_invalid_certs(true)
        .tls_info(true)
        .no_proxy()
        .redirect(reqwest::redirect::Policy::none())
        .timeout(REQUEST_TIMEOUT)
        .build()
        .map_err(|e| e.to_string())?;
    let url = if port == 443 {
        format!("https://{host}{path}")
    } else {
        format!("https://{host}:{port}{path}")
    };
    let response = client.get(&url).send().await.map_err(|e| {
        // reqwest's Display hides the cause ("error sending request"); the chain names it.
        let mut message = e.to_string();
        let mut source = std::error::Error::source(&e);
        while let Some(cause) = source {
            message = format!("{message}: {cause}");
            source = cause.source();
        }
        message
    })?;
    let status = response.status().as_u16();
    let leaf = response
        .extensions()
        .get::<reqwest::tls::TlsInfo>()
        .and_then(|info| info.peer_certificate())
        .map(<[u8]>::to_vec);
    let body = response.text().await.unwrap_or_default();
    Ok(HttpsAnswer {
        status,
        first_line: body
            .lines()
            .next()
            .unwrap_or("")
            .chars()
            .take(200)
            .collect(),
        leaf,
    })
}

/// Judge an answer for `host`: our certificate (`expected_leaf`, when known), covering the host,
/// valid now, and a response that is not a server error.
pub fn https(
    host: &str,
    target: SocketAddr,
    answer: &Result<HttpsAnswer, String>,
    expected_leaf: Option<&[u8]>,
    now: OffsetDateTime,
) -> Check {
    let answer = match answer {
        Ok(a) => a,
        Err(e) => {
            return Check::new(
                "https",
                host,
                Verdict::Fail,
                format!(
                    "no HTTPS answer at {target}: {e}. Check the ingress controller's pods, the \
                     load balancer's health probe and the NSG rules for TCP {}",
                    target.port()
                ),
            );
        }
    };
    let Some(facts) = answer.leaf.as_deref().and_then(LeafFacts::from_der) else {
        return Check::new(
            "https",
            host,
            Verdict::Fail,
            format!("{target} served no readable certificate"),
        );
    };
    if let Some(detail) = certificate_problem(host, target, answer, &facts, expected_leaf, now) {
        return Check::new("https", host, Verdict::Fail, detail);
    }
    status_check(host, target, answer, &facts)
}

/// What is wrong with the served certificate (`facts`): not ours, not covering the host, or
/// not valid now.
fn certificate_problem(
    host: &str,
    target: SocketAddr,
    answer: &HttpsAnswer,
    facts: &LeafFacts,
    expected_leaf: Option<&[u8]>,
    now: OffsetDateTime,
) -> Option<String> {
    if let Some(expected) = expected_leaf
        && answer.leaf.as_deref() != Some(expected)
    {
        return Some(format!(
            "{target} serves a certificate for [{}], not the platform's: the Ingress for \
                 {host} does not use the TLS secret (the controller's default certificate \
                 answers). Check the Ingress's tls hosts and secretName",
            facts.names.join(", ")
        ));
    }
    if !facts.covers(host) {
        return Some(format!(
            "the served certificate's names [{}] do not cover {host}",
            facts.names.join(", ")
        ));
    }
    if !facts.valid_at(now) {
        return Some(format!(
            "the served certificate is not valid now (valid {} to {})",
            crate::format::timestamp(facts.not_before),
            crate::format::timestamp(facts.not_after)
        ));
    }
    None
}

/// The verdict from the HTTP status, once the certificate is right.
fn status_check(host: &str, target: SocketAddr, answer: &HttpsAnswer, facts: &LeafFacts) -> Check {
    let until = crate::format::timestamp(facts.not_after);
    match answer.status {
        500.. => Check::new(
            "https",
            host,
            Verdict::Fail,
            format!(
                "answers HTTP {} ({}): the route exists but its backend fails",
                answer.status, answer.first_line
            ),
        ),
        404 => Check::new(
            "https",
            host,
            Verdict::Warn,
            format!(
                "certificate covers it (valid until {until}), but / answers 404 ({}): no route \
                 for the host yet, or the application has no page at /",
                answer.first_line
            ),
        ),
        status => Check::new(
            "https",
            host,
            Verdict::Pass,
            format!("HTTP {status} at {target}; certificate covers it, valid until {until}"),
        ),
    }
}

/// The platform's health endpoint must answer 200.
pub fn health(host: &str, path: &str, answer: &Result<HttpsAnswer, String>) -> Check {
    match answer {
        Ok(a) if a.status == 200 => {
            Check::new("health", host, Verdict::Pass, format!("{path} answers 200"))
        }
        Ok(a) => Check::new(
            "health",
            host,
            Verdict::Fail,
            format!(
                "{path} answers HTTP {} ({}): the platform is not healthy; see the installer's \
                 log and `kubectl get pods -n katonic`",
                a.status, a.first_line
            ),
        ),
        Err(e) => Check::new(
            "health",
            host,
            Verdict::Fail,
            format!("{path} did not answer: {e}"),
        ),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use katonic_domain::spec::Fqdn;

    struct Fixed(Vec<IpAddr>);

    #[async_trait::async_trait]
    impl Resolve for Fixed {
        async fn resolve(&self, _host: &str, port: u16) -> std::io::Result<Vec<SocketAddr>> {
            Ok(self.0.iter().map(|ip| SocketAddr::new(*ip, port)).collect())
        }
    }

    const HOST: &str = "katonic.example.com";

    fn lb() -> IpAddr {
        "10.20.0.50".parse().unwrap()
    }

    #[tokio::test]
    async fn dns_passes_warns_or_fails_by_what_the_name_resolves_to() {
        let right = dns(&Fixed(vec![lb()]), HOST, lb(), "example.com").await;
        assert_eq!(right.verdict, Verdict::Pass, "{right}");
        let missing = dns(&Fixed(vec![]), HOST, lb(), "example.com").await;
        assert_eq!(missing.verdict, Verdict::Warn, "{missing}");
        assert!(
            missing.detail.contains("katonic.example.com. A 10.20.0.50"),
            "{missing}"
        );
        let wrong = dns(
            &Fixed(vec!["10.9.9.9".parse().unwrap()]),
            HOST,
            lb(),
            "example.com",
        )
        .await;
        assert_eq!(wrong.verdict, Verdict::Fail, "{wrong}");
        assert!(wrong.detail.contains("10.9.9.9"), "{wrong}");
    }

    fn cert_for(names: &[&str]) -> Vec<u8> {
        let hosts: Vec<Fqdn> = names.iter().map(|n| Fqdn::parse(n).unwrap()).collect();
        let material = crate::cluster::tls::self_signed(&hosts, OffsetDateTime::now_utc()).unwrap();
        crate::cluster::tls::leaf_der(material.cert_chain_pem.as_bytes()).unwrap()
    }

    fn answer(status: u16, leaf: Vec<u8>) -> Result<HttpsAnswer, String> {
        Ok(HttpsAnswer {
            status,
            first_line: "hello".into(),
            leaf: Some(leaf),
        })
    }

    #[test]
    fn https_wants_our_certificate_covering_the_host_and_no_server_error() {
        let target: SocketAddr = "10.20.0.50:443".parse().unwrap();
        let now = OffsetDateTime::now_utc();
        let ours = cert_for(&[HOST, "dash-katonic.example.com"]);
        let ok = https(HOST, target, &answer(200, ours.clone()), Some(&ours), now);
        assert_eq!(ok.verdict, Verdict::Pass, "{ok}");

        let other = cert_for(&["ingress.local"]);
        let fake = https(HOST, target, &answer(200, other), Some(&ours), now);
        assert_eq!(fake.verdict, Verdict::Fail, "{fake}");
        assert!(fake.detail.contains("default certificate"), "{fake}");

        let uncovered = https(
            "connectors-katonic.example.com",
            target,
            &answer(200, ours.clone()),
            Some(&ours),
            now,
        );
        assert_eq!(uncovered.verdict, Verdict::Fail, "{uncovered}");

        let broken = https(HOST, target, &answer(502, ours.clone()), Some(&ours), now);
        assert_eq!(broken.verdict, Verdict::Fail, "{broken}");
        let unrouted = https(HOST, target, &answer(404, ours.clone()), Some(&ours), now);
        assert_eq!(unrouted.verdict, Verdict::Warn, "{unrouted}");

        let expired = https(
            HOST,
            target,
            &answer(200, ours.clone()),
            Some(&ours),
            now + time::Duration::days(400),
        );
        assert_eq!(expired.verdict, Verdict::Fail, "{expired}");

        let down = https(HOST, target, &Err("connection refused".into()), None, now);
        assert_eq!(down.verdict, Verdict::Fail, "{down}");
        assert!(down.detail.contains("10.20.0.50:443"), "{down}");
    }

    #[test]
    fn health_wants_200() {
        let leaf = cert_for(&[HOST]);
        assert_eq!(
            health(HOST, "/healthz", &answer(200, leaf.clone())).verdict,
            Verdict::Pass
        );
        let sick = health(HOST, "/healthz", &answer(503, leaf));
        assert_eq!(sick.verdict, Verdict::Fail);
        assert!(sick.detail.contains("503"), "{sick}");
    }
}
