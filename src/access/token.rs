//! Random secrets and their comparison: the one-time access token, session ids, the API token.

use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use sha2::{Digest, Sha256};
use std::io::Write;
use std::path::{Path, PathBuf};
use subtle::ConstantTimeEq;

/// Bytes of randomness in every token: 256 bits, twice the 128 asked for.
const TOKEN_BYTES: usize = 32;

/// File name of the API token inside the data dir.
pub const API_TOKEN_FILE: &str = "api-token";

/// The system's random number generator failed (it does not, on a working Linux).
#[derive(Debug, thiserror::Error)]
#[error("the system random number generator failed: {0}")]
pub struct RandomError(String);

/// A fresh random token, URL-safe (43 characters).
pub fn random_token() -> Result<String, RandomError> {
    let mut bytes = [0u8; TOKEN_BYTES];
    getrandom::fill(&mut bytes).map_err(|e| RandomError(e.to_string()))?;
    Ok(URL_SAFE_NO_PAD.encode(bytes))
}

/// Equal in time that does not depend on where the strings differ (a length difference shows,
/// which says nothing: every token has the same length).
pub fn constant_time_eq(a: &str, b: &str) -> bool {
    a.as_bytes().ct_eq(b.as_bytes()).into()
}

/// SHA-256 of a token, hex: what is kept in memory and looked up, so a lookup's timing depends
/// on the digest, never on the secret itself.
pub fn digest(token: &str) -> String {
    let hash = Sha256::digest(token.as_bytes());
    hash.iter().fold(String::with_capacity(64), |mut s, b| {
        use std::fmt::Write as _;
        // Writing to a String cannot fail.
        let _ = write!(s, "{b:02x}");
        s
    })
}

/// Why the API token file cannot be used: the console refuses to start and says what to do.
#[derive(Debug, thiserror::Error)]
pub enum ApiTokenError {
    #[error("cannot read or create the API token {path}: {source}")]
    Io {
        path: PathBuf,
        source: std::io::Error,
    },
    #[error(
        "the API token {path} is readable by group or others (mode {mode:o}); \
         run `chmod 600 {path}` and start the console again"
    )]
    TooOpen { path: PathBuf, mode: u32 },
    #[error(
        "the API token {path} is empty or not a token; delete it and start the console again \
         (a new one is created; scripts must read the new one)"
    )]
    Malformed { path: PathBuf },
    #[error(transparent)]
    Random(#[from] RandomError),
}

/// The bearer token scripts and the CLI send: `<data-dir>/api-token`, created 0600 at the first
/// start and kept across restarts.
#[derive(Clone)]
pub struct ApiToken(String);

impl std::fmt::Debug for ApiToken {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("ApiToken(..)")
    }
}

impl ApiToken {
    pub fn load_or_create(data_dir: &Path) -> Result<ApiToken, ApiTokenError> {
        let path = data_dir.join(API_TOKEN_FILE);
        let io = |source| ApiTokenError::Io {
            path: path.clone(),
            source,
        };
        match std::fs::read_to_string(&path) {
            Ok(text) => {
                check_private(&path)?;
                let token = text.trim();
                if token.len() < 22 || !token.bytes().all(|b| b.is_ascii_graphic()) {
                    return Err(ApiTokenError::Malformed { path });
                }
                Ok(ApiToken(token.to_string()))
            }
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => {
                let token = random_token()?;
                let mut file = crate::private_files::create_new(&path).map_err(io)?;
                file.write_all(format!("{token}\n").as_bytes())
                    .and_then(|()| file.sync_all())
                    .map_err(io)?;
                Ok(ApiToken(token))
            }
            Err(e) => Err(io(e)),
        }
    }

    /// Whether `presented` is the token, compared in constant time.
    pub fn matches(&self, presented: &str) -> bool {
        constant_time_eq(&self.0, presented)
    }
}

fn check_private(path: &Path) -> Result<(), ApiTokenError> {
    let meta = std::fs::metadata(path).map_err(|source| ApiTokenError::Io {
        path: path.to_path_buf(),
        source,
    })?;
    match crate::private_files::too_open(&meta) {
        Some(mode) => Err(ApiTokenError::TooOpen {
            path: path.to_path_buf(),
            mode,
        }),
        None => Ok(()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tokens_are_long_random_and_url_safe() {
        let a = random_token().unwrap();
        let b = random_token().unwrap();
        assert_ne!(a, b);
        // 256 bits in base64 without padding.
        assert_eq!(a.len(), 43);
        assert!(
            a.bytes()
                .all(|c| c.is_ascii_alphanumeric() || c == b'-' || c == b'_')
        );
    }

    #[test]
    fn constant_time_eq_compares_whole_strings() {
        assert!(constant_time_eq("abc", "abc"));
        assert!(!constant_time_eq("abc", "abd"));
        assert!(!constant_time_eq("abc", "ab"));
    }

    #[test]
    fn api_token_is_created_private_and_reused() {
        let dir = tempfile::tempdir().unwrap();
        let first = ApiToken::load_or_create(dir.path()).unwrap();
        let again = ApiToken::load_or_create(dir.path()).unwrap();
        assert!(again.matches(&first.0));
        #[cfg(unix)]
        {
            use std::os::unix::fs::PermissionsExt;
            let path = dir.path().join(API_TOKEN_FILE);
            let mode = std::fs::metadata(&path).unwrap().permissions().mode() & 0o777;
            assert_eq!(mode, 0o600);
            std::fs::set_permissions(&path, std::fs::Permissions::from_mode(0o644)).unwrap();
            let err = ApiToken::load_or_create(dir.path()).unwrap_err();
            assert!(err.to_string().contains("chmod 600"), "{err}");
        }
    }
}
