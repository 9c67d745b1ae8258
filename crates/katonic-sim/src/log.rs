//! The in-memory request log tests assert on (method, path, query, status, body, time).

use std::sync::Mutex;

use serde_json::Value;
use time::OffsetDateTime;

/// One request the simulator served.
#[derive(Debug, Clone)]
pub struct LoggedRequest {
    pub method: String,
    /// Percent-decoded path, as sent.
    pub path: String,
    /// Raw query string (no leading `?`).
    pub query: String,
    /// HTTP status answered; 0 when a fault dropped the connection.
    pub status: u16,
    /// The JSON request body, if any (secrets in token requests are redacted).
    pub request_body: Option<Value>,
    /// ARM or Entra error code of the answer, if it was an error.
    pub error_code: Option<String>,
    /// The fault rule that fired, if any.
    pub fault: Option<String>,
    pub time: OffsetDateTime,
}

impl LoggedRequest {
    /// True for `method` on a path equal (case-insensitively) to `path`.
    pub fn is(&self, method: &str, path: &str) -> bool {
        self.method.eq_ignore_ascii_case(method) && self.path.eq_ignore_ascii_case(path)
    }
}

const MAX_ENTRIES: usize = 100_000;

#[derive(Default)]
pub(crate) struct RequestLog {
    entries: Mutex<Vec<LoggedRequest>>,
}

impl RequestLog {
    pub fn push(&self, entry: LoggedRequest) {
        let mut entries = self.entries.lock().unwrap_or_else(|e| e.into_inner());
        // A long `serve --simulate` session keeps only the newest entries.
        if entries.len() >= MAX_ENTRIES {
            entries.drain(..MAX_ENTRIES / 10);
        }
        entries.push(entry);
    }

    pub fn snapshot(&self) -> Vec<LoggedRequest> {
        self.entries
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .clone()
    }

    pub fn clear(&self) {
        self.entries
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .clear();
    }
}
