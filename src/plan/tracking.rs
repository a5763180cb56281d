//! Argo CD's resource tracking (`util/argo/resource_tracking.go`): which app an object belongs
//! to, written on apply and read back to find what an app owns in the cluster, so a cluster
//! once run by Argo CD is understood as is and one run by this tool can be adopted by Argo CD.

use serde_json::Value;

use crate::cluster::ObjectKey;

/// Argo CD's tracking annotation: `<app>:<group>/<kind>:<namespace>/<name>`.
pub const TRACKING_ANNOTATION: &str = "argocd.argoproj.io/tracking-id";

/// The tracking id of an object of `app`. Cluster-scoped objects carry the app's destination
/// namespace in the namespace slot, as Argo CD writes them.
pub fn tracking_id(app: &str, key: &ObjectKey, destination_namespace: Option<&str>) -> String {
    let ns = key
        .namespace
        .as_deref()
        .or(destination_namespace)
        .unwrap_or_default();
    format!("{app}:{}/{}:{ns}/{}", key.group, key.kind, key.name)
}

/// Writes the tracking annotation into an object's body.
pub fn stamp(body: &mut Value, id: &str) {
    let Some(meta) = body.get_mut("metadata").and_then(Value::as_object_mut) else {
        return;
    };
    let annotations = meta
        .entry("annotations")
        .or_insert_with(|| Value::Object(Default::default()));
    if !annotations.is_object() {
        *annotations = Value::Object(Default::default());
    }
    if let Some(a) = annotations.as_object_mut() {
        a.insert(TRACKING_ANNOTATION.into(), Value::String(id.into()));
    }
}

/// A copy of `obj` without the tracking annotation: it says who owns the object, not what it
/// should be, so diffs leave it out.
pub fn without_tracking(obj: &Value) -> Value {
    let mut obj = obj.clone();
    if let Some(meta) = obj.get_mut("metadata").and_then(Value::as_object_mut)
        && let Some(ann) = meta.get_mut("annotations").and_then(Value::as_object_mut)
    {
        ann.remove(TRACKING_ANNOTATION);
        if ann.is_empty() {
            meta.remove("annotations");
        }
    }
    obj
}

/// The app a live object is tracked to, if its tracking annotation describes this very object
/// (a copied annotation does not count) and no owner reference makes it someone else's.
pub fn tracked_app(obj: &Value, key: &ObjectKey) -> Option<String> {
    if obj
        .pointer("/metadata/ownerReferences")
        .and_then(Value::as_array)
        .is_some_and(|o| !o.is_empty())
    {
        return None;
    }
    let id = obj
        .pointer("/metadata/annotations")?
        .get(TRACKING_ANNOTATION)?
        .as_str()?;
    let (app, rest) = id.split_once(':')?;
    let (gk, ns_name) = rest.split_once(':')?;
    let (group, kind) = gk.split_once('/')?;
    let (ns, name) = ns_name.split_once('/')?;
    // Cluster-scoped objects carry the app's destination namespace in that slot.
    let same_ns = key.namespace.as_deref().is_none_or(|k| k == ns);
    if group != key.group || kind != key.kind || name != key.name || !same_ns {
        return None;
    }
    // Apps outside Argo CD's namespace are written `<namespace>_<app>`.
    Some(app.rsplit_once('_').map_or(app, |(_, a)| a).to_string())
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn key(ns: Option<&str>) -> ObjectKey {
        ObjectKey {
            group: "".into(),
            kind: "ConfigMap".into(),
            namespace: ns.map(String::from),
            name: "c".into(),
        }
    }

    fn with_id(id: &str) -> Value {
        json!({"metadata": {"annotations": {TRACKING_ANNOTATION: id}}})
    }

    #[test]
    fn ids_round_trip_through_stamp_and_read() {
        let k = key(Some("ns"));
        let id = tracking_id("web", &k, Some("dest"));
        assert_eq!(id, "web:/ConfigMap:ns/c");
        let mut body = json!({"metadata": {"name": "c"}});
        stamp(&mut body, &id);
        assert_eq!(tracked_app(&body, &k).as_deref(), Some("web"));
        assert_eq!(without_tracking(&body), json!({"metadata": {"name": "c"}}));
        let cluster = ObjectKey {
            group: "rbac.authorization.k8s.io".into(),
            kind: "ClusterRole".into(),
            namespace: None,
            name: "r".into(),
        };
        assert_eq!(
            tracking_id("web", &cluster, Some("dest")),
            "web:rbac.authorization.k8s.io/ClusterRole:dest/r"
        );
    }

    #[test]
    fn tracking_annotation_must_describe_the_object_itself() {
        assert_eq!(
            tracked_app(&with_id("argocd_web:/ConfigMap:ns/c"), &key(Some("ns"))).as_deref(),
            Some("web")
        );
        assert_eq!(
            tracked_app(&with_id("web:/ConfigMap:ns/other"), &key(Some("ns"))),
            None
        );
        assert_eq!(
            tracked_app(&with_id("web:/ConfigMap:other/c"), &key(Some("ns"))),
            None
        );
        assert_eq!(
            tracked_app(&with_id("web:/ConfigMap:dest/c"), &key(None)).as_deref(),
            Some("web")
        );
        let mut owned = with_id("web:/ConfigMap:ns/c");
        owned["metadata"]["ownerReferences"] = json!([{"name": "x"}]);
        assert_eq!(tracked_app(&owned, &key(Some("ns"))), None);
    }
}
