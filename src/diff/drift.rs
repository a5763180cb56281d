//! Drift attribution: which field managers changed the live fields that now differ from Git,
//! for "DRIFT DETECTED (changed by kubectl-edit)".

use std::collections::HashSet;

use serde_json::Value;

use super::fields::{Step, managed_entries};

/// One place where desired and live differ, in live's coordinates.
#[derive(Debug, Clone, PartialEq, Eq)]
struct Difference {
    path: Vec<Step>,
    /// True when live holds something there (a changed or extra value); false when only
    /// desired does (something removed from live, which no manager owns any more).
    in_live: bool,
}

/// The field managers, other than `own_manager`, that own live fields differing from desired,
/// in managedFields order. `desired` and `live` are the compared sides (normalised, ignore
/// rules applied); `live_managed_fields` is the live object's `metadata.managedFields`.
///
/// With `last_sync` (Unix seconds of our last sync), entries last written before it are left
/// out: whatever they changed was already there when we synced, so it is not drift. A field
/// removed from live has no owner; for such a removal the managers (other than status writers)
/// that wrote after `last_sync` are named instead, a best guess.
pub fn drift_managers(
    desired: &Value,
    live: &Value,
    live_managed_fields: &Value,
    own_manager: &str,
    last_sync: Option<i64>,
) -> Vec<String> {
    let mut differences = Vec::new();
    differing_paths(desired, live, &mut Vec::new(), &mut differences);
    if differences.is_empty() {
        return Vec::new();
    }
    let (entries, _problems) = managed_entries(live_managed_fields);
    let candidates: Vec<_> = entries
        .iter()
        .filter(|e| e.manager != own_manager && !e.manager.is_empty())
        .filter(
            |e| match (last_sync, e.time.as_deref().and_then(parse_rfc3339)) {
                (Some(since), Some(written)) => written >= since,
                // No sync recorded, or no usable time on the entry: it cannot be ruled out.
                _ => true,
            },
        )
        .collect();

    let mut names: Vec<String> = Vec::new();
    let mut explained = vec![false; differences.len()];
    for entry in &candidates {
        let owned = entry.fields.resolve(live);
        let mut hit = false;
        for (i, diff) in differences.iter().enumerate() {
            let owns = owned.iter().any(|p| {
                // The owner of a field owns what is inside it (an atomic list, a whole item);
                // and an extra live subtree is changed by whoever owns anything in it.
                diff.path.starts_with(p) || (diff.in_live && p.starts_with(&diff.path))
            });
            if owns {
                explained[i] = true;
                hit = true;
            }
        }
        if hit && !names.contains(&entry.manager) {
            names.push(entry.manager.clone());
        }
    }
    let unexplained_removal = differences
        .iter()
        .zip(&explained)
        .any(|(d, explained)| !d.in_live && !explained);
    if last_sync.is_some() && unexplained_removal {
        // Status writers (a `subresource` entry) cannot have removed spec or metadata fields.
        for entry in &candidates {
            if entry.time.is_some()
                && entry.subresource.is_empty()
                && !names.contains(&entry.manager)
            {
                names.push(entry.manager.clone());
            }
        }
    }
    names
}

/// Collects the deepest paths where `desired` and `live` differ. Lists of objects with unique
/// `name`s are paired by name (containers, env, ports), so an inserted item does not make
/// every later item look changed.
fn differing_paths(desired: &Value, live: &Value, path: &mut Vec<Step>, out: &mut Vec<Difference>) {
    match (desired, live) {
        (Value::Object(d), Value::Object(l)) => {
            for (key, lv) in l {
                path.push(Step::Key(key.clone()));
                match d.get(key) {
                    Some(dv) => differing_paths(dv, lv, path, out),
                    None => out.push(Difference {
                        path: path.clone(),
                        in_live: true,
                    }),
                }
                path.pop();
            }
            for key in d.keys().filter(|k| !l.contains_key(*k)) {
                path.push(Step::Key(key.clone()));
                out.push(Difference {
                    path: path.clone(),
                    in_live: false,
                });
                path.pop();
            }
        }
        (Value::Array(d), Value::Array(l)) => {
            let pairs = match (names(d), names(l)) {
                (Some(dn), Some(ln)) => ln
                    .iter()
                    .enumerate()
                    .map(|(li, n)| (dn.iter().position(|x| x == n), Some(li)))
                    .chain(
                        dn.iter()
                            .enumerate()
                            .filter(|(_, n)| !ln.contains(n))
                            .map(|(di, _)| (Some(di), None)),
                    )
                    .collect::<Vec<_>>(),
                _ => (0..d.len().max(l.len()))
                    .map(|i| ((i < d.len()).then_some(i), (i < l.len()).then_some(i)))
                    .collect(),
            };
            for (di, li) in pairs {
                match (di, li) {
                    (Some(di), Some(li)) => {
                        path.push(Step::Index(li));
                        differing_paths(&d[di], &l[li], path, out);
                        path.pop();
                    }
                    (None, Some(li)) => {
                        path.push(Step::Index(li));
                        out.push(Difference {
                            path: path.clone(),
                            in_live: true,
                        });
                        path.pop();
                    }
                    // Desired-only item: it has no position in live, so the list itself differs.
                    (Some(_), None) => out.push(Difference {
                        path: path.clone(),
                        in_live: false,
                    }),
                    (None, None) => {}
                }
            }
        }
        (d, l) if d != l => out.push(Difference {
            path: path.clone(),
            in_live: !l.is_null(),
        }),
        _ => {}
    }
}

/// The `name` of every item, when all items are objects with distinct string names.
fn names(items: &[Value]) -> Option<Vec<&str>> {
    let names: Vec<&str> = items
        .iter()
        .map(|v| v.get("name").and_then(Value::as_str))
        .collect::<Option<_>>()?;
    let unique: HashSet<&&str> = names.iter().collect();
    (unique.len() == names.len()).then_some(names)
}

/// Parses an RFC 3339 timestamp (`2025-01-02T03:04:05Z`, fractions and offsets allowed) to Unix
/// seconds, as Kubernetes writes managedFields times. A time without an offset is refused: it
/// names no instant.
pub fn parse_rfc3339(text: &str) -> Option<i64> {
    text.parse::<k8s_openapi::jiff::Timestamp>()
        .ok()
        .map(|t| t.as_second())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::diff::normalize;
    use serde_json::json;

    /// A live Deployment after `kubectl edit` changed one image, `kubectl patch` added a
    /// sidecar, and a controller wrote status.
    fn live() -> Value {
        json!({
            "apiVersion": "apps/v1", "kind": "Deployment",
            "metadata": {
                "name": "web", "namespace": "shop", "resourceVersion": "99",
                "labels": {"app": "web"},
                "managedFields": [
                    {"manager": "kubectl-gitops", "operation": "Apply", "apiVersion": "apps/v1",
                     "time": "2025-03-01T10:00:00Z", "fieldsType": "FieldsV1", "fieldsV1": {
                        "f:metadata": {"f:labels": {"f:app": {}}},
                        "f:spec": {"f:replicas": {}, "f:template": {"f:spec": {"f:containers": {
                            "k:{\"name\":\"web\"}": {".": {}, "f:name": {}}}}}}}},
                    {"manager": "kubectl-edit", "operation": "Update", "apiVersion": "apps/v1",
                     "time": "2025-03-02T09:30:00Z", "fieldsType": "FieldsV1", "fieldsV1": {
                        "f:spec": {"f:template": {"f:spec": {"f:containers": {
                            "k:{\"name\":\"web\"}": {"f:image": {}}}}}}}},
                    {"manager": "kubectl-patch", "operation": "Update", "apiVersion": "apps/v1",
                     "time": "2025-03-02T09:45:00Z", "fieldsType": "FieldsV1", "fieldsV1": {
                        "f:spec": {"f:template": {"f:spec": {"f:containers": {
                            "k:{\"name\":\"debug\"}": {".": {}, "f:name": {}, "f:image": {}}}}}}}},
                    {"manager": "kube-controller-manager", "operation": "Update",
                     "apiVersion": "apps/v1", "time": "2025-03-02T09:46:00Z",
                     "subresource": "status", "fieldsType": "FieldsV1",
                     "fieldsV1": {"f:status": {"f:replicas": {}}}}
                ]
            },
            "spec": {"replicas": 2, "template": {"spec": {"containers": [
                {"name": "debug", "image": "busybox"},
                {"name": "web", "image": "nginx:hotfix"}
            ]}}},
            "status": {"replicas": 2}
        })
    }

    fn desired() -> Value {
        json!({
            "apiVersion": "apps/v1", "kind": "Deployment",
            "metadata": {"name": "web", "namespace": "shop", "labels": {"app": "web"}},
            "spec": {"replicas": 2, "template": {"spec": {"containers": [
                {"name": "web", "image": "nginx:1.27"}
            ]}}}
        })
    }

    fn managers(last_sync: Option<i64>) -> Vec<String> {
        let raw = live();
        drift_managers(
            &normalize(&desired()),
            &normalize(&raw),
            &raw["metadata"]["managedFields"],
            "kubectl-gitops",
            last_sync,
        )
    }

    #[test]
    fn names_who_changed_the_differing_fields() {
        assert_eq!(managers(None), ["kubectl-edit", "kubectl-patch"]);
    }

    #[test]
    fn no_difference_no_managers() {
        let raw = live();
        let same = normalize(&raw);
        let out = drift_managers(&same, &same, &raw["metadata"]["managedFields"], "x", None);
        assert!(out.is_empty());
    }

    #[test]
    fn managers_that_wrote_before_the_last_sync_are_not_drift() {
        let since = parse_rfc3339("2025-03-02T09:40:00Z");
        assert_eq!(managers(since), ["kubectl-patch"]);
    }

    #[test]
    fn removed_fields_fall_back_to_recent_writers() {
        // Someone deleted the label; nobody owns an absent field.
        let raw = live();
        let mut live = normalize(&raw);
        live["metadata"]["labels"] = json!({});
        live["spec"]["template"]["spec"]["containers"] =
            json!([{"name": "web", "image": "nginx:1.27"}]);
        let since = parse_rfc3339("2025-03-02T09:40:00Z");
        let out = drift_managers(
            &normalize(&desired()),
            &live,
            &raw["metadata"]["managedFields"],
            "kubectl-gitops",
            since,
        );
        assert_eq!(out, ["kubectl-patch"]);
        // Without a sync time there is nothing to go on.
        let out = drift_managers(
            &normalize(&desired()),
            &live,
            &raw["metadata"]["managedFields"],
            "kubectl-gitops",
            None,
        );
        assert!(out.is_empty());
    }

    #[test]
    fn atomic_list_owner_is_found_for_an_inner_change() {
        let desired = json!({"spec": {"args": ["--a", "--b"]}});
        let live = json!({"spec": {"args": ["--a", "--c"]}});
        let mf = json!([{"manager": "kubectl-client-side-apply", "fieldsV1": {
            "f:spec": {"f:args": {}}}}]);
        assert_eq!(
            drift_managers(&desired, &live, &mf, "kubectl-gitops", None),
            ["kubectl-client-side-apply"]
        );
    }

    #[test]
    fn differing_paths_pair_named_items() {
        let d = json!({"c": [{"name": "a", "v": 1}, {"name": "b", "v": 2}]});
        let l = json!({"c": [{"name": "x"}, {"name": "a", "v": 1}, {"name": "b", "v": 3}]});
        let mut out = Vec::new();
        differing_paths(&d, &l, &mut Vec::new(), &mut out);
        let c = Step::Key("c".into());
        assert_eq!(
            out,
            [
                Difference {
                    path: vec![c.clone(), Step::Index(0)],
                    in_live: true
                },
                Difference {
                    path: vec![c, Step::Index(2), Step::Key("v".into())],
                    in_live: true
                },
            ]
        );
    }

    #[test]
    fn parses_kubernetes_timestamps() {
        assert_eq!(parse_rfc3339("1970-01-01T00:00:00Z"), Some(0));
        assert_eq!(parse_rfc3339("2025-03-02T09:40:00Z"), Some(1_740_908_400));
        assert_eq!(
            parse_rfc3339("2025-03-02T10:40:00.123+01:00"),
            Some(1_740_908_400)
        );
        assert_eq!(parse_rfc3339("2000-02-29T00:00:00Z"), Some(951_782_400));
        // ISO 8601's offset without a colon names the same instant; jiff reads it too.
        assert_eq!(
            parse_rfc3339("2025-03-02T10:40:00+0100"),
            Some(1_740_908_400)
        );
        for bad in [
            "",
            "2025-03-02",
            "2025-13-02T00:00:00Z",
            "2025-03-02T00:00:00",
            "2025-03-02T00:00:00.Z",
            "2025-03-02T0a:00:00Z",
        ] {
            assert_eq!(parse_rfc3339(bad), None, "{bad}");
        }
    }
}
