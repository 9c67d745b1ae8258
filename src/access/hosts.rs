//! The `Host` allow-list, checked before anything else (DNS rebinding: a page on an attacker's
//! name that resolves to 127.0.0.1 still sends its own name as `Host`).

use std::net::{IpAddr, SocketAddr};

/// Hosts (with port) that may name this console.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AllowedHosts {
    entries: Vec<(String, u16)>,
}

/// An `--allowed-host` value that is not a host name, IP address or `host:port`.
#[derive(Debug, thiserror::Error, PartialEq, Eq)]
#[error(
    "--allowed-host {value:?}: {problem}; give a DNS name or IP address, optionally with :port \
     (e.g. console.example.com or console.example.com:8443)"
)]
pub struct HostError {
    pub value: String,
    pub problem: &'static str,
}

impl AllowedHosts {
    /// Loopback names on the bound port always pass (an attacker's name cannot be one of
    /// them); then each `extra` entry: a name alone means the bound port.
    pub fn new(bound: SocketAddr, extra: &[String]) -> Result<AllowedHosts, HostError> {
        let port = bound.port();
        let mut entries = vec![
            ("localhost".to_string(), port),
            ("127.0.0.1".to_string(), port),
            ("[::1]".to_string(), port),
        ];
        if !bound.ip().is_unspecified() && !bound.ip().is_loopback() {
            entries.push((host_literal(bound.ip()), port));
        }
        for value in extra {
            let entry = parse_entry(value, port)?;
            if !entries.contains(&entry) {
                entries.push(entry);
            }
        }
        Ok(AllowedHosts { entries })
    }

    /// Whether a request naming `authority` (`Host` header or HTTP/2 `:authority`) passes;
    /// without a port it means the scheme's default.
    pub fn allows(&self, authority: &str, default_port: u16) -> bool {
        let Ok((host, port)) = split(authority, default_port) else {
            return false;
        };
        let host = host.to_ascii_lowercase();
        let host = host.strip_suffix('.').unwrap_or(&host);
        self.entries.iter().any(|(h, p)| h == host && *p == port)
    }

    /// The names a generated certificate must cover (without brackets or ports).
    pub fn names(&self) -> Vec<String> {
        let mut names: Vec<String> = self
            .entries
            .iter()
            .map(|(h, _)| h.trim_start_matches('[').trim_end_matches(']').to_string())
            .collect();
        names.dedup();
        names
    }
}

fn host_literal(ip: IpAddr) -> String {
    match ip {
        IpAddr::V4(v4) => v4.to_string(),
        IpAddr::V6(v6) => format!("[{v6}]"),
    }
}

fn parse_entry(value: &str, port: u16) -> Result<(String, u16), HostError> {
    let problem = |problem| HostError {
        value: value.to_string(),
        problem,
    };
    let trimmed = value.trim();
    if trimmed.is_empty() {
        return Err(problem("it is empty"));
    }
    if trimmed.contains("://") || trimmed.contains('/') {
        return Err(problem("it is a URL, not a host"));
    }
    let (host, port) = split(trimmed, port).map_err(problem)?;
    let host = host.to_ascii_lowercase();
    if let Some(inner) = host.strip_prefix('[').and_then(|h| h.strip_suffix(']')) {
        if inner.parse::<std::net::Ipv6Addr>().is_err() {
            return Err(problem("the part in brackets is not an IPv6 address"));
        }
        return Ok((host, port));
    }
    if host.parse::<std::net::Ipv6Addr>().is_ok() {
        return Err(problem(
            "an IPv6 address must be written in brackets, [::1]",
        ));
    }
    let valid_label = |label: &str| {
        !label.is_empty()
            && label.len() <= 63
            && label
                .bytes()
                .all(|b| b.is_ascii_alphanumeric() || b == b'-')
            && !label.starts_with('-')
            && !label.ends_with('-')
    };
    let host = host.strip_suffix('.').unwrap_or(&host).to_string();
    if host.len() > 253 || !host.split('.').all(valid_label) {
        return Err(problem(
            "it is not a valid DNS name (letters, digits and hyphens, dot-separated)",
        ));
    }
    Ok((host, port))
}

/// `host[:port]` or `[v6][:port]`.
fn split(authority: &str, default_port: u16) -> Result<(&str, u16), &'static str> {
    let bad_port = "the port is not a number from 1 to 65535";
    if authority.starts_with('[') {
        let end = authority.find(']').ok_or("an opening [ has no closing ]")?;
        let (host, rest) = authority.split_at(end + 1);
        return match rest.strip_prefix(':') {
            Some(p) => Ok((host, p.parse().ok().filter(|p| *p != 0).ok_or(bad_port)?)),
            None if rest.is_empty() => Ok((host, default_port)),
            None => Err("unexpected text after ]"),
        };
    }
    match authority.rsplit_once(':') {
        // More than one colon: an IPv6 address without brackets, which a Host header never is.
        Some((host, _)) if host.contains(':') => Ok((authority, default_port)),
        Some((host, p)) => Ok((host, p.parse().ok().filter(|p| *p != 0).ok_or(bad_port)?)),
        None => Ok((authority, default_port)),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn hosts(extra: &[&str]) -> AllowedHosts {
        let extra: Vec<String> = extra.iter().map(|s| s.to_string()).collect();
        AllowedHosts::new("127.0.0.1:8080".parse().unwrap(), &extra).unwrap()
    }

    #[test]
    fn loopback_names_on_the_bound_port_pass() {
        let h = hosts(&[]);
        assert!(h.allows("localhost:8080", 80));
        assert!(h.allows("127.0.0.1:8080", 80));
        assert!(h.allows("[::1]:8080", 80));
        assert!(h.allows("LOCALHOST:8080", 80));
        assert!(!h.allows("localhost:8081", 80));
        assert!(!h.allows("localhost", 80));
        assert!(!h.allows("evil.example:8080", 80));
        assert!(!h.allows("evil.example", 80));
        assert!(!h.allows("", 80));
    }

    #[test]
    fn extra_hosts_take_the_bound_port_unless_given() {
        let h = hosts(&["Console.Example.com", "other.example:443"]);
        assert!(h.allows("console.example.com:8080", 443));
        assert!(h.allows("other.example", 443));
        assert!(h.allows("other.example:443", 443));
        assert!(!h.allows("other.example:8080", 443));
        assert_eq!(
            h.names(),
            [
                "localhost",
                "127.0.0.1",
                "::1",
                "console.example.com",
                "other.example"
            ]
        );
    }

    #[test]
    fn bad_entries_say_what_is_wrong() {
        let bind = "127.0.0.1:8080".parse().unwrap();
        for (value, problem) in [
            ("https://x.example", "URL"),
            ("", "empty"),
            ("x.example:0", "port"),
            ("x.example:http", "port"),
            ("under_score.example", "DNS name"),
            ("::1", "brackets"),
        ] {
            let err = AllowedHosts::new(bind, &[value.to_string()]).unwrap_err();
            assert!(err.to_string().contains(problem), "{value}: {err}");
        }
    }
}
