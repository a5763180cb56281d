//! What every request of a connection goes through, as a layer around kube's client stack: the
//! bearer token of an exec credential plugin (see `exec`), a deadline for the whole request,
//! and a record of the first transport failure, so the run stops at once when the server is
//! gone instead of failing every remaining request one by one.

use std::future::Future;
use std::pin::Pin;
use std::sync::{Arc, Mutex, PoisonError, RwLock};
use std::task::{Context, Poll};
use std::time::Duration;

use http::{HeaderValue, Request};
use tower::{BoxError, Layer, Service};

/// The whole request (sending it and the answer's headers) took longer than the deadline.
#[derive(Debug, thiserror::Error)]
#[error("no answer within {}", super::error::seconds(*.0))]
pub struct NoAnswerError(pub Duration);

/// The first transport failure of a connection: after it, the server counts as gone (until
/// [`Link::forget`], for a caller that starts over, such as the next round of a watch).
#[derive(Debug, Default)]
pub struct Link {
    lost: Mutex<Option<String>>,
}

impl Link {
    /// Records a transport failure (only the first one is kept: it is the cause).
    pub fn lose(&self, why: String) {
        self.lost
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .get_or_insert(why);
    }

    /// The first transport failure, if the connection had one.
    pub fn lost(&self) -> Option<String> {
        self.lost
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .clone()
    }

    /// Forgets the failure: the next request tries the server again.
    pub fn forget(&self) {
        *self.lost.lock().unwrap_or_else(PoisonError::into_inner) = None;
    }
}

/// A bearer token that a refresh task may replace while requests use it.
pub type SharedToken = Arc<RwLock<HeaderValue>>;

/// The layer: see the module documentation.
#[derive(Clone)]
pub struct Guard {
    /// The Authorization header to set, for tokens from an exec credential plugin.
    pub bearer: Option<SharedToken>,
    /// The connection's timeouts; `answer` is the deadline of each request.
    pub limits: Limits,
    /// Where transport failures are recorded.
    pub link: Arc<Link>,
}

impl<S> Layer<S> for Guard {
    type Service = Guarded<S>;

    fn layer(&self, inner: S) -> Guarded<S> {
        Guarded {
            inner,
            guard: self.clone(),
        }
    }
}

/// A service wrapped by [`Guard`].
pub struct Guarded<S> {
    inner: S,
    guard: Guard,
}

type BoxFuture<T> = Pin<Box<dyn Future<Output = Result<T, BoxError>> + Send>>;

impl<S, B> Service<Request<B>> for Guarded<S>
where
    S: Service<Request<B>>,
    S::Error: Into<BoxError>,
    S::Future: Send + 'static,
{
    type Response = S::Response;
    type Error = BoxError;
    type Future = BoxFuture<S::Response>;

    fn poll_ready(&mut self, cx: &mut Context<'_>) -> Poll<Result<(), BoxError>> {
        self.inner.poll_ready(cx).map_err(Into::into)
    }

    fn call(&mut self, mut req: Request<B>) -> Self::Future {
        if let Some(token) = &self.guard.bearer {
            // A poisoned lock still holds the last good token.
            let mut value = token
                .read()
                .unwrap_or_else(std::sync::PoisonError::into_inner)
                .clone();
            value.set_sensitive(true);
            req.headers_mut().insert(http::header::AUTHORIZATION, value);
        }
        let answer = self.inner.call(req);
        let limits = self.guard.limits;
        let link = Arc::clone(&self.guard.link);
        Box::pin(async move {
            // A backstop: connect and read timeouts (kube's connector) name the phase that
            // stalled and fire first; this catches what they cannot see (an answer that
            // trickles in forever).
            let result = match limits.answer.map(|a| a + limits.connect) {
                Some(d) => match tokio::time::timeout(d, answer).await {
                    Ok(r) => r.map_err(Into::into),
                    Err(_) => Err(Box::new(NoAnswerError(d)) as BoxError),
                },
                None => answer.await.map_err(Into::into),
            };
            // An error here never is an HTTP status (those are answers): the connection failed.
            if let Err(e) = &result {
                link.lose(describe(e.as_ref(), limits));
            }
            result
        })
    }
}

/// Which deadline a transport error met.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Timeout {
    /// No connection (TCP and TLS) in time.
    Connect(Duration),
    /// Connected, but no answer (or the answer stalled) in time.
    Answer(Duration),
}

/// The connect timeout and the answer deadline of a connection, so a timed-out `io::Error`
/// (which carries no duration) can be worded with its limit.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Limits {
    /// TCP connect and TLS handshake.
    pub connect: Duration,
    /// The whole request, and any stall while reading the answer (None: no limit).
    pub answer: Option<Duration>,
}

/// Which deadline, if any, an error from a request met.
pub fn timeout_of(err: &(dyn std::error::Error + 'static), limits: Limits) -> Option<Timeout> {
    let mut in_connect = false;
    let mut cur = Some(err);
    while let Some(e) = cur {
        if let Some(NoAnswerError(d)) = e.downcast_ref::<NoAnswerError>() {
            return Some(Timeout::Answer(*d));
        }
        if let Some(h) = e.downcast_ref::<hyper_util::client::legacy::Error>() {
            in_connect |= h.is_connect();
        }
        if let Some(io) = e.downcast_ref::<std::io::Error>()
            && io.kind() == std::io::ErrorKind::TimedOut
        {
            return Some(if in_connect {
                Timeout::Connect(limits.connect)
            } else {
                Timeout::Answer(limits.answer.unwrap_or_default())
            });
        }
        cur = e.source();
    }
    None
}

/// One line for a transport failure, for the record of the first one.
fn describe(err: &(dyn std::error::Error + 'static), limits: Limits) -> String {
    match timeout_of(err, limits) {
        Some(Timeout::Connect(d)) => format!(
            "no connection within {} (TCP connect and TLS handshake)",
            super::error::seconds(d)
        ),
        Some(Timeout::Answer(d)) => format!("no answer within {}", super::error::seconds(d)),
        None => super::error::root_cause(err),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_first_loss_is_the_cause() {
        let link = Link::default();
        assert_eq!(link.lost(), None);
        link.lose("connection refused".into());
        link.lose("connection reset".into());
        assert_eq!(link.lost().as_deref(), Some("connection refused"));
        link.forget();
        assert_eq!(link.lost(), None);
    }

    #[test]
    fn our_deadline_is_found_under_kube_wrapping() {
        let err = kube::Error::Service(Box::new(NoAnswerError(Duration::from_secs(2))));
        assert_eq!(
            timeout_of(&err, Limits::default()),
            Some(Timeout::Answer(Duration::from_secs(2)))
        );
        let other = kube::Error::Service("connection refused".into());
        assert_eq!(timeout_of(&other, Limits::default()), None);
    }
}
