//! Each app's record in its cluster: what it owns (its inventory) and its last syncs.
//!
//! Argo CD keeps this in the Application's status; with no Argo CD in the cluster, it lives in
//! a ConfigMap per app in a namespace of the tool's (`kubectl-gitops` unless
//! `--records-namespace` says otherwise), readable with plain kubectl:
//! `kubectl -n kubectl-gitops get configmap app-<name> -o yaml`. It never holds a Secret value:
//! only object identities, revisions, times, users and counts.

use std::collections::BTreeSet;

use k8s_openapi::api::core::v1::{ConfigMap, Namespace};
use k8s_openapi::apimachinery::pkg::apis::meta::v1::ObjectMeta;
use kube::api::{Api, ListParams, Patch, PatchParams};
use serde::{Deserialize, Serialize};

use crate::cluster::{ClusterError, Connection};

/// The records namespace when none is given.
pub const DEFAULT_NAMESPACE: &str = "kubectl-gitops";
/// How many syncs a record keeps (Argo CD's default `revisionHistoryLimit`).
pub const HISTORY_LIMIT: usize = 10;
const MANAGER: &str = "kubectl-gitops-records";
const MANAGED_BY: (&str, &str) = ("app.kubernetes.io/managed-by", "kubectl-gitops");
const KIND_LABEL: (&str, &str) = ("kubectl-gitops.io/record", "app");

/// A group, kind and namespace the app has had objects in: where its objects are looked for
/// when something leaves Git, without listing every kind of the cluster.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
pub struct InventoryEntry {
    /// API group (`""` for core).
    pub group: String,
    /// Kind.
    pub kind: String,
    /// Namespace, or None for cluster-scoped kinds.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub namespace: Option<String>,
}

/// How a sync ended.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub enum Outcome {
    /// Everything applied and healthy.
    Succeeded,
    /// Something was refused, degraded or timed out.
    Failed,
}

/// One sync of the app.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct SyncEntry {
    /// Increasing id (Argo CD's history ids).
    pub id: u64,
    /// What ran: `sync`, `rollback`, `revert`.
    pub operation: String,
    /// The commit deployed (the app's first source).
    pub revision: String,
    /// Every source's commit, in source order.
    #[serde(default)]
    pub revisions: Vec<String>,
    /// When it started (RFC 3339).
    pub started_at: String,
    /// When it ended (RFC 3339).
    pub finished_at: String,
    /// The kubeconfig user that ran it.
    pub user: String,
    /// How it ended.
    pub outcome: Outcome,
    /// Objects applied.
    pub applied: usize,
    /// Objects pruned.
    pub pruned: usize,
    /// Hooks run.
    pub hooks: usize,
    /// Why it failed, one line.
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub message: String,
}

/// An app's record.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct AppRecord {
    /// The app's name.
    pub app: String,
    /// Which tree deployed it (repository and root), so apps of other trees are never taken
    /// for apps that left this one.
    pub tree: String,
    /// Whether its Application carries Argo CD's resources finalizer: when it leaves Git, its
    /// objects are deleted (cascade) rather than orphaned.
    pub cascade: bool,
    /// The destination namespace, for the tracking ids of cluster-scoped objects.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub destination_namespace: Option<String>,
    /// Where its objects live.
    pub inventory: BTreeSet<InventoryEntry>,
    /// The last syncs, oldest first.
    pub history: Vec<SyncEntry>,
}

impl AppRecord {
    /// The last sync, if any.
    pub fn last(&self) -> Option<&SyncEntry> {
        self.history.last()
    }

    /// The last sync, when it deployed `revision` and succeeded: the record's word that this
    /// revision is what runs now.
    pub fn deployed_last(&self, revision: &str) -> Option<&SyncEntry> {
        self.last()
            .filter(|e| e.outcome == Outcome::Succeeded && e.revision == revision)
    }

    /// The last successful sync, if any.
    pub fn last_success(&self) -> Option<&SyncEntry> {
        self.history
            .iter()
            .rev()
            .find(|e| e.outcome == Outcome::Succeeded)
    }

    /// Appends a sync, keeping the last [`HISTORY_LIMIT`].
    pub fn push(&mut self, mut entry: SyncEntry) {
        entry.id = self.history.last().map_or(0, |e| e.id + 1);
        self.history.push(entry);
        let excess = self.history.len().saturating_sub(HISTORY_LIMIT);
        self.history.drain(..excess);
    }
}

/// The ConfigMap (and Lease) name of an app's record: `app-<name>`, or a hash of the name when
/// that would not be a valid name (the record's annotation keeps the real one).
pub fn record_name(app: &str) -> String {
    let plain = format!("app-{app}");
    if crate::names::subdomain("record name", &plain).is_ok() {
        return plain;
    }
    format!("app-{:016x}", crate::names::stable_hash(app))
}

/// Every app record in the records namespace of one cluster (none when it does not exist).
pub async fn load_all(conn: &Connection, namespace: &str) -> Result<Vec<AppRecord>, ClusterError> {
    crate::names::namespace(namespace)?;
    let api: Api<ConfigMap> = Api::namespaced(conn.client.clone(), namespace);
    let selector = format!("{}={}", KIND_LABEL.0, KIND_LABEL.1);
    let list = match api.list(&ListParams::default().labels(&selector)).await {
        Ok(l) => l,
        Err(kube::Error::Api(s)) if s.code == 404 => return Ok(Vec::new()),
        Err(kube::Error::Api(s)) if s.code == 403 => {
            return Err(ClusterError::Forbidden {
                context: conn.context.clone(),
                user: None,
                verb: "list".into(),
                what: format!("ConfigMap (v1) in namespace {namespace:?} (the app records)"),
            });
        }
        Err(e) => return Err(conn.error(e, "read the app records")),
    };
    let mut out = Vec::new();
    for cm in list.items {
        let Some(text) = cm.data.as_ref().and_then(|d| d.get("record.json")) else {
            continue;
        };
        // A record someone edited into nonsense is ignored rather than trusted.
        if let Ok(record) = serde_json::from_str::<AppRecord>(text) {
            out.push(record);
        }
    }
    Ok(out)
}

/// Writes an app's record (the records namespace must exist: see [`ensure_namespace`]).
pub async fn save(
    conn: &Connection,
    namespace: &str,
    record: &AppRecord,
) -> Result<(), ClusterError> {
    crate::names::namespace(namespace)?;
    let name = record_name(&record.app);
    let text = serde_json::to_string_pretty(record).map_err(|e| ClusterError::Api {
        context: conn.context.clone(),
        action: "write an app record".into(),
        message: e.to_string(),
        code: 0,
    })?;
    let cm = ConfigMap {
        metadata: ObjectMeta {
            name: Some(name.clone()),
            namespace: Some(namespace.to_string()),
            labels: Some(
                [MANAGED_BY, KIND_LABEL]
                    .iter()
                    .map(|(k, v)| (k.to_string(), v.to_string()))
                    .collect(),
            ),
            annotations: Some(
                [
                    ("kubectl-gitops.io/app".to_string(), record.app.clone()),
                    ("kubectl-gitops.io/tree".to_string(), record.tree.clone()),
                ]
                .into(),
            ),
            ..Default::default()
        },
        data: Some([("record.json".to_string(), text)].into()),
        ..Default::default()
    };
    let api: Api<ConfigMap> = Api::namespaced(conn.client.clone(), namespace);
    api.patch(
        &name,
        &PatchParams::apply(MANAGER).force(),
        &Patch::Apply(&cm),
    )
    .await
    .map_err(|e| conn.error(e, "write an app record"))?;
    Ok(())
}

/// Deletes an app's record (its app left the tree and its objects were dealt with).
pub async fn delete(conn: &Connection, namespace: &str, app: &str) -> Result<(), ClusterError> {
    let api: Api<ConfigMap> = Api::namespaced(conn.client.clone(), namespace);
    match api.delete(&record_name(app), &Default::default()).await {
        Ok(_) => Ok(()),
        Err(kube::Error::Api(s)) if s.code == 404 => Ok(()),
        Err(e) => Err(conn.error(e, "delete an app record")),
    }
}

/// Creates the records namespace if it is missing (server-side apply: a no-op otherwise).
pub async fn ensure_namespace(conn: &Connection, namespace: &str) -> Result<(), ClusterError> {
    let api: Api<Namespace> = Api::all(conn.client.clone());
    let ns = Namespace {
        metadata: ObjectMeta {
            name: Some(namespace.to_string()),
            labels: Some([(MANAGED_BY.0.to_string(), MANAGED_BY.1.to_string())].into()),
            ..Default::default()
        },
        ..Default::default()
    };
    api.patch(namespace, &PatchParams::apply(MANAGER), &Patch::Apply(&ns))
        .await
        .map_err(|e| conn.error(e, "create the records namespace"))?;
    Ok(())
}

#[cfg(test)]
pub(crate) mod tests {
    use super::*;

    /// A sync by user "u" that applied one object: for tests here and in `timeline`.
    pub(crate) fn entry_at(id: u64, revision: String, outcome: Outcome) -> SyncEntry {
        SyncEntry {
            id,
            operation: "sync".into(),
            revision,
            revisions: vec![],
            started_at: String::new(),
            finished_at: String::new(),
            user: "u".into(),
            outcome,
            applied: 1,
            pruned: 0,
            hooks: 0,
            message: String::new(),
        }
    }

    #[test]
    fn history_keeps_the_last_ten_with_increasing_ids() {
        let mut r = AppRecord::default();
        for i in 0..12 {
            r.push(entry_at(
                0,
                "abc".into(),
                if i == 11 {
                    Outcome::Failed
                } else {
                    Outcome::Succeeded
                },
            ));
        }
        assert_eq!(r.history.len(), HISTORY_LIMIT);
        assert_eq!(r.history[0].id, 2);
        assert_eq!(r.last().map(|e| e.id), Some(11));
        assert_eq!(r.last_success().map(|e| e.id), Some(10));
    }

    #[test]
    fn record_names_are_valid_configmap_names() {
        assert_eq!(record_name("blog"), "app-blog");
        let long = "a".repeat(253);
        let n = record_name(&long);
        assert!(
            n.len() <= 253 && crate::names::subdomain("n", &n).is_ok(),
            "{n}"
        );
    }
}
