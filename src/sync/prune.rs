//! Pruning what left Git, last and in reverse wave order, and only when the whole run allows it:
//! no app failed to render, every apply of the run succeeded, and an app that renders nothing
//! is not emptied unless it allows it (Argo CD's `allowEmpty`).

use std::collections::BTreeMap;

use futures::future::join_all;
use serde_json::Value;

use super::Ctx;
use super::error::{ObjectError, SyncError};
use super::events::Event;
use super::hooks::wait_gone;
use crate::cluster::{Propagation, delete};
use crate::plan::options::Propagation as Policy;
use crate::plan::{Prune, Session};

fn propagation(p: Policy) -> Propagation {
    match p {
        Policy::Foreground => Propagation::Foreground,
        Policy::Background => Propagation::Background,
        Policy::Orphan => Propagation::Orphan,
    }
}

/// Deletes `prunes` (already filtered and in reverse wave order), a wave at a time, waiting for
/// each wave to be gone. Returns how many were deleted, or the first failure.
pub(crate) async fn delete_all(
    ctx: &Ctx<'_>,
    session: &Session,
    app: &str,
    prunes: &[&Prune],
    policy: Policy,
) -> Result<usize, SyncError> {
    let mut waves: BTreeMap<std::cmp::Reverse<i64>, Vec<&Prune>> = BTreeMap::new();
    for p in prunes {
        waves.entry(std::cmp::Reverse(p.wave)).or_default().push(p);
    }
    let mut deleted = 0;
    for (_, group) in waves {
        let results = join_all(group.iter().map(|p| async move {
            let ns = if p.target.namespaced {
                p.key.namespace.as_deref()
            } else {
                None
            };
            let uid = p.live.pointer("/metadata/uid").and_then(Value::as_str);
            let failed = |source: ObjectError| SyncError::Prune {
                object: p.key.display_name(),
                source,
            };
            {
                let _permit = ctx.sem.acquire().await;
                delete(
                    &session.conn,
                    &p.target.resource,
                    ns,
                    &p.key.name,
                    uid,
                    propagation(policy),
                )
                .await
                .map_err(|e| failed(e.into()))?;
            }
            if policy != Policy::Orphan {
                wait_gone(ctx, session, &p.target, ns, &p.key.name)
                    .await
                    .map_err(failed)?;
            }
            ctx.events.send(Event::Pruned {
                app: app.to_string(),
                object: p.key.display_name(),
            });
            Ok::<_, SyncError>(())
        }))
        .await;
        for r in results {
            r?;
            deleted += 1;
        }
    }
    Ok(deleted)
}
