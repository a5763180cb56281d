//! The result of a sync, independent of how it is printed.

use serde::Serialize;

/// How one app's sync ended.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub enum AppOutcome {
    /// Applied (or already right) and healthy.
    Synced,
    /// Something was refused, degraded, or timed out.
    Failed,
    /// Not started: its parent or an earlier wave failed, or its destination matches no
    /// context.
    Skipped,
}

impl AppOutcome {
    /// The word used in every output format.
    pub fn as_str(self) -> &'static str {
        match self {
            AppOutcome::Synced => "Synced",
            AppOutcome::Failed => "Failed",
            AppOutcome::Skipped => "Skipped",
        }
    }
}

/// One app's result.
#[derive(Debug, Clone, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct AppResult {
    /// The app.
    pub name: String,
    /// Its cluster (kubeconfig context).
    pub context: Option<String>,
    /// How it ended.
    pub outcome: AppOutcome,
    /// Objects applied (created, changed or replaced).
    pub applied: usize,
    /// Objects pruned.
    pub pruned: usize,
    /// Hooks run.
    pub hooks: usize,
    /// Prune candidates left in place (`Prune=false`, or prune not asked for).
    pub not_pruned: usize,
    /// Seconds it took.
    pub seconds: f64,
    /// Why it failed or was skipped (one line), or a note.
    pub message: Option<String>,
}

/// An app that left the tree, and what became of its objects.
#[derive(Debug, Clone, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct RemovedResult {
    /// The app.
    pub name: String,
    /// Its cluster.
    pub context: String,
    /// `deleted` (cascade, pruned), `orphaned` (no finalizer, left), or `kept` (no --prune).
    pub fate: &'static str,
    /// How many objects.
    pub objects: usize,
}

/// The result of a sync.
#[derive(Debug, Clone, Default, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct SyncReport {
    /// The commit deployed (None for a dry run of the work tree).
    pub revision: Option<String>,
    /// Per app, in tree order.
    pub apps: Vec<AppResult>,
    /// Apps that left the tree.
    pub removed: Vec<RemovedResult>,
    /// Why nothing was pruned, when prune was asked for and a guard stopped it.
    pub prune_skipped: Option<String>,
    /// Errors not tied to one app.
    pub errors: Vec<String>,
    /// Warnings.
    pub warnings: Vec<String>,
    /// Seconds the whole sync took.
    pub seconds: f64,
    /// Why the run stopped (a server was lost) before every app was synced, one line.
    pub incomplete: Option<String>,
}

impl SyncReport {
    /// True when no app failed and nothing else did: every app that could run synced and is
    /// healthy (an app skipped for want of a matching context is a warning, not a failure; one
    /// skipped because its parent failed comes with that failure).
    pub fn succeeded(&self) -> bool {
        self.incomplete.is_none()
            && self.errors.is_empty()
            && self.apps.iter().all(|a| a.outcome != AppOutcome::Failed)
    }
}
