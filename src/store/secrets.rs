//! An install's secrets, sealed before they reach SQLite (see [`crate::secrets`]). Plaintext
//! lives only in `SecretString`s, which never print.

use super::{InstallId, Result, Store, StoreError};
use crate::secrets::Sealed;
use secrecy::SecretString;
use time::OffsetDateTime;

/// What an install may keep secret.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SecretName {
    /// The uploaded certificate chain (PEM): not secret, but kept with its key.
    TlsCertificate,
    /// The uploaded certificate's private key (PEM).
    TlsKey,
    /// A trial (self-signed) certificate behind an Application Gateway: made once, so the
    /// gateway trusts what the cluster serves (PEM).
    TrialCertificate,
    /// Its private key (PEM).
    TrialKey,
}

impl SecretName {
    pub fn as_str(&self) -> &'static str {
        match self {
            SecretName::TlsCertificate => "tls.certificate",
            SecretName::TlsKey => "tls.key",
            SecretName::TrialCertificate => "trial.certificate",
            SecretName::TrialKey => "trial.key",
        }
    }
}

/// The row a ciphertext belongs to, as associated data: moved to another row, it does not open.
fn aad(install: InstallId, name: SecretName) -> Vec<u8> {
    format!("katonic-console/v1/{install}/{}", name.as_str()).into_bytes()
}

/// Private keys join the redactor as soon as the console holds them (certificates are public).
fn register_keys<'a>(secrets: impl IntoIterator<Item = (SecretName, &'a SecretString)>) {
    for (name, value) in secrets {
        if matches!(name, SecretName::TlsKey | SecretName::TrialKey) {
            crate::redact::register(value);
        }
    }
}

impl Store {
    /// `secrets` of `install` sealed under the store's key, each bound to its install and name.
    fn sealed(
        &self,
        install: InstallId,
        secrets: &[(SecretName, &SecretString)],
    ) -> Result<Vec<(&'static str, crate::secrets::Sealed)>> {
        secrets
            .iter()
            .map(|(name, value)| {
                self.key
                    .seal(&aad(install, *name), value)
                    .map(|s| (name.as_str(), s))
                    .map_err(|e| StoreError::Corrupt(format!("sealing {}: {e}", name.as_str())))
            })
            .collect()
    }

    /// Seal and store `secrets` of `install` in one transaction, replacing earlier values.
    pub async fn put_secrets(
        &self,
        install: InstallId,
        secrets: &[(SecretName, &SecretString)],
    ) -> Result<()> {
        let id = install.to_string();
        let now = OffsetDateTime::now_utc();
        register_keys(secrets.iter().map(|(name, value)| (*name, *value)));
        let sealed = self.sealed(install, secrets)?;
        let mut tx = self.writer.begin_with("BEGIN IMMEDIATE").await?;
        let exists =
            sqlx::query_scalar!("SELECT 1 as \"one!: i64\" FROM installs WHERE id = ?", id)
                .fetch_optional(&mut *tx)
                .await?;
        if exists.is_none() {
            return Err(StoreError::NotFound(install));
        }
        for (name, s) in &sealed {
            sqlx::query!(
                "INSERT INTO install_secrets (install_id, name, nonce, ciphertext, created_at)
                 VALUES (?, ?, ?, ?, ?)
                 ON CONFLICT (install_id, name) DO UPDATE
                 SET nonce = excluded.nonce, ciphertext = excluded.ciphertext,
                     created_at = excluded.created_at",
                id,
                name,
                s.nonce,
                s.ciphertext,
                now,
            )
            .execute(&mut *tx)
            .await?;
        }
        tx.commit().await?;
        Ok(())
    }

    /// Seal and store `secrets` of `install` unless one of them is stored already, in one
    /// write transaction (the first writer wins: two steps making the same trial certificate
    /// keep one). `true` if written.
    pub async fn put_secrets_if_absent(
        &self,
        install: InstallId,
        secrets: &[(SecretName, &SecretString)],
    ) -> Result<bool> {
        let id = install.to_string();
        let now = OffsetDateTime::now_utc();
        let sealed = self.sealed(install, secrets)?;
        let mut tx = self.writer.begin_with("BEGIN IMMEDIATE").await?;
        for (name, _) in &sealed {
            let found: Option<i64> = sqlx::query_scalar(
                "SELECT 1 FROM install_secrets WHERE install_id = ? AND name = ?",
            )
            .bind(&id)
            .bind(name)
            .fetch_optional(&mut *tx)
            .await?;
            if found.is_some() {
                return Ok(false);
            }
        }
        for (name, s) in &sealed {
            sqlx::query(
                "INSERT INTO install_secrets (install_id, name, nonce, ciphertext, created_at)
                 VALUES (?, ?, ?, ?, ?)",
            )
            .bind(&id)
            .bind(name)
            .bind(&s.nonce)
            .bind(&s.ciphertext)
            .bind(now)
            .execute(&mut *tx)
            .await?;
        }
        tx.commit().await?;
        register_keys(secrets.iter().map(|(name, value)| (*name, *value)));
        Ok(true)
    }

    /// One secret of `install`, opened; `None` when it was never stored.
    pub async fn secret(
        &self,
        install: InstallId,
        name: SecretName,
    ) -> Result<Option<SecretString>> {
        let id = install.to_string();
        let name_text = name.as_str();
        let row = sqlx::query!(
            "SELECT nonce, ciphertext FROM install_secrets WHERE install_id = ? AND name = ?",
            id,
            name_text
        )
        .fetch_optional(&self.reader)
        .await?;
        let Some(row) = row else { return Ok(None) };
        let sealed = Sealed {
            nonce: row.nonce,
            ciphertext: row.ciphertext,
        };
        self.key
            .open(&aad(install, name), &sealed)
            .map(|secret| {
                register_keys([(name, &secret)]);
                Some(secret)
            })
            .map_err(|e| {
                StoreError::Corrupt(format!(
                    "secret {name_text} of install {install} does not open ({e}): was the data dir's {} replaced?",
                    crate::secrets::KEY_FILE
                ))
            })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::store::NewInstall;
    use secrecy::ExposeSecret;

    async fn draft(store: &Store) -> InstallId {
        store
            .create_install(NewInstall {
                name: "t".into(),
                answers: Default::default(),
                wizard_step: "azure".into(),
                validated: None,
                cloned_from: None,
            })
            .await
            .unwrap()
    }

    #[tokio::test]
    async fn secrets_round_trip_sealed_and_a_moved_row_does_not_open() {
        let dir = tempfile::tempdir().unwrap();
        let store = Store::open(dir.path()).await.unwrap();
        let a = draft(&store).await;
        let b = draft(&store).await;
        let value = SecretString::from("-----BEGIN PRIVATE KEY-----sekrit".to_string());
        store
            .put_secrets(a, &[(SecretName::TlsKey, &value)])
            .await
            .unwrap();
        let got = store.secret(a, SecretName::TlsKey).await.unwrap().unwrap();
        assert_eq!(got.expose_secret(), value.expose_secret());
        assert!(
            store
                .secret(a, SecretName::TlsCertificate)
                .await
                .unwrap()
                .is_none()
        );
        // The stored bytes are not the plaintext.
        let raw: Vec<u8> =
            sqlx::query_scalar("SELECT ciphertext FROM install_secrets WHERE install_id = ?")
                .bind(a.to_string())
                .fetch_one(store.reader())
                .await
                .unwrap();
        assert!(!raw.windows(6).any(|w| w == b"sekrit"));
        // Copy a's row to b: the associated data differs, so it does not open.
        sqlx::query(
            "INSERT INTO install_secrets (install_id, name, nonce, ciphertext, created_at)
             SELECT ?, name, nonce, ciphertext, created_at FROM install_secrets WHERE install_id = ?",
        )
        .bind(b.to_string())
        .bind(a.to_string())
        .execute(&store.writer)
        .await
        .unwrap();
        let err = store.secret(b, SecretName::TlsKey).await.unwrap_err();
        assert!(err.to_string().contains("does not open"), "{err}");
        // A replaced value wins.
        let newer = SecretString::from("newer".to_string());
        store
            .put_secrets(a, &[(SecretName::TlsKey, &newer)])
            .await
            .unwrap();
        let got = store.secret(a, SecretName::TlsKey).await.unwrap().unwrap();
        assert_eq!(got.expose_secret(), "newer");
        store.close().await;
    }

    #[tokio::test]
    async fn the_first_trial_certificate_kept_wins() {
        let dir = tempfile::tempdir().unwrap();
        let store = Store::open(dir.path()).await.unwrap();
        let a = draft(&store).await;
        let (c1, k1) = (
            SecretString::from("cert-one".to_string()),
            SecretString::from("key-one-secret".to_string()),
        );
        let (c2, k2) = (
            SecretString::from("cert-two".to_string()),
            SecretString::from("key-two-secret".to_string()),
        );
        let pair = |c, k| [(SecretName::TrialCertificate, c), (SecretName::TrialKey, k)];
        assert!(
            store
                .put_secrets_if_absent(a, &pair(&c1, &k1))
                .await
                .unwrap()
        );
        assert!(
            !store
                .put_secrets_if_absent(a, &pair(&c2, &k2))
                .await
                .unwrap()
        );
        let kept = store
            .secret(a, SecretName::TrialKey)
            .await
            .unwrap()
            .unwrap();
        assert_eq!(kept.expose_secret(), "key-one-secret");
        // The trial key joined the redactor (certificates are public).
        assert!(!crate::redact::redact("log: key-one-secret").contains("key-one-secret"));
        store.close().await;
    }

    #[tokio::test]
    async fn a_secret_of_an_unknown_install_is_refused() {
        let dir = tempfile::tempdir().unwrap();
        let store = Store::open(dir.path()).await.unwrap();
        let value = SecretString::from("x".to_string());
        assert!(matches!(
            store
                .put_secrets(InstallId::new(), &[(SecretName::TlsKey, &value)])
                .await,
            Err(StoreError::NotFound(_))
        ));
        store.close().await;
    }
}
