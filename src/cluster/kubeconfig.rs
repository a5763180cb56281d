//! Kubeconfig loading and context selection with kubectl's rules.

use std::path::{Path, PathBuf};

use kube::config::{KubeConfigOptions, Kubeconfig};

use super::ClusterError;
use super::error::{auth_reason, one_line};

/// The User-Agent of every request: `kubectl-gitops/<version>`.
pub const USER_AGENT: &str = concat!("kubectl-gitops/", env!("CARGO_PKG_VERSION"));

/// Where to connect, as given on the command line (kubectl hands these flags to plugins as is).
#[derive(Debug, Clone, Default)]
pub struct KubeTarget {
    /// `--kubeconfig`: one file, used instead of `KUBECONFIG`.
    pub kubeconfig: Option<PathBuf>,
    /// `--context`: the context to use instead of the current one.
    pub context: Option<String>,
    /// `-n/--namespace`: overrides the context's namespace.
    pub namespace: Option<String>,
}

/// A merged kubeconfig and the files it came from.
#[derive(Debug, Clone)]
pub struct LoadedKubeconfig {
    /// The merged configuration.
    pub config: Kubeconfig,
    /// The files that were read, in precedence order.
    pub files: Vec<PathBuf>,
}

impl LoadedKubeconfig {
    /// The context a command will use: `--context`, else the current context.
    pub fn context_name(&self, wanted: Option<&str>) -> Result<String, ClusterError> {
        let name = match wanted {
            Some(n) => n.to_string(),
            None => self
                .config
                .current_context
                .clone()
                .filter(|c| !c.is_empty())
                .ok_or(ClusterError::NoCurrentContext)?,
        };
        if self.config.contexts.iter().any(|c| c.name == name) {
            Ok(name)
        } else {
            let known: Vec<&str> = self
                .config
                .contexts
                .iter()
                .map(|c| c.name.as_str())
                .collect();
            Err(ClusterError::ContextNotFound {
                name,
                known: if known.is_empty() {
                    "none".into()
                } else {
                    known.join(", ")
                },
            })
        }
    }

    /// The server URL of a context's cluster, if the kubeconfig names one.
    pub fn server_of(&self, context: &str) -> Option<String> {
        let ctx = self.config.contexts.iter().find(|c| c.name == context)?;
        let cluster_name = &ctx.context.as_ref()?.cluster;
        let cluster = self
            .config
            .clusters
            .iter()
            .find(|c| &c.name == cluster_name)?;
        cluster.cluster.as_ref()?.server.clone()
    }
}

/// Reads the kubeconfig like kubectl: `--kubeconfig` alone if given, else every file in
/// `KUBECONFIG` (first to set a value wins; missing files ignored), else `~/.kube/config`.
pub fn load_kubeconfig(explicit: Option<&Path>) -> Result<LoadedKubeconfig, ClusterError> {
    if let Some(path) = explicit {
        let config = read_file(path)?;
        return Ok(LoadedKubeconfig {
            config,
            files: vec![path.to_path_buf()],
        });
    }
    let candidates: Vec<PathBuf> = match std::env::var_os("KUBECONFIG") {
        Some(list) if !list.is_empty() => std::env::split_paths(&list)
            .filter(|p| !p.as_os_str().is_empty())
            .collect(),
        _ => home_config().into_iter().collect(),
    };
    let mut merged: Option<Kubeconfig> = None;
    let mut files = Vec::new();
    for path in candidates {
        // kubectl skips KUBECONFIG entries that do not exist; an unreadable one is still an error.
        if !path.exists() {
            continue;
        }
        let next = read_file(&path)?;
        merged = Some(match merged {
            None => next,
            Some(m) => m.merge(next).map_err(|e| ClusterError::KubeconfigRead {
                path: path.clone(),
                reason: e.to_string(),
            })?,
        });
        files.push(path);
    }
    let config = merged.ok_or(ClusterError::NoKubeconfig)?;
    Ok(LoadedKubeconfig { config, files })
}

fn home_config() -> Option<PathBuf> {
    std::env::var_os("HOME").map(|h| PathBuf::from(h).join(".kube").join("config"))
}

fn read_file(path: &Path) -> Result<Kubeconfig, ClusterError> {
    let text = std::fs::read_to_string(path).map_err(|e| ClusterError::KubeconfigRead {
        path: path.to_path_buf(),
        reason: e.to_string(),
    })?;
    Kubeconfig::from_yaml(&text).map_err(|e| ClusterError::KubeconfigRead {
        path: path.to_path_buf(),
        // kube appends a source snippet over several lines; the position is in the first part.
        reason: one_line(e.to_string().split(" --> ").next().unwrap_or_default()),
    })
}

/// A client for one context, with the names needed to word errors.
#[derive(Clone)]
pub struct Connection {
    /// The kube-rs client.
    pub client: kube::Client,
    /// The context name.
    pub context: String,
    /// The cluster URL.
    pub server: String,
    /// The namespace for objects that name none (`-n`, else the context's, else `default`).
    pub namespace: String,
    /// The kubeconfig user entry of the context (for records when the server cannot say).
    pub user: String,
}

impl Connection {
    /// Classifies an error from a request made through this connection.
    pub fn error(&self, err: kube::Error, action: &str) -> ClusterError {
        ClusterError::from_kube(err, &self.context, &self.server, action)
    }

    /// Who the server takes us for (`SelfSubjectReview`, as `kubectl auth whoami`), else the
    /// kubeconfig's user entry: the name sync records write.
    pub async fn whoami(&self) -> String {
        use k8s_openapi::api::authentication::v1::SelfSubjectReview;
        let api: kube::Api<SelfSubjectReview> = kube::Api::all(self.client.clone());
        let review = SelfSubjectReview::default();
        match api.create(&Default::default(), &review).await {
            Ok(r) => r
                .status
                .and_then(|s| s.user_info)
                .and_then(|u| u.username)
                .filter(|u| !u.is_empty())
                .unwrap_or_else(|| self.user.clone()),
            Err(_) => self.user.clone(),
        }
    }

    /// The server's version (`/version`).
    pub async fn server_version(
        &self,
    ) -> Result<k8s_openapi::apimachinery::pkg::version::Info, ClusterError> {
        self.client
            .apiserver_version()
            .await
            .map_err(|e| self.error(e, "get server version"))
    }
}

/// Builds a client for the selected context; makes no request.
pub async fn connect(target: &KubeTarget) -> Result<Connection, ClusterError> {
    let loaded = load_kubeconfig(target.kubeconfig.as_deref())?;
    let context = loaded.context_name(target.context.as_deref())?;
    let user = loaded
        .config
        .contexts
        .iter()
        .find(|c| c.name == context)
        .and_then(|c| c.context.as_ref())
        .and_then(|c| c.user.clone())
        .unwrap_or_default();
    let options = KubeConfigOptions {
        context: Some(context.clone()),
        ..Default::default()
    };
    let mut config = kube::Config::from_custom_kubeconfig(loaded.config, &options)
        .await
        .map_err(|e| ClusterError::BadContext {
            context: context.clone(),
            reason: one_line(&e.to_string()),
        })?;
    if let Some(ns) = &target.namespace {
        config.default_namespace = ns.clone();
    }
    // kube sends no User-Agent; naming ourselves makes our requests visible in audit logs and
    // server logs, as kubectl's own `kubectl/vX` does.
    config.headers.push((
        http::header::USER_AGENT,
        http::HeaderValue::from_static(USER_AGENT),
    ));
    let server = config
        .cluster_url
        .to_string()
        .trim_end_matches('/')
        .to_string();
    let namespace = config.default_namespace.clone();
    // Building the client already runs an exec credential plugin, so credential errors start here.
    let client = kube::Client::try_from(config).map_err(|e| match e {
        kube::Error::Auth(a) => ClusterError::Credentials {
            context: context.clone(),
            reason: auth_reason(&a),
        },
        other => ClusterError::BadContext {
            context: context.clone(),
            reason: one_line(&other.to_string()),
        },
    })?;
    Ok(Connection {
        client,
        context,
        server,
        namespace,
        user,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    const TWO_CONTEXTS: &str = "apiVersion: v1\nkind: Config\ncurrent-context: a\nclusters:\n- name: c1\n  cluster: {server: https://127.0.0.1:1}\n- name: c2\n  cluster: {server: https://127.0.0.2:2}\nusers:\n- name: u\n  user: {token: t}\ncontexts:\n- name: a\n  context: {cluster: c1, user: u}\n- name: b\n  context: {cluster: c2, user: u, namespace: team-b}\n";

    fn loaded(text: &str) -> LoadedKubeconfig {
        LoadedKubeconfig {
            config: Kubeconfig::from_yaml(text).unwrap(),
            files: vec![],
        }
    }

    #[test]
    fn current_context_is_the_default() {
        assert_eq!(loaded(TWO_CONTEXTS).context_name(None).unwrap(), "a");
        assert_eq!(loaded(TWO_CONTEXTS).context_name(Some("b")).unwrap(), "b");
    }

    #[test]
    fn unknown_context_lists_the_known_ones() {
        let err = loaded(TWO_CONTEXTS)
            .context_name(Some("nope"))
            .unwrap_err()
            .to_string();
        assert_eq!(
            err,
            "context \"nope\" not found in the kubeconfig (known contexts: a, b)"
        );
    }

    #[test]
    fn server_of_follows_context_to_cluster() {
        assert_eq!(
            loaded(TWO_CONTEXTS).server_of("b").as_deref(),
            Some("https://127.0.0.2:2")
        );
    }

    #[tokio::test]
    async fn namespace_flag_overrides_the_context_namespace() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("kc");
        std::fs::write(&path, TWO_CONTEXTS).unwrap();
        let mut target = KubeTarget {
            kubeconfig: Some(path),
            context: Some("b".into()),
            namespace: None,
        };
        let conn = connect(&target).await.unwrap();
        assert_eq!(
            (conn.context.as_str(), conn.namespace.as_str()),
            ("b", "team-b")
        );
        assert_eq!(conn.server, "https://127.0.0.2:2");
        target.namespace = Some("override".into());
        assert_eq!(connect(&target).await.unwrap().namespace, "override");
        target.context = Some("a".into());
        target.namespace = None;
        assert_eq!(connect(&target).await.unwrap().namespace, "default");
    }
}
