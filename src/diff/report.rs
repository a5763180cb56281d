//! The result of a diff, independent of how it is printed.

use crate::cluster::ObjectKey;

/// What happens to one object.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Change {
    /// In Git, not in the cluster: sync creates it.
    Added,
    /// In both, different: sync updates it.
    Changed,
    /// Tracked to the app in the cluster, gone from Git: sync prunes it.
    Pruned,
}

impl Change {
    /// The word used in every output format.
    pub fn as_str(self) -> &'static str {
        match self {
            Change::Added => "added",
            Change::Changed => "changed",
            Change::Pruned => "pruned",
        }
    }
}

/// One object that differs.
#[derive(Debug, Clone)]
pub struct ObjectChange {
    /// Which object.
    pub key: ObjectKey,
    /// What sync would do.
    pub change: Change,
    /// Managers other than the GitOps appliers that own a differing field: a hand edit.
    pub drift_managers: Vec<String>,
    /// Secret keys added, removed or changed (values are never shown).
    pub secret_keys: Vec<String>,
    /// The unified diff, live (`-`) against desired (`+`), Secret values masked.
    pub diff: String,
}

/// The state of one app.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum AppStatus {
    /// Nothing to do.
    Synced,
    /// Sync would change something.
    OutOfSync,
    /// Only in the newer revision (revision diffs).
    Added,
    /// Only in the older revision (revision diffs).
    Removed,
    /// Could not be compared.
    Error,
    /// Not compared: the run stopped first (see [`DiffReport::incomplete`]).
    Unknown,
}

impl AppStatus {
    /// The word used in every output format (Argo CD's for the first two).
    pub fn as_str(self) -> &'static str {
        match self {
            AppStatus::Synced => "Synced",
            AppStatus::OutOfSync => "OutOfSync",
            AppStatus::Added => "Added",
            AppStatus::Removed => "Removed",
            AppStatus::Error => "Error",
            AppStatus::Unknown => "Unknown",
        }
    }
}

/// The diff of one app.
#[derive(Debug, Clone)]
pub struct AppDiff {
    /// The app.
    pub name: String,
    /// Its status.
    pub status: AppStatus,
    /// The objects that differ, in apply order of the tree (added and changed), then prunes.
    pub objects: Vec<ObjectChange>,
    /// Errors met while comparing this app (object-level errors name the object).
    pub errors: Vec<String>,
    /// For an app that left Git without Argo CD's resources finalizer: how many of its objects
    /// stay in the cluster, untracked.
    pub orphaned: usize,
}

impl AppDiff {
    /// How many objects have this change.
    pub fn count(&self, change: Change) -> usize {
        self.objects.iter().filter(|o| o.change == change).count()
    }

    /// The one-line header: `web: OutOfSync (1 added, 2 changed, 0 to prune)`.
    pub fn header(&self) -> String {
        match self.status {
            // An app with errors still shows what could be compared.
            AppStatus::OutOfSync | AppStatus::Error if !self.objects.is_empty() => format!(
                "{}: {} ({} added, {} changed, {} to prune)",
                self.name,
                self.status.as_str(),
                self.count(Change::Added),
                self.count(Change::Changed),
                self.count(Change::Pruned)
            ),
            AppStatus::Removed if self.orphaned > 0 => format!(
                "{}: removed from Git; {} objects stay (orphaned: its Application had no resources finalizer)",
                self.name, self.orphaned
            ),
            AppStatus::Removed => format!(
                "{}: removed from Git ({} to prune)",
                self.name,
                self.count(Change::Pruned)
            ),
            s => format!("{}: {}", self.name, s.as_str()),
        }
    }
}

/// The diff of a whole tree.
#[derive(Debug, Clone, Default)]
pub struct DiffReport {
    /// Per app, in tree order.
    pub apps: Vec<AppDiff>,
    /// Errors not tied to one app (tree errors).
    pub errors: Vec<String>,
    /// Warnings (unknown sync options, shared objects, skipped destinations).
    pub warnings: Vec<String>,
    /// Why the diff is unfinished (a server lost mid-run), one line; its apps that were not
    /// compared are `Unknown`.
    pub incomplete: Option<String>,
    /// For a revision diff, the two revisions compared (older, newer), as printed in hunk
    /// headers; None for a diff against the cluster.
    pub revisions: Option<(String, String)>,
}

impl DiffReport {
    /// True when sync would change something (or an app appeared or vanished).
    pub fn has_differences(&self) -> bool {
        self.apps.iter().any(|a| {
            matches!(
                a.status,
                AppStatus::OutOfSync | AppStatus::Added | AppStatus::Removed
            )
        })
    }

    /// How many apps have this status.
    pub fn apps_with(&self, status: AppStatus) -> usize {
        self.apps.iter().filter(|a| a.status == status).count()
    }

    /// How many objects, over all apps, have this change.
    pub fn objects_with(&self, change: Change) -> usize {
        self.apps.iter().map(|a| a.count(change)).sum()
    }

    /// True when anything failed (or the run stopped before every app was compared).
    pub fn has_errors(&self) -> bool {
        self.incomplete.is_some()
            || !self.errors.is_empty()
            || self.apps.iter().any(|a| !a.errors.is_empty())
    }

    /// The one line that says the diff is unfinished, and how much of it: None when complete.
    pub fn incomplete_line(&self) -> Option<String> {
        let why = self.incomplete.as_deref()?;
        let unknown = self.apps_with(AppStatus::Unknown);
        Some(format!(
            "{why}; the diff is incomplete: {unknown} of {} apps were not compared",
            self.apps.len()
        ))
    }
}
