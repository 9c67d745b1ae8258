//! Who may use the console, and over what: the bind rule, the `Host` allow-list, the one-time
//! access URL that becomes a session cookie, the API token of scripts, the optional admin
//! password, HTTPS, and the per-session share of event streams. The HTTP side is
//! `web::guard`.

pub mod hosts;
pub mod links;
pub mod password;
pub mod sessions;
pub mod tls;
pub mod token;

pub use hosts::AllowedHosts;
pub use password::AdminPassword;
pub use sessions::{Session, Sessions};
pub use token::{API_TOKEN_FILE, ApiToken};

use crate::config::AccessFlags;
use std::net::SocketAddr;
use std::sync::Arc;
use tokio::sync::{OwnedSemaphorePermit, Semaphore};
use tokio_util::sync::CancellationToken;

pub use crate::config::MAX_STREAMS;

/// Refuse a bind that would expose the console without HTTPS and a `Host` allow-list.
pub fn check_bind(listen: SocketAddr, flags: &AccessFlags) -> Result<(), String> {
    if listen.ip().is_loopback() {
        return Ok(());
    }
    let mut missing = Vec::new();
    if !flags.tls_enabled() {
        missing.push(
            "HTTPS (--tls for a generated self-signed certificate, or --tls-cert and --tls-key)",
        );
    }
    if flags.allowed_hosts.is_empty() {
        missing.push("the names browsers will use (--allowed-host NAME, repeatable)");
    }
    if missing.is_empty() {
        return Ok(());
    }
    Err(format!(
        "refusing to listen on {listen}: it is not a loopback address, so the console would be \
         reachable from the network; that needs {}. Or keep the default 127.0.0.1 and reach the \
         console through `ssh -L` or Azure Bastion.",
        missing.join(" and ")
    ))
}

/// Who a request acts for, once the guard let it through.
#[derive(Clone, Debug)]
pub enum Principal {
    /// A browser session (access URL or password).
    Session(Arc<Session>),
    /// A script or the CLI with `<data-dir>/api-token`.
    ApiToken,
}

impl Principal {
    /// Who, as the audit log shows it: never the secret itself.
    pub fn actor(&self) -> String {
        match self {
            Principal::Session(s) => format!("session {}", s.label),
            Principal::ApiToken => "api token".to_string(),
        }
    }
}

/// Held by an open event stream: its share of the limits, and the signal that its session
/// ended.
pub struct StreamGuard {
    _overall: OwnedSemaphorePermit,
    _own: OwnedSemaphorePermit,
    pub ended: CancellationToken,
}

/// The console's access state, shared by the guard and the handlers.
pub struct Access {
    pub sessions: Sessions,
    api_token: ApiToken,
    pub hosts: AllowedHosts,
    /// Whether the console serves HTTPS (cookies are then `Secure` and `__Host-`).
    pub https: bool,
    password: Option<AdminPassword>,
    pub login_failures: password::FailureLimiter,
    streams: Arc<Semaphore>,
    api_streams: Arc<Semaphore>,
}

impl std::fmt::Debug for Access {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Access")
            .field("hosts", &self.hosts)
            .field("https", &self.https)
            .finish_non_exhaustive()
    }
}

impl Access {
    pub fn new(
        api_token: ApiToken,
        hosts: AllowedHosts,
        https: bool,
        password: Option<AdminPassword>,
    ) -> Access {
        Access {
            sessions: Sessions::default(),
            api_token,
            hosts,
            https,
            password,
            login_failures: password::FailureLimiter::default(),
            streams: Arc::new(Semaphore::new(MAX_STREAMS)),
            api_streams: Arc::new(Semaphore::new(sessions::STREAMS_PER_SESSION)),
        }
    }

    /// Other stream limits than the defaults (benchmarks with 1,000 API clients).
    pub fn with_stream_limits(mut self, total: usize, api_token: usize) -> Access {
        self.streams = Arc::new(Semaphore::new(total.max(1)));
        self.api_streams = Arc::new(Semaphore::new(api_token.max(1)));
        self
    }

    pub fn bearer_matches(&self, presented: &str) -> bool {
        self.api_token.matches(presented)
    }

    pub fn password(&self) -> Option<&AdminPassword> {
        self.password.as_ref()
    }

    /// The session cookie's name: `__Host-` under HTTPS, so no other site or path can set it.
    pub fn cookie_name(&self) -> &'static str {
        if self.https {
            "__Host-katonic_session"
        } else {
            "katonic_session"
        }
    }

    /// A place for one more event stream of `principal`, or `None` when the console's or the
    /// principal's share is taken.
    pub fn open_stream(&self, principal: &Principal) -> Option<StreamGuard> {
        let (own, ended) = match principal {
            Principal::Session(s) => (s.streams.clone(), s.ended.clone()),
            Principal::ApiToken => (self.api_streams.clone(), CancellationToken::new()),
        };
        let own = own.try_acquire_owned().ok()?;
        let overall = self.streams.clone().try_acquire_owned().ok()?;
        Some(StreamGuard {
            _overall: overall,
            _own: own,
            ended,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn flags(tls: bool, hosts: &[&str]) -> AccessFlags {
        AccessFlags {
            tls,
            allowed_hosts: hosts.iter().map(|h| h.to_string()).collect(),
            ..AccessFlags::default()
        }
    }

    #[test]
    fn loopback_binds_need_nothing_else() {
        assert!(check_bind("127.0.0.1:8080".parse().unwrap(), &flags(false, &[])).is_ok());
        assert!(check_bind("[::1]:8080".parse().unwrap(), &flags(false, &[])).is_ok());
    }

    #[test]
    fn other_binds_need_tls_and_allowed_hosts() {
        let any = "0.0.0.0:8443".parse().unwrap();
        let err = check_bind(any, &flags(false, &[])).unwrap_err();
        assert!(
            err.contains("--tls") && err.contains("--allowed-host"),
            "{err}"
        );
        let err = check_bind(any, &flags(true, &[])).unwrap_err();
        assert!(
            !err.contains("--tls ") && err.contains("--allowed-host"),
            "{err}"
        );
        let err = check_bind(any, &flags(false, &["c.example"])).unwrap_err();
        assert!(
            err.contains("--tls") && !err.contains("--allowed-host"),
            "{err}"
        );
        assert!(check_bind(any, &flags(true, &["c.example"])).is_ok());
    }

    #[test]
    fn a_principal_gets_16_streams_and_the_console_256() {
        let dir = tempfile::tempdir().unwrap();
        let access = Access::new(
            ApiToken::load_or_create(dir.path()).unwrap(),
            AllowedHosts::new("127.0.0.1:1".parse().unwrap(), &[]).unwrap(),
            false,
            None,
        );
        let mut held = Vec::new();
        for _ in 0..MAX_STREAMS / sessions::STREAMS_PER_SESSION {
            let session = Principal::Session(access.sessions.login(None).unwrap().session);
            for _ in 0..sessions::STREAMS_PER_SESSION {
                held.push(access.open_stream(&session).unwrap());
            }
            assert!(access.open_stream(&session).is_none(), "17th of a session");
        }
        assert!(access.open_stream(&Principal::ApiToken).is_none(), "257th");
        held.pop();
        assert!(access.open_stream(&Principal::ApiToken).is_some());
    }
}
