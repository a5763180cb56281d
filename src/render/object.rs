//! A rendered Kubernetes object and where it came from.

use std::fmt;

use serde_json::Value;

/// Where an object (or a broken document) came from, for error messages and `render` output.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Origin {
    /// The file inside the repo, or the renderer that produced the stream (`helm template`).
    pub file: String,
    /// The 1-based index of the document inside the file (list items share their list's index).
    pub doc: usize,
}

impl fmt::Display for Origin {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{} (document {})", self.file, self.doc)
    }
}

/// Why a document is not a usable Kubernetes object.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ManifestError {
    /// The document is not a mapping (a bare string, a list...).
    #[error("{origin}: not a Kubernetes object (expected a mapping)")]
    NotAnObject {
        /// The document.
        origin: Origin,
    },
    /// A required field is missing or empty.
    #[error("{origin}: missing required field {field}")]
    MissingField {
        /// The document.
        origin: Origin,
        /// The field path, e.g. `metadata.name`.
        field: &'static str,
    },
    /// A field has the wrong type (a number where a string belongs, a string where a mapping
    /// belongs...): not "missing", which would send the user looking for the wrong thing.
    #[error("{origin}: {field} must be {expected}, not {found}")]
    WrongType {
        /// The document.
        origin: Origin,
        /// The field path.
        field: &'static str,
        /// What it must be (`a string`).
        expected: &'static str,
        /// What it is (`a number`), from [`json_type`].
        found: &'static str,
    },
    /// A name, namespace, kind or apiVersion breaks the API server's rules; it is refused here,
    /// before it can reach a request path or the output.
    #[error("{origin}: {error}")]
    InvalidName {
        /// The document.
        origin: Origin,
        /// Which rule it breaks.
        error: crate::names::NameError,
    },
}

/// What a JSON value is, in the words of a YAML author: `a number`, `a list`, `a mapping`.
pub fn json_type(v: &Value) -> &'static str {
    match v {
        Value::Null => "null",
        Value::Bool(_) => "a boolean",
        Value::Number(_) => "a number",
        Value::String(_) => "a string",
        Value::Array(_) => "a list",
        Value::Object(_) => "a mapping",
    }
}

/// One Kubernetes object as the repo defines it, not yet sent anywhere.
#[derive(Debug, Clone, PartialEq)]
pub struct Object {
    /// `apiVersion`, e.g. `apps/v1`.
    pub api_version: String,
    /// `kind`, e.g. `Deployment`.
    pub kind: String,
    /// `metadata.name`; empty only for an object named by `generateName` (hooks).
    pub name: String,
    /// `metadata.generateName`, when the object has no name of its own.
    pub generate_name: Option<String>,
    /// `metadata.namespace`, after defaulting (None for cluster-scoped objects).
    pub namespace: Option<String>,
    /// The namespace came from `-n` or the kubeconfig context, because neither the manifest
    /// nor the app's destination names one: fine to render, refused by sync as by Argo CD.
    pub fallback_namespace: bool,
    /// The whole object.
    pub body: Value,
    /// Where it was defined.
    pub origin: Origin,
}

impl Object {
    /// Checks the fields every object needs and builds an Object.
    pub fn from_value(body: Value, origin: Origin) -> Result<Object, ManifestError> {
        if !body.is_object() {
            return Err(ManifestError::NotAnObject { origin });
        }
        // `metadata: foo` is a wrong type, not a missing name.
        if let Some(m) = body
            .get("metadata")
            .filter(|m| !m.is_object() && !m.is_null())
        {
            return Err(ManifestError::WrongType {
                origin,
                field: "metadata",
                expected: "a mapping",
                found: json_type(m),
            });
        }
        let fields = [
            ("/apiVersion", "apiVersion"),
            ("/kind", "kind"),
            ("/metadata/name", "metadata.name"),
            ("/metadata/namespace", "metadata.namespace"),
            ("/metadata/generateName", "metadata.generateName"),
        ];
        for (ptr, field) in fields {
            if let Some(v) = body.pointer(ptr).filter(|v| !v.is_string() && !v.is_null()) {
                return Err(ManifestError::WrongType {
                    origin,
                    field,
                    expected: "a string",
                    found: json_type(v),
                });
            }
        }
        let text = |ptr: &str| {
            body.pointer(ptr)
                .and_then(Value::as_str)
                .unwrap_or_default()
        };
        for (ptr, field) in &fields[..2] {
            if text(ptr).is_empty() {
                return Err(ManifestError::MissingField { origin, field });
            }
        }
        // Hooks are often named by the server (`generateName`); everything else needs a name.
        let generate_name = Some(text("/metadata/generateName"))
            .filter(|s| !s.is_empty() && text("/metadata/name").is_empty())
            .map(String::from);
        if text("/metadata/name").is_empty() && generate_name.is_none() {
            return Err(ManifestError::MissingField {
                origin,
                field: "metadata.name",
            });
        }
        let namespace = Some(text("/metadata/namespace"))
            .filter(|s| !s.is_empty())
            .map(String::from);
        let checked = crate::names::api_version(text("/apiVersion"))
            .and_then(|()| crate::names::kind(text("/kind")))
            .and_then(|()| match &generate_name {
                Some(g) => crate::names::generate_name(g),
                None => crate::names::object_name(text("/metadata/name")),
            })
            .and_then(|()| namespace.as_deref().map_or(Ok(()), crate::names::namespace));
        if let Err(error) = checked {
            return Err(ManifestError::InvalidName { origin, error });
        }
        Ok(Object {
            api_version: text("/apiVersion").to_string(),
            kind: text("/kind").to_string(),
            name: text("/metadata/name").to_string(),
            generate_name,
            namespace,
            fallback_namespace: false,
            body,
            origin,
        })
    }

    /// The API group (`""` for the core group).
    pub fn group(&self) -> &str {
        self.api_version
            .rsplit_once('/')
            .map(|(g, _)| g)
            .unwrap_or("")
    }

    /// Sets `metadata.namespace` in both the body and the cached field.
    pub fn set_namespace(&mut self, ns: Option<&str>) {
        self.namespace = ns.map(String::from);
        if let Some(meta) = self.body.get_mut("metadata").and_then(Value::as_object_mut) {
            match ns {
                Some(ns) => {
                    meta.insert("namespace".into(), Value::String(ns.into()));
                }
                None => {
                    meta.remove("namespace");
                }
            }
        }
    }

    /// An annotation's value.
    pub fn annotation(&self, key: &str) -> Option<&str> {
        self.body
            .get("metadata")?
            .get("annotations")?
            .get(key)?
            .as_str()
    }

    /// `Kind namespace/name` (or `Kind name`), how every message names an object (as
    /// `ObjectKey::display_name` does); a generated name shows as its prefix and `*`.
    pub fn display_name(&self) -> String {
        let name = match &self.generate_name {
            Some(g) => format!("{g}*"),
            None => self.name.clone(),
        };
        crate::names::object_display(&self.kind, self.namespace.as_deref(), &name)
    }

    /// True for Argo CD `Application` objects, which are children rather than things to apply.
    pub fn is_application(&self) -> bool {
        self.kind == "Application" && self.group() == "argoproj.io"
    }

    /// True for Argo CD `ApplicationSet` objects, which expand into children.
    pub fn is_application_set(&self) -> bool {
        self.kind == "ApplicationSet" && self.group() == "argoproj.io"
    }

    /// The sync wave (`argocd.argoproj.io/sync-wave`, default 0).
    pub fn wave(&self) -> i64 {
        self.annotation("argocd.argoproj.io/sync-wave")
            .and_then(|w| w.trim().parse().ok())
            .unwrap_or(0)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn origin() -> Origin {
        Origin {
            file: "apps/a.yaml".into(),
            doc: 2,
        }
    }

    #[test]
    fn missing_fields_are_named_with_file_and_document() {
        let err = Object::from_value(
            json!({"apiVersion": "v1", "metadata": {"name": "x"}}),
            origin(),
        )
        .unwrap_err();
        assert_eq!(
            err.to_string(),
            "apps/a.yaml (document 2): missing required field kind"
        );
        let err = Object::from_value(
            json!({"apiVersion": "v1", "kind": "ConfigMap", "metadata": {}}),
            origin(),
        )
        .unwrap_err();
        assert_eq!(
            err.to_string(),
            "apps/a.yaml (document 2): missing required field metadata.name"
        );
        let err = Object::from_value(
            json!({"kind": "ConfigMap", "metadata": {"name": "x"}}),
            origin(),
        )
        .unwrap_err();
        assert_eq!(
            err.to_string(),
            "apps/a.yaml (document 2): missing required field apiVersion"
        );
        let err = Object::from_value(json!("text"), origin()).unwrap_err();
        assert!(err.to_string().contains("not a Kubernetes object"));
    }

    #[test]
    fn group_wave_and_application_detection() {
        let o = Object::from_value(
            json!({"apiVersion": "argoproj.io/v1alpha1", "kind": "Application",
                   "metadata": {"name": "a", "annotations": {"argocd.argoproj.io/sync-wave": "-2"}}}),
            origin(),
        )
        .unwrap();
        assert_eq!(o.group(), "argoproj.io");
        assert_eq!(o.wave(), -2);
        assert!(o.is_application());
        let cm = Object::from_value(
            json!({"apiVersion": "v1", "kind": "ConfigMap", "metadata": {"name": "c"}}),
            origin(),
        )
        .unwrap();
        assert_eq!(cm.group(), "");
        assert_eq!(cm.wave(), 0);
        assert!(!cm.is_application());
    }
}
