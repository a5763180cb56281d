//! Exec credential plugins (kubelogin, `aws eks get-token`, `gke-gcloud-auth-plugin`), run by
//! the plugin itself rather than by kube-rs: kube runs them synchronously, with no deadline and
//! up to three times while building a client, so one waiting on a browser blocks the whole
//! command. Here the plugin runs once per connection, under a deadline, in its own process
//! group (killed whole when the deadline passes), following client-go's protocol:
//! `KUBERNETES_EXEC_INFO` in, an `ExecCredential` out.

use std::io::IsTerminal;
use std::process::Stdio;
use std::sync::{Arc, Weak};
use std::time::Duration;

use http::HeaderValue;
use kube::config::{ExecConfig, ExecInteractiveMode};
use serde::{Deserialize, Serialize};

use super::guard::SharedToken;

/// What a plugin gave.
pub enum Credential {
    /// A bearer token, and when it expires (if the plugin said).
    Token {
        /// The token, as an Authorization header value.
        header: HeaderValue,
        /// Its expiry.
        expires: Option<k8s_openapi::jiff::Timestamp>,
    },
    /// A client certificate and key, PEM.
    Certificate {
        /// The certificate.
        cert_pem: String,
        /// The private key.
        key_pem: String,
    },
}

/// Why a plugin gave no credential.
#[derive(Debug, thiserror::Error)]
pub enum ExecError {
    /// The kubeconfig names no command.
    #[error("the exec section names no command")]
    NoCommand,
    /// The plugin could not be started.
    #[error("cannot run the exec credential plugin {command:?}: {reason}{hint}")]
    Start {
        /// The command.
        command: String,
        /// The OS error.
        reason: String,
        /// The kubeconfig's `installHint`, on a line of its own in kubectl; here after a dash.
        hint: String,
    },
    /// It did not finish in time; it was killed.
    #[error("the exec credential plugin {command:?} did not finish in time")]
    TimedOut {
        /// The command.
        command: String,
        /// The deadline.
        after: Duration,
    },
    /// It exited with an error.
    #[error("the exec credential plugin {command:?} failed ({status}){said}")]
    Failed {
        /// The command.
        command: String,
        /// Its exit status.
        status: String,
        /// `: <its stderr, one line>`, or nothing.
        said: String,
    },
    /// It printed something that is not an ExecCredential with a usable status.
    #[error("the exec credential plugin {command:?} printed no usable credential: {reason}")]
    BadOutput {
        /// The command.
        command: String,
        /// What is wrong (never the output itself: it may hold a token).
        #[source]
        reason: CredentialProblem,
    },
}

/// What is wrong with a plugin's output; never quotes it, as it may hold a token.
#[derive(Debug, thiserror::Error)]
pub enum CredentialProblem {
    /// The `KUBERNETES_EXEC_INFO` the plugin is given could not be written.
    #[error("{0}")]
    ExecInfo(#[source] serde_json::Error),
    /// The output is not JSON of the ExecCredential shape (serde's message would quote it).
    #[error("its output is not an ExecCredential JSON document")]
    NotExecCredential,
    /// No `status`.
    #[error("the ExecCredential has no status")]
    NoStatus,
    /// A `status` with neither.
    #[error("the ExecCredential has neither a token nor a client certificate")]
    NoCredential,
    /// A token that cannot be sent as `Authorization: Bearer`.
    #[error("the token holds characters an HTTP header cannot carry")]
    TokenNotHeader,
    /// An `expirationTimestamp` that is not a time.
    #[error("expirationTimestamp {value:?} is not an RFC 3339 time")]
    BadExpiration {
        /// The timestamp as printed (a time, not a secret).
        value: String,
    },
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct ExecInfo<'a> {
    api_version: &'a str,
    kind: &'static str,
    spec: ExecInfoSpec<'a>,
}

#[derive(Serialize)]
struct ExecInfoSpec<'a> {
    interactive: bool,
    #[serde(skip_serializing_if = "Option::is_none")]
    cluster: Option<&'a kube::config::ExecAuthCluster>,
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct ExecCredential {
    status: Option<ExecStatus>,
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct ExecStatus {
    token: Option<String>,
    expiration_timestamp: Option<String>,
    client_certificate_data: Option<String>,
    client_key_data: Option<String>,
}

/// The command as messages name it: its file name, never its arguments (they may hold secrets).
pub fn command_name(exec: &ExecConfig) -> String {
    exec.command
        .as_deref()
        .map(|c| {
            std::path::Path::new(c)
                .file_name()
                .map_or(c.to_string(), |f| f.to_string_lossy().into_owned())
        })
        .unwrap_or_default()
}

/// Runs the plugin once; past `deadline` its whole process group is killed.
pub async fn run(exec: &ExecConfig, deadline: Option<Duration>) -> Result<Credential, ExecError> {
    let command = exec.command.as_deref().ok_or(ExecError::NoCommand)?;
    let name = command_name(exec);
    // client-go: Never is never interactive; IfAvailable (the default) only with a terminal;
    // Always too (it refuses to run without one, which here surfaces as the plugin's error).
    let interactive =
        exec.interactive_mode != Some(ExecInteractiveMode::Never) && std::io::stdin().is_terminal();
    let api_version = exec
        .api_version
        .as_deref()
        .unwrap_or("client.authentication.k8s.io/v1beta1");
    let info = ExecInfo {
        api_version,
        kind: "ExecCredential",
        spec: ExecInfoSpec {
            interactive,
            cluster: exec.cluster.as_ref().filter(|_| exec.provide_cluster_info),
        },
    };
    let info = serde_json::to_string(&info).map_err(|e| ExecError::BadOutput {
        command: name.clone(),
        reason: CredentialProblem::ExecInfo(e),
    })?;
    let mut cmd = tokio::process::Command::new(command);
    cmd.args(exec.args.iter().flatten());
    for env in exec.env.iter().flatten() {
        if let (Some(k), Some(v)) = (env.get("name"), env.get("value")) {
            cmd.env(k, v);
        }
    }
    for k in exec.drop_env.iter().flatten() {
        cmd.env_remove(k);
    }
    cmd.env("KUBERNETES_EXEC_INFO", info)
        .stdout(Stdio::piped())
        .kill_on_drop(true);
    if interactive {
        // It may ask the user something: it gets the terminal (a process group of its own
        // could not read from it).
        cmd.stdin(Stdio::inherit()).stderr(Stdio::inherit());
    } else {
        cmd.stdin(Stdio::null())
            .stderr(Stdio::piped())
            .process_group(0);
    }
    let child = cmd.spawn().map_err(|e| ExecError::Start {
        command: name.clone(),
        reason: super::error::plain(&e.to_string()),
        hint: exec
            .install_hint
            .as_deref()
            .map(|h| format!(" - {}", super::error::one_line(h)))
            .unwrap_or_default(),
    })?;
    // Dropping the child kills it; its own children (a shell script's `sleep`, a browser
    // helper) go with its group, whether the deadline passed here or the caller gave up.
    let mut group = GroupKiller::new(child.id().filter(|_| !interactive));
    let out = match deadline {
        None => child.wait_with_output().await,
        Some(d) => match tokio::time::timeout(d, child.wait_with_output()).await {
            Ok(out) => out,
            Err(_) => {
                return Err(ExecError::TimedOut {
                    command: name,
                    after: d,
                });
            }
        },
    }
    .map_err(|e| ExecError::Start {
        command: name.clone(),
        reason: e.to_string(),
        hint: String::new(),
    })?;
    // It answered: whatever it left running is its own business, as with client-go.
    group.disarm();
    if !out.status.success() {
        let said = super::error::one_line(&String::from_utf8_lossy(&out.stderr));
        return Err(ExecError::Failed {
            command: name,
            status: out.status.to_string(),
            said: if said.is_empty() {
                String::new()
            } else {
                format!(": {said}")
            },
        });
    }
    parse(&out.stdout).map_err(|reason| ExecError::BadOutput {
        command: name,
        reason,
    })
}

/// Kills a plugin's process group when dropped before the plugin answered (its deadline passed,
/// or the caller gave up): the group id is the plugin's pid, which is not reused while the
/// plugin, our unreaped child, exists.
struct GroupKiller(Option<u32>);

/// The process groups of plugins running now, for [`stop_running_plugins`].
static RUNNING: std::sync::Mutex<Vec<u32>> = std::sync::Mutex::new(Vec::new());

impl GroupKiller {
    fn new(group: Option<u32>) -> GroupKiller {
        if let Some(g) = group {
            RUNNING
                .lock()
                .unwrap_or_else(std::sync::PoisonError::into_inner)
                .push(g);
        }
        GroupKiller(group)
    }

    /// The plugin answered: its group is left alone from now on.
    fn disarm(&mut self) {
        if let Some(g) = self.0.take() {
            RUNNING
                .lock()
                .unwrap_or_else(std::sync::PoisonError::into_inner)
                .retain(|r| *r != g);
        }
    }
}

fn kill_group(group: u32) {
    if let Some(pid) = i32::try_from(group)
        .ok()
        .and_then(rustix::process::Pid::from_raw)
    {
        let _ = rustix::process::kill_process_group(pid, rustix::process::Signal::KILL);
    }
}

impl Drop for GroupKiller {
    fn drop(&mut self) {
        if let Some(g) = self.0 {
            kill_group(g);
            self.disarm();
        }
    }
}

/// Kills the plugins still running, for a process about to exit on a signal (which runs no
/// destructor): a plugin in a process group of its own does not get the terminal's Ctrl-C.
pub fn stop_running_plugins() {
    let groups = std::mem::take(
        &mut *RUNNING
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner),
    );
    for g in groups {
        kill_group(g);
    }
}

fn parse(stdout: &[u8]) -> Result<Credential, CredentialProblem> {
    // serde's messages quote what they fail on, which could be the token: not passed on.
    let cred: ExecCredential =
        serde_json::from_slice(stdout).map_err(|_| CredentialProblem::NotExecCredential)?;
    let status = cred.status.ok_or(CredentialProblem::NoStatus)?;
    if let (Some(cert_pem), Some(key_pem)) =
        (status.client_certificate_data, status.client_key_data)
    {
        return Ok(Credential::Certificate { cert_pem, key_pem });
    }
    let token = status
        .token
        .filter(|t| !t.is_empty())
        .ok_or(CredentialProblem::NoCredential)?;
    let header = HeaderValue::from_str(&format!("Bearer {token}"))
        .map_err(|_| CredentialProblem::TokenNotHeader)?;
    let expires = match status.expiration_timestamp {
        Some(t) => Some(
            t.parse()
                .map_err(|_| CredentialProblem::BadExpiration { value: t.clone() })?,
        ),
        None => None,
    };
    Ok(Credential::Token { header, expires })
}

/// Keeps an expiring token fresh for as long as the client using it lives: the plugin runs
/// again a minute before the expiry (a failed run is retried; requests keep the old token
/// meanwhile, and the server's 401 says when it has expired).
pub fn keep_fresh(
    exec: ExecConfig,
    token: &SharedToken,
    mut expires: k8s_openapi::jiff::Timestamp,
    deadline: Option<Duration>,
) {
    let weak: Weak<std::sync::RwLock<HeaderValue>> = Arc::downgrade(token);
    tokio::spawn(async move {
        loop {
            let now = k8s_openapi::jiff::Timestamp::now();
            let left = now.duration_until(expires).unsigned_abs();
            let wait = if expires > now {
                left.saturating_sub(Duration::from_secs(60))
            } else {
                Duration::ZERO
            };
            tokio::time::sleep(wait.max(Duration::from_secs(5))).await;
            let Some(token) = weak.upgrade() else { return };
            if let Ok(Credential::Token { header, expires: e }) = run(&exec, deadline).await {
                *token
                    .write()
                    .unwrap_or_else(std::sync::PoisonError::into_inner) = header;
                match e {
                    Some(e) => expires = e,
                    None => return,
                }
            }
        }
    });
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tokens_and_certificates_are_read_and_nothing_of_the_output_is_quoted() {
        let cred = parse(br#"{"apiVersion":"client.authentication.k8s.io/v1","kind":"ExecCredential","status":{"token":"t0k","expirationTimestamp":"2030-01-01T00:00:00Z"}}"#).unwrap();
        let Credential::Token { header, expires } = cred else {
            panic!("a token")
        };
        assert_eq!(header, "Bearer t0k");
        assert_eq!(expires.unwrap().to_string(), "2030-01-01T00:00:00Z");
        let cred =
            parse(br#"{"status":{"clientCertificateData":"C","clientKeyData":"K"}}"#).unwrap();
        assert!(matches!(cred, Credential::Certificate { .. }));
        let err = parse(br#"{"status":{"token":["s3cret"]}}"#).err().unwrap();
        assert!(!err.to_string().contains("s3cret"), "{err}");
        let err = parse(br#"{"status":{}}"#).err().unwrap();
        assert!(matches!(err, CredentialProblem::NoCredential), "{err}");
    }

    #[tokio::test]
    async fn a_plugin_past_its_deadline_is_stopped_with_its_children() {
        let dir = tempfile::tempdir().unwrap();
        let pidfile = dir.path().join("pid");
        let exec = ExecConfig {
            api_version: Some("client.authentication.k8s.io/v1".into()),
            command: Some("sh".into()),
            args: Some(vec![
                "-c".into(),
                format!("sleep 30 & echo $! > {}; wait", pidfile.display()),
            ]),
            interactive_mode: Some(ExecInteractiveMode::Never),
            ..Default::default()
        };
        let started = std::time::Instant::now();
        let err = run(&exec, Some(Duration::from_millis(500)))
            .await
            .err()
            .unwrap();
        assert!(matches!(err, ExecError::TimedOut { .. }), "{err}");
        assert!(started.elapsed() < Duration::from_secs(5));
        let pid: i32 = std::fs::read_to_string(&pidfile)
            .unwrap()
            .trim()
            .parse()
            .unwrap();
        // The grandchild `sleep` is gone too (give the kernel a moment to reap it).
        let mut alive = true;
        for _ in 0..50 {
            let stat = std::fs::read_to_string(format!("/proc/{pid}/stat")).unwrap_or_default();
            // A killed process not yet reaped by its (dead) parent's reaper is a zombie (Z).
            alive = !stat.is_empty() && !stat.contains(") Z ");
            if !alive {
                break;
            }
            std::thread::sleep(Duration::from_millis(100));
        }
        assert!(!alive, "the plugin's child outlived it");
    }
}
