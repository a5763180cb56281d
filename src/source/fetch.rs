//! Cloning and fetching other repositories, by running the `git` CLI.
//!
//! gix fetches natively only over `file://` and ssh when built without an HTTP backend; https
//! needs reqwest with rustls (which brings aws-lc, a C build of about 30 s, and a second TLS
//! provider next to kube's ring) or libcurl. The `git` binary is already required by Argo CD
//! users and also brings their credential helpers and ssh config. Reading objects afterwards is
//! done by gix as for any other repository.
//!
//! Every value in git's argument vector that a manifest controls has been validated first (URLs
//! by `RemoteUrl::parse`, revisions by `refname::check_revision`) and comes after `--`. git is
//! run with an argument vector, never a shell string; prompts are off; only the https, http, ssh
//! and git transports are allowed (never `ext::`, `fd::` or `file://`: local repositories are
//! read with gix through `--repo-map`). A clone is `git init --bare` plus `git fetch URL`, so
//! no URL is stored in its config, and credentials from the URL reach git only through the
//! environment of that one process (`http.extraHeader`), never its command line or a file.

use std::ffi::{OsStr, OsString};
use std::path::Path;
use std::process::{Command, Stdio};

use base64::Engine as _;

use super::error::{Result, SourceError};
use super::url::{RemoteUrl, redact_url};

/// The ref a clone's `HEAD` points at: the remote's `HEAD` as of the last fetch.
pub(crate) const REMOTE_HEAD: &str = "refs/kubectl-gitops/head";

/// Transport settings for every git run: an allowlist, so a URL or a redirect can't reach
/// `ext::` (runs commands), `fd::` or local files, whatever the user's git config says.
const PROTOCOL_CONFIG: &[&str] = &[
    "protocol.allow=never",
    "protocol.https.allow=always",
    "protocol.http.allow=always",
    "protocol.ssh.allow=always",
    "protocol.git.allow=always",
    "protocol.ext.allow=never",
    "protocol.fd.allow=never",
    "protocol.file.allow=never",
];

/// `git init --bare` at `dest`, with `HEAD` following the remote's `HEAD` once fetched.
pub(crate) fn init_bare(dest: &Path, shown_url: &str) -> Result<()> {
    run(
        "clone",
        None,
        shown_url,
        None,
        &[
            OsStr::new("init"),
            OsStr::new("--bare"),
            OsStr::new("--quiet"),
            OsStr::new("--"),
            dest.as_os_str(),
        ],
    )?;
    let head = dest.join("HEAD");
    std::fs::write(&head, format!("ref: {REMOTE_HEAD}\n")).map_err(|source| SourceError::Io {
        op: "write",
        path: head,
        source,
    })
}

/// Updates every branch and tag of the bare repository at `dir`, and its `HEAD`, from `remote`.
///
/// The URL comes from the manifest each time, never from the clone's config, so a clone can
/// only ever hold what its own URL serves.
pub(crate) fn fetch_all(dir: &Path, remote: &RemoteUrl, shown_url: &str) -> Result<()> {
    let url = remote.for_git();
    let head_refspec = format!("+HEAD:{REMOTE_HEAD}");
    let args = |with_head: bool| {
        let mut args: Vec<&OsStr> = [
            "fetch",
            "--quiet",
            "--prune",
            "--tags",
            // HEAD of a bare repository is one of the refs updated.
            "--update-head-ok",
            "--",
            url.as_str(),
            "+refs/heads/*:refs/heads/*",
        ]
        .map(OsStr::new)
        .to_vec();
        if with_head {
            args.push(OsStr::new(&head_refspec));
        }
        args
    };
    match run("fetch", Some(remote), shown_url, Some(dir), &args(true)) {
        Ok(()) => Ok(()),
        // A remote whose HEAD names no branch still serves its branches and tags (git clone
        // only warns); `HEAD` then resolves to nothing rather than to a stale commit.
        Err(SourceError::GitCommand { detail, .. }) if detail.contains("HEAD") => {
            run("fetch", Some(remote), shown_url, Some(dir), &args(false))?;
            run(
                "fetch",
                None,
                shown_url,
                Some(dir),
                &["update-ref", "-d", "--", REMOTE_HEAD].map(OsStr::new),
            )
        }
        Err(e) => Err(e),
    }
}

/// Fetches one revision (a SHA or ref not on any branch, e.g. a pull request head) into
/// `local_ref`; `rev` must have passed `refname::check_revision`.
pub(crate) fn fetch_revision(
    dir: &Path,
    remote: &RemoteUrl,
    shown_url: &str,
    rev: &str,
    local_ref: &str,
) -> Result<()> {
    let refspec = format!("+{rev}:{local_ref}");
    let url = remote.for_git();
    run(
        "fetch",
        Some(remote),
        shown_url,
        Some(dir),
        &["fetch", "--quiet", "--", url.as_str(), refspec.as_str()].map(OsStr::new),
    )
}

fn run(
    op: &'static str,
    remote: Option<&RemoteUrl>,
    shown_url: &str,
    dir: Option<&Path>,
    args: &[&OsStr],
) -> Result<()> {
    run_with_input(op, remote, shown_url, dir, args, None)
}

fn run_with_input(
    op: &'static str,
    remote: Option<&RemoteUrl>,
    shown_url: &str,
    dir: Option<&Path>,
    args: &[&OsStr],
    input: Option<Vec<u8>>,
) -> Result<()> {
    let mut command = Command::new("git");
    if let Some(dir) = dir {
        command.arg("-C").arg(dir);
    }
    for setting in PROTOCOL_CONFIG {
        command.args(["-c", setting]);
    }
    command
        .args(args)
        .env("GIT_TERMINAL_PROMPT", "0")
        .env("GCM_INTERACTIVE", "never")
        // It would replace the protocol allowlist above.
        .env_remove("GIT_ALLOW_PROTOCOL")
        .env_remove("GIT_DIR")
        .env_remove("GIT_WORK_TREE")
        .env_remove("GIT_INDEX_FILE")
        .env_remove("GIT_OBJECT_DIRECTORY")
        .env_remove("GIT_ALTERNATE_OBJECT_DIRECTORIES")
        .stdin(if input.is_some() {
            Stdio::piped()
        } else {
            Stdio::null()
        })
        .stdout(Stdio::null())
        .stderr(Stdio::piped());
    let mut secrets = Vec::new();
    if let Some(credentials) = remote.and_then(RemoteUrl::credentials) {
        let pair = format!("{}:{}", credentials.user, credentials.password);
        let encoded = base64::engine::general_purpose::STANDARD.encode(pair);
        for (key, value) in env_config(
            "http.extraHeader",
            &format!("Authorization: Basic {encoded}"),
        ) {
            command.env(key, value);
        }
        secrets.extend([encoded, credentials.user, credentials.password]);
    }
    if let Some(remote) = remote {
        secrets.extend(remote.raw_secrets());
    }
    let cannot_run = |e: std::io::Error| SourceError::GitCommand {
        op,
        url: shown_url.to_owned(),
        detail: format!("cannot run git: {e}"),
    };
    let mut child = command.spawn().map_err(cannot_run)?;
    // Written from a thread, so git filling its stderr pipe can't deadlock against us.
    let writer = match (input, child.stdin.take()) {
        (Some(input), Some(mut stdin)) => Some(std::thread::spawn(move || {
            use std::io::Write as _;
            // A write error means git exited early; its status and stderr say why.
            let _ = stdin.write_all(&input);
        })),
        _ => None,
    };
    let output = child.wait_with_output().map_err(cannot_run)?;
    if let Some(writer) = writer {
        let _ = writer.join();
    }
    if output.status.success() {
        return Ok(());
    }
    let stderr = String::from_utf8_lossy(&output.stderr);
    let detail = scrub(&format!("{}: {}", output.status, stderr.trim()), &secrets);
    Err(SourceError::GitCommand {
        op,
        url: shown_url.to_owned(),
        detail,
    })
}

/// Fetches the objects `ids` into the partial clone at `git_dir` from its promisor remote
/// `remote` (a remote name from the user's own config), in one request, as git's lazy fetch
/// does: no tags, no FETCH_HEAD, no negotiation, and still no blobs beyond those named.
pub(crate) fn fetch_objects(
    git_dir: &Path,
    remote: &str,
    shown_url: &str,
    ids: &[gix::ObjectId],
) -> Result<()> {
    let mut input = String::with_capacity(ids.len() * 41);
    for id in ids {
        input.push_str(&id.to_hex().to_string());
        input.push('\n');
    }
    run_with_input(
        "fetch",
        None,
        shown_url,
        Some(git_dir),
        &[
            "-c",
            "fetch.negotiationAlgorithm=noop",
            "fetch",
            "--quiet",
            "--no-tags",
            "--no-write-fetch-head",
            "--recurse-submodules=no",
            "--filter=blob:none",
            "--stdin",
            "--",
            remote,
        ]
        .map(OsStr::new),
        Some(input.into_bytes()),
    )
}

/// One more `GIT_CONFIG_KEY_n`/`GIT_CONFIG_VALUE_n` pair after any the caller's environment
/// already has, and the new `GIT_CONFIG_COUNT`: config that exists only for this process.
fn env_config(key: &str, value: &str) -> Vec<(OsString, OsString)> {
    let existing = std::env::var("GIT_CONFIG_COUNT")
        .ok()
        .and_then(|n| n.trim().parse::<usize>().ok())
        .unwrap_or(0);
    vec![
        (
            format!("GIT_CONFIG_KEY_{existing}").into(),
            OsString::from(key),
        ),
        (
            format!("GIT_CONFIG_VALUE_{existing}").into(),
            OsString::from(value),
        ),
        ("GIT_CONFIG_COUNT".into(), (existing + 1).to_string().into()),
    ]
}

/// Removes credentials from git's output: every URL's userinfo, and each known secret of at
/// least 4 characters (shorter ones would garble the text and protect nothing).
pub(crate) fn scrub(text: &str, secrets: &[String]) -> String {
    let mut out = redact_urls_in(text);
    let mut secrets: Vec<&String> = secrets.iter().filter(|s| s.chars().count() >= 4).collect();
    // Longer first, so a secret containing another is replaced whole.
    secrets.sort_by_key(|s| std::cmp::Reverse(s.len()));
    for secret in secrets {
        out = out.replace(secret.as_str(), "***");
    }
    out
}

/// Applies `redact_url` to every `scheme://...` word of a text.
fn redact_urls_in(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    let mut rest = text;
    while let Some(sep) = rest.find("://") {
        let is_boundary = |c: char| c.is_whitespace() || matches!(c, '\'' | '"' | '<' | '>' | '`');
        let start = rest[..sep].rfind(is_boundary).map_or(0, |i| {
            i + rest[i..].chars().next().map_or(1, char::len_utf8)
        });
        let end = rest[sep..]
            .find(is_boundary)
            .map_or(rest.len(), |i| sep + i);
        out.push_str(&rest[..start]);
        out.push_str(&redact_url(&rest[start..end]));
        rest = &rest[end..];
    }
    out.push_str(rest);
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn scrub_hides_urls_userinfo_and_known_secrets() {
        let text = "fatal: unable to access 'HTTP://user:tok3n@h/r/': x dG9rM24= tok3n";
        let out = scrub(text, &["dG9rM24=".into(), "tok3n".into(), "ab".into()]);
        assert!(!out.contains("tok3n") && !out.contains("dG9rM24="), "{out}");
        assert!(out.contains("'HTTP://***@h/r/'"), "{out}");
        // Short secrets are left alone rather than garbling every word.
        assert_eq!(scrub("about", &["ab".into()]), "about");
    }

    #[test]
    fn env_config_appends_after_the_callers_pairs() {
        let pairs = env_config("http.extraHeader", "X: y");
        let count = pairs
            .iter()
            .find(|(k, _)| k == "GIT_CONFIG_COUNT")
            .map(|(_, v)| v.clone())
            .unwrap();
        let n: usize = count.to_str().unwrap().parse().unwrap();
        assert!(n >= 1);
        assert!(pairs.iter().any(|(k, v)| *k == *format!("GIT_CONFIG_KEY_{}", n - 1)
            && v == "http.extraHeader"));
    }
}
