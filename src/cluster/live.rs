//! Reading live objects: one LIST per kind and namespace, never a GET per object.

use std::collections::HashMap;

use futures::{StreamExt, stream};
use kube::api::{Api, DynamicObject, ListParams};
use kube::core::discovery::ApiResource;
use serde_json::Value;

use super::{ClusterError, Connection};

/// Identifies an object in a cluster: group, kind, namespace (None when cluster-scoped), name.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct ObjectKey {
    /// API group (`""` for core).
    pub group: String,
    /// Kind.
    pub kind: String,
    /// Namespace.
    pub namespace: Option<String>,
    /// Name.
    pub name: String,
}

impl ObjectKey {
    /// Whether this is a core Secret, whose values are never shown: decided by identity, never
    /// by a body that rules or servers could have altered.
    pub fn is_secret(&self) -> bool {
        self.group.is_empty() && self.kind == "Secret"
    }

    /// `Kind namespace/name`, or `Kind name` for cluster-scoped objects: how messages name it.
    pub fn display_name(&self) -> String {
        crate::names::object_display(&self.kind, self.namespace.as_deref(), &self.name)
    }
}

impl From<&crate::render::Object> for ObjectKey {
    /// The key an object of the tree has in its cluster.
    fn from(o: &crate::render::Object) -> ObjectKey {
        ObjectKey {
            group: o.group().to_string(),
            kind: o.kind.clone(),
            namespace: o.namespace.clone(),
            name: o.name.clone(),
        }
    }
}

/// One LIST to make: a resource, in a namespace or across the cluster.
#[derive(Debug, Clone)]
pub struct ListTarget {
    /// The resource.
    pub resource: ApiResource,
    /// The namespace; None lists a cluster-scoped kind.
    pub namespace: Option<String>,
}

/// What is wrong with a LIST answer that is not what was asked, as (expected, got): another
/// kind of list, or an item of another namespace. Items carry no kind of their own and are
/// stamped with the kind asked for, so a Secret list answered to a ConfigMap LIST (a path that
/// escaped its segment) would otherwise print Secrets as ConfigMaps.
fn unexpected_page<'a>(
    target: &ListTarget,
    list_kind: &str,
    mut item_namespaces: impl Iterator<Item = Option<&'a str>>,
) -> Option<(String, String)> {
    let expected = format!("{}List", target.resource.kind);
    if !list_kind.is_empty() && list_kind != expected {
        return Some((expected, list_kind.to_string()));
    }
    let ns = target.namespace.as_deref()?;
    let other = item_namespaces.find(|n| *n != Some(ns))?;
    Some((
        format!("objects in namespace {ns}"),
        format!("an object in namespace {:?}", other.unwrap_or("")),
    ))
}

impl ListTarget {
    /// `Secret (v1) in namespace "web"`, `Namespace (v1) across the cluster`: how messages
    /// name what a LIST reads.
    pub fn describe(&self) -> String {
        let r = &self.resource;
        match &self.namespace {
            Some(ns) => format!("{} ({}) in namespace {ns:?}", r.kind, r.api_version),
            None => format!("{} ({}) across the cluster", r.kind, r.api_version),
        }
    }
}

/// Lists every target with at most `concurrency` requests in flight; objects come back as
/// JSON with `apiVersion` and `kind` set. The first failure fails the whole call.
pub async fn list_objects(
    conn: &Connection,
    targets: Vec<ListTarget>,
    concurrency: usize,
) -> Result<HashMap<ObjectKey, Value>, ClusterError> {
    let mut out = HashMap::new();
    for result in list_each(conn, targets, concurrency).await {
        for obj in result? {
            out.insert(key_of(&obj), obj);
        }
    }
    Ok(out)
}

/// Lists every target, each with its own result (in the order given), so one refused LIST
/// fails only what depends on it.
pub async fn list_each(
    conn: &Connection,
    targets: Vec<ListTarget>,
    concurrency: usize,
) -> Vec<Result<Vec<Value>, ClusterError>> {
    stream::iter(targets)
        .map(|t| list_one(conn, t))
        .buffered(concurrency.max(1))
        .collect()
        .await
}

/// The key of a listed object (its type fields set by the lister).
pub fn key_of(obj: &Value) -> ObjectKey {
    ObjectKey {
        group: obj["apiVersion"]
            .as_str()
            .and_then(|v| v.rsplit_once('/'))
            .map_or("", |(g, _)| g)
            .to_string(),
        kind: obj["kind"].as_str().unwrap_or_default().to_string(),
        namespace: obj["metadata"]["namespace"].as_str().map(String::from),
        name: obj["metadata"]["name"]
            .as_str()
            .unwrap_or_default()
            .to_string(),
    }
}

async fn list_one(conn: &Connection, target: ListTarget) -> Result<Vec<Value>, ClusterError> {
    super::paths::check(target.namespace.as_deref(), None)?;
    let api: Api<DynamicObject> = match &target.namespace {
        Some(ns) => Api::namespaced_with(conn.client.clone(), ns, &target.resource),
        None => Api::all_with(conn.client.clone(), &target.resource),
    };
    let mut out = Vec::new();
    let mut params = ListParams::default().limit(500);
    let what = || format!("list {}", target.describe());
    loop {
        let page = match super::retry::retrying(|| api.list(&params)).await {
            Ok(p) => p,
            // A namespace that does not exist yet simply holds nothing.
            Err(kube::Error::Api(s)) if s.code == 404 => return Ok(out),
            // Who "this user" is, the caller asks the server once (`Connection::whoami`).
            Err(kube::Error::Api(s)) if s.code == 403 => {
                return Err(ClusterError::Forbidden {
                    context: conn.context.clone(),
                    user: None,
                    verb: "list".into(),
                    what: target.describe(),
                });
            }
            Err(e) => return Err(conn.error(e, &what())),
        };
        if let Some((expected, got)) = unexpected_page(
            &target,
            &page.types.kind,
            page.items.iter().map(|i| i.metadata.namespace.as_deref()),
        ) {
            return Err(ClusterError::UnexpectedKind {
                context: conn.context.clone(),
                action: what(),
                expected,
                got,
            });
        }
        for item in page.items {
            let mut v = serde_json::to_value(&item).map_err(|e| ClusterError::Api {
                context: conn.context.clone(),
                action: "decode a listed object".into(),
                message: e.to_string(),
                code: 0,
            })?;
            // List items carry no type fields; the resource says what they are.
            v["apiVersion"] = Value::String(target.resource.api_version.clone());
            v["kind"] = Value::String(target.resource.kind.clone());
            out.push(v);
        }
        match page.metadata.continue_.filter(|c| !c.is_empty()) {
            Some(token) => params = params.continue_token(&token),
            None => return Ok(out),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn configmaps_in(ns: &str) -> ListTarget {
        ListTarget {
            resource: ApiResource {
                group: String::new(),
                version: "v1".into(),
                api_version: "v1".into(),
                kind: "ConfigMap".into(),
                plural: "configmaps".into(),
            },
            namespace: Some(ns.into()),
        }
    }

    #[test]
    fn a_list_of_another_kind_or_namespace_is_refused() {
        let t = configmaps_in("web");
        assert_eq!(
            unexpected_page(&t, "ConfigMapList", [Some("web")].into_iter()),
            None
        );
        assert_eq!(
            unexpected_page(&t, "SecretList", [Some("web")].into_iter()),
            Some(("ConfigMapList".into(), "SecretList".into()))
        );
        assert_eq!(
            unexpected_page(
                &t,
                "ConfigMapList",
                [Some("web"), Some("victim")].into_iter()
            ),
            Some((
                "objects in namespace web".into(),
                "an object in namespace \"victim\"".into()
            ))
        );
        // Cluster-wide lists hold every namespace.
        let all = ListTarget {
            namespace: None,
            ..configmaps_in("web")
        };
        assert_eq!(
            unexpected_page(&all, "", [Some("a"), Some("b")].into_iter()),
            None
        );
    }
}
