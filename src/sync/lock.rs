//! Taking every app's lock before its plan is built: one sync per app at a time.

use std::time::Duration;

use crate::apps::AppTree;
use crate::cluster::lease::{self, HeldLeases, LeaseRequest, LockError};
use crate::history::record;
use crate::plan::Clusters;

/// The locks of one run, released together.
pub struct Locks(HeldLeases);

impl Locks {
    /// Lets every lock go.
    pub async fn release(self) {
        self.0.release().await;
    }
}

/// Locks the apps `select` names (with their descendants; every app when empty) in their
/// clusters, all at once (see [`lease::acquire_all`]). The records namespace, where the leases
/// live, is created on first use.
pub async fn lock_apps(
    clusters: &mut Clusters,
    tree: &AppTree,
    select: &[String],
    records_namespace: &str,
    holder: &str,
    wait: Duration,
    concurrency: usize,
) -> Result<Locks, LockError> {
    let mut requests = Vec::new();
    let mut ready = std::collections::HashSet::new();
    for a in crate::plan::selected(tree, select) {
        let Some(ctx) = clusters.context_for(&a.app.spec.destination) else {
            continue;
        };
        // An unreachable destination fails its app in the plan; nothing to lock there.
        let Ok(session) = clusters.session(&ctx).await else {
            continue;
        };
        if ready.insert(ctx.clone()) {
            record::ensure_namespace(&session.conn, records_namespace).await?;
        }
        requests.push(LeaseRequest {
            conn: session.conn.clone(),
            namespace: records_namespace.to_string(),
            name: record::record_name(&a.name),
            what: format!("app {:?}", a.name),
        });
    }
    Ok(Locks(
        lease::acquire_all(&requests, holder, wait, concurrency).await?,
    ))
}
