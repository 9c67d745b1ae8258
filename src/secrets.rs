//! Secrets at rest: the console's key file and the AEAD that seals each stored secret.
//!
//! XChaCha20-Poly1305 (RustCrypto's `chacha20poly1305`): its 192-bit nonce is safe to pick at
//! random for every write. The associated data names the row a ciphertext belongs to (install and
//! secret name), so a ciphertext copied to another row does not open.

use chacha20poly1305::aead::{Aead, Generate, KeyInit, Payload};
use chacha20poly1305::{XChaCha20Poly1305, XNonce};
use secrecy::SecretString;
use std::io::Write;
use std::path::{Path, PathBuf};

/// File name of the key inside the data dir.
pub const KEY_FILE: &str = "secret.key";

/// Key length in bytes (XChaCha20-Poly1305 takes a 256-bit key).
const KEY_LEN: usize = 32;

/// Why the key file cannot be used; the console refuses to start and says what to do.
#[derive(Debug, thiserror::Error)]
pub enum KeyFileError {
    #[error("cannot read or create the secret key {path}: {source}")]
    Io {
        path: PathBuf,
        source: std::io::Error,
    },
    #[error(
        "the secret key {path} is {len} bytes, not {KEY_LEN}: it is damaged or not the console's; \
         restore it from the backup of this data dir (without it stored certificates cannot be read)"
    )]
    WrongSize { path: PathBuf, len: u64 },
    #[error(
        "the secret key {path} is readable by group or others (mode {mode:o}); \
         run `chmod 600 {path}` and start the console again"
    )]
    TooOpen { path: PathBuf, mode: u32 },
    #[error("the system random number generator failed: {0}")]
    Random(String),
}

/// Why a secret could not be sealed or opened.
#[derive(Debug, thiserror::Error, PartialEq, Eq)]
pub enum SealError {
    /// Wrong key, wrong row (associated data), or altered bytes: AEAD tells them apart from
    /// nothing, on purpose.
    #[error("the ciphertext does not open with this key for this row")]
    Open,
    #[error("the stored plaintext is not UTF-8 text")]
    NotText,
    #[error("encryption failed: {0}")]
    Seal(String),
}

/// One sealed value: a fresh random nonce and the ciphertext (with its tag).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Sealed {
    pub nonce: Vec<u8>,
    pub ciphertext: Vec<u8>,
}

/// The console's secret key; never printed.
#[derive(Clone)]
pub struct SecretKey {
    cipher: XChaCha20Poly1305,
}

impl std::fmt::Debug for SecretKey {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("SecretKey(..)")
    }
}

impl SecretKey {
    /// The key in `data_dir/secret.key`, created (32 random bytes, mode 0600) on first start.
    pub fn load_or_create(data_dir: &Path) -> Result<SecretKey, KeyFileError> {
        let path = data_dir.join(KEY_FILE);
        let io = |source| KeyFileError::Io {
            path: path.clone(),
            source,
        };
        match std::fs::symlink_metadata(&path) {
            Ok(_) => {}
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => create(&path)?,
            Err(e) => return Err(io(e)),
        }
        let meta = std::fs::metadata(&path).map_err(io)?;
        check_mode(&path, &meta)?;
        if meta.len() != KEY_LEN as u64 {
            return Err(KeyFileError::WrongSize {
                path,
                len: meta.len(),
            });
        }
        let bytes = secrecy::SecretSlice::from(std::fs::read(&path).map_err(io)?);
        let cipher =
            XChaCha20Poly1305::new_from_slice(secrecy::ExposeSecret::expose_secret(&bytes))
                .map_err(|_| KeyFileError::WrongSize {
                    path: path.clone(),
                    len: meta.len(),
                })?;
        Ok(SecretKey { cipher })
    }

    /// Seal `plaintext` for the row named by `aad`, under a fresh random nonce.
    pub fn seal(&self, aad: &[u8], plaintext: &SecretString) -> Result<Sealed, SealError> {
        let nonce = XNonce::try_generate().map_err(|e| SealError::Seal(e.to_string()))?;
        let msg = secrecy::ExposeSecret::expose_secret(plaintext).as_bytes();
        let ciphertext = self
            .cipher
            .encrypt(&nonce, Payload { msg, aad })
            .map_err(|e| SealError::Seal(e.to_string()))?;
        Ok(Sealed {
            nonce: nonce.to_vec(),
            ciphertext,
        })
    }

    /// Open what [`SecretKey::seal`] sealed for the same `aad`.
    pub fn open(&self, aad: &[u8], sealed: &Sealed) -> Result<SecretString, SealError> {
        let nonce = XNonce::try_from(sealed.nonce.as_slice()).map_err(|_| SealError::Open)?;
        let plain = self
            .cipher
            .decrypt(
                &nonce,
                Payload {
                    msg: &sealed.ciphertext,
                    aad,
                },
            )
            .map_err(|_| SealError::Open)?;
        String::from_utf8(plain)
            .map(SecretString::from)
            .map_err(|_| SealError::NotText)
    }
}

/// Write the key to a private temporary file, then link it into place: the key file appears
/// whole or not at all, and a key another process created first is never overwritten.
fn create(path: &Path) -> Result<(), KeyFileError> {
    let io = |source| KeyFileError::Io {
        path: path.to_path_buf(),
        source,
    };
    let key = <[u8; KEY_LEN]>::try_generate().map_err(|e| KeyFileError::Random(e.to_string()))?;
    let temp = path.with_extension(format!("key.{}.tmp", std::process::id()));
    let written = crate::private_files::create_new(&temp).and_then(|mut file| {
        file.write_all(&key)?;
        file.sync_all()
    });
    let linked = written.and_then(|()| std::fs::hard_link(&temp, path));
    let _ = std::fs::remove_file(&temp);
    match linked {
        Ok(()) => Ok(()),
        // Another process won the race: use its key.
        Err(e) if e.kind() == std::io::ErrorKind::AlreadyExists => Ok(()),
        Err(e) => Err(io(e)),
    }
}

fn check_mode(path: &Path, meta: &std::fs::Metadata) -> Result<(), KeyFileError> {
    match crate::private_files::too_open(meta) {
        Some(mode) => Err(KeyFileError::TooOpen {
            path: path.to_path_buf(),
            mode,
        }),
        None => Ok(()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use secrecy::ExposeSecret;

    fn secret(text: &str) -> SecretString {
        SecretString::from(text.to_string())
    }

    #[test]
    fn a_sealed_secret_opens_with_the_same_row_only() {
        let dir = tempfile::tempdir().unwrap();
        let key = SecretKey::load_or_create(dir.path()).unwrap();
        let sealed = key.seal(b"install-a/tls.key", &secret("hello")).unwrap();
        assert!(!sealed.ciphertext.windows(5).any(|w| w == b"hello"));
        assert_eq!(
            key.open(b"install-a/tls.key", &sealed)
                .unwrap()
                .expose_secret(),
            "hello"
        );
        assert_eq!(
            key.open(b"install-b/tls.key", &sealed).unwrap_err(),
            SealError::Open
        );
        let mut altered = sealed.clone();
        altered.ciphertext[0] ^= 1;
        assert_eq!(
            key.open(b"install-a/tls.key", &altered).unwrap_err(),
            SealError::Open
        );
    }

    #[test]
    fn every_write_gets_its_own_nonce() {
        let dir = tempfile::tempdir().unwrap();
        let key = SecretKey::load_or_create(dir.path()).unwrap();
        let a = key.seal(b"row", &secret("same")).unwrap();
        let b = key.seal(b"row", &secret("same")).unwrap();
        assert_ne!(a.nonce, b.nonce);
        assert_ne!(a.ciphertext, b.ciphertext);
    }

    #[cfg(unix)]
    #[test]
    fn the_key_file_is_created_0600_and_reused() {
        use std::os::unix::fs::PermissionsExt;
        let dir = tempfile::tempdir().unwrap();
        let first = SecretKey::load_or_create(dir.path()).unwrap();
        let path = dir.path().join(KEY_FILE);
        let meta = std::fs::metadata(&path).unwrap();
        assert_eq!(meta.permissions().mode() & 0o777, 0o600);
        assert_eq!(meta.len(), 32);
        let bytes = std::fs::read(&path).unwrap();
        let sealed = first.seal(b"row", &secret("kept")).unwrap();
        let second = SecretKey::load_or_create(dir.path()).unwrap();
        assert_eq!(
            std::fs::read(&path).unwrap(),
            bytes,
            "the key is not replaced"
        );
        assert_eq!(
            second.open(b"row", &sealed).unwrap().expose_secret(),
            "kept"
        );
        assert_eq!(format!("{second:?}"), "SecretKey(..)");
        // No temporary file is left behind.
        assert_eq!(std::fs::read_dir(dir.path()).unwrap().count(), 1);
    }

    #[cfg(unix)]
    #[test]
    fn a_key_file_open_to_others_is_refused_naming_the_fix() {
        use std::os::unix::fs::PermissionsExt;
        let dir = tempfile::tempdir().unwrap();
        SecretKey::load_or_create(dir.path()).unwrap();
        let path = dir.path().join(KEY_FILE);
        std::fs::set_permissions(&path, std::fs::Permissions::from_mode(0o640)).unwrap();
        let err = SecretKey::load_or_create(dir.path()).unwrap_err();
        assert!(
            matches!(err, KeyFileError::TooOpen { mode: 0o640, .. }),
            "{err}"
        );
        assert!(err.to_string().contains("chmod 600"), "{err}");
    }

    #[cfg(unix)]
    #[test]
    fn a_key_file_of_the_wrong_size_is_refused() {
        use std::os::unix::fs::PermissionsExt;
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join(KEY_FILE);
        std::fs::write(&path, b"too short").unwrap();
        std::fs::set_permissions(&path, std::fs::Permissions::from_mode(0o600)).unwrap();
        let err = SecretKey::load_or_create(dir.path()).unwrap_err();
        assert!(
            matches!(err, KeyFileError::WrongSize { len: 9, .. }),
            "{err}"
        );
        assert_eq!(std::fs::read(&path).unwrap(), b"too short", "left as found");
    }
}
