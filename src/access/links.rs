//! Access links issued on the console's host, by another process than the running console
//! (`katonic-console access-link`): so an admin who signed out, or whose session ended, gets back
//! in without restarting the console (which would interrupt running installs). The two processes
//! share the data dir: the link's digest goes into the database, the running console's base URL
//! is in `<data-dir>/console-url`. Whoever can read the data dir can already read the API token,
//! so this grants nothing new.

use super::sessions::ACCESS_TOKEN_TTL;
use super::token::{self, RandomError};
use crate::store::{Store, StoreError};
use std::path::Path;
use time::OffsetDateTime;

/// File in the data dir holding the running console's base URL (`http://127.0.0.1:8080`): no
/// secret, written at each start.
pub const CONSOLE_URL_FILE: &str = "console-url";

#[derive(Debug, thiserror::Error)]
pub enum LinkError {
    #[error(transparent)]
    Random(#[from] RandomError),
    #[error("cannot record the access link in the console's database: {0}")]
    Store(#[from] StoreError),
}

/// A fresh one-time token, recorded (as its digest) for the running console to accept once
/// within [`ACCESS_TOKEN_TTL`].
pub async fn issue(store: &Store) -> Result<String, LinkError> {
    let token = token::random_token()?;
    let ttl = time::Duration::try_from(ACCESS_TOKEN_TTL).unwrap_or(time::Duration::minutes(15));
    store
        .add_access_link(&token::digest(&token), OffsetDateTime::now_utc() + ttl)
        .await?;
    Ok(token)
}

/// Spend a token issued by [`issue`]: `true` once, before it expires.
pub async fn redeem(store: &Store, presented: &str) -> Result<bool, StoreError> {
    store
        .redeem_access_link(&token::digest(presented), OffsetDateTime::now_utc())
        .await
}

/// Record the console's base URL for `access-link` to print (0600, as every file of the data
/// dir is).
pub fn write_console_url(data_dir: &Path, base_url: &str) -> std::io::Result<()> {
    crate::store::write_private(
        &data_dir.join(CONSOLE_URL_FILE),
        format!("{base_url}\n").as_bytes(),
    )
}

/// The base URL the last console started on this data dir recorded, if any.
pub fn read_console_url(data_dir: &Path) -> Option<String> {
    let text = std::fs::read_to_string(data_dir.join(CONSOLE_URL_FILE)).ok()?;
    let url = text.trim();
    (!url.is_empty()).then(|| url.to_string())
}
