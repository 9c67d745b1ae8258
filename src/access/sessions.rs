//! Browser sessions, in memory (one admin; a restart means opening a new access URL), and the
//! one-time access tokens that start them. A session ends after [`SESSION_IDLE`] unused or
//! [`SESSION_LIFETIME`] after it started, whichever comes first; access is regained on the host
//! with `katonic-console access-link` (see `access::links`), no restart needed.
//!
//! Not `tower-sessions`: a logout must also end the session's open event streams, and the
//! stream limit is per session, so each session carries a cancellation token and a semaphore
//! that a generic session store has no place for.

use super::token::{self, RandomError};
use std::collections::HashMap;
use std::sync::{Arc, Mutex, MutexGuard};
use std::time::{Duration, Instant};
use tokio::sync::Semaphore;
use tokio_util::sync::CancellationToken;

/// How long a printed access token stays usable.
pub const ACCESS_TOKEN_TTL: Duration = Duration::from_secs(15 * 60);
/// A session unused this long is gone (the admin opens a new access link or signs in).
pub const SESSION_IDLE: Duration = Duration::from_secs(12 * 60 * 60);
/// A session is gone this long after it started, used or not: a cookie copied off a jumphost
/// does not work forever.
pub const SESSION_LIFETIME: Duration = Duration::from_secs(24 * 60 * 60);
pub use crate::config::STREAMS_PER_SESSION;

/// One signed-in browser.
#[derive(Debug)]
pub struct Session {
    /// Shown in the audit log: a prefix of the id's digest, never the id itself.
    pub label: String,
    started: Instant,
    last_used: Mutex<Instant>,
    /// Cancelled at logout (or rotation): the session's event streams end.
    pub ended: CancellationToken,
    /// Its share of the event streams.
    pub streams: Arc<Semaphore>,
}

#[derive(Default)]
struct Inner {
    /// By digest of the cookie value.
    sessions: HashMap<String, Arc<Session>>,
    /// Digests of unused access tokens, with their expiry.
    access_tokens: Vec<(String, Instant)>,
}

/// The console's sessions and outstanding access tokens.
#[derive(Default)]
pub struct Sessions {
    inner: Mutex<Inner>,
}

/// A new session and the cookie value that names it.
pub struct NewSession {
    pub cookie: String,
    pub session: Arc<Session>,
}

impl Sessions {
    fn lock(&self) -> MutexGuard<'_, Inner> {
        // A panic while holding the lock cannot leave the maps half-updated (each change is one
        // insert or remove), so a poisoned lock is still usable.
        self.inner.lock().unwrap_or_else(|e| e.into_inner())
    }

    /// A fresh single-use access token, valid for [`ACCESS_TOKEN_TTL`].
    pub fn issue_access_token(&self) -> Result<String, RandomError> {
        self.issue_access_token_at(Instant::now())
    }

    fn issue_access_token_at(&self, now: Instant) -> Result<String, RandomError> {
        let token = token::random_token()?;
        let mut inner = self.lock();
        inner.access_tokens.retain(|(_, expires)| *expires > now);
        inner
            .access_tokens
            .push((token::digest(&token), now + ACCESS_TOKEN_TTL));
        Ok(token)
    }

    /// Spend an access token: `true` once, for a token issued less than 15 minutes ago.
    pub fn redeem_access_token(&self, presented: &str) -> bool {
        self.redeem_access_token_at(presented, Instant::now())
    }

    fn redeem_access_token_at(&self, presented: &str, now: Instant) -> bool {
        let presented = token::digest(presented);
        let mut inner = self.lock();
        inner.access_tokens.retain(|(_, expires)| *expires > now);
        // Every entry is compared, in constant time, whichever matches.
        let mut found = None;
        for (i, (digest, _)) in inner.access_tokens.iter().enumerate() {
            if token::constant_time_eq(digest, &presented) {
                found = Some(i);
            }
        }
        match found {
            Some(i) => {
                inner.access_tokens.swap_remove(i);
                true
            }
            None => false,
        }
    }

    /// Start a session, ending `previous` (the cookie the browser had): the id changes at every
    /// login, so a cookie planted before login is worthless after it.
    pub fn login(&self, previous: Option<&str>) -> Result<NewSession, RandomError> {
        let cookie = token::random_token()?;
        let digest = token::digest(&cookie);
        let session = Arc::new(Session {
            label: digest.chars().take(8).collect(),
            started: Instant::now(),
            last_used: Mutex::new(Instant::now()),
            ended: CancellationToken::new(),
            streams: Arc::new(Semaphore::new(STREAMS_PER_SESSION)),
        });
        let mut inner = self.lock();
        if let Some(old) = previous.and_then(|p| inner.sessions.remove(&token::digest(p))) {
            old.ended.cancel();
        }
        inner.sessions.insert(digest, session.clone());
        Ok(NewSession { cookie, session })
    }

    /// The live session a cookie names, marking it used.
    pub fn get(&self, cookie: &str) -> Option<Arc<Session>> {
        self.get_at(cookie, Instant::now())
    }

    fn get_at(&self, cookie: &str, now: Instant) -> Option<Arc<Session>> {
        let digest = token::digest(cookie);
        let mut inner = self.lock();
        let session = inner.sessions.get(&digest)?.clone();
        let mut last_used = session.last_used.lock().unwrap_or_else(|e| e.into_inner());
        let idle = now.saturating_duration_since(*last_used) > SESSION_IDLE;
        let old = now.saturating_duration_since(session.started) > SESSION_LIFETIME;
        if idle || old {
            drop(last_used);
            inner.sessions.remove(&digest);
            session.ended.cancel();
            return None;
        }
        *last_used = now;
        drop(last_used);
        Some(session)
    }

    /// End the session a cookie names (its streams close); unknown cookies are ignored.
    pub fn logout(&self, cookie: &str) {
        if let Some(old) = self.lock().sessions.remove(&token::digest(cookie)) {
            old.ended.cancel();
        }
    }

    /// End every session (shutdown).
    pub fn end_all(&self) {
        for (_, session) in self.lock().sessions.drain() {
            session.ended.cancel();
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_access_token_works_once() {
        let sessions = Sessions::default();
        let token = sessions.issue_access_token().unwrap();
        assert!(!sessions.redeem_access_token("not-the-token"));
        assert!(sessions.redeem_access_token(&token));
        assert!(!sessions.redeem_access_token(&token));
    }

    #[test]
    fn an_access_token_expires_after_15_minutes() {
        let sessions = Sessions::default();
        let start = Instant::now();
        let token = sessions.issue_access_token_at(start).unwrap();
        let late = start + ACCESS_TOKEN_TTL + Duration::from_secs(1);
        assert!(!sessions.redeem_access_token_at(&token, late));
        let token = sessions.issue_access_token_at(start).unwrap();
        let in_time = start + ACCESS_TOKEN_TTL - Duration::from_secs(1);
        assert!(sessions.redeem_access_token_at(&token, in_time));
    }

    #[test]
    fn login_rotates_and_logout_ends_streams() {
        let sessions = Sessions::default();
        let first = sessions.login(None).unwrap();
        assert!(sessions.get(&first.cookie).is_some());
        let second = sessions.login(Some(&first.cookie)).unwrap();
        assert_ne!(first.cookie, second.cookie);
        assert!(sessions.get(&first.cookie).is_none(), "old id still valid");
        assert!(first.session.ended.is_cancelled());
        sessions.logout(&second.cookie);
        assert!(sessions.get(&second.cookie).is_none());
        assert!(second.session.ended.is_cancelled());
    }

    #[test]
    fn an_idle_session_expires() {
        let sessions = Sessions::default();
        let new = sessions.login(None).unwrap();
        let later = Instant::now() + SESSION_IDLE + Duration::from_secs(1);
        assert!(sessions.get_at(&new.cookie, later).is_none());
        assert!(new.session.ended.is_cancelled());
    }

    #[test]
    fn a_session_in_use_still_ends_after_its_lifetime() {
        let sessions = Sessions::default();
        let new = sessions.login(None).unwrap();
        let start = Instant::now();
        // Used every 11 hours: never idle, but 33 hours old at the end.
        for hours in [11, 22] {
            let at = start + Duration::from_secs(hours * 60 * 60);
            assert!(sessions.get_at(&new.cookie, at).is_some(), "{hours} h");
        }
        let late = start + SESSION_LIFETIME + Duration::from_secs(60);
        assert!(sessions.get_at(&new.cookie, late).is_none());
        assert!(new.session.ended.is_cancelled());
    }
}
