//! Kubeconfig loading and context selection with kubectl's rules.

use std::path::{Path, PathBuf};
use std::sync::{Arc, RwLock};
use std::time::Duration;

use base64::Engine;
use kube::config::{KubeConfigOptions, Kubeconfig};

use super::ClusterError;
use super::error::{auth_reason, one_line, plain};
use super::exec::{self, Credential, ExecError};
use super::guard::{Guard, Limits, Link};

/// The User-Agent of every request: `kubectl-gitops/<version>`.
pub const USER_AGENT: &str = concat!("kubectl-gitops/", env!("CARGO_PKG_VERSION"));

/// How long one request may take when `--request-timeout` is not given. kube-apiserver ends
/// its own requests after 60 s, so no answer the server would still give is cut short.
pub const DEFAULT_REQUEST_TIMEOUT: Duration = Duration::from_secs(60);
/// How long a TCP connect and TLS handshake may take (less when the request timeout is
/// shorter): client-go allows 30 s to dial and 10 s for TLS.
pub const CONNECT_TIMEOUT: Duration = Duration::from_secs(10);

/// Where to connect, as given on the command line (kubectl hands these flags to plugins as is).
#[derive(Debug, Clone)]
pub struct KubeTarget {
    /// `--kubeconfig`: one file, used instead of `KUBECONFIG`.
    pub kubeconfig: Option<PathBuf>,
    /// `--context`: the context to use instead of the current one.
    pub context: Option<String>,
    /// `-n/--namespace`: overrides the context's namespace.
    pub namespace: Option<String>,
    /// `--request-timeout`: how long a request may wait for the server's answer (and a TCP
    /// connect at most that too), how long an exec credential plugin may run, and half of what
    /// discovery as a whole may take (None: no limit, kubectl's `0`).
    pub request_timeout: Option<Duration>,
}

impl Default for KubeTarget {
    fn default() -> Self {
        KubeTarget {
            kubeconfig: None,
            context: None,
            namespace: None,
            request_timeout: Some(DEFAULT_REQUEST_TIMEOUT),
        }
    }
}

impl KubeTarget {
    /// The timeouts of a connection to this target.
    pub fn limits(&self) -> Limits {
        Limits {
            connect: self
                .request_timeout
                .map_or(CONNECT_TIMEOUT, |r| r.min(CONNECT_TIMEOUT)),
            answer: self.request_timeout,
        }
    }
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
    /// The timeouts its requests have.
    pub limits: Limits,
    /// Its first transport failure, shared by every clone.
    link: Arc<Link>,
}

impl Connection {
    /// Classifies an error from a request made through this connection; a transport failure
    /// also marks the connection lost (see [`Connection::lost`]).
    pub fn error(&self, err: kube::Error, action: &str) -> ClusterError {
        self.lose(ClusterError::from_kube(
            err,
            &self.context,
            &self.server,
            action,
            self.limits,
        ))
    }

    /// Marks the connection lost when `e` is a transport failure; returns `e`.
    pub fn lose(&self, e: ClusterError) -> ClusterError {
        if e.is_transport() {
            self.link.lose(e.to_string());
        }
        e
    }

    /// Why the server can no longer be reached, once a request failed for want of a connection
    /// (refused, broken, timed out): the run cannot go on against it.
    pub fn lost(&self) -> Option<String> {
        self.link.lost().map(|why| {
            if why.contains(&self.server) {
                why.to_string()
            } else {
                format!(
                    "cannot reach the server of context {:?} at {}: {why}",
                    self.context, self.server
                )
            }
        })
    }

    /// Starts over: the server counts as reachable again until a request fails. For a run
    /// that begins anew on a connection that lost its server before (the next round of a
    /// watch).
    pub fn forget_loss(&self) {
        self.link.forget();
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
            .map_err(|e| self.error(e, "get the server version"))
    }
}

/// Builds a client for the selected context. It makes no request to the server, but it runs
/// the context's exec credential plugin, if any (under the request timeout).
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
            reason: plain(&e.to_string()),
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
    let limits = target.limits();
    config.connect_timeout = Some(limits.connect);
    // A server that accepted the request and stalls is caught by the read timeout too; counted
    // from each write, so the time a pooled connection sat idle does not count.
    config.read_timeout = limits.answer;
    config.reset_reader_on_write = true;
    // kube's own retry tries 429/503/504 up to 15 times with delays growing to minutes; ours
    // (`retry`) is bounded and also covers 502.
    config.default_retry = false;
    let server = config
        .cluster_url
        .to_string()
        .trim_end_matches('/')
        .to_string();
    let namespace = config.default_namespace.clone();
    let bearer = exec_credential(&mut config, &context, limits.answer).await?;
    let link = Arc::new(Link::default());
    let guard = Guard {
        bearer,
        limits,
        link: Arc::clone(&link),
    };
    let client = kube::client::ClientBuilder::try_from(config)
        .map_err(|e| match e {
            kube::Error::Auth(a) => ClusterError::Credentials {
                context: context.clone(),
                reason: auth_reason(&a),
            },
            other => ClusterError::BadContext {
                context: context.clone(),
                reason: plain(&other.to_string()),
            },
        })?
        .with_layer(&guard)
        .build();
    Ok(Connection {
        client,
        context,
        server,
        namespace,
        user,
        limits,
        link,
    })
}

/// Runs the context's exec credential plugin (see `exec`) and puts what it gave in place of
/// it: a client certificate into the config, a token into the returned header (refreshed
/// before it expires). kube's precedence is kept: a token or password in the kubeconfig wins.
async fn exec_credential(
    config: &mut kube::Config,
    context: &str,
    deadline: Option<Duration>,
) -> Result<Option<super::guard::SharedToken>, ClusterError> {
    let auth = &mut config.auth_info;
    let static_first = auth.token.is_some()
        || auth.token_file.is_some()
        || auth.username.is_some()
        || auth.auth_provider.is_some();
    let Some(exec) = auth.exec.take() else {
        return Ok(None);
    };
    if static_first {
        return Ok(None);
    }
    match exec::run(&exec, deadline).await {
        Ok(Credential::Token { header, expires }) => {
            let token = Arc::new(RwLock::new(header));
            if let Some(expires) = expires {
                exec::keep_fresh(exec, &token, expires, deadline);
            }
            Ok(Some(token))
        }
        Ok(Credential::Certificate { cert_pem, key_pem }) => {
            let b64 = base64::engine::general_purpose::STANDARD;
            auth.client_certificate_data = Some(b64.encode(cert_pem));
            auth.client_key_data = Some(secrecy::SecretString::from(b64.encode(key_pem)));
            Ok(None)
        }
        Err(ExecError::TimedOut { command, after }) => Err(ClusterError::CredentialTimeout {
            context: context.to_string(),
            command,
            after,
        }),
        Err(e) => Err(ClusterError::Credentials {
            context: context.to_string(),
            reason: e.to_string(),
        }),
    }
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
            ..Default::default()
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
