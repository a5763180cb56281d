//! Errors that come from reaching or talking to a cluster, each worded for one line of output.

use std::path::PathBuf;
use std::time::Duration;

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
    /// The server could not be reached, or the connection broke.
    #[error("cannot reach the server of context \"{context}\" at {server} to {action}: {reason}")]
    Unreachable {
        /// The context.
        context: String,
        /// Its server URL.
        server: String,
        /// What was being done.
        action: String,
        /// The transport error.
        reason: String,
    },
    /// No connection (TCP and TLS handshake) could be made in time.
    #[error(
        "cannot reach the server of context \"{context}\" at {server} to {action}: no connection within {} (TCP connect and TLS handshake)",
        seconds(*after)
    )]
    ConnectTimeout {
        /// The context.
        context: String,
        /// Its server URL.
        server: String,
        /// What was being done.
        action: String,
        /// The connect timeout.
        after: Duration,
    },
    /// The server accepted the request but did not answer in time.
    #[error(
        "the server of context \"{context}\" at {server} did not answer within {} to {action} (--request-timeout sets how long to wait)",
        seconds(*after)
    )]
    NoAnswer {
        /// The context.
        context: String,
        /// Its server URL.
        server: String,
        /// What was being done.
        action: String,
        /// The deadline that passed.
        after: Duration,
    },
    /// The exec credential plugin did not finish in time (kubelogin waiting for a browser).
    #[error(
        "cannot get credentials for context \"{context}\": the exec credential plugin {command:?} did not finish within {} and was stopped (log in with it once by hand, or raise --request-timeout)",
        seconds(*after)
    )]
    CredentialTimeout {
        /// The context.
        context: String,
        /// The plugin's command.
        command: String,
        /// The deadline that passed.
        after: Duration,
    },
    /// The server refused a request for want of permission (HTTP 403).
    #[error(
        "context \"{context}\": {user} may not {verb} {what} (403 Forbidden)",
        user = user.as_deref().map_or_else(|| "this user".to_string(), |u| format!("user {u:?}"))
    )]
    Forbidden {
        /// The context.
        context: String,
        /// Who the server takes us for, when it could be asked.
        user: Option<String>,
        /// The verb refused (`list`, `patch`...).
        verb: String,
        /// What it was refused on: `Secret in namespace "web"`.
        what: String,
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
    #[error("context \"{context}\": cannot {action}: {message}")]
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
    pub fn from_kube(
        err: kube::Error,
        context: &str,
        server: &str,
        action: &str,
        limits: super::guard::Limits,
    ) -> Self {
        let (context, server, action) =
            (context.to_string(), server.to_string(), action.to_string());
        match err {
            kube::Error::Api(status) if status.code == 401 => {
                Self::Unauthorized { context, server }
            }
            kube::Error::Api(status) => Self::Api {
                context,
                action,
                message: one_line(&status.message),
                code: status.code,
            },
            kube::Error::Auth(e) => Self::Credentials {
                context,
                reason: auth_reason(&e),
            },
            err if is_transport(&err) => match super::guard::timeout_of(&err, limits) {
                Some(super::guard::Timeout::Connect(after)) => Self::ConnectTimeout {
                    context,
                    server,
                    action,
                    after,
                },
                Some(super::guard::Timeout::Answer(after)) => Self::NoAnswer {
                    context,
                    server,
                    action,
                    after,
                },
                None => Self::Unreachable {
                    context,
                    server,
                    action,
                    reason: root_cause(&err),
                },
            },
            other => Self::Api {
                context,
                action,
                message: root_cause(&other),
                code: 0,
            },
        }
    }

    /// Names the user a 403 was given to (`Connection::whoami`), when the error is one.
    pub fn set_user(&mut self, name: &str) {
        if let Self::Forbidden { user, .. } = self {
            *user = Some(name.to_string());
        }
    }

    /// Whether the connection to the server failed (refused, broken, or timed out), as opposed
    /// to the server answering with a refusal: the run cannot go on against that server.
    pub fn is_transport(&self) -> bool {
        matches!(
            self,
            Self::Unreachable { .. } | Self::ConnectTimeout { .. } | Self::NoAnswer { .. }
        )
    }
}

/// Whether a kube-rs error is a failed connection rather than an answer.
pub(super) fn is_transport(err: &kube::Error) -> bool {
    matches!(
        err,
        kube::Error::HyperError(_) | kube::Error::Service(_) | kube::Error::RustlsTls(_)
    )
}

/// `2s`, `1m30s`, `720h`: how durations read in messages, as they are written on the command
/// line.
pub fn seconds(d: Duration) -> String {
    let s = d.as_secs();
    if d.subsec_millis() > 0 && s < 10 {
        return format!("{:.1}s", d.as_secs_f64());
    }
    let (h, m, s) = (s / 3600, s / 60 % 60, s % 60);
    let mut out = String::new();
    for (n, unit) in [(h, 'h'), (m, 'm'), (s, 's')] {
        if n > 0 {
            out.push_str(&format!("{n}{unit}"));
        }
    }
    if out.is_empty() { "0s".into() } else { out }
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

/// A library's wording turned into the user's: the kube-rs, rustls and OS phrases users meet
/// when a kubeconfig or a connection is wrong, said in terms of what to check.
pub(super) fn plain(s: &str) -> String {
    let mut s = one_line(s);
    for prefix in ["Failed to infer provided configuration: "] {
        if let Some(rest) = s.strip_prefix(prefix) {
            s = rest.to_string();
        }
    }
    // kube quotes paths twice: `failed to read file '"/x/ca.crt"'`.
    s = s.replace("'\"", "").replace("\"'", "");
    s = s.replace("failed to read file ", "cannot read ");
    // `No such file or directory (os error 2)`: the number says nothing more.
    if let Some(i) = s.find(" (os error ")
        && s[i..].ends_with(')')
    {
        s.truncate(i);
    }
    let words: &[(&str, &str)] = &[
        (
            "invalid peer certificate: UnknownIssuer",
            "its certificate is not signed by the certificate authority the kubeconfig names (certificate-authority)",
        ),
        (
            "invalid peer certificate: NotValidForName",
            "its certificate is not valid for this address (tls-server-name can name the one it is for)",
        ),
        (
            "invalid peer certificate: Expired",
            "its certificate has expired",
        ),
        (
            "failed to lookup address information: Name or service not known",
            "the host name does not resolve",
        ),
    ];
    for (from, to) in words {
        if s.contains(from) {
            s = s.replace(from, to);
        }
    }
    s
}

/// The innermost error message: transport errors nest four deep and only the last one says why.
pub(super) fn root_cause(err: &(dyn std::error::Error + 'static)) -> String {
    let mut cur = err;
    while let Some(next) = cur.source() {
        cur = next;
    }
    plain(&cur.to_string())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn durations_read_as_they_are_written() {
        let d = Duration::from_secs;
        assert_eq!(seconds(d(2)), "2s");
        assert_eq!(seconds(d(90)), "1m30s");
        assert_eq!(seconds(d(720 * 3600)), "720h");
        assert_eq!(seconds(d(3601)), "1h1s");
        assert_eq!(seconds(Duration::from_millis(1500)), "1.5s");
        assert_eq!(seconds(Duration::ZERO), "0s");
    }

    #[test]
    fn library_wording_is_said_as_what_to_check() {
        assert_eq!(
            plain("failed to read file '\"/x/ca.crt\"': No such file or directory (os error 2)"),
            "cannot read /x/ca.crt: No such file or directory"
        );
        assert_eq!(
            plain("invalid peer certificate: UnknownIssuer"),
            "its certificate is not signed by the certificate authority the kubeconfig names (certificate-authority)"
        );
    }
}
