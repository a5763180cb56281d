//! `git revert` as the rollback: a real commit written with the user's `git` (their identity,
//! signing and hooks apply), or nothing at all when it cannot be written cleanly.

use std::path::Path;
use std::process::Command;

use crate::source::Sha;

/// Why a revert was not written.
#[derive(Debug, thiserror::Error)]
pub enum RevertError {
    /// The work tree has uncommitted changes: a revert would mix them in.
    #[error(
        "the work tree has uncommitted changes ({files}); commit or stash them first: a revert must be a commit of its own"
    )]
    Dirty {
        /// Some of the changed files.
        files: String,
    },
    /// The commit to revert is not known.
    #[error("{commit:?} is not a commit of this repository: {message}")]
    UnknownCommit {
        /// What was asked for.
        commit: String,
        /// What git said.
        message: String,
    },
    /// Reverting conflicts with later changes; the revert was abandoned.
    #[error(
        "reverting {commit} conflicts with later changes in {files}; the revert was abandoned and nothing was changed: resolve it by hand (git revert {commit})"
    )]
    Conflict {
        /// The commit.
        commit: String,
        /// The conflicting files.
        files: String,
    },
    /// git failed otherwise.
    #[error("git {op} failed: {message}")]
    Git {
        /// What was run.
        op: &'static str,
        /// git's message, last lines.
        message: String,
    },
}

fn git(workdir: &Path, args: &[&str]) -> std::io::Result<std::process::Output> {
    Command::new("git")
        .arg("-C")
        .arg(workdir)
        .args(args)
        // Never wait on a prompt (an editor, credentials): fail instead.
        .env("GIT_TERMINAL_PROMPT", "0")
        .env("GIT_EDITOR", "true")
        .stdin(std::process::Stdio::null())
        .output()
}

fn tail(bytes: &[u8]) -> String {
    let text = String::from_utf8_lossy(bytes);
    let lines: Vec<&str> = text.lines().filter(|l| !l.trim().is_empty()).collect();
    lines[lines.len().saturating_sub(3)..].join(" / ")
}

fn run(workdir: &Path, op: &'static str, args: &[&str]) -> Result<String, RevertError> {
    let out = git(workdir, args).map_err(|e| RevertError::Git {
        op,
        message: e.to_string(),
    })?;
    if out.status.success() {
        Ok(String::from_utf8_lossy(&out.stdout).trim().to_string())
    } else {
        Err(RevertError::Git {
            op,
            message: tail(&out.stderr),
        })
    }
}

/// Writes a commit that reverts `commit` on the current branch of the work tree at `workdir`;
/// returns the new commit. On a conflict the revert is aborted, so the work tree and the
/// branch are as they were.
pub fn revert(workdir: &Path, commit: &str) -> Result<Sha, RevertError> {
    // Tracked changes only: untracked files do not enter a revert commit.
    let dirty = run(
        workdir,
        "status",
        &["status", "--porcelain", "--untracked-files=no"],
    )?;
    if !dirty.is_empty() {
        let files: Vec<&str> = dirty
            .lines()
            .take(3)
            .map(|l| l.get(3..).unwrap_or(l))
            .collect();
        return Err(RevertError::Dirty {
            files: files.join(", "),
        });
    }
    if commit.starts_with('-') {
        return Err(RevertError::UnknownCommit {
            commit: commit.to_string(),
            message: "not a revision".into(),
        });
    }
    let sha = run(
        workdir,
        "rev-parse",
        &[
            "rev-parse",
            "--verify",
            "--end-of-options",
            &format!("{commit}^{{commit}}"),
        ],
    )
    .map_err(|e| RevertError::UnknownCommit {
        commit: commit.to_string(),
        message: e.to_string(),
    })?;
    let out = git(workdir, &["revert", "--no-edit", &sha]).map_err(|e| RevertError::Git {
        op: "revert",
        message: e.to_string(),
    })?;
    if !out.status.success() {
        let conflicted =
            run(workdir, "diff", &["diff", "--name-only", "--diff-filter=U"]).unwrap_or_default();
        // Leave nothing half-written: the branch and work tree go back to where they were.
        let _ = git(workdir, &["revert", "--abort"]);
        let short = &sha[..sha.len().min(12)];
        if !conflicted.is_empty() {
            return Err(RevertError::Conflict {
                commit: short.to_string(),
                files: conflicted.lines().collect::<Vec<_>>().join(", "),
            });
        }
        return Err(RevertError::Git {
            op: "revert",
            message: tail(if out.stderr.is_empty() {
                &out.stdout
            } else {
                &out.stderr
            }),
        });
    }
    let head = run(workdir, "rev-parse", &["rev-parse", "HEAD"])?;
    Sha::parse(&head).map_err(|e| RevertError::Git {
        op: "rev-parse",
        message: e.to_string(),
    })
}

/// Pushes the current branch with the user's `git` (their remote, credentials and hooks).
pub fn push(workdir: &Path) -> Result<(), RevertError> {
    run(workdir, "push", &["push"]).map(|_| ())
}
