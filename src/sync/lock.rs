//! Taking every app's lock before its plan is built: one sync per app at a time.

use std::time::Duration;

use crate::apps::AppTree;
use crate::cluster::lease::{self, HeldLease, LockError};
use crate::history::record;
use crate::plan::Clusters;

/// The locks of one run, released together.
pub struct Locks(Vec<HeldLease>);

impl Locks {
    /// Lets every lock go.
    pub async fn release(self) {
        for l in self.0 {
            l.release().await;
        }
    }
}

/// Locks the apps `select` names (with their descendants; every app when empty) in their
/// clusters, in a fixed order so two runs never wait on each other in a circle. The records
/// namespace is created on first use.
pub async fn lock_apps(
    clusters: &mut Clusters,
    tree: &AppTree,
    select: &[String],
    records_namespace: &str,
    holder: &str,
    wait: Duration,
) -> Result<Locks, LockError> {
    let mut wanted: std::collections::HashSet<&str> = select.iter().map(String::as_str).collect();
    let mut apps: Vec<(String, String)> = Vec::new();
    for a in &tree.apps {
        let chosen = select.is_empty()
            || wanted.contains(a.name.as_str())
            || a.parent.as_deref().is_some_and(|p| wanted.contains(p));
        if !chosen {
            continue;
        }
        wanted.insert(a.name.as_str());
        if let Some(ctx) = clusters.context_for(&a.app.spec.destination) {
            apps.push((ctx, a.name.clone()));
        }
    }
    apps.sort();
    let mut held = Vec::new();
    let mut ready = std::collections::HashSet::new();
    for (ctx, app) in apps {
        let session = match clusters.session(&ctx).await {
            Ok(s) => s,
            // An unreachable destination fails its app in the plan; nothing to lock there.
            Err(_) => continue,
        };
        if ready.insert(ctx.clone())
            && let Err(e) = record::ensure_namespace(&session.conn, records_namespace).await
        {
            Locks(held).release().await;
            return Err(e.into());
        }
        match lease::acquire(
            &session.conn,
            records_namespace,
            &record::record_name(&app),
            holder,
            &format!("app {app:?}"),
            wait,
        )
        .await
        {
            Ok(l) => held.push(l),
            Err(e) => {
                Locks(held).release().await;
                return Err(e);
            }
        }
    }
    Ok(Locks(held))
}
