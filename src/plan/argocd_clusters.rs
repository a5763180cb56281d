//! The clusters Argo CD knows, for the ApplicationSet cluster generator: its cluster secrets,
//! from a file (`--clusters FILE`) or from the Argo CD namespace of the current context's
//! cluster; without either, the kubeconfig's contexts stand for them (see
//! `TreeFacts::generator_clusters`).
//!
//! Secrets are read for their `name`, `server` and `project` keys and their labels and
//! annotations only: the `config` key (credentials) has no field to land in, so it is never
//! decoded, kept or shown (see `apps::appset::cluster_secret`).

use std::path::{Path, PathBuf};
use std::time::Duration;

use serde::Deserialize;
use serde_json::Value;

use crate::apps::TreeFacts;
use crate::apps::appset::ClusterInfo;
use crate::apps::appset::cluster_secret::{ClusterSecret, ClusterSecretError};
use crate::cluster::{ClusterError, Connection};

/// The namespace Argo CD runs in by default, where its cluster secrets are.
pub const DEFAULT_ARGOCD_NAMESPACE: &str = "argocd";

/// How long looking for cluster secrets may take before the kubeconfig stands in.
const LOOKUP_TIMEOUT: Duration = Duration::from_secs(5);

/// Where to look for cluster secrets.
#[derive(Debug, Clone)]
pub struct ClusterSource {
    /// A file of Secret manifests; when given, the cluster is not asked.
    pub file: Option<PathBuf>,
    /// The Argo CD namespace of the current context's cluster.
    pub namespace: String,
}

/// Why the cluster secrets given could not be used.
#[derive(Debug, thiserror::Error)]
pub enum ClustersError {
    /// The file cannot be read.
    #[error("--clusters {}: {source}", path.display())]
    Read {
        /// The file.
        path: PathBuf,
        /// Why.
        source: std::io::Error,
    },
    /// The file is not YAML.
    #[error("--clusters {}: {message}", path.display())]
    Yaml {
        /// The file.
        path: PathBuf,
        /// The parser's message.
        message: String,
    },
    /// A cluster secret of the file cannot be used.
    #[error("--clusters {} (document {doc}): {source}", path.display())]
    Secret {
        /// The file.
        path: PathBuf,
        /// The 1-based document.
        doc: usize,
        /// What is wrong.
        source: ClusterSecretError,
    },
    /// The namespace given cannot be one.
    #[error("--argocd-namespace: {0}")]
    Namespace(crate::names::NameError),
}

/// Cluster secrets and what was ignored, from a file of Secret manifests (several documents,
/// or a `List` as `kubectl get secret -o yaml` prints it).
pub fn from_file(path: &Path) -> Result<(Vec<ClusterInfo>, Vec<String>), ClustersError> {
    let text = std::fs::read_to_string(path).map_err(|source| ClustersError::Read {
        path: path.to_path_buf(),
        source,
    })?;
    let docs = crate::yaml::parse_documents(&text).map_err(|e| ClustersError::Yaml {
        path: path.to_path_buf(),
        message: e.to_string(),
    })?;
    let mut clusters = Vec::new();
    let mut warnings = Vec::new();
    for (i, doc) in docs.into_iter().enumerate() {
        let items = match doc.get("items") {
            Some(Value::Array(items))
                if doc
                    .get("kind")
                    .and_then(Value::as_str)
                    .is_some_and(|k| k.ends_with("List")) =>
            {
                items.clone()
            }
            _ => vec![doc],
        };
        for item in items {
            let kind = item.get("kind").and_then(Value::as_str).unwrap_or_default();
            if !kind.is_empty() && kind != "Secret" {
                warnings.push(format!(
                    "--clusters {} (document {}): a {kind}, not a Secret; ignored",
                    path.display(),
                    i + 1
                ));
                continue;
            }
            let secret =
                ClusterSecret::from_value(item).map_err(|source| ClustersError::Secret {
                    path: path.to_path_buf(),
                    doc: i + 1,
                    source,
                })?;
            if !secret.is_cluster() {
                warnings.push(format!(
                    "--clusters {} (document {}): Secret {:?} has no label {}={}, so Argo CD does not list it as a cluster; ignored",
                    path.display(),
                    i + 1,
                    secret.metadata.name,
                    crate::apps::appset::SECRET_TYPE_LABEL,
                    crate::apps::appset::SECRET_TYPE_CLUSTER
                ));
                continue;
            }
            clusters.push(secret.into_info().map_err(|source| ClustersError::Secret {
                path: path.to_path_buf(),
                doc: i + 1,
                source,
            })?);
        }
    }
    Ok((clusters, warnings))
}

/// One page of a Secret LIST, with nothing but what a cluster secret is read for.
#[derive(Deserialize)]
struct SecretPage {
    #[serde(default)]
    items: Vec<ClusterSecret>,
    #[serde(default)]
    metadata: PageMeta,
}

#[derive(Default, Deserialize)]
struct PageMeta {
    #[serde(rename = "continue", default)]
    next: Option<String>,
}

/// Percent-encodes a query value.
fn query_value(v: &str) -> String {
    v.bytes()
        .map(|b| match b {
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'_' | b'.' | b'~' => {
                (b as char).to_string()
            }
            _ => format!("%{b:02X}"),
        })
        .collect()
}

/// The cluster secrets in `namespace` of the connection's cluster (one labelled LIST, as Argo
/// CD lists them), with warnings for secrets that cannot be used; None when there are none or
/// the namespace cannot be read (absent, or forbidden to this user).
pub async fn from_cluster(
    conn: &Connection,
    namespace: &str,
) -> Result<Option<(Vec<ClusterInfo>, Vec<String>)>, ClusterError> {
    // The namespace becomes part of the request path.
    crate::names::namespace(namespace)?;
    let selector = format!(
        "{}={}",
        crate::apps::appset::SECRET_TYPE_LABEL,
        crate::apps::appset::SECRET_TYPE_CLUSTER
    );
    let mut clusters = Vec::new();
    let mut warnings = Vec::new();
    let mut next: Option<String> = None;
    loop {
        let mut url = format!(
            "/api/v1/namespaces/{namespace}/secrets?labelSelector={}&limit=500",
            query_value(&selector)
        );
        if let Some(token) = &next {
            url.push_str(&format!("&continue={}", query_value(token)));
        }
        let request = http::Request::get(url)
            .body(Vec::new())
            .map_err(|e| ClusterError::Api {
                context: conn.context.clone(),
                action: "list Argo CD cluster secrets".into(),
                message: e.to_string(),
                code: 0,
            })?;
        let page: SecretPage = match conn.client.request(request).await {
            Ok(p) => p,
            Err(kube::Error::Api(s)) if s.code == 403 || s.code == 404 => return Ok(None),
            Err(e) => {
                return Err(conn.error(e, &format!("list cluster secrets in {namespace}")));
            }
        };
        for secret in page.items {
            let name = secret.metadata.name.clone();
            match secret.into_info() {
                Ok(c) => clusters.push(c),
                Err(e) => {
                    warnings.push(format!("cluster secret {namespace}/{name} is ignored: {e}"))
                }
            }
        }
        match page.metadata.next.filter(|t| !t.is_empty()) {
            Some(t) => next = Some(t),
            None => break,
        }
    }
    if clusters.is_empty() {
        return Ok(None);
    }
    Ok(Some((clusters, warnings)))
}

/// The part of [`learn`] that needs no cluster: the file, when given (true: done).
pub(crate) fn learn_from_file(
    facts: &mut TreeFacts,
    source: &ClusterSource,
) -> Result<bool, ClustersError> {
    if let Some(path) = &source.file {
        let (clusters, warnings) = from_file(path)?;
        facts.argocd_clusters = Some(clusters);
        facts.warnings.extend(warnings);
        return Ok(true);
    }
    crate::names::namespace(&source.namespace).map_err(ClustersError::Namespace)?;
    Ok(false)
}

/// Sets the generator's clusters from the file, else from the cluster's secrets (when `conn`
/// is given and answers), else leaves the kubeconfig's contexts to stand for them.
pub async fn learn(
    facts: &mut TreeFacts,
    source: &ClusterSource,
    conn: Option<&Connection>,
) -> Result<(), ClustersError> {
    if learn_from_file(facts, source)? {
        return Ok(());
    }
    let Some(conn) = conn else { return Ok(()) };
    match tokio::time::timeout(LOOKUP_TIMEOUT, from_cluster(conn, &source.namespace)).await {
        Ok(Ok(Some((clusters, warnings)))) => {
            facts.argocd_clusters = Some(clusters);
            facts.warnings.extend(warnings);
        }
        Ok(Ok(None)) => {}
        Ok(Err(e)) => facts.warnings.push(format!(
            "cannot read Argo CD's cluster secrets ({e}); the kubeconfig's contexts stand for them"
        )),
        Err(_) => facts.warnings.push(format!(
            "Argo CD's cluster secrets in {} did not arrive within {}s; the kubeconfig's contexts stand for them",
            source.namespace,
            LOOKUP_TIMEOUT.as_secs()
        )),
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_file_of_secrets_gives_clusters_and_notes_what_it_ignores() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("clusters.yaml");
        std::fs::write(
            &path,
            "apiVersion: v1\nkind: List\nitems:\n- apiVersion: v1\n  kind: Secret\n  metadata:\n    name: a\n    labels: {argocd.argoproj.io/secret-type: cluster, env: prod}\n  stringData: {name: prod, server: https://prod, config: '{\"bearerToken\": \"t0ken\"}'}\n---\napiVersion: v1\nkind: Secret\nmetadata: {name: repo-creds, labels: {argocd.argoproj.io/secret-type: repository}}\nstringData: {url: https://git}\n---\napiVersion: v1\nkind: ConfigMap\nmetadata: {name: c}\n",
        )
        .unwrap();
        let (clusters, warnings) = from_file(&path).unwrap();
        assert_eq!(clusters.len(), 1);
        assert_eq!(clusters[0].name, "prod");
        assert_eq!(clusters[0].labels["env"], "prod");
        assert_eq!(warnings.len(), 2, "{warnings:?}");
        assert!(!format!("{clusters:?}{warnings:?}").contains("t0ken"));
    }

    #[test]
    fn query_values_are_encoded() {
        assert_eq!(
            query_value("argocd.argoproj.io/secret-type=cluster"),
            "argocd.argoproj.io%2Fsecret-type%3Dcluster"
        );
    }
}
