//! The whole comparison of one object, in Argo CD's order: normalise, ignore, mask, render.

use serde_json::Value;

use super::{
    IgnoreRule, IgnoreWarning, ObjectDiff, SecretChanges, apply_ignores, diff_objects,
    mask_secrets, normalize,
};

/// The result of comparing one desired object with its live counterpart.
#[derive(Debug, Clone)]
pub struct Comparison {
    /// The rendered diff and its kind.
    pub diff: ObjectDiff,
    /// Secret keys added, removed or changed (empty for other kinds).
    pub secret_changes: SecretChanges,
    /// What the ignore rules could not do on this object.
    pub warnings: Vec<IgnoreWarning>,
    /// Desired as compared: normalised, ignores applied, Secret values masked (`Null` if absent).
    pub desired: Value,
    /// Live as compared, prepared the same way (`Null` if absent).
    pub live: Value,
}

/// Compares `desired` (e.g. a server-side apply dry-run result) with `live` as fetched, with the
/// matching rules of the app's `ignoreDifferences`. `secret` is whether the object is a core
/// Secret by its identity (its key), which decides masking whatever the rules do to the bodies.
/// Use [`super::drift_managers`] on the prepared sides and the live managedFields to name who
/// drifted.
pub fn compare(
    desired: Option<&Value>,
    live: Option<&Value>,
    rules: &[IgnoreRule],
    secret: bool,
) -> Comparison {
    // managedFields go with normalisation, but the managedFieldsManagers rule needs them.
    let live_managed_fields = live
        .and_then(|l| l.get("metadata"))
        .and_then(|m| m.get("managedFields"))
        .cloned()
        .unwrap_or(Value::Null);
    let mut desired = desired.map_or(Value::Null, normalize);
    let mut live = live.map_or(Value::Null, normalize);
    // Argo CD applies ignoreDifferences after normalising, so a Secret's `stringData` is
    // already in `data` when a rule names `/data/...`.
    let warnings = apply_ignores(rules, &mut desired, &mut live, &live_managed_fields);
    let secret_changes = mask_secrets(&mut desired, &mut live, secret);
    let diff = diff_objects(
        Some(&desired).filter(|v| !v.is_null()),
        Some(&live).filter(|v| !v.is_null()),
        secret,
    );
    Comparison {
        diff,
        secret_changes,
        warnings,
        desired,
        live,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::diff::{DiffKind, drift_managers, parse_ignore_differences};
    use serde_json::json;

    /// Live Deployment with server defaults, status and two managers: ours and an HPA.
    fn live_deployment() -> Value {
        json!({
            "apiVersion": "apps/v1", "kind": "Deployment",
            "metadata": {
                "name": "web", "namespace": "shop", "uid": "u-1", "resourceVersion": "7",
                "generation": 4, "creationTimestamp": "2025-01-01T00:00:00Z",
                "annotations": {"deployment.kubernetes.io/revision": "2"},
                "managedFields": [
                    {"manager": "kubectl-gitops", "operation": "Apply", "apiVersion": "apps/v1",
                     "time": "2025-03-01T10:00:00Z", "fieldsType": "FieldsV1", "fieldsV1": {
                        "f:spec": {"f:template": {"f:spec": {"f:containers": {
                            "k:{\"name\":\"web\"}": {".": {}, "f:name": {}, "f:image": {}}}}}}}},
                    {"manager": "horizontal-pod-autoscaler", "operation": "Update",
                     "apiVersion": "apps/v1", "time": "2025-03-02T00:00:00Z",
                     "fieldsType": "FieldsV1", "fieldsV1": {"f:spec": {"f:replicas": {}}}}
                ]
            },
            "spec": {"replicas": 7, "revisionHistoryLimit": 10, "template": {"spec": {
                "containers": [{"name": "web", "image": "nginx:1.27",
                                "imagePullPolicy": "IfNotPresent"}]}}},
            "status": {"replicas": 7}
        })
    }

    /// Who changed the differing fields of a comparison, by the live object's managedFields.
    fn drifted(c: &Comparison, live: &Value) -> Vec<String> {
        drift_managers(
            &c.desired,
            &c.live,
            &live["metadata"]["managedFields"],
            "kubectl-gitops",
            None,
        )
    }

    /// What a server-side apply dry-run returns for our manifest (replicas: 2).
    fn dry_run() -> Value {
        let mut d = live_deployment();
        d["spec"]["replicas"] = json!(2);
        d["spec"]["template"]["spec"]["containers"][0]["image"] = json!("nginx:1.28");
        d["metadata"]["resourceVersion"] = json!("8");
        d
    }

    #[test]
    fn managers_rule_hides_hpa_replicas_and_keeps_the_image_change() {
        let rules = parse_ignore_differences(&json!([{"group": "apps", "kind": "Deployment",
            "managedFieldsManagers": ["horizontal-pod-autoscaler"]}]))
        .unwrap();
        let live = live_deployment();
        let c = compare(Some(&dry_run()), Some(&live), &rules, false);
        assert_eq!(c.diff.kind, DiffKind::Changed);
        assert!(c.warnings.is_empty());
        assert!(!c.diff.unified.contains("replicas"), "{}", c.diff.unified);
        assert!(
            c.diff.unified.contains("-      - image: nginx:1.27\n"),
            "{}",
            c.diff.unified
        );
        assert!(
            c.diff.unified.contains("+      - image: nginx:1.28\n"),
            "{}",
            c.diff.unified
        );
        for gone in ["resourceVersion", "managedFields", "status", "uid"] {
            assert!(!c.diff.desired_yaml.contains(gone), "{gone}");
        }
        let who = drifted(&c, &live);
        assert!(who.is_empty(), "the image is ours: {who:?}");
    }

    #[test]
    fn without_rules_replicas_differ_and_the_hpa_is_named() {
        let live = live_deployment();
        let mut desired = live.clone();
        desired["spec"]["replicas"] = json!(2);
        let c = compare(Some(&desired), Some(&live), &[], false);
        assert_eq!(c.diff.kind, DiffKind::Changed);
        assert!(
            c.diff.unified.contains("-  replicas: 7\n+  replicas: 2\n"),
            "{}",
            c.diff.unified
        );
        assert_eq!(drifted(&c, &live), ["horizontal-pod-autoscaler"]);
    }

    #[test]
    fn secret_with_data_and_string_data_end_to_end() {
        let desired = json!({"apiVersion": "v1", "kind": "Secret",
            "metadata": {"name": "db", "namespace": "shop"}, "type": "Opaque",
            "data": {"user": "YWRtaW4="}, "stringData": {"password": "hunter2"}});
        let live = json!({"apiVersion": "v1", "kind": "Secret",
            "metadata": {"name": "db", "namespace": "shop", "uid": "u",
                "annotations": {"kubectl.kubernetes.io/last-applied-configuration":
                    "{\"stringData\":{\"password\":\"hunter1\"}}"}},
            "type": "Opaque", "data": {"user": "YWRtaW4=", "password": "aHVudGVyMQ=="}});
        let c = compare(Some(&desired), Some(&live), &[], false);
        assert_eq!(c.secret_changes.changed, ["password"]);
        let everything = format!(
            "{}{}{}{}{}",
            c.diff.unified, c.diff.live_yaml, c.diff.desired_yaml, c.desired, c.live
        );
        for value in [
            "YWRtaW4=",
            "hunter2",
            "aHVudGVyMg==",
            "hunter1",
            "aHVudGVyMQ==",
        ] {
            assert!(!everything.contains(value), "{value} leaked");
        }
    }

    #[test]
    fn ignore_rule_on_secret_data_sees_merged_string_data() {
        let rules =
            parse_ignore_differences(&json!([{"kind": "Secret", "jsonPointers": ["/data/token"]}]))
                .unwrap();
        let desired = json!({"apiVersion": "v1", "kind": "Secret", "metadata": {"name": "s"},
            "stringData": {"token": "a"}});
        let live = json!({"apiVersion": "v1", "kind": "Secret", "metadata": {"name": "s"},
            "data": {"token": "Yg=="}});
        let c = compare(Some(&desired), Some(&live), &rules, false);
        assert_eq!(c.diff.kind, DiffKind::Unchanged, "{}", c.diff.unified);
    }

    #[test]
    fn a_rule_that_removes_the_kind_cannot_unmask_a_secret() {
        let rules = parse_ignore_differences(
            &json!([{"kind": "Secret", "jsonPointers": ["/kind", "/apiVersion"]}]),
        )
        .unwrap();
        let desired = json!({"apiVersion": "v1", "kind": "Secret", "metadata": {"name": "s"},
            "stringData": {"pin": "987654321"}});
        let live = json!({"apiVersion": "v1", "kind": "Secret", "metadata": {"name": "s"},
            "data": {"pin": "MTIzNDU2Nzg5"}});
        let c = compare(Some(&desired), Some(&live), &rules, true);
        let everything = format!("{}{}{}", c.diff.unified, c.desired, c.live);
        for value in ["987654321", "MTIzNDU2Nzg5", "OTg3NjU0MzIx"] {
            assert!(!everything.contains(value), "{value} leaked: {everything}");
        }
        assert_eq!(c.secret_changes.changed, ["pin"]);
    }

    #[test]
    fn new_and_pruned_objects() {
        let live = live_deployment();
        assert_eq!(
            compare(Some(&live), None, &[], false).diff.kind,
            DiffKind::Added
        );
        let pruned = compare(None, Some(&live), &[], false);
        assert_eq!(pruned.diff.kind, DiffKind::Removed);
        assert!(pruned.desired.is_null());
    }
}
