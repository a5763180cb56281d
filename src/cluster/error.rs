//! Errors that come from reaching or talking to a cluster, each worded for one line of output.

use std::path::PathBuf;

/// Why a cluster could not be reached or answered badly.
#[derive(Debug, thiserror::Error)]
pub enum ClusterError {
    /// `--kubeconfig` named a file that cannot be read.
    #[error("cannot read kubeconfig {path}: {reason}")]
    KubeconfigRead {
        /// The file.
        path: PathBuf,
        /// What went wrong (I/O or parse error).
        reason: String,
    },
    /// Neither `--kubeconfig`, `KUBECONFIG` nor `~/.kube/config` gave a kubeconfig.
    #[error("no kubeconfig found: set KUBECONFIG, pass --kubeconfig, or create ~/.kube/config")]
    NoKubeconfig,
    /// The kubeconfig has no current-context and none was given.
    #[error("no current context in the kubeconfig; pass --context NAME")]
    NoCurrentContext,
    /// The named context is not in the kubeconfig.
    #[error("context \"{name}\" not found in the kubeconfig (known contexts: {known})")]
    ContextNotFound {
        /// The requested context.
        name: String,
        /// The contexts that do exist, comma-separated.
        known: String,
    },
    /// The kubeconfig entries of the context are unusable (missing cluster, bad certificate...).
    #[error("context \"{context}\": {reason}")]
    BadContext {
        /// The context.
        context: String,
        /// What is wrong with it.
        reason: String,
    },
    /// The server could not be reached at all.
    #[error("cannot reach the server of context \"{context}\" at {server}: {reason}")]
    Unreachable {
        /// The context.
        context: String,
        /// Its server URL.
        server: String,
        /// The transport error.
        reason: String,
    },
    /// The server refused the credentials (HTTP 401).
    #[error(
        "the server of context \"{context}\" at {server} rejected the credentials (401 Unauthorized): they are wrong or have expired"
    )]
    Unauthorized {
        /// The context.
        context: String,
        /// Its server URL.
        server: String,
    },
    /// Getting credentials failed (exec plugin, token file).
    #[error("cannot get credentials for context \"{context}\": {reason}")]
    Credentials {
        /// The context.
        context: String,
        /// What the credential source said.
        reason: String,
    },
    /// A name or namespace that cannot be put into a request path.
    #[error(transparent)]
    InvalidName(#[from] crate::names::NameError),
    /// The server answered with objects of another kind than asked for (a request path that
    /// was not what it seemed, or a misbehaving proxy): refused rather than mislabelled.
    #[error("{context}: {action}: the server answered with {got}, not {expected}")]
    UnexpectedKind {
        /// The context.
        context: String,
        /// What was being done.
        action: String,
        /// The kind asked for.
        expected: String,
        /// The kind received.
        got: String,
    },
    /// Any other API error, with the server's message.
    #[error("{context}: {action}: {message}")]
    Api {
        /// The context.
        context: String,
        /// What was being done.
        action: String,
        /// The server's message.
        message: String,
        /// The HTTP status code (0 when not from the server).
        code: u16,
    },
}

impl ClusterError {
    /// Classifies a kube-rs error for one request, so users read a cause rather than a type name.
    pub fn from_kube(err: kube::Error, context: &str, server: &str, action: &str) -> Self {
        let (context, server) = (context.to_string(), server.to_string());
        match err {
            kube::Error::Api(status) if status.code == 401 => {
                Self::Unauthorized { context, server }
            }
            kube::Error::Api(status) => Self::Api {
                context,
                action: action.to_string(),
                message: status.message.clone(),
                code: status.code,
            },
            kube::Error::Auth(e) => Self::Credentials {
                context,
                reason: auth_reason(&e),
            },
            kube::Error::HyperError(_) | kube::Error::Service(_) | kube::Error::RustlsTls(_) => {
                Self::Unreachable {
                    context,
                    server,
                    reason: root_cause(&err),
                }
            }
            other => Self::Api {
                context,
                action: action.to_string(),
                message: root_cause(&other),
                code: 0,
            },
        }
    }
}

/// Words a credential failure without kube's debug dump of the exec plugin's output, which
/// spans lines and could carry a token on stdout: only the plugin's stderr is shown.
pub(super) fn auth_reason(e: &kube::client::AuthError) -> String {
    match e {
        kube::client::AuthError::AuthExecRun { out, .. } => {
            let stderr = String::from_utf8_lossy(&out.stderr);
            let said = one_line(&stderr);
            if said.is_empty() {
                format!("the exec credential plugin failed ({})", out.status)
            } else {
                format!("the exec credential plugin failed ({}): {said}", out.status)
            }
        }
        other => one_line(&other.to_string()),
    }
}

/// Collapses a message to one line: errors are reported one per line.
pub(super) fn one_line(s: &str) -> String {
    s.split_whitespace().collect::<Vec<_>>().join(" ")
}

/// The innermost error message: transport errors nest four deep and only the last one says why.
fn root_cause(err: &(dyn std::error::Error + 'static)) -> String {
    let mut cur = err;
    while let Some(next) = cur.source() {
        cur = next;
    }
    one_line(&cur.to_string())
}
