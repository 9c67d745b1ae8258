//! Behind an Application Gateway each host's `http://` must send the browser to `https://`,
//! keeping the path and query (the console's gateway body: a permanent redirect per host to its
//! HTTPS listener). The verification asks the gateway's HTTP listener once per host, without
//! following the redirect, and judges the answer.

use std::net::{IpAddr, SocketAddr};
use std::time::Duration;

use super::verify::VerifySettings;
use crate::cluster::verify::{Check, Verdict};

/// What the probe asks for: a path and a query the redirect must keep.
const PROBE_PATH: &str = "/katonic-console/redirect-check";
const PROBE_QUERY: &str = "from=verification";

/// The gateway's answer: status and `Location`, or why there was none.
pub(super) type Answer = Result<(u16, Option<String>), String>;

/// `http://<host>` at the gateway's frontend, judged.
pub(super) async fn check(settings: &VerifySettings, address: IpAddr, host: &str) -> Check {
    let dialled = settings.dial.dial(address).await;
    let target = SocketAddr::new(dialled, settings.http_port);
    let shown = SocketAddr::new(address, settings.http_port);
    judge(host, shown, &ask(host, target).await)
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

/// Pass: a permanent redirect (301, or 308) to `https://<host>` with the path and query.
pub(super) fn judge(host: &str, at: SocketAddr, answer: &Answer) -> Check {
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
        let at: SocketAddr = "10.20.1.254:80".parse().unwrap();
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
