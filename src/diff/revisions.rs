//! Revision against revision, no cluster: which apps a change adds, removes or changes, the
//! changes to the Applications themselves, and the rendered object diffs. The pull-request
//! preview, which must never mislead: an app that fails to render on either side is an error
//! (not a pile of added or pruned objects), and so is an app whose presence on one side cannot
//! be known because something above it failed there.

use std::collections::BTreeMap;

use serde_json::{Map, Value};

use super::compare;
use super::object::compare_pair;
use super::report::{AppDiff, AppStatus, Change, DiffReport, ObjectChange};
use crate::apps::{AppNode, AppTree, TreeError};
use crate::cluster::ObjectKey;

/// The two revisions of a diff, as they head its hunks.
#[derive(Debug, Clone)]
pub struct RevisionLabels {
    /// The older one (`main (abc1234)`).
    pub from: String,
    /// The newer one (`feature (def5678)`, `work tree`).
    pub to: String,
}

/// Diffs the apps of `old` against those of `new` (all when `only` is empty).
pub fn diff_revisions(
    old: &AppTree,
    new: &AppTree,
    only: &[String],
    labels: &RevisionLabels,
) -> DiffReport {
    let wanted = |name: &str| only.is_empty() || only.iter().any(|o| o == name);
    let mut report = DiffReport {
        revisions: Some((labels.from.clone(), labels.to.clone())),
        ..Default::default()
    };
    // Render errors are reported with their app; the others concern the tree.
    for (tree, label) in [(old, &labels.from), (new, &labels.to)] {
        for e in tree
            .errors
            .iter()
            .filter(|e| !matches!(e, TreeError::Render { .. }))
        {
            report.errors.push(format!("in {label}: {e}"));
        }
        for w in &tree.warnings {
            report.warnings.push(format!("in {label}: {w}"));
        }
    }
    // A root that does not read leaves nothing to compare: every app would look added or
    // removed.
    if [old, new]
        .iter()
        .any(|t| t.errors.iter().any(|e| matches!(e, TreeError::Root { .. })))
    {
        return report;
    }
    let sides = Sides { old, new, labels };
    for app in new.apps.iter().filter(|a| wanted(&a.name)) {
        report
            .apps
            .push(sides.compare(old.get(&app.name), Some(app)));
    }
    for app in old
        .apps
        .iter()
        .filter(|a| wanted(&a.name) && new.get(&a.name).is_none())
    {
        report.apps.push(sides.compare(Some(app), None));
    }
    report
}

struct Sides<'a> {
    old: &'a AppTree,
    new: &'a AppTree,
    labels: &'a RevisionLabels,
}

impl Sides<'_> {
    fn compare(&self, before: Option<&AppNode>, after: Option<&AppNode>) -> AppDiff {
        let name = after.or(before).map(|a| a.name.clone()).unwrap_or_default();
        let mut diff = AppDiff {
            name: name.clone(),
            status: AppStatus::Synced,
            objects: Vec::new(),
            errors: Vec::new(),
            orphaned: 0,
        };
        for (app, label) in [(before, &self.labels.from), (after, &self.labels.to)] {
            if let Some(e) = app.and_then(|a| a.error.as_ref()) {
                diff.errors
                    .push(format!("app {name:?} fails to render in {label}: {e}"));
            }
        }
        // Missing on one side: removed or added, unless a failure there hides it.
        match (before, after) {
            (Some(b), None) => {
                if let Some(why) = why_missing(b, self.old, self.new, &self.labels.to) {
                    diff.errors.push(format!("app {name:?}: {why}"));
                } else if diff.errors.is_empty() {
                    diff.status = AppStatus::Removed;
                    diff.objects = object_changes(before, None, self.labels);
                    return diff;
                }
            }
            (None, Some(a)) => {
                if let Some(why) = why_missing(a, self.new, self.old, &self.labels.from) {
                    diff.errors.push(format!("app {name:?}: {why}"));
                } else if diff.errors.is_empty() {
                    diff.status = AppStatus::Added;
                    diff.objects = object_changes(None, after, self.labels);
                    return diff;
                }
            }
            _ => {}
        }
        if !diff.errors.is_empty() {
            diff.status = AppStatus::Error;
            return diff;
        }
        if let (Some(b), Some(a)) = (before, after) {
            diff.objects.extend(application_change(b, a, self.labels));
        }
        diff.objects
            .extend(object_changes(before, after, self.labels));
        if !diff.objects.is_empty() {
            diff.status = AppStatus::OutOfSync;
        }
        diff
    }
}

/// Why an app present on one side is absent on the other (`missing`, at `label`) for a reason
/// that says nothing about the change: an app above it, or the ApplicationSet that generates it,
/// fails there, or its own manifest does not read there.
fn why_missing(app: &AppNode, present: &AppTree, missing: &AppTree, label: &str) -> Option<String> {
    let mut current = Some(app);
    while let Some(node) = current {
        if node.name != app.name
            && let Some(there) = missing.get(&node.name)
        {
            // Present and rendered there: the app below it really left (or came).
            return there.error.as_ref().map(|_| {
                format!(
                    "not compared: app {:?} above it fails to render in {label}",
                    node.name
                )
            });
        }
        for e in &missing.errors {
            match e {
                TreeError::AppSet { appset, .. } if node.generated_by.as_ref() == Some(appset) => {
                    return Some(format!(
                        "not compared: ApplicationSet {appset:?}, which generates {}, fails in {label}: {e}",
                        if node.name == app.name {
                            "it".to_string()
                        } else {
                            format!("app {:?} above it", node.name)
                        }
                    ));
                }
                TreeError::InvalidManifest { message, .. }
                    if message.starts_with(&format!("app {:?}:", node.name)) =>
                {
                    return Some(if node.name == app.name {
                        format!("its Application manifest is invalid in {label}: {e}")
                    } else {
                        format!(
                            "not compared: the manifest of app {:?} above it is invalid in {label}",
                            node.name
                        )
                    });
                }
                TreeError::Cycle { app: a, .. } | TreeError::Duplicate { app: a, .. }
                    if *a == node.name =>
                {
                    return Some(format!("not compared: in {label}: {e}"));
                }
                _ => {}
            }
        }
        current = node.parent.as_deref().and_then(|p| present.get(p));
    }
    None
}

fn objects_by_key(app: Option<&AppNode>) -> BTreeMap<ObjectKey, &Value> {
    app.map(|a| {
        a.objects
            .iter()
            .map(|o| (crate::cluster::ObjectKey::from(o), &o.body))
            .collect()
    })
    .unwrap_or_default()
}

/// The rendered objects that differ, headed with the two revisions.
fn object_changes(
    old: Option<&AppNode>,
    new: Option<&AppNode>,
    labels: &RevisionLabels,
) -> Vec<ObjectChange> {
    let before = objects_by_key(old);
    let after = objects_by_key(new);
    let keys: Vec<&ObjectKey> = after
        .keys()
        .chain(before.keys().filter(|k| !after.contains_key(*k)))
        .collect();
    let mut out = Vec::new();
    for key in keys {
        // ignoreDifferences concern live state, not a change between revisions.
        if let Some(mut change) = compare_pair(
            key,
            after.get(key).copied(),
            before.get(key).copied(),
            &[],
            &mut Default::default(),
        ) {
            change.diff = relabel(&change.diff, labels);
            out.push(change);
        }
    }
    out
}

/// The Application itself (what Argo CD would sync it with: its sync policy and options,
/// ignoreDifferences, destination, project, sources; its wave and finalizers), as a change of
/// the `Application` object when it differs.
fn application_change(
    old: &AppNode,
    new: &AppNode,
    labels: &RevisionLabels,
) -> Option<ObjectChange> {
    let (before, after) = (app_view(&old.manifest), app_view(&new.manifest));
    let cmp = compare(Some(&after), Some(&before), &[], false);
    if cmp.diff.unified.is_empty() {
        return None;
    }
    Some(ObjectChange {
        key: ObjectKey {
            group: "argoproj.io".into(),
            kind: "Application".into(),
            namespace: new
                .manifest
                .pointer("/metadata/namespace")
                .and_then(Value::as_str)
                .map(String::from),
            name: new.name.clone(),
        },
        change: Change::Changed,
        drift_managers: Vec::new(),
        secret_keys: Vec::new(),
        diff: relabel(&cmp.diff.unified, labels),
    })
}

/// The parts of an Application manifest that decide what and how it syncs: its spec and the
/// metadata Argo CD acts on, `null` read as absent (as the API server does).
fn app_view(manifest: &Value) -> Value {
    let mut meta = Map::new();
    for key in ["name", "namespace", "labels", "annotations", "finalizers"] {
        if let Some(v) = manifest.pointer(&format!("/metadata/{key}")) {
            meta.insert(key.into(), v.clone());
        }
    }
    let mut view = Map::new();
    view.insert(
        "apiVersion".into(),
        manifest.get("apiVersion").cloned().unwrap_or(Value::Null),
    );
    view.insert("kind".into(), "Application".into());
    view.insert("metadata".into(), Value::Object(meta));
    view.insert(
        "spec".into(),
        manifest.get("spec").cloned().unwrap_or(Value::Null),
    );
    let mut view = Value::Object(view);
    drop_nulls(&mut view);
    view
}

fn drop_nulls(v: &mut Value) {
    match v {
        Value::Object(m) => {
            m.retain(|_, v| !v.is_null());
            m.values_mut().for_each(drop_nulls);
        }
        Value::Array(items) => items.iter_mut().for_each(drop_nulls),
        _ => {}
    }
}

/// Heads a unified diff with the two revisions instead of live and desired.
fn relabel(diff: &str, labels: &RevisionLabels) -> String {
    match diff
        .strip_prefix("--- live\n")
        .and_then(|rest| rest.strip_prefix("+++ desired\n"))
    {
        Some(body) => format!("--- {}\n+++ {}\n{body}", labels.from, labels.to),
        None => diff.to_string(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn hunks_are_headed_with_the_revisions() {
        let labels = RevisionLabels {
            from: "main (abc1234)".into(),
            to: "work tree".into(),
        };
        assert_eq!(
            relabel("--- live\n+++ desired\n@@ -1 +1 @@\n-a\n+b\n", &labels),
            "--- main (abc1234)\n+++ work tree\n@@ -1 +1 @@\n-a\n+b\n"
        );
    }

    #[test]
    fn application_views_ignore_nulls_and_status() {
        let a = serde_json::json!({"apiVersion": "argoproj.io/v1alpha1", "kind": "Application",
            "metadata": {"name": "a", "annotations": null},
            "spec": {"project": "default", "syncPolicy": null}, "status": {"health": {}}});
        let b = serde_json::json!({"apiVersion": "argoproj.io/v1alpha1", "kind": "Application",
            "metadata": {"name": "a"}, "spec": {"project": "default"}});
        assert_eq!(app_view(&a), app_view(&b));
    }
}
