//! The optional admin password, for consoles that outlive the terminal that printed the access
//! URL: stored only as an argon2id PHC string, with failed sign-ins rate-limited.

use argon2::password_hash::phc::PasswordHash;
use argon2::{Algorithm, Argon2, Params, PasswordHasher, PasswordVerifier, Version};
use std::collections::VecDeque;
use std::sync::Mutex;
use std::time::{Duration, Instant};

/// OWASP's minimum for argon2id: 19 MiB of memory, 2 passes.
pub const MIN_MEMORY_KIB: u32 = 19_456;
pub const MIN_PASSES: u32 = 2;

/// Failed sign-ins allowed per [`FAILURE_WINDOW`]; the next attempt gets 429.
pub const MAX_FAILURES: usize = 5;
pub const FAILURE_WINDOW: Duration = Duration::from_secs(60);

/// Why a configured password hash is refused at start-up.
#[derive(Debug, thiserror::Error, PartialEq, Eq)]
#[error(
    "--admin-password-hash: {0}; create one with `katonic-console hash-password` \
     (argon2id, m >= {MIN_MEMORY_KIB} KiB, t >= {MIN_PASSES})"
)]
pub struct PasswordHashError(String);

/// A verified-strong argon2id hash.
#[derive(Clone)]
pub struct AdminPassword {
    phc: String,
}

impl std::fmt::Debug for AdminPassword {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("AdminPassword(..)")
    }
}

impl AdminPassword {
    pub fn parse(phc: &str) -> Result<AdminPassword, PasswordHashError> {
        let phc = phc.trim();
        let hash = PasswordHash::new(phc)
            .map_err(|e| PasswordHashError(format!("not a PHC string ({e})")))?;
        if hash.algorithm.as_str() != "argon2id" {
            return Err(PasswordHashError(format!(
                "the algorithm is {}, not argon2id",
                hash.algorithm.as_str()
            )));
        }
        let param = |name: &str| hash.params.get_decimal(name).unwrap_or(0);
        if param("m") < MIN_MEMORY_KIB || param("t") < MIN_PASSES {
            return Err(PasswordHashError(format!(
                "its cost m={} KiB, t={} is below the minimum",
                param("m"),
                param("t")
            )));
        }
        if hash.hash.is_none() || hash.salt.is_none() {
            return Err(PasswordHashError("it has no salt or no hash".to_string()));
        }
        Ok(AdminPassword {
            phc: phc.to_string(),
        })
    }

    /// Whether `password` is the admin's (slow on purpose: call off the async threads).
    pub fn verify(&self, password: &str) -> bool {
        Argon2::default()
            .verify_password(password.as_bytes(), self.phc.as_str())
            .is_ok()
    }
}

/// Hash a new admin password (argon2id with the OWASP parameters).
pub fn hash(password: &str) -> Result<String, String> {
    let params = Params::new(MIN_MEMORY_KIB, MIN_PASSES, 1, None).map_err(|e| e.to_string())?;
    let salt = argon2::password_hash::generate_salt();
    Argon2::new(Algorithm::Argon2id, Version::V0x13, params)
        .hash_password_with_salt(password.as_bytes(), &salt)
        .map(|h| h.to_string())
        .map_err(|e| e.to_string())
}

/// Counts failed sign-ins over the last minute (one admin: one counter for all clients).
#[derive(Default)]
pub struct FailureLimiter {
    failures: Mutex<VecDeque<Instant>>,
}

impl FailureLimiter {
    /// Whether another attempt may be checked now.
    pub fn allows(&self, now: Instant) -> bool {
        let mut failures = self.failures.lock().unwrap_or_else(|e| e.into_inner());
        while failures
            .front()
            .is_some_and(|t| now.saturating_duration_since(*t) >= FAILURE_WINDOW)
        {
            failures.pop_front();
        }
        failures.len() < MAX_FAILURES
    }

    pub fn record_failure(&self, now: Instant) {
        self.failures
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .push_back(now);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_hash_is_argon2id_with_owasp_costs_and_verifies() {
        let phc = hash("correct horse").unwrap();
        assert!(phc.starts_with("$argon2id$"), "{phc}");
        assert!(phc.contains("m=19456,t=2"), "{phc}");
        let password = AdminPassword::parse(&phc).unwrap();
        assert!(password.verify("correct horse"));
        assert!(!password.verify("wrong horse"));
    }

    #[test]
    fn weak_or_foreign_hashes_are_refused() {
        let weak = "$argon2id$v=19$m=4096,t=1,p=1$c29tZXNhbHQ$RdescudvJCsgt3ub+b+dWRWJTmaaJObG";
        let err = AdminPassword::parse(weak).unwrap_err();
        assert!(err.to_string().contains("below the minimum"), "{err}");
        let argon2i = "$argon2i$v=19$m=19456,t=2,p=1$c29tZXNhbHQ$RdescudvJCsgt3ub+b+dWRWJTmaaJObG";
        let err = AdminPassword::parse(argon2i).unwrap_err();
        assert!(err.to_string().contains("not argon2id"), "{err}");
        assert!(AdminPassword::parse("hunter2").is_err());
    }

    #[test]
    fn the_sixth_failure_in_a_minute_is_refused() {
        let limiter = FailureLimiter::default();
        let start = Instant::now();
        for i in 0..MAX_FAILURES {
            assert!(limiter.allows(start), "attempt {i}");
            limiter.record_failure(start);
        }
        assert!(!limiter.allows(start + Duration::from_secs(59)));
        assert!(limiter.allows(start + FAILURE_WINDOW));
    }
}
