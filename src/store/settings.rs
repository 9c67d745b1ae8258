//! Console-wide settings (the Azure connection), with the client secret sealed under the data
//! dir's key (associated data `console_settings|client_secret|<section>`): the plaintext never
//! reaches SQLite, and a ciphertext moved to another section or column does not open.

use super::{Result, Store, StoreError};
use crate::azure::connection::{Connection, SavedConnection, SecretChange};
use crate::secrets::Sealed;
use time::OffsetDateTime;

/// The Azure connection's row.
const AZURE: &str = "azure";

fn secret_aad(section: &str) -> Vec<u8> {
    format!("console_settings|client_secret|{section}").into_bytes()
}

impl Store {
    /// The saved Azure connection, its secret opened (and registered for redaction).
    pub async fn azure_connection(&self) -> Result<Option<SavedConnection>> {
        let row = sqlx::query!(
            "SELECT settings, secret_nonce, secret_ciphertext, revision
             FROM console_settings WHERE section = ?",
            AZURE
        )
        .fetch_optional(&self.reader)
        .await?;
        let Some(row) = row else { return Ok(None) };
        let connection: Connection = serde_json::from_str(&row.settings)
            .map_err(|e| StoreError::Corrupt(format!("the saved Azure settings: {e}")))?;
        let client_secret = match (row.secret_nonce, row.secret_ciphertext) {
            (Some(nonce), Some(ciphertext)) => {
                let secret = self
                    .key
                    .open(&secret_aad(AZURE), &Sealed { nonce, ciphertext })
                    .map_err(|e| {
                        StoreError::Corrupt(format!(
                            "the saved Azure client secret does not open ({e}): was the data dir's {} replaced? Enter the secret again on the settings page",
                            crate::secrets::KEY_FILE
                        ))
                    })?;
                crate::redact::register(&secret);
                Some(secret)
            }
            _ => None,
        };
        Ok(Some(SavedConnection {
            connection,
            client_secret,
            revision: row.revision,
        }))
    }

    /// Save the Azure connection, sealing a new secret, keeping or clearing the stored one.
    /// Returns the new revision.
    pub async fn put_azure_connection(
        &self,
        connection: &Connection,
        secret: &SecretChange,
    ) -> Result<i64> {
        let settings = serde_json::to_string(connection)
            .map_err(|e| StoreError::Corrupt(format!("the Azure settings: {e}")))?;
        let sealed =
            match secret {
                SecretChange::Replace(value) => {
                    crate::redact::register(value);
                    Some(self.key.seal(&secret_aad(AZURE), value).map_err(|e| {
                        StoreError::Corrupt(format!("sealing the client secret: {e}"))
                    })?)
                }
                _ => None,
            };
        let keep = matches!(secret, SecretChange::Keep);
        let (nonce, ciphertext) = sealed.map(|s| (s.nonce, s.ciphertext)).unzip();
        let now = OffsetDateTime::now_utc();
        let mut tx = self.writer.begin_with("BEGIN IMMEDIATE").await?;
        // `keep`: the stored ciphertext stays; otherwise it becomes the new one (or NULL).
        let revision = sqlx::query_scalar!(
            "INSERT INTO console_settings (section, settings, secret_nonce, secret_ciphertext, revision, updated_at)
             VALUES (?1, ?2, ?3, ?4, 1, ?5)
             ON CONFLICT (section) DO UPDATE
             SET settings = excluded.settings,
                 secret_nonce = CASE WHEN ?6 THEN console_settings.secret_nonce ELSE excluded.secret_nonce END,
                 secret_ciphertext = CASE WHEN ?6 THEN console_settings.secret_ciphertext ELSE excluded.secret_ciphertext END,
                 revision = console_settings.revision + 1,
                 updated_at = excluded.updated_at
             RETURNING revision",
            AZURE,
            settings,
            nonce,
            ciphertext,
            now,
            keep,
        )
        .fetch_one(&mut *tx)
        .await?;
        tx.commit().await?;
        Ok(revision)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::azure::connection::{CloudChoice, CredentialChoice};
    use secrecy::{ExposeSecret, SecretString};

    fn connection() -> Connection {
        Connection {
            credential: CredentialChoice::ServicePrincipal,
            cloud: CloudChoice::Public,
            tenant_id: Some("0a1b2c3d-4e5f-4a7b-8c9d-0e1f2a3b4c5d".into()),
            client_id: Some("11111111-2222-4333-8444-555555555555".into()),
            managed_identity_client_id: None,
        }
    }

    #[tokio::test]
    async fn the_secret_is_sealed_kept_replaced_and_cleared() {
        let dir = tempfile::tempdir().unwrap();
        let store = Store::open(dir.path()).await.unwrap();
        assert!(store.azure_connection().await.unwrap().is_none());
        let canary = SecretString::from("settings-canary-7c1e~secret".to_string());
        let r1 = store
            .put_azure_connection(&connection(), &SecretChange::Replace(canary.clone()))
            .await
            .unwrap();
        let saved = store.azure_connection().await.unwrap().unwrap();
        assert_eq!(saved.connection, connection());
        assert_eq!(
            saved.client_secret.unwrap().expose_secret(),
            canary.expose_secret()
        );
        // Kept when not re-entered, with a new revision.
        let mut other = connection();
        other.cloud = CloudChoice::China;
        let r2 = store
            .put_azure_connection(&other, &SecretChange::Keep)
            .await
            .unwrap();
        assert!(r2 > r1);
        let saved = store.azure_connection().await.unwrap().unwrap();
        assert_eq!(saved.connection.cloud, CloudChoice::China);
        assert!(saved.client_secret.is_some());
        // The stored bytes are not the secret.
        let raw: Vec<u8> = sqlx::query_scalar(
            "SELECT secret_ciphertext FROM console_settings WHERE section = 'azure'",
        )
        .fetch_one(store.reader())
        .await
        .unwrap();
        assert!(!raw.windows(15).any(|w| w == b"settings-canary"));
        // Opened as another section's secret, it does not open (associated data).
        let row: (Vec<u8>, Vec<u8>) = sqlx::query_as(
            "SELECT secret_nonce, secret_ciphertext FROM console_settings WHERE section = 'azure'",
        )
        .fetch_one(store.reader())
        .await
        .unwrap();
        let sealed = Sealed {
            nonce: row.0,
            ciphertext: row.1,
        };
        assert!(store.key.open(&secret_aad(AZURE), &sealed).is_ok());
        assert!(store.key.open(&secret_aad("other"), &sealed).is_err());
        // Cleared.
        store
            .put_azure_connection(&connection(), &SecretChange::Clear)
            .await
            .unwrap();
        assert!(
            store
                .azure_connection()
                .await
                .unwrap()
                .unwrap()
                .client_secret
                .is_none()
        );
        store.close().await;
    }
}
