//! Knowing, without asking the server, that a server-side apply would change nothing.
//!
//! Server-side apply sets the fields it is sent and removes only fields its manager owned and no
//! longer sends. So when every field of the applied object already has that value live, and the
//! manager owns nothing it leaves out, the result is the live object as it is: the dry run can
//! be skipped. On two cores the API server is the bottleneck of a diff, and most objects of a
//! tree are unchanged, so this is where a diff's time goes. Anything this check cannot prove
//! (a quantity the server rewrites, a list it extends) falls back to the dry run.

use serde_json::Value;

use super::fields::{FieldSet, PathElement};

/// True when applying `desired` as `manager` onto `live` cannot change `live`.
pub fn apply_is_noop(desired: &Value, live: &Value, manager: &str) -> bool {
    if !contained(desired, live) {
        return false;
    }
    let Some(entries) = live
        .pointer("/metadata/managedFields")
        .and_then(Value::as_array)
    else {
        return true;
    };
    for entry in entries {
        let ours = entry.get("manager").and_then(Value::as_str) == Some(manager)
            && entry.get("operation").and_then(Value::as_str) == Some("Apply")
            && entry
                .get("subresource")
                .and_then(Value::as_str)
                .is_none_or(str::is_empty);
        if !ours {
            continue;
        }
        let Some(fields) = entry.get("fieldsV1") else {
            continue;
        };
        let Ok(set) = FieldSet::from_fields_v1(fields) else {
            return false;
        };
        if !set.paths().iter().all(|path| has_path(desired, live, path)) {
            return false;
        }
    }
    true
}

/// Every field `desired` sets has the same value in `live` (lists item by item, same length).
fn contained(desired: &Value, live: &Value) -> bool {
    match (desired, live) {
        (Value::Object(d), Value::Object(l)) => d.iter().all(|(k, v)| match l.get(k) {
            Some(lv) => contained(v, lv),
            // Applying null removes a field; it is a no-op only when the field is absent.
            None => v.is_null(),
        }),
        (Value::Array(d), Value::Array(l)) => {
            d.len() == l.len() && d.iter().zip(l).all(|(a, b)| contained(a, b))
        }
        (Value::Number(a), Value::Number(b)) => a.as_f64() == b.as_f64(),
        _ => desired == live,
    }
}

/// Whether a managedFields path of `live` exists in `desired`. List items are found in live by
/// their key (which may hold server-defaulted fields the manifest never states, such as a port's
/// `protocol`) and followed at the same position in desired: `contained` already showed that
/// the two lists line up item by item.
fn has_path(desired: &Value, live: &Value, path: &[PathElement]) -> bool {
    let Some((first, rest)) = path.split_first() else {
        return true;
    };
    let position = |items: &[Value]| -> Option<usize> {
        match first {
            PathElement::Key(key) => items.iter().position(|item| {
                key.iter()
                    .all(|(k, v)| item.get(k).is_some_and(|iv| contained(v, iv)))
            }),
            PathElement::Value(v) => items.iter().position(|item| item == v),
            PathElement::Index(i) => Some(*i),
            PathElement::Field(_) => None,
        }
    };
    let next = match (first, desired, live) {
        (PathElement::Field(name), Value::Object(d), Value::Object(l)) => {
            d.get(name).zip(l.get(name))
        }
        (_, Value::Array(d), Value::Array(l)) => position(l).and_then(|i| d.get(i).zip(l.get(i))),
        _ => None,
    };
    next.is_some_and(|(d, l)| has_path(d, l, rest))
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn live(managed: Value) -> Value {
        json!({
            "apiVersion": "v1", "kind": "ConfigMap",
            "metadata": {"name": "c", "namespace": "n", "uid": "u", "managedFields": managed,
                         "labels": {"app": "x", "extra": "by-someone"}},
            "data": {"a": "1", "b": "2"}
        })
    }

    fn ours(fields: Value) -> Value {
        json!([{"manager": "kubectl-gitops", "operation": "Apply", "fieldsV1": fields}])
    }

    #[test]
    fn same_values_and_nothing_left_out_is_a_noop() {
        let desired = json!({"apiVersion": "v1", "kind": "ConfigMap",
            "metadata": {"name": "c", "namespace": "n", "labels": {"app": "x"}}, "data": {"a": "1", "b": "2"}});
        let fields =
            json!({"f:metadata": {"f:labels": {"f:app": {}}}, "f:data": {"f:a": {}, "f:b": {}}});
        assert!(apply_is_noop(
            &desired,
            &live(ours(fields.clone())),
            "kubectl-gitops"
        ));
        // A value that differs needs the server.
        let mut changed = desired.clone();
        changed["data"]["a"] = json!("9");
        assert!(!apply_is_noop(
            &changed,
            &live(ours(fields)),
            "kubectl-gitops"
        ));
    }

    #[test]
    fn a_field_we_own_but_no_longer_send_would_be_removed() {
        let desired = json!({"apiVersion": "v1", "kind": "ConfigMap",
            "metadata": {"name": "c", "namespace": "n"}, "data": {"a": "1"}});
        let fields = json!({"f:data": {"f:a": {}, "f:b": {}}});
        assert!(!apply_is_noop(
            &desired,
            &live(ours(fields)),
            "kubectl-gitops"
        ));
        // The same field owned by another manager stays: still a no-op.
        let theirs = json!([{"manager": "kubectl-client-side-apply", "operation": "Update",
                             "fieldsV1": {"f:data": {"f:a": {}, "f:b": {}}}}]);
        assert!(apply_is_noop(&desired, &live(theirs), "kubectl-gitops"));
    }

    #[test]
    fn lists_compare_item_by_item_and_keyed_paths_resolve() {
        let live = json!({"spec": {"containers": [{"name": "a", "image": "x", "imagePullPolicy": "Always"}]},
            "metadata": {"managedFields": ours(json!({"f:spec": {"f:containers": {"k:{\"name\":\"a\"}": {".": {}, "f:image": {}}}}}))}});
        let desired = json!({"spec": {"containers": [{"name": "a", "image": "x"}]}});
        assert!(apply_is_noop(&desired, &live, "kubectl-gitops"));
        let renamed = json!({"spec": {"containers": [{"name": "b", "image": "x"}]}});
        assert!(!apply_is_noop(&renamed, &live, "kubectl-gitops"));
        let longer = json!({"spec": {"containers": [{"name": "a", "image": "x"}, {"name": "c"}]}});
        assert!(!apply_is_noop(&longer, &live, "kubectl-gitops"));
    }

    #[test]
    fn list_keys_may_hold_server_defaults_the_manifest_leaves_out() {
        let fields = json!({"f:spec": {"f:ports": {"k:{\"port\":80,\"protocol\":\"TCP\"}": {".": {}, "f:port": {}}}}});
        let live = json!({"spec": {"ports": [{"port": 80, "protocol": "TCP"}]},
                          "metadata": {"managedFields": ours(fields)}});
        assert!(apply_is_noop(
            &json!({"spec": {"ports": [{"port": 80}]}}),
            &live,
            "kubectl-gitops"
        ));
        assert!(!apply_is_noop(
            &json!({"spec": {"ports": []}}),
            &live,
            "kubectl-gitops"
        ));
    }

    #[test]
    fn numbers_compare_by_value() {
        assert!(contained(&json!({"r": 1}), &json!({"r": 1.0})));
        assert!(!contained(&json!({"r": "1"}), &json!({"r": 1})));
    }
}
