//! One-time access links issued from the console's host (`katonic-console access-link`): the
//! issuing process and the running console share them through the database, since they are two
//! processes. Only digests are stored; a row is deleted when it is redeemed, so a link works once.
//!
//! Runtime `sqlx::query` rather than `query!`: `.sqlx/` cannot be regenerated here (no
//! sqlx-cli); the queries are two plain statements on a table this module owns.

use super::{Result, Store};
use time::OffsetDateTime;

impl Store {
    /// Record the digest of a fresh access token, valid until `expires_at`; expired rows go.
    pub async fn add_access_link(&self, digest: &str, expires_at: OffsetDateTime) -> Result<()> {
        let now = OffsetDateTime::now_utc().unix_timestamp();
        let mut tx = self.writer.begin_with("BEGIN IMMEDIATE").await?;
        sqlx::query("DELETE FROM access_links WHERE expires_at <= ?")
            .bind(now)
            .execute(&mut *tx)
            .await?;
        sqlx::query("INSERT INTO access_links (digest, expires_at) VALUES (?, ?)")
            .bind(digest)
            .bind(expires_at.unix_timestamp())
            .execute(&mut *tx)
            .await?;
        tx.commit().await?;
        Ok(())
    }

    /// Spend the link whose token has `digest`: `true` once, while it has not expired. The
    /// lookup is by digest, so its timing says nothing about the token.
    pub async fn redeem_access_link(&self, digest: &str, now: OffsetDateTime) -> Result<bool> {
        let deleted = sqlx::query("DELETE FROM access_links WHERE digest = ? AND expires_at > ?")
            .bind(digest)
            .bind(now.unix_timestamp())
            .execute(&self.writer)
            .await?
            .rows_affected();
        Ok(deleted == 1)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn a_link_works_once_and_not_after_it_expires() {
        let temp = tempfile::tempdir().unwrap();
        let store = Store::open(temp.path()).await.unwrap();
        let now = OffsetDateTime::now_utc();
        store
            .add_access_link("d1", now + time::Duration::minutes(15))
            .await
            .unwrap();
        assert!(!store.redeem_access_link("other", now).await.unwrap());
        assert!(store.redeem_access_link("d1", now).await.unwrap());
        assert!(!store.redeem_access_link("d1", now).await.unwrap(), "twice");
        store
            .add_access_link("d2", now + time::Duration::minutes(15))
            .await
            .unwrap();
        let late = now + time::Duration::minutes(16);
        assert!(!store.redeem_access_link("d2", late).await.unwrap());
    }
}
