//! Argo CD cluster secrets as the cluster generator sees them (`util/db/cluster.go`'s
//! `SecretToCluster`): `name`, `server` and `project` from the data, labels and annotations from
//! the metadata. The `config` key (the credentials) is never decoded nor kept: the types here
//! have no field for it, so deserialisation skips it.

use std::collections::BTreeMap;

use base64::Engine as _;
use serde::Deserialize;

use super::{ClusterInfo, SECRET_TYPE_CLUSTER, SECRET_TYPE_LABEL};

/// The parts of a Secret the cluster generator reads.
#[derive(Debug, Default, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct ClusterSecret {
    /// `kind`, when the document says (a file may hold other kinds).
    #[serde(default)]
    pub kind: Option<String>,
    /// Name, labels, annotations.
    #[serde(default)]
    pub metadata: SecretMeta,
    /// Base64 values, as the API server returns them.
    #[serde(default)]
    pub data: ClusterFields,
    /// Plain values, as manifests in Git often write them (they win over `data`, as the API
    /// server merges them).
    #[serde(default)]
    pub string_data: ClusterFields,
}

/// The metadata fields read.
#[derive(Debug, Default, Deserialize)]
pub struct SecretMeta {
    /// `metadata.name`.
    #[serde(default)]
    pub name: String,
    /// `metadata.labels`.
    #[serde(default)]
    pub labels: Option<BTreeMap<String, String>>,
    /// `metadata.annotations`.
    #[serde(default)]
    pub annotations: Option<BTreeMap<String, String>>,
}

/// The data keys read; `config` (bearer tokens, TLS keys, exec settings) is not one of them.
#[derive(Debug, Default, Deserialize)]
pub struct ClusterFields {
    /// The cluster's name in Argo CD.
    #[serde(default)]
    pub name: Option<String>,
    /// The API server URL.
    #[serde(default)]
    pub server: Option<String>,
    /// The project a scoped cluster belongs to.
    #[serde(default)]
    pub project: Option<String>,
}

/// Why a cluster secret cannot be used; never quotes a value of the secret's data.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ClusterSecretError {
    /// The document does not have a Secret's shape.
    #[error("Secret {name:?}: {path}: {message}")]
    Shape {
        /// `metadata.name`, if readable.
        name: String,
        /// The field.
        path: String,
        /// What is wrong.
        message: String,
    },
    /// A data value is not base64 or not UTF-8.
    #[error("Secret {name:?}: data.{key} is not base64 of UTF-8 text")]
    Encoding {
        /// `metadata.name`.
        name: String,
        /// The data key.
        key: &'static str,
    },
    /// A field every cluster secret has is missing.
    #[error("Secret {name:?}: {key} is missing from data and stringData")]
    Missing {
        /// `metadata.name`.
        name: String,
        /// The data key.
        key: &'static str,
    },
}

impl ClusterSecret {
    /// Reads a Secret from JSON (a document of a file, or an item of a LIST).
    pub fn from_value(v: serde_json::Value) -> Result<ClusterSecret, ClusterSecretError> {
        let name = v
            .pointer("/metadata/name")
            .and_then(serde_json::Value::as_str)
            .unwrap_or_default()
            .to_string();
        serde_path_to_error::deserialize(v).map_err(|e| {
            let path = e.path().to_string();
            // serde's message may quote the offending value: only the field's type is said.
            let message = match e.inner().classify() {
                serde_json::error::Category::Data => "has the wrong type".to_string(),
                _ => "cannot be read".to_string(),
            };
            ClusterSecretError::Shape {
                name,
                path,
                message,
            }
        })
    }

    /// Whether Argo CD would list it as a cluster: it carries the cluster secret-type label.
    pub fn is_cluster(&self) -> bool {
        self.metadata
            .labels
            .as_ref()
            .and_then(|l| l.get(SECRET_TYPE_LABEL))
            .is_some_and(|v| v == SECRET_TYPE_CLUSTER)
    }

    /// The cluster, as the generator sees it.
    pub fn into_info(self) -> Result<ClusterInfo, ClusterSecretError> {
        let secret = self.metadata.name.clone();
        let field = |key: &'static str,
                     plain: &Option<String>,
                     encoded: &Option<String>|
         -> Result<Option<String>, ClusterSecretError> {
            if let Some(p) = plain {
                return Ok(Some(p.clone()));
            }
            let Some(e) = encoded else { return Ok(None) };
            let bytes = base64::engine::general_purpose::STANDARD
                .decode(e.trim())
                .map_err(|_| ClusterSecretError::Encoding {
                    name: secret.clone(),
                    key,
                })?;
            String::from_utf8(bytes)
                .map(Some)
                .map_err(|_| ClusterSecretError::Encoding {
                    name: secret.clone(),
                    key,
                })
        };
        let name = field("name", &self.string_data.name, &self.data.name)?;
        let server = field("server", &self.string_data.server, &self.data.server)?;
        let project = field("project", &self.string_data.project, &self.data.project)?;
        let server =
            server
                .filter(|s| !s.trim().is_empty())
                .ok_or_else(|| ClusterSecretError::Missing {
                    name: secret.clone(),
                    key: "server",
                })?;
        // Argo CD keeps the URL without its trailing slash.
        let server = server.trim().trim_end_matches('/').to_string();
        Ok(ClusterInfo {
            name: name.unwrap_or_default(),
            server,
            labels: self.metadata.labels.unwrap_or_default(),
            annotations: self.metadata.annotations.unwrap_or_default(),
            project: project.unwrap_or_default(),
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn b64(s: &str) -> String {
        base64::engine::general_purpose::STANDARD.encode(s)
    }

    #[test]
    fn a_cluster_secret_gives_name_server_project_labels_and_annotations() {
        let secret = ClusterSecret::from_value(json!({
            "apiVersion": "v1", "kind": "Secret",
            "metadata": {"name": "prod-secret", "namespace": "argocd",
                "labels": {"argocd.argoproj.io/secret-type": "cluster", "enable_ingress": "true"},
                "annotations": {"addons_repo_url": "https://git.example.com/addons"}},
            "data": {"name": b64("prod"), "server": b64("https://prod.example.com/"),
                     "project": b64("platform"), "config": b64("{\"bearerToken\":\"s3cret\"}")}
        }))
        .unwrap();
        assert!(secret.is_cluster());
        let info = secret.into_info().unwrap();
        assert_eq!(info.name, "prod");
        assert_eq!(info.server, "https://prod.example.com");
        assert_eq!(info.project, "platform");
        assert_eq!(info.labels["enable_ingress"], "true");
        assert_eq!(
            info.annotations["addons_repo_url"],
            "https://git.example.com/addons"
        );
        assert!(!format!("{info:?}").contains("s3cret"));
    }

    #[test]
    fn string_data_wins_and_errors_never_quote_values() {
        let info = ClusterSecret::from_value(json!({
            "metadata": {"name": "s", "labels": {"argocd.argoproj.io/secret-type": "cluster"}},
            "data": {"server": b64("https://old")},
            "stringData": {"name": "dev", "server": "https://dev", "config": "{\"password\": \"hunter2\"}"}
        }))
        .unwrap()
        .into_info()
        .unwrap();
        assert_eq!(
            (info.name.as_str(), info.server.as_str()),
            ("dev", "https://dev")
        );

        let err = ClusterSecret::from_value(json!({
            "metadata": {"name": "s"}, "data": {"server": "%%hunter2%%"}
        }))
        .unwrap()
        .into_info()
        .unwrap_err()
        .to_string();
        assert!(
            err.contains("data.server") && !err.contains("hunter2"),
            "{err}"
        );
        let err = ClusterSecret::from_value(json!({
            "metadata": {"name": "s"}, "data": {"server": ["hunter2"]}
        }))
        .unwrap_err()
        .to_string();
        assert!(
            err.contains("data.server") && !err.contains("hunter2"),
            "{err}"
        );
        let not_cluster = ClusterSecret::from_value(json!({"metadata": {"name": "x"}})).unwrap();
        assert!(!not_cluster.is_cluster());
    }
}
