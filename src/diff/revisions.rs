//! Revision against revision, no cluster: which apps a change adds, removes or changes, and the
//! rendered object diffs. The pull-request preview.

use std::collections::BTreeMap;

use serde_json::Value;

use super::object::{compare_pair, object_key};
use super::report::{AppDiff, AppStatus, DiffReport};
use crate::apps::{AppNode, AppTree};
use crate::cluster::ObjectKey;

/// Diffs the apps of `old` against those of `new` (all when `only` is empty); apps that are the
/// same in both are left out.
pub fn diff_revisions(old: &AppTree, new: &AppTree, only: &[String]) -> DiffReport {
    let wanted = |name: &str| only.is_empty() || only.iter().any(|o| o == name);
    let mut report = DiffReport::default();
    for e in &old.errors {
        report.errors.push(format!("in the old revision: {e}"));
    }
    for e in &new.errors {
        report.errors.push(format!("in the new revision: {e}"));
    }
    for w in &new.warnings {
        report.warnings.push(format!("in the new revision: {w}"));
    }
    for app in new.apps.iter().filter(|a| wanted(&a.name)) {
        let before = old.get(&app.name);
        let mut diff = compare_apps(before, Some(app));
        diff.status = match before {
            None => AppStatus::Added,
            Some(_) if diff.objects.is_empty() => continue,
            Some(_) => AppStatus::OutOfSync,
        };
        report.apps.push(diff);
    }
    for app in old
        .apps
        .iter()
        .filter(|a| wanted(&a.name) && new.get(&a.name).is_none())
    {
        let mut diff = compare_apps(Some(app), None);
        diff.status = AppStatus::Removed;
        report.apps.push(diff);
    }
    report
}

fn objects_by_key(app: Option<&AppNode>) -> BTreeMap<ObjectKey, &Value> {
    app.map(|a| a.objects.iter().map(|o| (object_key(o), &o.body)).collect())
        .unwrap_or_default()
}

fn compare_apps(old: Option<&AppNode>, new: Option<&AppNode>) -> AppDiff {
    let name = new.or(old).map(|a| a.name.clone()).unwrap_or_default();
    let before = objects_by_key(old);
    let after = objects_by_key(new);
    let mut diff = AppDiff {
        name,
        status: AppStatus::Synced,
        objects: Vec::new(),
        errors: Vec::new(),
        orphaned: 0,
    };
    let keys: Vec<&ObjectKey> = after
        .keys()
        .chain(before.keys().filter(|k| !after.contains_key(*k)))
        .collect();
    for key in keys {
        // ignoreDifferences concern live state, not a change between revisions.
        if let Some(change) =
            compare_pair(key, after.get(key).copied(), before.get(key).copied(), &[])
        {
            diff.objects.push(change);
        }
    }
    for app in [old, new].into_iter().flatten() {
        if let Some(e) = &app.error {
            diff.errors.push(format!("app {:?}: {e}", app.name));
        }
    }
    diff
}
