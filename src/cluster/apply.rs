//! Server-side apply, for real or as a dry run (what `diff` compares against).

use kube::api::{Api, DynamicObject, Patch, PatchParams};
use kube::core::discovery::ApiResource;
use serde_json::Value;

use super::Connection;

/// The field manager every apply uses, so ownership is clear in managedFields.
pub const FIELD_MANAGER: &str = "kubectl-gitops";

/// Why one apply failed.
#[derive(Debug, thiserror::Error)]
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
    /// Server-side apply found fields owned by other managers with other values.
    #[error("{message}")]
    Conflict {
        /// The managers that own the conflicting fields.
        managers: Vec<String>,
        /// The server's message (it names managers and field paths, never values).
        message: String,
    },
    /// The request did not get an answer (the server refused the connection, broke it, or
    /// timed out).
    #[error(transparent)]
    Transport(super::ClusterError),
    /// An object that could not be turned into a request, or an answer into an object.
    #[error("{0}")]
    Decode(String),
    /// The name or namespace cannot be put into a request path.
    #[error(transparent)]
    InvalidName(#[from] crate::names::NameError),
}

/// How an apply is made.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ApplyParams {
    /// Ask the server what it would store, changing nothing.
    pub dry_run: bool,
    /// Take ownership of fields other managers own, as `--force-conflicts` does.
    pub force: bool,
    /// Strict field validation (unknown or duplicate fields are errors), as kubectl's default;
    /// false is Argo CD's `Validate=false`.
    pub validate: bool,
}

/// Server-side applies `object` (dry run or for real) and returns what the server would store.
pub async fn server_side_apply(
    conn: &Connection,
    resource: &ApiResource,
    namespace: Option<&str>,
    object: &Value,
    how: ApplyParams,
) -> Result<Value, ApplyError> {
    let name = object["metadata"]["name"].as_str().unwrap_or_default();
    super::paths::check(namespace, Some(name))?;
    let api: Api<DynamicObject> = match namespace {
        Some(ns) => Api::namespaced_with(conn.client.clone(), ns, resource),
        None => Api::all_with(conn.client.clone(), resource),
    };
    let mut params = PatchParams::apply(FIELD_MANAGER);
    if how.force {
        params = params.force();
    }
    if how.dry_run {
        params = params.dry_run();
    }
    params.field_validation = Some(if how.validate {
        kube::api::ValidationDirective::Strict
    } else {
        kube::api::ValidationDirective::Ignore
    });
    let patch = Patch::Apply(object);
    match super::retry::retrying(|| api.patch(name, &params, &patch)).await {
        Ok(obj) => serde_json::to_value(&obj).map_err(|e| ApplyError::Decode(e.to_string())),
        Err(kube::Error::Api(s))
            if s.code == 404 && namespace.is_some() && s.message.contains("namespaces") =>
        {
            Err(ApplyError::NamespaceMissing(
                namespace.unwrap_or_default().to_string(),
            ))
        }
        Err(kube::Error::Api(s)) if s.code == 409 && !conflict_managers(&s).is_empty() => {
            Err(ApplyError::Conflict {
                managers: conflict_managers(&s),
                message: s.message.clone(),
            })
        }
        Err(kube::Error::Api(s)) => Err(ApplyError::Refused {
            code: s.code,
            message: if resource.group.is_empty() && resource.kind == "Secret" {
                secret_safe_message(&s)
            } else {
                s.message.clone()
            },
        }),
        Err(e) => Err(ApplyError::Transport(conn.error(e, "apply"))),
    }
}

/// The field managers a 409 from server-side apply names: its causes read
/// `conflict with "kubectl-patch" using v1`.
fn conflict_managers(status: &kube::core::Status) -> Vec<String> {
    let mut out: Vec<String> = status
        .details
        .iter()
        .flat_map(|d| d.causes.iter())
        .filter(|c| c.reason == "FieldManagerConflict")
        .filter_map(|c| {
            let rest = c.message.split_once("conflict with \"")?.1;
            Some(rest.split_once('"')?.0.to_string())
        })
        .collect();
    out.sort();
    out.dedup();
    out
}

/// What may be said of a refused Secret. The API server quotes offending values in its
/// messages (`stringData: {pin: 987654321}` gives `.stringData.pin: expected string, got
/// &value.valueUnstructured{Value:987654321}`), so only the reason and the field paths are
/// kept: from the status causes, and from the message for paths the causes do not list.
fn secret_safe_message(status: &kube::core::Status) -> String {
    let mut fields: Vec<String> = status
        .details
        .iter()
        .flat_map(|d| d.causes.iter())
        .map(|c| c.field.clone())
        .filter(|f| !f.is_empty())
        .collect();
    fields.extend(secret_field_paths(&status.message));
    fields.sort();
    fields.dedup();
    let reason = if status.reason.is_empty() {
        "refused".to_string()
    } else {
        status.reason.clone()
    };
    let at = if fields.is_empty() {
        String::new()
    } else {
        format!(" at {}", fields.join(", "))
    };
    format!("{reason}{at} (the server's message is not shown because it may quote Secret values)")
}

/// Field paths of a Secret named in a server message: `.data.x`, `data[x]`, `stringData.x`...
/// A path stops at the first character that cannot be part of a key, so no value follows it.
fn secret_field_paths(message: &str) -> Vec<String> {
    let mut out = Vec::new();
    for field in ["stringData", "data", "type", "immutable", "metadata"] {
        let mut rest = message;
        while let Some(i) = rest.find(field) {
            let before = rest[..i].chars().last();
            let tail = &rest[i + field.len()..];
            rest = tail;
            // Whole words only: `metadata` must not match inside `xmetadata`.
            if before.is_some_and(|c| c.is_ascii_alphanumeric()) {
                continue;
            }
            let key: String = match tail.chars().next() {
                Some('.') => tail[1..]
                    .chars()
                    .take_while(|c| c.is_ascii_alphanumeric() || matches!(c, '-' | '_' | '.'))
                    .collect::<String>()
                    .trim_end_matches('.')
                    .to_string(),
                Some('[') => tail[1..]
                    .chars()
                    .take_while(|c| c.is_ascii_alphanumeric() || matches!(c, '-' | '_' | '.'))
                    .collect(),
                _ => String::new(),
            };
            out.push(if key.is_empty() {
                format!(".{field}")
            } else {
                format!(".{field}.{key}")
            });
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn secret_messages_keep_paths_and_drop_values() {
        let status: kube::core::Status = serde_json::from_value(serde_json::json!({
            "code": 500, "reason": "InternalError",
            "message": "failed to create typed patch object (/v1, Kind=Secret) ns/s: .stringData.pin: expected string, got &value.valueUnstructured{Value:987654321}"
        }))
        .unwrap();
        let m = secret_safe_message(&status);
        assert!(!m.contains("987654321"), "{m}");
        assert!(m.contains(".stringData.pin"), "{m}");
        let status: kube::core::Status = serde_json::from_value(serde_json::json!({
            "code": 422, "reason": "Invalid",
            "message": "Secret \"s\" is invalid: data[bad key!]: Invalid value: \"hunter2\": a valid config key must consist of ...",
            "details": {"causes": [{"field": "data[bad key!]", "reason": "FieldValueInvalid", "message": "Invalid value: \"hunter2\""}]}
        }))
        .unwrap();
        let m = secret_safe_message(&status);
        assert!(!m.contains("hunter2"), "{m}");
        assert!(m.starts_with("Invalid at "), "{m}");
    }
}
