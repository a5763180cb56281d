//! Reading and writing single objects: get, create, replace, delete. Names and namespaces are
//! checked before any request path is built; 429 and 5xx answers are retried.

use kube::api::{Api, DeleteParams, DynamicObject, PostParams, PropagationPolicy};
use kube::core::discovery::ApiResource;
use serde_json::Value;

use super::apply::ApplyError;
use super::retry::retrying;
use super::{Connection, paths};

fn api(conn: &Connection, resource: &ApiResource, namespace: Option<&str>) -> Api<DynamicObject> {
    match namespace {
        Some(ns) => Api::namespaced_with(conn.client.clone(), ns, resource),
        None => Api::all_with(conn.client.clone(), resource),
    }
}

fn refused(conn: &Connection, resource: &ApiResource, e: kube::Error, what: &str) -> ApplyError {
    match e {
        kube::Error::Api(s) => ApplyError::Refused {
            code: s.code,
            message: if resource.group.is_empty() && resource.kind == "Secret" {
                format!("{} (HTTP {})", s.reason, s.code)
            } else {
                s.message.clone()
            },
        },
        other => ApplyError::Transport(conn.error(other, what)),
    }
}

fn to_value(obj: &DynamicObject, resource: &ApiResource) -> Value {
    let mut v = serde_json::to_value(obj).unwrap_or(Value::Null);
    // Single-object answers carry their type, but a DynamicObject may lose it; the resource
    // says what it is.
    v["apiVersion"] = Value::String(resource.api_version.clone());
    v["kind"] = Value::String(resource.kind.clone());
    v
}

/// The object, or None when it does not exist.
pub async fn get(
    conn: &Connection,
    resource: &ApiResource,
    namespace: Option<&str>,
    name: &str,
) -> Result<Option<Value>, ApplyError> {
    paths::check(namespace, Some(name))?;
    let api = api(conn, resource, namespace);
    match retrying(|| api.get_opt(name)).await {
        Ok(found) => Ok(found.map(|o| to_value(&o, resource))),
        Err(e) => Err(refused(conn, resource, e, "get")),
    }
}

/// What a create or a replace sends: the checked path, the object and our field manager.
struct Write {
    api: Api<DynamicObject>,
    obj: DynamicObject,
    params: PostParams,
}

fn prepare(
    conn: &Connection,
    resource: &ApiResource,
    namespace: Option<&str>,
    name: Option<&str>,
    body: &Value,
) -> Result<Write, ApplyError> {
    paths::check(namespace, name)?;
    let obj: DynamicObject =
        serde_json::from_value(body.clone()).map_err(|e| ApplyError::Decode(e.to_string()))?;
    Ok(Write {
        api: api(conn, resource, namespace),
        obj,
        params: PostParams {
            field_manager: Some(super::FIELD_MANAGER.to_string()),
            ..Default::default()
        },
    })
}

/// Creates the object (POST); `metadata.generateName` works here, unlike with apply.
pub async fn create(
    conn: &Connection,
    resource: &ApiResource,
    namespace: Option<&str>,
    body: &Value,
) -> Result<Value, ApplyError> {
    let name = body.pointer("/metadata/name").and_then(Value::as_str);
    let w = prepare(conn, resource, namespace, name, body)?;
    match retrying(|| w.api.create(&w.params, &w.obj)).await {
        Ok(o) => Ok(to_value(&o, resource)),
        Err(e) => Err(refused(conn, resource, e, "create")),
    }
}

/// Replaces the object (PUT), Argo CD's `Replace=true`; `body` must carry the live
/// `resourceVersion`, so a concurrent change is a conflict rather than lost.
pub async fn replace(
    conn: &Connection,
    resource: &ApiResource,
    namespace: Option<&str>,
    body: &Value,
) -> Result<Value, ApplyError> {
    let name = body
        .pointer("/metadata/name")
        .and_then(Value::as_str)
        .unwrap_or_default();
    let w = prepare(conn, resource, namespace, Some(name), body)?;
    match retrying(|| w.api.replace(name, &w.params, &w.obj)).await {
        Ok(o) => Ok(to_value(&o, resource)),
        Err(e) => Err(refused(conn, resource, e, "replace")),
    }
}

/// How a deleted object's dependents go.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Propagation {
    /// Dependents first.
    Foreground,
    /// Dependents by the garbage collector, later.
    Background,
    /// Dependents are left.
    Orphan,
}

/// Deletes the object, only if it is still the one that was seen (`uid`). Returns false when
/// it was already gone.
pub async fn delete(
    conn: &Connection,
    resource: &ApiResource,
    namespace: Option<&str>,
    name: &str,
    uid: Option<&str>,
    propagation: Propagation,
) -> Result<bool, ApplyError> {
    paths::check(namespace, Some(name))?;
    let api = api(conn, resource, namespace);
    let mut params = DeleteParams {
        propagation_policy: Some(match propagation {
            Propagation::Foreground => PropagationPolicy::Foreground,
            Propagation::Background => PropagationPolicy::Background,
            Propagation::Orphan => PropagationPolicy::Orphan,
        }),
        ..Default::default()
    };
    if let Some(uid) = uid {
        params = params.preconditions(kube::api::Preconditions {
            uid: Some(uid.to_string()),
            resource_version: None,
        });
    }
    match retrying(|| api.delete(name, &params)).await {
        Ok(_) => Ok(true),
        Err(kube::Error::Api(s)) if s.code == 404 => Ok(false),
        // The uid precondition failed: someone re-created it; that one is not ours to delete.
        Err(kube::Error::Api(s)) if s.code == 409 && uid.is_some() => Ok(false),
        Err(e) => Err(refused(conn, resource, e, "delete")),
    }
}
