//! Retrying what a busy or restarting API server refuses for now: 429 and 5xx answers, with
//! exponential backoff. A request the server refused for a reason (validation, conflict, not
//! found) is not retried, and neither is a lost connection: the run stops cleanly instead.

use std::future::Future;
use std::time::Duration;

/// How many times a request is tried in all.
const ATTEMPTS: u32 = 5;

/// Whether an error is worth another try.
pub(crate) fn is_transient(e: &kube::Error) -> bool {
    match e {
        kube::Error::Api(s) => matches!(s.code, 429 | 502 | 503 | 504),
        _ => false,
    }
}

/// Runs `f` until it succeeds, fails for good, or the attempts run out (200 ms, doubling).
pub(crate) async fn retrying<T, F, Fut>(mut f: F) -> Result<T, kube::Error>
where
    F: FnMut() -> Fut,
    Fut: Future<Output = Result<T, kube::Error>>,
{
    let mut delay = Duration::from_millis(200);
    let mut attempt = 1;
    loop {
        match f().await {
            Err(e) if attempt < ATTEMPTS && is_transient(&e) => {
                tokio::time::sleep(delay).await;
                delay *= 2;
                attempt += 1;
            }
            other => return other,
        }
    }
}
