//! ARM's per-subscription token buckets (reads 250 + 25/s, writes and deletes 200 + 10/s), the
//! `x-ms-ratelimit-remaining-*` headers, and the 429 answer.

use axum::http::StatusCode;
use time::OffsetDateTime;

use super::errors::ArmError;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Class {
    Read,
    Write,
    Delete,
}

#[derive(Debug, Clone)]
struct Bucket {
    capacity: f64,
    refill_per_s: f64,
    tokens: f64,
}

impl Bucket {
    fn new(capacity: f64, refill_per_s: f64) -> Self {
        Self {
            capacity,
            refill_per_s,
            tokens: capacity,
        }
    }

    fn refill(&mut self, elapsed_s: f64) {
        self.tokens = (self.tokens + elapsed_s * self.refill_per_s).min(self.capacity);
    }
}

pub(crate) struct Buckets {
    last: OffsetDateTime,
    read: Bucket,
    write: Bucket,
    delete: Bucket,
}

impl Buckets {
    pub fn new(now: OffsetDateTime) -> Self {
        Self {
            last: now,
            read: Bucket::new(250.0, 25.0),
            write: Bucket::new(200.0, 10.0),
            delete: Bucket::new(200.0, 10.0),
        }
    }

    fn advance(&mut self, now: OffsetDateTime) {
        let elapsed = (now - self.last).as_seconds_f64().max(0.0);
        self.last = now.max(self.last);
        for b in [&mut self.read, &mut self.write, &mut self.delete] {
            b.refill(elapsed);
        }
    }

    /// Take a token; `Err(seconds)` to wait when the bucket is empty.
    pub fn take(&mut self, class: Class, now: OffsetDateTime) -> Result<(), u64> {
        self.advance(now);
        let b = match class {
            Class::Read => &mut self.read,
            Class::Write => &mut self.write,
            Class::Delete => &mut self.delete,
        };
        if b.tokens >= 1.0 {
            b.tokens -= 1.0;
            Ok(())
        } else {
            Err(((1.0 - b.tokens) / b.refill_per_s).ceil().max(1.0) as u64)
        }
    }

    pub fn remaining(&mut self, now: OffsetDateTime) -> Vec<(&'static str, u64)> {
        self.advance(now);
        vec![
            (
                "x-ms-ratelimit-remaining-subscription-reads",
                self.read.tokens as u64,
            ),
            (
                "x-ms-ratelimit-remaining-subscription-writes",
                self.write.tokens as u64,
            ),
            (
                "x-ms-ratelimit-remaining-subscription-deletes",
                self.delete.tokens as u64,
            ),
            (
                "x-ms-ratelimit-remaining-tenant-reads",
                self.read.tokens as u64,
            ),
        ]
    }
}

/// ARM's 429.
pub(crate) fn too_many(retry_after: u64) -> ArmError {
    ArmError::new(
        StatusCode::TOO_MANY_REQUESTS,
        "TooManyRequests",
        "The request is being throttled as the limit has been reached for operation type - Read_ObservationWindow_00:05:00. For more information, refer to - https://aka.ms/armthrottling",
    )
    .header("retry-after", retry_after.to_string())
}
