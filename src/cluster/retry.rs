//! Retrying what a busy or restarting API server refuses for now: 429 and 502/503/504 answers,
//! with exponential backoff (or the server's `retryAfterSeconds`, when it says). A request the
//! server refused for a reason (validation, conflict, not found) is not retried, and neither
//! is a lost connection: the run stops cleanly instead (see `guard`).
//!
//! 500 is not retried on purpose: the API server answers 500 for an admission webhook that
//! failed or a bug on its side, which answer the same on the next try; retrying would only
//! delay the real error by the whole backoff.

use std::future::Future;
use std::time::Duration;

/// How many times a request is tried in all.
const ATTEMPTS: u32 = 5;
/// The first wait; it doubles after each try (0.2 + 0.4 + 0.8 + 1.6 s in all).
const FIRST_DELAY: Duration = Duration::from_millis(200);
/// The longest wait a server's `retryAfterSeconds` may ask for between two tries.
const MAX_RETRY_AFTER: Duration = Duration::from_secs(10);

/// Whether an error is worth another try, and after how long the server asked to wait.
pub(crate) fn transient(e: &kube::Error) -> Option<Option<Duration>> {
    match e {
        kube::Error::Api(s) if matches!(s.code, 429 | 502 | 503 | 504) => Some(
            s.details
                .as_ref()
                .map(|d| d.retry_after_seconds)
                .filter(|&s| s > 0)
                .map(|s| Duration::from_secs(u64::from(s)).min(MAX_RETRY_AFTER)),
        ),
        _ => None,
    }
}

/// Runs `f` until it succeeds, fails for good, or the attempts run out.
pub(crate) async fn retrying<T, F, Fut>(mut f: F) -> Result<T, kube::Error>
where
    F: FnMut() -> Fut,
    Fut: Future<Output = Result<T, kube::Error>>,
{
    let mut delay = FIRST_DELAY;
    let mut attempt = 1;
    loop {
        match f().await {
            Err(e) if attempt < ATTEMPTS => match transient(&e) {
                Some(asked) => {
                    tokio::time::sleep(asked.unwrap_or(delay).max(delay)).await;
                    delay *= 2;
                    attempt += 1;
                }
                None => return Err(e),
            },
            other => return other,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::sync::atomic::{AtomicU32, Ordering};

    fn status(code: u16, retry_after: u32) -> kube::Error {
        kube::Error::Api(
            serde_json::from_value(serde_json::json!({
                "code": code, "message": "busy", "reason": "TooManyRequests",
                "details": {"retryAfterSeconds": retry_after}
            }))
            .unwrap(),
        )
    }

    #[test]
    fn only_busy_answers_are_transient() {
        for code in [429, 502, 503, 504] {
            assert!(transient(&status(code, 0)).is_some(), "{code}");
        }
        for code in [400, 403, 404, 409, 422, 500] {
            assert!(transient(&status(code, 0)).is_none(), "{code}");
        }
        assert_eq!(
            transient(&status(429, 2)),
            Some(Some(Duration::from_secs(2)))
        );
        assert_eq!(
            transient(&status(429, 3600)),
            Some(Some(MAX_RETRY_AFTER)),
            "a server asking for an hour is not waited for an hour"
        );
    }

    #[tokio::test(start_paused = true)]
    async fn busy_answers_are_retried_with_backoff_and_then_given_up() {
        let tries = AtomicU32::new(0);
        let started = tokio::time::Instant::now();
        let r: Result<(), _> = retrying(|| async {
            tries.fetch_add(1, Ordering::Relaxed);
            Err(status(503, 0))
        })
        .await;
        assert!(r.is_err());
        assert_eq!(tries.load(Ordering::Relaxed), ATTEMPTS);
        assert_eq!(
            started.elapsed(),
            Duration::from_millis(200 + 400 + 800 + 1600)
        );
        let tries = AtomicU32::new(0);
        let r = retrying(|| async {
            if tries.fetch_add(1, Ordering::Relaxed) < 2 {
                Err(status(429, 1))
            } else {
                Ok(7)
            }
        })
        .await;
        assert_eq!(r.unwrap(), 7);
        let tries = AtomicU32::new(0);
        let _: Result<(), _> = retrying(|| async {
            tries.fetch_add(1, Ordering::Relaxed);
            Err(status(500, 0))
        })
        .await;
        assert_eq!(tries.load(Ordering::Relaxed), 1, "500 is not retried");
    }
}
