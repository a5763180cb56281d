//! One object's comparison as a report entry: the core comparison, plus what only the cluster
//! side knows (tracking, drift attribution).

use serde_json::Value;

use super::report::{Change, ObjectChange};
use super::{
    DiffKind, IgnoreRule, IgnoreRuleError, IgnoreWarning, compare, drift_managers,
    parse_ignore_differences,
};
use crate::apps::AppNode;
use crate::cluster::{FIELD_MANAGER, ObjectKey};
use crate::plan::tracking::without_tracking;

/// Managers that apply what Git says. A difference in a field they own is a change in Git (or a
/// sync not yet run); one owned by any other manager was made by hand or by a controller.
const GIT_APPLIERS: &[&str] = &[
    FIELD_MANAGER,
    "argocd-controller",
    "kubectl-client-side-apply",
    "kubectl",
    "helm",
];

/// An app's `ignoreDifferences`, parsed (jq compiled) once for all its objects.
pub(crate) fn ignore_rules(app: &AppNode) -> Result<Vec<IgnoreRule>, IgnoreRuleError> {
    parse_ignore_differences(&Value::Array(app.app.spec.ignore_differences.clone()))
}

/// What the ignore rules could not do, per object: collected over an app's objects, then
/// said once per rule and problem ([`IgnoreNotes::warnings`]).
#[derive(Debug, Default)]
pub(crate) struct IgnoreNotes(Vec<(ObjectKey, IgnoreWarning)>);

impl IgnoreNotes {
    /// Notes what the rules could not do on one object.
    pub(crate) fn add(&mut self, key: &ObjectKey, warnings: Vec<IgnoreWarning>) {
        self.0
            .extend(warnings.into_iter().map(|w| (key.clone(), w)));
    }

    /// One line per rule and problem, naming the rule and (some of) the objects.
    pub(crate) fn warnings(self) -> Vec<String> {
        let mut grouped: Vec<(IgnoreWarning, Vec<String>)> = Vec::new();
        for (key, w) in self.0 {
            let name = key.display_name();
            match grouped.iter_mut().find(|(g, _)| *g == w) {
                Some((_, objects)) => {
                    if !objects.contains(&name) {
                        objects.push(name);
                    }
                }
                None => grouped.push((w, vec![name])),
            }
        }
        grouped.sort_by_key(|(w, _)| w.rule);
        grouped
            .into_iter()
            .map(|(w, objects)| {
                let shown = objects.iter().take(3).cloned().collect::<Vec<_>>().join(", ");
                let more = match objects.len().saturating_sub(3) {
                    0 => String::new(),
                    n => format!(" and {n} more"),
                };
                format!(
                    "spec.ignoreDifferences[{}]: {} (on {shown}{more}); this part of the rule was skipped there",
                    w.rule, w.message
                )
            })
            .collect()
    }
}

/// Compares desired and live (either may be absent); None when they agree. What the rules
/// could not do goes to `notes`.
pub(crate) fn compare_pair(
    key: &ObjectKey,
    desired: Option<&Value>,
    live: Option<&Value>,
    rules: &[IgnoreRule],
    notes: &mut IgnoreNotes,
) -> Option<ObjectChange> {
    // Sync stamps the tracking annotation; it says who owns the object, not what it should be.
    let desired = desired.map(without_tracking);
    let live = live.map(without_tracking);
    let mut cmp = compare(desired.as_ref(), live.as_ref(), rules, key.is_secret());
    notes.add(key, std::mem::take(&mut cmp.warnings));
    let change = match cmp.diff.kind {
        DiffKind::Unchanged => return None,
        DiffKind::Added => Change::Added,
        DiffKind::Removed => Change::Pruned,
        DiffKind::Changed => Change::Changed,
    };
    let mut drift = Vec::new();
    if change == Change::Changed
        && let Some(live) = &live
    {
        let managed = label_imperative_kubectl(live.pointer("/metadata/managedFields"));
        drift = drift_managers(&cmp.desired, &cmp.live, &managed, FIELD_MANAGER, None)
            .into_iter()
            .filter(|m| !GIT_APPLIERS.contains(&m.as_str()))
            .collect();
        drift.sort();
        drift.dedup();
    }
    let s = &cmp.secret_changes;
    let mut secret_keys: Vec<String> = s
        .added
        .iter()
        .chain(&s.removed)
        .chain(&s.changed)
        .cloned()
        .collect();
    secret_keys.sort();
    Some(ObjectChange {
        key: key.clone(),
        change,
        drift_managers: drift,
        secret_keys,
        diff: cmp.diff.unified,
    })
}

/// `kubectl` is the manager of `kubectl apply --server-side` (a Git apply) but also of
/// `kubectl scale`, `set` and friends, which write with operation `Update` (often through a
/// subresource): those are hand changes, named `kubectl/<subresource>` so they count as drift.
fn label_imperative_kubectl(managed: Option<&Value>) -> Value {
    let Some(Value::Array(entries)) = managed else {
        return Value::Null;
    };
    let entries = entries
        .iter()
        .map(|e| {
            let mut e = e.clone();
            let imperative = e.get("manager").and_then(Value::as_str) == Some("kubectl")
                && e.get("operation").and_then(Value::as_str) != Some("Apply");
            if imperative {
                let via = e
                    .get("subresource")
                    .and_then(Value::as_str)
                    .filter(|s| !s.is_empty())
                    .unwrap_or("update");
                e["manager"] = Value::String(format!("kubectl/{via}"));
            }
            e
        })
        .collect();
    Value::Array(entries)
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn kubectl_scale_is_drift_but_kubectl_server_side_apply_is_not() {
        let live = json!({"apiVersion": "apps/v1", "kind": "Deployment",
            "metadata": {"name": "d", "namespace": "ns", "managedFields": [
                {"manager": "kubectl", "operation": "Apply", "fieldsV1": {"f:spec": {"f:template": {}}}},
                {"manager": "kubectl", "operation": "Update", "subresource": "scale",
                 "fieldsV1": {"f:spec": {"f:replicas": {}}}}]},
            "spec": {"replicas": 3, "template": {}}});
        let mut desired = live.clone();
        desired["spec"]["replicas"] = json!(1);
        let key = ObjectKey {
            group: "apps".into(),
            kind: "Deployment".into(),
            namespace: Some("ns".into()),
            name: "d".into(),
        };
        let change = compare_pair(
            &key,
            Some(&desired),
            Some(&live),
            &[],
            &mut IgnoreNotes::default(),
        )
        .unwrap();
        assert_eq!(change.drift_managers, ["kubectl/scale"]);
    }

    #[test]
    fn tracking_annotation_alone_is_no_difference() {
        let live = json!({"apiVersion": "v1", "kind": "ConfigMap", "metadata": {"name": "c", "namespace": "ns"}, "data": {"a": "b"}});
        let mut desired = live.clone();
        desired["metadata"]["annotations"] =
            json!({crate::plan::tracking::TRACKING_ANNOTATION: "web:/ConfigMap:ns/c"});
        let key = ObjectKey {
            group: "".into(),
            kind: "ConfigMap".into(),
            namespace: Some("ns".into()),
            name: "c".into(),
        };
        assert!(
            compare_pair(
                &key,
                Some(&desired),
                Some(&live),
                &[],
                &mut IgnoreNotes::default(),
            )
            .is_none()
        );
    }
}
