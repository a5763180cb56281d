//! Which kinds are cluster-scoped, for namespace defaulting: discovery when a cluster answers,
//! CRDs found in the tree itself, and a built-in list of the standard kinds otherwise.

use std::collections::HashMap;

use super::object::Object;

/// Cluster-scoped kinds of a standard cluster, by (group, kind).
const CLUSTER_SCOPED: &[(&str, &str)] = &[
    ("", "Namespace"),
    ("", "Node"),
    ("", "PersistentVolume"),
    ("", "ComponentStatus"),
    (
        "admissionregistration.k8s.io",
        "MutatingWebhookConfiguration",
    ),
    (
        "admissionregistration.k8s.io",
        "ValidatingWebhookConfiguration",
    ),
    ("admissionregistration.k8s.io", "ValidatingAdmissionPolicy"),
    (
        "admissionregistration.k8s.io",
        "ValidatingAdmissionPolicyBinding",
    ),
    ("admissionregistration.k8s.io", "MutatingAdmissionPolicy"),
    (
        "admissionregistration.k8s.io",
        "MutatingAdmissionPolicyBinding",
    ),
    ("apiextensions.k8s.io", "CustomResourceDefinition"),
    ("apiregistration.k8s.io", "APIService"),
    ("certificates.k8s.io", "CertificateSigningRequest"),
    ("certificates.k8s.io", "ClusterTrustBundle"),
    ("flowcontrol.apiserver.k8s.io", "FlowSchema"),
    ("flowcontrol.apiserver.k8s.io", "PriorityLevelConfiguration"),
    ("networking.k8s.io", "IngressClass"),
    ("networking.k8s.io", "IPAddress"),
    ("networking.k8s.io", "ServiceCIDR"),
    ("node.k8s.io", "RuntimeClass"),
    ("rbac.authorization.k8s.io", "ClusterRole"),
    ("rbac.authorization.k8s.io", "ClusterRoleBinding"),
    ("scheduling.k8s.io", "PriorityClass"),
    ("storage.k8s.io", "CSIDriver"),
    ("storage.k8s.io", "CSINode"),
    ("storage.k8s.io", "StorageClass"),
    ("storage.k8s.io", "VolumeAttachment"),
    ("storage.k8s.io", "VolumeAttributesClass"),
    ("resource.k8s.io", "DeviceClass"),
    ("gateway.networking.k8s.io", "GatewayClass"),
];

/// Knows, for a (group, kind), whether objects of it live in a namespace.
#[derive(Debug, Clone, Default)]
pub struct Scopes {
    known: HashMap<(String, String), bool>,
}

impl Scopes {
    /// The built-in list only (no cluster reachable).
    pub fn builtin() -> Scopes {
        let known = CLUSTER_SCOPED
            .iter()
            .map(|(g, k)| ((g.to_string(), k.to_string()), false))
            .collect();
        Scopes { known }
    }

    /// Records what a cluster's discovery says, overriding the built-in list.
    pub fn insert(&mut self, group: &str, kind: &str, namespaced: bool) {
        self.known.insert((group.into(), kind.into()), namespaced);
    }

    /// Learns the scope of every CustomResourceDefinition among the objects.
    pub fn learn_crds<'a>(&mut self, objects: impl IntoIterator<Item = &'a Object>) {
        for o in objects {
            if o.kind != "CustomResourceDefinition" || o.group() != "apiextensions.k8s.io" {
                continue;
            }
            let spec = &o.body["spec"];
            if let (Some(group), Some(kind)) =
                (spec["group"].as_str(), spec["names"]["kind"].as_str())
            {
                let namespaced = spec["scope"].as_str() != Some("Cluster");
                self.known
                    .entry((group.into(), kind.into()))
                    .or_insert(namespaced);
            }
        }
    }

    /// Whether a kind is namespaced; unknown kinds are taken as namespaced, as most are.
    pub fn is_namespaced(&self, group: &str, kind: &str) -> bool {
        self.known
            .get(&(group.to_string(), kind.to_string()))
            .copied()
            .unwrap_or(true)
    }

    /// Sets or clears an object's namespace: cluster-scoped objects lose theirs, namespaced
    /// objects without one get `default_ns` (Argo CD's destination namespace rule).
    pub fn apply(&self, object: &mut Object, default_ns: Option<&str>) {
        if !self.is_namespaced(object.group(), &object.kind) {
            if object.namespace.is_some() {
                object.set_namespace(None);
            }
        } else if object.namespace.is_none()
            && let Some(ns) = default_ns
        {
            object.set_namespace(Some(ns));
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::render::object::Origin;
    use serde_json::json;

    fn obj(v: serde_json::Value) -> Object {
        Object::from_value(
            v,
            Origin {
                file: "f".into(),
                doc: 1,
            },
        )
        .unwrap()
    }

    #[test]
    fn namespaced_objects_get_the_destination_cluster_scoped_lose_theirs() {
        let scopes = Scopes::builtin();
        let mut cm =
            obj(json!({"apiVersion": "v1", "kind": "ConfigMap", "metadata": {"name": "c"}}));
        scopes.apply(&mut cm, Some("blog"));
        assert_eq!(cm.body["metadata"]["namespace"], "blog");
        let mut keep = obj(
            json!({"apiVersion": "v1", "kind": "ConfigMap", "metadata": {"name": "c", "namespace": "x"}}),
        );
        scopes.apply(&mut keep, Some("blog"));
        assert_eq!(keep.namespace.as_deref(), Some("x"));
        let mut cr = obj(
            json!({"apiVersion": "rbac.authorization.k8s.io/v1", "kind": "ClusterRole",
                                "metadata": {"name": "r", "namespace": "blog"}}),
        );
        scopes.apply(&mut cr, Some("blog"));
        assert_eq!(cr.namespace, None);
        assert!(cr.body["metadata"].get("namespace").is_none());
    }

    #[test]
    fn crds_in_the_tree_declare_their_scope() {
        let mut scopes = Scopes::builtin();
        let crd = obj(
            json!({"apiVersion": "apiextensions.k8s.io/v1", "kind": "CustomResourceDefinition",
            "metadata": {"name": "widgets.example.com"},
            "spec": {"group": "example.com", "scope": "Cluster", "names": {"kind": "Widget"}}}),
        );
        scopes.learn_crds([&crd]);
        assert!(!scopes.is_namespaced("example.com", "Widget"));
        assert!(scopes.is_namespaced("example.com", "Gadget"));
    }
}
