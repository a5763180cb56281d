//! Server-side apply, for real or as a dry run (what `diff` compares against).

use kube::api::{Api, DynamicObject, Patch, PatchParams};
use kube::core::discovery::ApiResource;
use serde_json::Value;

use super::Connection;

/// The field manager every apply uses, so ownership is clear in managedFields.
pub const FIELD_MANAGER: &str = "kubectl-gitops";

/// Why one apply failed.
#[derive(Debug, Clone, thiserror::Error)]
pub enum ApplyError {
    /// The object's namespace does not exist (yet).
    #[error("namespace {0:?} does not exist")]
    NamespaceMissing(String),
    /// The server refused the object (validation, conflict, admission).
    #[error("{message}")]
    Refused {
        /// HTTP status.
        code: u16,
        /// The server's message.
        message: String,
    },
    /// The request did not get an answer.
    #[error("{0}")]
    Transport(String),
}

/// Server-side applies `object` (dry run or for real) and returns what the server would store.
/// `force` takes ownership of fields other managers own, as `--force-conflicts` does.
pub async fn server_side_apply(
    conn: &Connection,
    resource: &ApiResource,
    namespace: Option<&str>,
    object: &Value,
    dry_run: bool,
    force: bool,
) -> Result<Value, ApplyError> {
    let api: Api<DynamicObject> = match namespace {
        Some(ns) => Api::namespaced_with(conn.client.clone(), ns, resource),
        None => Api::all_with(conn.client.clone(), resource),
    };
    let name = object["metadata"]["name"].as_str().unwrap_or_default();
    let mut params = PatchParams::apply(FIELD_MANAGER);
    if force {
        params = params.force();
    }
    if dry_run {
        params = params.dry_run();
    }
    match api.patch(name, &params, &Patch::Apply(object)).await {
        Ok(obj) => serde_json::to_value(&obj).map_err(|e| ApplyError::Transport(e.to_string())),
        Err(kube::Error::Api(s))
            if s.code == 404 && namespace.is_some() && s.message.contains("namespaces") =>
        {
            Err(ApplyError::NamespaceMissing(
                namespace.unwrap_or_default().to_string(),
            ))
        }
        Err(kube::Error::Api(s)) => Err(ApplyError::Refused {
            code: s.code,
            message: s.message.clone(),
        }),
        Err(e) => Err(ApplyError::Transport(conn.error(e, "apply").to_string())),
    }
}
