//! Waiting for objects to become healthy between waves, with Argo CD's health rules
//! (`crate::health`): Healthy or no health check is done, Degraded fails at once, anything
//! else is polled until the sync's deadline.

use std::time::{Duration, Instant};

use futures::{StreamExt, stream};
use serde_json::Value;

use super::Ctx;
use super::error::{Unready, WaitError};
use super::events::Event;
use crate::cluster::ObjectKey;
use crate::health::{self, Health, HealthStatus};
use crate::plan::{Session, Target};

/// An object to wait for.
pub(crate) struct Watched {
    /// Its identity.
    pub key: ObjectKey,
    /// How to reach it.
    pub target: Target,
    /// What the last write or read returned.
    pub live: Option<Value>,
}

fn ns(w: &Watched) -> Option<&str> {
    if w.target.namespaced {
        w.key.namespace.as_deref()
    } else {
        None
    }
}

/// Waits until every object is healthy (or has no health check). `hook` judges completion
/// instead (Jobs and Pods run to the end).
pub(crate) async fn until_healthy(
    ctx: &Ctx<'_>,
    session: &Session,
    app: &str,
    mut items: Vec<Watched>,
    hook: bool,
) -> Result<(), WaitError> {
    let judge = |live: &Value| -> Option<Health> {
        if hook {
            Some(health::assess_hook(live))
        } else {
            health::assess(live)
        }
    };
    let mut delay = Duration::from_millis(250);
    let mut last_event = Instant::now() - Duration::from_secs(60);
    loop {
        let mut pending: Vec<(Watched, Health)> = Vec::new();
        for w in items {
            let Some(live) = &w.live else {
                pending.push((
                    w,
                    Health {
                        status: HealthStatus::Missing,
                        message: "not found".into(),
                    },
                ));
                continue;
            };
            match judge(live) {
                None => {}
                Some(h) if h.status == HealthStatus::Healthy => {}
                Some(h) if h.status == HealthStatus::Degraded => {
                    return Err(WaitError::Degraded {
                        object: w.key.display_name(),
                        message: h.message,
                    });
                }
                Some(h) => pending.push((w, h)),
            }
        }
        if pending.is_empty() {
            return Ok(());
        }
        // Reads of a server that is gone fail; waiting on would only reach the deadline.
        if let Some(why) = session.conn.lost() {
            return Err(WaitError::Lost(why));
        }
        if Instant::now() >= ctx.deadline {
            return Err(WaitError::TimedOut {
                seconds: ctx.req.timeout.as_secs(),
                pending: pending
                    .into_iter()
                    .map(|(w, h)| Unready {
                        object: w.key.display_name(),
                        status: h.status,
                        message: h.message,
                    })
                    .collect(),
            });
        }
        if last_event.elapsed() >= Duration::from_secs(2) {
            let (w, h) = &pending[0];
            ctx.events.send(Event::Waiting {
                app: app.to_string(),
                pending: pending.len(),
                first: format!(
                    "{} ({}: {})",
                    w.key.display_name(),
                    h.status.as_str(),
                    h.message
                ),
            });
            last_event = Instant::now();
        }
        let sleep = delay.min(ctx.deadline.saturating_duration_since(Instant::now()));
        tokio::time::sleep(sleep).await;
        delay = (delay * 2).min(Duration::from_secs(2));
        // Read them again, bounded like every other request.
        let conn = &session.conn;
        items = stream::iter(pending.into_iter().map(|(w, _)| w))
            .map(|mut w| async move {
                let _permit = ctx.sem.acquire().await;
                let name = w.key.name.clone();
                if let Ok(found) =
                    crate::cluster::get(conn, &w.target.resource, ns(&w), &name).await
                {
                    w.live = found;
                }
                w
            })
            .buffer_unordered(ctx.req.concurrency.max(1))
            .collect()
            .await;
    }
}
