//! Cloning and fetching other repositories, by running the `git` CLI.
//!
//! gix fetches natively only over `file://` and ssh when built without an HTTP backend; https
//! needs reqwest with rustls (which brings aws-lc, a C build of about 30 s, and a second TLS
//! provider next to kube's ring) or libcurl. The `git` binary is already required by Argo CD
//! users and also brings their credential helpers and ssh config. It is run with an argument
//! vector, never a shell string, with prompts disabled so a missing credential fails fast.
//! Reading objects afterwards is done by gix as for any other repository.

use std::ffi::OsStr;
use std::path::Path;
use std::process::{Command, Stdio};

use super::error::{Result, SourceError};
use super::url::redact_url;

/// `git clone --bare` of `url` into `dest` (which must not exist).
pub(crate) fn clone_bare(url: &str, dest: &Path) -> Result<()> {
    run(
        "clone",
        url,
        None,
        &[
            OsStr::new("clone"),
            OsStr::new("--bare"),
            OsStr::new("--quiet"),
            OsStr::new("--"),
            OsStr::new(url),
            dest.as_os_str(),
        ],
    )
}

/// Updates every branch and tag of the bare clone at `dir` from its `origin`.
pub(crate) fn fetch_all(dir: &Path, url: &str) -> Result<()> {
    // `clone --bare` configures no fetch refspec, so branches are named explicitly; HEAD may be
    // one of them, which a bare repository allows only with `--update-head-ok`.
    run(
        "fetch",
        url,
        Some(dir),
        &[
            "fetch",
            "--quiet",
            "--prune",
            "--tags",
            "--update-head-ok",
            "origin",
            "+refs/heads/*:refs/heads/*",
        ]
        .map(OsStr::new),
    )
}

/// Fetches one revision (a SHA or ref not on any branch, e.g. a pull request head) into `local_ref`.
pub(crate) fn fetch_revision(dir: &Path, url: &str, rev: &str, local_ref: &str) -> Result<()> {
    let refspec = format!("+{rev}:{local_ref}");
    run(
        "fetch",
        url,
        Some(dir),
        &[
            OsStr::new("fetch"),
            OsStr::new("--quiet"),
            OsStr::new("origin"),
            OsStr::new(&refspec),
        ],
    )
}

fn run(op: &'static str, url: &str, dir: Option<&Path>, args: &[&OsStr]) -> Result<()> {
    let shown_url = redact_url(url);
    let mut command = Command::new("git");
    if let Some(dir) = dir {
        command.arg("-C").arg(dir);
    }
    command
        // The ext:: transport runs arbitrary commands named in the URL.
        .args(["-c", "protocol.ext.allow=never"])
        .args(args)
        .env("GIT_TERMINAL_PROMPT", "0")
        .env_remove("GIT_DIR")
        .env_remove("GIT_WORK_TREE")
        .env_remove("GIT_INDEX_FILE")
        .stdin(Stdio::null())
        .stdout(Stdio::null())
        .stderr(Stdio::piped());
    let output = command.output().map_err(|e| SourceError::GitCommand {
        op,
        url: shown_url.clone(),
        detail: format!("cannot run git: {e}"),
    })?;
    if output.status.success() {
        return Ok(());
    }
    let stderr = String::from_utf8_lossy(&output.stderr);
    let mut detail = format!("{}: {}", output.status, stderr.trim());
    if url != shown_url {
        detail = detail.replace(url, &shown_url);
    }
    Err(SourceError::GitCommand {
        op,
        url: shown_url,
        detail,
    })
}
