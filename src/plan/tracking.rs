//! Argo CD's resource tracking (`util/argo/resource_tracking.go`): which app an object belongs
//! to, written on apply and read back to find what an app owns in the cluster, so a cluster
//! once run by Argo CD is understood as is and one run by this tool can be adopted by Argo CD.
//! The method is Argo CD's `application.resourceTrackingMethod`: the tracking annotation (3.0's
//! default), the `app.kubernetes.io/instance` label (the default before), or both.

use serde_json::Value;

use crate::cluster::ObjectKey;

/// Argo CD's tracking annotation: `<app>:<group>/<kind>:<namespace>/<name>`.
pub const TRACKING_ANNOTATION: &str = "argocd.argoproj.io/tracking-id";

/// Argo CD's app instance label, its tracking before 3.0 (`application.instanceLabelKey`'s
/// default): the app's name.
pub const INSTANCE_LABEL: &str = "app.kubernetes.io/instance";

/// The longest label value Kubernetes accepts; Argo CD cuts the informational label there.
const LABEL_MAX: usize = 63;

/// How objects are tied to their app: Argo CD's `application.resourceTrackingMethod`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum TrackingMethod {
    /// The tracking annotation (Argo CD 3.0's default).
    #[default]
    Annotation,
    /// The instance label (the default before 3.0).
    Label,
    /// The annotation tracks; the label is written too, for other tools, and not read.
    AnnotationAndLabel,
}

impl TrackingMethod {
    /// The setting's value in argocd-cm (`annotation`, `label`, `annotation+label`).
    pub fn parse(value: &str) -> Option<TrackingMethod> {
        match value.trim() {
            "annotation" => Some(TrackingMethod::Annotation),
            "label" => Some(TrackingMethod::Label),
            "annotation+label" => Some(TrackingMethod::AnnotationAndLabel),
            _ => None,
        }
    }

    /// The setting's value, as argocd-cm writes it.
    pub fn as_str(self) -> &'static str {
        match self {
            TrackingMethod::Annotation => "annotation",
            TrackingMethod::Label => "label",
            TrackingMethod::AnnotationAndLabel => "annotation+label",
        }
    }

    /// Writes what the method says an applied object carries (Argo CD's `SetAppInstance`).
    pub fn stamp(self, body: &mut Value, app: &str, key: &ObjectKey, dest_ns: Option<&str>) {
        if self != TrackingMethod::Label {
            stamp(body, &tracking_id(app, key, dest_ns));
        }
        match self {
            TrackingMethod::Annotation => {}
            TrackingMethod::Label => set_label(body, app),
            TrackingMethod::AnnotationAndLabel => {
                let mut cut = app.len().min(LABEL_MAX);
                while !app.is_char_boundary(cut) {
                    cut -= 1;
                }
                set_label(body, &app[..cut]);
            }
        }
    }

    /// The app a live object is tracked to, read as the method says (Argo CD's `GetAppName`):
    /// the annotation for `annotation` and `annotation+label`, the label for `label`.
    pub fn tracked_app(self, obj: &Value, key: &ObjectKey) -> Option<String> {
        match self {
            TrackingMethod::Label => labelled_app(obj),
            _ => tracked_app(obj, key),
        }
    }
}

/// The app the instance label names, unless an owner reference makes the object someone
/// else's (pods of a Deployment carry their template's labels).
pub fn labelled_app(obj: &Value) -> Option<String> {
    if obj
        .pointer("/metadata/ownerReferences")
        .and_then(Value::as_array)
        .is_some_and(|o| !o.is_empty())
    {
        return None;
    }
    let value = obj
        .pointer("/metadata/labels")?
        .get(INSTANCE_LABEL)?
        .as_str()?;
    if value.is_empty() {
        return None;
    }
    // Apps outside Argo CD's namespace are written `<namespace>_<app>`.
    Some(value.rsplit_once('_').map_or(value, |(_, a)| a).to_string())
}

fn set_label(body: &mut Value, value: &str) {
    let Some(meta) = body.get_mut("metadata").and_then(Value::as_object_mut) else {
        return;
    };
    let labels = meta
        .entry("labels")
        .or_insert_with(|| Value::Object(Default::default()));
    if !labels.is_object() {
        *labels = Value::Object(Default::default());
    }
    if let Some(l) = labels.as_object_mut() {
        l.insert(INSTANCE_LABEL.into(), Value::String(value.into()));
    }
}

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
    fn each_method_stamps_and_reads_what_argo_cd_does() {
        let k = key(Some("ns"));
        let fresh = || json!({"metadata": {"name": "c"}});
        let mut a = fresh();
        TrackingMethod::Annotation.stamp(&mut a, "web", &k, None);
        assert_eq!(
            a["metadata"]["annotations"][TRACKING_ANNOTATION],
            "web:/ConfigMap:ns/c"
        );
        assert!(a["metadata"].get("labels").is_none());
        let mut l = fresh();
        TrackingMethod::Label.stamp(&mut l, "web", &k, None);
        assert_eq!(l["metadata"]["labels"][INSTANCE_LABEL], "web");
        assert!(l["metadata"].get("annotations").is_none());
        let long = "a".repeat(70);
        let mut both = fresh();
        TrackingMethod::AnnotationAndLabel.stamp(&mut both, &long, &k, None);
        assert_eq!(both["metadata"]["labels"][INSTANCE_LABEL], "a".repeat(63));
        assert!(both["metadata"]["annotations"][TRACKING_ANNOTATION].is_string());

        // Label tracking reads the label only; the others the annotation only.
        assert_eq!(
            TrackingMethod::Label.tracked_app(&l, &k).as_deref(),
            Some("web")
        );
        assert_eq!(TrackingMethod::Annotation.tracked_app(&l, &k), None);
        assert_eq!(TrackingMethod::Label.tracked_app(&a, &k), None);
        assert_eq!(
            TrackingMethod::AnnotationAndLabel
                .tracked_app(&a, &k)
                .as_deref(),
            Some("web")
        );
        let mut owned = l.clone();
        owned["metadata"]["ownerReferences"] = json!([{"name": "rs"}]);
        assert_eq!(TrackingMethod::Label.tracked_app(&owned, &k), None);
        assert_eq!(
            TrackingMethod::parse("annotation+label"),
            Some(TrackingMethod::AnnotationAndLabel)
        );
        assert_eq!(TrackingMethod::parse("labels"), None);
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
