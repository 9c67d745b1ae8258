//! `curl` in a Run Command pod: an HTTPS request to a load-balancer address from inside the
//! cluster (`--resolve host:port:ip`), trusting only `--cacert` from the command's context, or
//! a plain HTTP one to an Application Gateway's frontend (not following redirects, as curl does
//! without `-L`). The subset the console's verification sends: `-sS`, `-o`,
//! `-w '%{http_code}'` (and `%{redirect_url}`), `--max-time`.
//!
//! The certificate check is simplified: the served leaf must be one of the certificates in the
//! CA file (the console sends the install's own certificate chain), where real curl builds a
//! chain to a root.

use std::net::Ipv4Addr;

use super::kubectl::Pod;

/// (exit code, output, seconds).
pub(crate) fn curl(pod: &Pod<'_>, args: &[&str]) -> (i32, String, f64) {
    match request(pod, args) {
        Ok(out) => (0, out, 0.2),
        Err((code, message)) => (code, format!("curl: ({code}) {message}\n"), 0.2),
    }
}

#[derive(Default)]
struct Args<'a> {
    url: Option<&'a str>,
    resolve: Option<&'a str>,
    cacert: Option<&'a str>,
    write_out: Option<&'a str>,
    discard_body: bool,
}

fn parse<'a>(args: &[&'a str]) -> Result<Args<'a>, (i32, String)> {
    let mut a = Args::default();
    let mut i = 0;
    while i < args.len() {
        let arg = args[i];
        i += 1;
        let mut value = || {
            let v = args.get(i).copied();
            i += 1;
            v.ok_or((2, format!("option {arg}: requires parameter")))
        };
        match arg {
            "-s" | "-S" | "-sS" | "--silent" | "--show-error" | "-k" => {}
            "--resolve" => a.resolve = Some(value()?),
            "--cacert" => a.cacert = Some(value()?),
            "-w" | "--write-out" => a.write_out = Some(value()?),
            "-o" | "--output" => a.discard_body = value()? == "/dev/null",
            "--max-time" | "-m" => {
                value()?;
            }
            url if !url.starts_with('-') => a.url = Some(url),
            other => return Err((2, format!("option {other}: is unknown"))),
        }
    }
    Ok(a)
}

fn request(pod: &Pod<'_>, args: &[&str]) -> Result<String, (i32, String)> {
    let a = parse(args)?;
    let url = a.url.ok_or((2, "no URL specified".to_string()))?;
    if let Some(rest) = url.strip_prefix("http://") {
        return plain(pod, &a, rest);
    }
    let rest = url
        .strip_prefix("https://")
        .ok_or((1, format!("Protocol not supported in URL: {url}")))?;
    let (host, path, ip) = target(&a, rest)?;
    let cluster = {
        let st = pod.shared.lock();
        super::cluster::find(&st, &pod.cluster).map(|c| c.id.to_ascii_lowercase())
    }
    .unwrap_or_default();
    // The cluster's own load balancer, else an Application Gateway's frontend (the front door
    // a verification through Run Command checks).
    let (leaf, status, body) = super::ingress_tls::probe(pod.shared, &cluster, ip, host, path)
        .or_else(|| crate::resources::app_gateway::frontend::probe(pod.shared, ip, host, path))
        .ok_or((
            28,
            format!("Failed to connect to {host} port 443 after 10001 ms: Timeout was reached"),
        ))?;
    if let Some(ca) = a.cacert {
        let pem = pod
            .files
            .get(ca)
            .ok_or((77, format!("error setting certificate file: {ca}")))?;
        if !trusted(pem, leaf.as_deref()) {
            return Err((
                60,
                "SSL certificate problem: unable to get local issuer certificate".into(),
            ));
        }
    }
    let mut out = String::new();
    if !a.discard_body {
        out.push_str(&body);
    }
    if let Some(w) = a.write_out {
        out.push_str(&w.replace("%{http_code}", &status.as_u16().to_string()));
    }
    Ok(out)
}

/// The host, path and address of a URL's rest (after the scheme). The address comes from
/// `--resolve host:port:address`; without it the name would be looked up in the cluster's DNS,
/// which the simulator does not model for public names.
fn target<'u>(a: &Args<'_>, rest: &'u str) -> Result<(&'u str, &'u str, Ipv4Addr), (i32, String)> {
    let (authority, path) = rest.split_at(rest.find('/').unwrap_or(rest.len()));
    let path = if path.is_empty() { "/" } else { path };
    let host = authority.split(':').next().unwrap_or(authority);
    let ip = a
        .resolve
        .and_then(|r| r.rsplit(':').next())
        .and_then(|ip| ip.parse().ok())
        .ok_or((6, format!("Could not resolve host: {host}")))?;
    Ok((host, path, ip))
}

/// `http://`: an Application Gateway's HTTP listener at the `--resolve`d address.
fn plain(pod: &Pod<'_>, a: &Args<'_>, rest: &str) -> Result<String, (i32, String)> {
    let (host, path, ip) = target(a, rest)?;
    let (status, location, body) =
        crate::resources::app_gateway::frontend::probe_http(pod.shared, ip, host, path).ok_or((
            28,
            format!("Failed to connect to {host} port 80 after 10001 ms: Timeout was reached"),
        ))?;
    let mut out = String::new();
    if !a.discard_body {
        out.push_str(&body);
    }
    if let Some(w) = a.write_out {
        out.push_str(
            &w.replace("%{http_code}", &status.as_u16().to_string())
                .replace("%{redirect_url}", location.as_deref().unwrap_or("")),
        );
    }
    Ok(out)
}

/// Whether the served leaf is one of the CA file's certificates.
fn trusted(pem: &[u8], leaf: Option<&[u8]>) -> bool {
    use rustls::pki_types::CertificateDer;
    use rustls::pki_types::pem::PemObject;
    let Some(leaf) = leaf else { return false };
    CertificateDer::pem_slice_iter(pem)
        .filter_map(Result::ok)
        .any(|c| c.as_ref() == leaf)
}
