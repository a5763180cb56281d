//! Normalisation: dropping what the API server writes on its own, so that only intent is compared.

use base64::Engine as _;
use base64::engine::general_purpose::STANDARD;
use serde_json::{Map, Value};

use super::is_secret;

/// The annotation `kubectl apply` leaves behind; it holds a full copy of the object (for a Secret,
/// its values), so it is never compared and never shown.
pub(crate) const LAST_APPLIED: &str = "kubectl.kubernetes.io/last-applied-configuration";

/// Metadata fields the API server sets itself; they differ between any two reads.
const SERVER_METADATA: [&str; 6] = [
    "managedFields",
    "resourceVersion",
    "uid",
    "generation",
    "creationTimestamp",
    "selfLink",
];

/// Returns a copy of `obj` without server-written metadata, `status` and the last-applied
/// annotation, and with a Secret's `stringData` folded into `data`.
pub fn normalize(obj: &Value) -> Value {
    let mut out = obj.clone();
    let Some(top) = out.as_object_mut() else {
        return out;
    };
    // Argo CD 3.x ignores `/status` for every kind (`ignoreResourceStatusField: all`).
    top.shift_remove("status");
    if let Some(Value::Object(meta)) = top.get_mut("metadata") {
        for field in SERVER_METADATA {
            meta.shift_remove(field);
        }
        remove_annotation(meta, LAST_APPLIED);
        // Go's ObjectMeta has `omitempty` on both maps, so the server never returns them empty;
        // an empty map from a manifest must not read as a difference.
        for map in ["annotations", "labels"] {
            if meta.get(map).is_some_and(is_empty_map) {
                meta.shift_remove(map);
            }
        }
    }
    if is_secret(&out) {
        merge_string_data(&mut out);
    }
    out
}

/// Removes one annotation from `metadata`, and the `annotations` map if that emptied it.
pub(crate) fn remove_annotation(meta: &mut Map<String, Value>, key: &str) {
    if let Some(Value::Object(annotations)) = meta.get_mut("annotations") {
        annotations.shift_remove(key);
        if annotations.is_empty() {
            meta.shift_remove("annotations");
        }
    }
}

/// Folds a Secret's `stringData` into `data` as base64, as the API server does on write
/// (`stringData` wins over `data` for the same key), and drops `stringData`.
pub(crate) fn merge_string_data(secret: &mut Value) {
    let Some(top) = secret.as_object_mut() else {
        return;
    };
    let Some(string_data) = top.shift_remove("stringData") else {
        return;
    };
    let Value::Object(string_data) = string_data else {
        return;
    };
    if string_data.is_empty() {
        return;
    }
    let data = top
        .entry("data")
        .or_insert_with(|| Value::Object(Map::new()));
    if !data.is_object() {
        // `data: null` in a manifest means "no data"; the merged keys replace it.
        *data = Value::Object(Map::new());
    }
    if let Value::Object(data) = data {
        for (key, value) in string_data {
            let encoded = match &value {
                Value::String(s) => STANDARD.encode(s.as_bytes()),
                // Not valid in a Secret, but it must still be masked later, never shown as is.
                other => STANDARD.encode(other.to_string().as_bytes()),
            };
            data.insert(key, Value::String(encoded));
        }
    }
}

fn is_empty_map(v: &Value) -> bool {
    v.as_object().is_some_and(Map::is_empty) || v.is_null()
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    /// A Deployment as the API server returns it: server-set metadata, defaults, status and the
    /// managedFields of two managers.
    fn live_deployment() -> Value {
        json!({
            "apiVersion": "apps/v1",
            "kind": "Deployment",
            "metadata": {
                "name": "web",
                "namespace": "shop",
                "uid": "2f0f4bde-8f6a-4f55-9b54-7d1c2a1b8e11",
                "resourceVersion": "48213",
                "generation": 3,
                "creationTimestamp": "2025-01-02T03:04:05Z",
                "selfLink": "/apis/apps/v1/namespaces/shop/deployments/web",
                "labels": {"app": "web"},
                "annotations": {
                    "deployment.kubernetes.io/revision": "3",
                    "kubectl.kubernetes.io/last-applied-configuration": "{\"kind\":\"Deployment\"}"
                },
                "managedFields": [
                    {"manager": "kubectl-gitops", "operation": "Apply", "apiVersion": "apps/v1",
                     "fieldsType": "FieldsV1", "fieldsV1": {"f:spec": {"f:replicas": {}}}},
                    {"manager": "kube-controller-manager", "operation": "Update",
                     "apiVersion": "apps/v1", "subresource": "status",
                     "fieldsType": "FieldsV1", "fieldsV1": {"f:status": {"f:replicas": {}}}}
                ]
            },
            "spec": {
                "replicas": 2,
                "revisionHistoryLimit": 10,
                "progressDeadlineSeconds": 600,
                "selector": {"matchLabels": {"app": "web"}},
                "strategy": {"type": "RollingUpdate",
                             "rollingUpdate": {"maxSurge": "25%", "maxUnavailable": "25%"}},
                "template": {
                    "metadata": {"labels": {"app": "web"}},
                    "spec": {"containers": [{"name": "web", "image": "nginx:1.27",
                                             "imagePullPolicy": "IfNotPresent",
                                             "terminationMessagePath": "/dev/termination-log"}],
                             "restartPolicy": "Always"}
                }
            },
            "status": {"replicas": 2, "readyReplicas": 2, "observedGeneration": 3}
        })
    }

    #[test]
    fn drops_server_metadata_status_and_last_applied() {
        let out = normalize(&live_deployment());
        let meta = &out["metadata"];
        for gone in SERVER_METADATA {
            assert!(meta.get(gone).is_none(), "{gone} should be removed");
        }
        assert!(out.get("status").is_none());
        assert_eq!(
            meta["annotations"],
            json!({"deployment.kubernetes.io/revision": "3"})
        );
        // Server defaults in spec are intent as far as normalisation goes: they stay.
        assert_eq!(out["spec"]["revisionHistoryLimit"], json!(10));
        assert_eq!(meta["labels"], json!({"app": "web"}));
    }

    #[test]
    fn annotations_map_goes_when_last_applied_was_its_only_entry() {
        let obj = json!({"apiVersion": "v1", "kind": "ConfigMap",
            "metadata": {"name": "c", "annotations": {LAST_APPLIED: "{}"}}});
        let out = normalize(&obj);
        assert_eq!(out["metadata"], json!({"name": "c"}));
    }

    #[test]
    fn empty_label_and_annotation_maps_are_dropped() {
        let obj = json!({"apiVersion": "v1", "kind": "ConfigMap",
            "metadata": {"name": "c", "labels": {}, "annotations": {}}});
        assert_eq!(normalize(&obj)["metadata"], json!({"name": "c"}));
    }

    #[test]
    fn secret_string_data_is_merged_into_data_and_wins() {
        let secret = json!({
            "apiVersion": "v1", "kind": "Secret",
            "metadata": {"name": "db"},
            "type": "Opaque",
            "data": {"user": "YWRtaW4=", "password": "b2xk"},
            "stringData": {"password": "s3cret", "host": "db.local"}
        });
        let out = normalize(&secret);
        assert!(out.get("stringData").is_none());
        assert_eq!(
            out["data"],
            json!({"user": "YWRtaW4=", "password": "czNjcmV0", "host": "ZGIubG9jYWw="})
        );
    }

    #[test]
    fn secret_with_only_string_data_gets_data() {
        let secret = json!({"apiVersion": "v1", "kind": "Secret", "metadata": {"name": "s"},
            "data": null, "stringData": {"k": "v"}});
        assert_eq!(normalize(&secret)["data"], json!({"k": "dg=="}));
    }

    #[test]
    fn string_data_of_other_kinds_is_left_alone() {
        let obj = json!({"apiVersion": "example.com/v1", "kind": "Secret",
            "metadata": {"name": "s"}, "stringData": {"k": "v"}});
        assert_eq!(normalize(&obj)["stringData"], json!({"k": "v"}));
    }

    #[test]
    fn non_objects_pass_through() {
        assert_eq!(normalize(&Value::Null), Value::Null);
    }
}
