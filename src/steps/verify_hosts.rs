//! What verification asks of each host at the front door (the gateway's frontend or the
//! ingress load balancer): HTTPS at `/` with the platform's certificate, the health endpoint
//! on the platform's own host, and behind an Application Gateway the HTTP-to-HTTPS redirect.
//! Asked from the console (direct reach) or from inside the cluster (Run Command).
//!
//! The redirect: each host's `http://` must send the browser to `https://`, keeping the path and
//! query (the console's gateway body: a permanent redirect per host to its HTTPS listener). It is
//! asked once per host without following it, and the answer judged.

use std::net::{IpAddr, SocketAddr};
use std::time::Duration;

use super::verify::{Expected, VerifySettings};
use crate::cluster::manifests;
use crate::cluster::reach::{ClusterReach, ReachFailure, RunCommandReach};
use crate::cluster::verify::{self, Check, Verdict};

/// What the redirect probe asks for: a path and a query the redirect must keep.
const PROBE_PATH: &str = "/katonic-console/redirect-check";
const PROBE_QUERY: &str = "from=verification";

/// What to ask of one host.
pub(super) struct Asked<'a> {
    pub host: &'a str,
    /// The platform's health endpoint too (its own host only).
    pub with_health: bool,
    /// The HTTP-to-HTTPS redirect too (behind an Application Gateway).
    pub with_redirect: bool,
}

/// The host's checks, from where the console reaches the cluster.
pub(super) async fn checks(
    settings: &VerifySettings,
    reach: &ClusterReach,
    address: IpAddr,
    asked: &Asked<'_>,
    expected: &Expected,
) -> Result<Vec<Check>, ReachFailure> {
    let host = asked.host;
    let mut checks = match reach {
        ClusterReach::Direct(_) => {
            https_checks(settings, address, host, &expected.leaf, asked.with_health).await
        }
        ClusterReach::RunCommand(rc) => {
            let chain = expected.chain.as_deref().unwrap_or_default();
            crate::cluster::in_cluster::in_cluster(rc, address, host, chain, asked.with_health)
                .await?
        }
    };
    if asked.with_redirect {
        checks.push(match reach {
            ClusterReach::Direct(_) => redirect(settings, address, host).await,
            ClusterReach::RunCommand(rc) => redirect_in_cluster(rc, address, host).await?,
        });
    }
    Ok(checks)
}

/// HTTPS at `/` for `host`, and the health endpoint when `with_health`.
async fn https_checks(
    settings: &VerifySettings,
    address: IpAddr,
    host: &str,
    expected_leaf: &Option<Vec<u8>>,
    with_health: bool,
) -> Vec<Check> {
    let address = settings.dial.dial(address).await;
    let target = SocketAddr::new(address, settings.https_port);
    let answer = verify::fetch(address, settings.https_port, host, "/").await;
    let now = time::OffsetDateTime::now_utc();
    let mut checks = vec![verify::https(
        host,
        target,
        &answer,
        expected_leaf.as_deref(),
        now,
    )];
    if with_health {
        let answer =
            verify::fetch(address, settings.https_port, host, manifests::HEALTH_PATH).await;
        checks.push(verify::health(host, manifests::HEALTH_PATH, &answer));
    }
    checks
}

/// The gateway's answer: status and `Location`, or why there was none.
pub(super) type Answer = Result<(u16, Option<String>), String>;

/// `http://<host>` at the gateway's frontend, from the console, judged.
async fn redirect(settings: &VerifySettings, address: IpAddr, host: &str) -> Check {
    let dialled = settings.dial.dial(address).await;
    let target = SocketAddr::new(dialled, settings.http_port);
    let shown = SocketAddr::new(address, settings.http_port);
    judge(host, &shown.to_string(), &ask(host, target).await)
}

async fn ask(host: &str, target: SocketAddr) -> Answer {
    let client = reqwest::Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .resolve(host, target)
        .timeout(Duration::from_secs(10))
        .build()
        .map_err(|e| e.to_string())?;
    let url = format!("http://{host}:{}{PROBE_PATH}?{PROBE_QUERY}", target.port());
    let res = client.get(url).send().await.map_err(|e| e.to_string())?;
    let location = res
        .headers()
        .get(reqwest::header::LOCATION)
        .and_then(|l| l.to_str().ok())
        .map(str::to_string);
    Ok((res.status().as_u16(), location))
}

/// `http://<host>` at the gateway's frontend, from inside the cluster (curl through Run
/// Command, which prints `<status> <redirect url>`), judged.
async fn redirect_in_cluster(
    rc: &RunCommandReach,
    address: IpAddr,
    host: &str,
) -> Result<Check, ReachFailure> {
    let (code, out) = rc
        .probe_http(address, host, &format!("{PROBE_PATH}?{PROBE_QUERY}"))
        .await?;
    let answer = match (code, out.split_once(' ').unwrap_or((out.as_str(), ""))) {
        (0, (status, location)) => status
            .parse()
            .map(|s| {
                (
                    s,
                    Some(location.trim().to_string()).filter(|l| !l.is_empty()),
                )
            })
            .map_err(|_| format!("curl printed {out:?}")),
        _ => Err(out.clone()),
    };
    let at = format!("{address}:80 (probed from inside the cluster)");
    Ok(judge(host, &at, &answer))
}

/// Pass: a permanent redirect (301, or 308) to `https://<host>` with the path and query.
pub(super) fn judge(host: &str, at: &str, answer: &Answer) -> Check {
    let wanted = format!("https://{host}{PROBE_PATH}?{PROBE_QUERY}");
    let fail = |detail: String| Check::new("redirect", host, Verdict::Fail, detail);
    match answer {
        Ok((status @ (301 | 308), Some(location))) if *location == wanted => Check::new(
            "redirect",
            host,
            Verdict::Pass,
            format!("http://{host} at {at} answers {status} to {wanted}"),
        ),
        Ok((status @ (301 | 308), location)) => fail(format!(
            "http://{host}{PROBE_PATH}?{PROBE_QUERY} at {at} answers {status} to {}, not {wanted}: the gateway's redirect for {host} must target its HTTPS listener with the path and query (includePath, includeQueryString)",
            location.as_deref().unwrap_or("nowhere")
        )),
        Ok((status, _)) => fail(format!(
            "http://{host} at {at} answers {status}, not a redirect to https://{host}: the gateway's HTTP listener for {host} must route to a redirect configuration (Permanent, to its HTTPS listener); retry step app-gateway"
        )),
        Err(e) => fail(format!(
            "no answer from http://{host} at {at} ({e}): the gateway needs an HTTP listener on port 80 for {host}, and its subnet's NSG must allow TCP 80"
        )),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_a_permanent_redirect_to_https_with_the_path_and_query_passes() {
        let at = "10.20.1.254:80";
        let host = "katonic.example.com";
        let good = format!("https://{host}{PROBE_PATH}?{PROBE_QUERY}");
        let pass = judge(host, at, &Ok((301, Some(good.clone()))));
        assert_eq!(pass.verdict, Verdict::Pass, "{pass}");
        assert_eq!(
            judge(host, at, &Ok((308, Some(good)))).verdict,
            Verdict::Pass
        );
        let no_query = judge(
            host,
            at,
            &Ok((301, Some(format!("https://{host}{PROBE_PATH}")))),
        );
        assert_eq!(no_query.verdict, Verdict::Fail);
        assert!(no_query.detail.contains("includeQueryString"), "{no_query}");
        let served = judge(host, at, &Ok((200, None)));
        assert_eq!(served.verdict, Verdict::Fail);
        assert!(
            served.detail.contains("answers 200, not a redirect"),
            "{served}"
        );
        let closed = judge(host, at, &Err("connection refused".into()));
        assert!(
            closed.detail.contains("HTTP listener on port 80"),
            "{closed}"
        );
    }
}
