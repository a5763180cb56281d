//! App status, like `argocd app list`: sync status from the plan (the same one diff and sync
//! use), health from the live objects with Argo CD's rules, and what the app's record says was
//! deployed.

use serde::Serialize;

use crate::health::{self, Health, HealthStatus};
use crate::plan::{AppPlan, Plan};

/// Argo CD's sync status.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub enum SyncStatus {
    /// Nothing to do.
    Synced,
    /// Sync would change something.
    OutOfSync,
    /// Could not be compared (it does not render, or the cluster refused).
    Unknown,
}

/// The last sync of an app, from its record.
#[derive(Debug, Clone, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct LastSync {
    /// When it finished.
    pub finished_at: String,
    /// `Succeeded` or `Failed`.
    pub outcome: String,
    /// `sync`, `rollback`, `revert`.
    pub operation: String,
    /// Who ran it.
    pub user: String,
}

/// One app's status.
#[derive(Debug, Clone, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct AppStatus {
    /// The app.
    pub name: String,
    /// Its parent app.
    pub parent: Option<String>,
    /// Synced, OutOfSync or Unknown.
    pub sync: SyncStatus,
    /// Its health, its children's included.
    pub health: HealthStatus,
    /// Why it is not healthy (the worst object and its message).
    pub health_message: Option<String>,
    /// The revision its last successful sync deployed.
    pub deployed: Option<String>,
    /// The revision Git has now.
    pub revision: Option<String>,
    /// `context/namespace`.
    pub destination: String,
    /// Its last sync.
    pub last_sync: Option<LastSync>,
    /// Why it could not be compared.
    pub errors: Vec<String>,
}

/// An app's own health, as Argo CD (3.4+) aggregates it: objects without a health check are
/// left out, missing objects count only when none of the app's objects exists (then the app is
/// Missing), otherwise the worst status wins.
fn own_health(app: &AppPlan) -> (HealthStatus, Option<String>) {
    if app.steps.is_empty() {
        return (HealthStatus::Healthy, None);
    }
    if app.steps.iter().all(|s| s.live.is_none()) {
        return (
            HealthStatus::Missing,
            Some(format!("none of its {} objects exists", app.steps.len())),
        );
    }
    let assessed: Vec<(String, Health)> = app
        .steps
        .iter()
        .filter_map(|s| {
            let h = health::assess(s.live.as_ref()?)?;
            Some((s.key.display_name(), h))
        })
        .collect();
    let worst = health::aggregate(assessed.iter().map(|(_, h)| Some(h)));
    let why = assessed
        .iter()
        .find(|(_, h)| h.status == worst && worst != HealthStatus::Healthy)
        .map(|(name, h)| format!("{name}: {}", h.message));
    (worst, why)
}

/// The status of every app of a plan, children's health folded into their parents'.
pub fn statuses(plan: &Plan) -> Vec<AppStatus> {
    let mut out: Vec<AppStatus> = plan
        .apps
        .iter()
        .map(|a| {
            let (health, health_message) = own_health(a);
            let last = a.record.as_ref().and_then(|r| r.last());
            // An app the plan did not compare is Unknown, never Synced: the run stopped before
            // it (a lost server), or no kubeconfig context serves its destination.
            let mut errors = a.errors.clone();
            if a.unfinished {
                errors.push(format!(
                    "not compared: {}",
                    plan.incomplete.as_deref().unwrap_or("the run stopped")
                ));
            } else if a.context.is_none() {
                errors.push("not compared: its destination matches no kubeconfig context".into());
            }
            AppStatus {
                name: a.name.clone(),
                parent: a.parent.clone(),
                sync: if !errors.is_empty() {
                    SyncStatus::Unknown
                } else if a.out_of_sync() {
                    SyncStatus::OutOfSync
                } else {
                    SyncStatus::Synced
                },
                health: if errors.is_empty() {
                    health
                } else {
                    HealthStatus::Unknown
                },
                health_message,
                deployed: a
                    .record
                    .as_ref()
                    .and_then(|r| r.last_success())
                    .map(|e| e.revision.clone()),
                revision: a.revisions.first().cloned(),
                destination: format!(
                    "{}/{}",
                    a.context.as_deref().unwrap_or("no context"),
                    a.destination_namespace.as_deref().unwrap_or("")
                ),
                last_sync: last.map(|e| LastSync {
                    finished_at: e.finished_at.clone(),
                    outcome: format!("{:?}", e.outcome),
                    operation: e.operation.clone(),
                    user: e.user.clone(),
                }),
                errors,
            }
        })
        .collect();
    // Children come after their parents: fold from the end.
    for i in (0..out.len()).rev() {
        let Some(parent) = out[i].parent.clone() else {
            continue;
        };
        let (child_health, child_name) = (out[i].health, out[i].name.clone());
        if let Some(p) = out.iter_mut().find(|a| a.name == parent)
            && child_health > p.health
        {
            p.health = child_health;
            p.health_message = Some(format!(
                "child app {child_name:?} is {}",
                child_health.as_str()
            ));
        }
    }
    out
}
