//! How retryable step errors are retried: exponential backoff with jitter (backon computes the
//! delays), never sooner than the service's `Retry-After`, bounded in tries and total time.

use backon::{BackoffBuilder, ExponentialBuilder};
use std::time::Duration;

/// Bounds on automatic retries of one step attempt.
#[derive(Debug, Clone, Copy)]
pub struct RetryPolicy {
    /// Tries in all, the first included.
    pub max_tries: u32,
    pub min_delay: Duration,
    pub max_delay: Duration,
    /// No retry starts after this much waiting in all.
    pub max_total_delay: Duration,
}

impl Default for RetryPolicy {
    /// 8 tries, 2 s doubling to 60 s, at most 10 minutes of waiting: ARM throttling windows
    /// are about a minute, and an operation that still conflicts after 10 minutes needs a human.
    fn default() -> Self {
        RetryPolicy {
            max_tries: 8,
            min_delay: Duration::from_secs(2),
            max_delay: Duration::from_secs(60),
            max_total_delay: Duration::from_secs(600),
        }
    }
}

impl RetryPolicy {
    /// Delays for one attempt's retries.
    pub fn delays(&self) -> Delays {
        let backoff = ExponentialBuilder::default()
            .with_min_delay(self.min_delay)
            .with_max_delay(self.max_delay)
            .with_max_times(self.max_tries.saturating_sub(1) as usize)
            .with_jitter()
            .build();
        Delays {
            backoff: Box::new(backoff),
            waited: Duration::ZERO,
            max_total: self.max_total_delay,
        }
    }
}

/// The retry schedule of one attempt.
pub struct Delays {
    backoff: Box<dyn Iterator<Item = Duration> + Send>,
    waited: Duration,
    max_total: Duration,
}

impl Delays {
    /// The wait before the next try, or `None` when the retries are spent. `retry_after` (the
    /// service's own request) wins when it is longer than the backoff.
    pub fn next(&mut self, retry_after: Option<Duration>) -> Option<Duration> {
        let backoff = self.backoff.next()?;
        // The service said when to come back: that, not the backoff's growing guess (which
        // only counts the try here).
        let delay = retry_after.unwrap_or(backoff);
        if self.waited + delay > self.max_total {
            return None;
        }
        self.waited += delay;
        Some(delay)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn quick() -> RetryPolicy {
        RetryPolicy {
            max_tries: 4,
            min_delay: Duration::from_millis(10),
            max_delay: Duration::from_millis(40),
            max_total_delay: Duration::from_secs(10),
        }
    }

    #[test]
    fn tries_are_bounded() {
        let mut d = quick().delays();
        let delays: Vec<_> = std::iter::from_fn(|| d.next(None)).collect();
        assert_eq!(delays.len(), 3, "4 tries = 3 waits");
        assert!(
            delays.iter().all(|d| *d <= Duration::from_millis(80)),
            "{delays:?}"
        );
    }

    #[test]
    fn retry_after_is_honoured() {
        let mut d = quick().delays();
        assert_eq!(
            d.next(Some(Duration::from_secs(3))),
            Some(Duration::from_secs(3))
        );
    }

    #[test]
    fn retry_after_is_not_stretched_by_the_backoff() {
        let mut d = RetryPolicy {
            max_tries: 8,
            min_delay: Duration::from_secs(2),
            max_delay: Duration::from_secs(60),
            max_total_delay: Duration::from_secs(600),
        }
        .delays();
        let one = Some(Duration::from_secs(1));
        let delays: Vec<_> = std::iter::from_fn(|| d.next(one)).collect();
        assert_eq!(
            delays,
            vec![Duration::from_secs(1); 7],
            "8 tries, 7 waits of 1 s"
        );
    }

    #[test]
    fn total_wait_is_bounded() {
        let mut d = RetryPolicy {
            max_total_delay: Duration::from_secs(5),
            ..quick()
        }
        .delays();
        assert_eq!(
            d.next(Some(Duration::from_secs(4))),
            Some(Duration::from_secs(4))
        );
        assert_eq!(d.next(Some(Duration::from_secs(4))), None);
    }
}
