//! Real git repositories in temp dirs for the unit tests, built with the `git` CLI.

use std::path::Path;
use std::process::Command;

/// Runs `git` in `dir` with a fixed identity and no user or system config, returning stdout.
pub fn git(dir: &Path, args: &[&str]) -> String {
    let out = Command::new("git")
        .current_dir(dir)
        .env("GIT_CONFIG_NOSYSTEM", "1")
        .env("GIT_CONFIG_GLOBAL", "/dev/null")
        .env("GIT_AUTHOR_NAME", "Test")
        .env("GIT_AUTHOR_EMAIL", "test@example.com")
        .env("GIT_COMMITTER_NAME", "Test")
        .env("GIT_COMMITTER_EMAIL", "test@example.com")
        .env_remove("GIT_DIR")
        .env_remove("GIT_WORK_TREE")
        .args(args)
        .output()
        .expect("git runs");
    assert!(
        out.status.success(),
        "git {args:?} failed: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8(out.stdout)
        .expect("utf-8 output")
        .trim()
        .to_owned()
}

/// A work tree repository on branch `main` in a temp dir.
pub struct TestRepo {
    dir: tempfile::TempDir,
}

impl TestRepo {
    /// `git init -b main` in a fresh temp dir.
    pub fn new() -> TestRepo {
        let dir = tempfile::tempdir().expect("tempdir");
        git(dir.path(), &["init", "-q", "-b", "main"]);
        git(dir.path(), &["config", "commit.gpgsign", "false"]);
        // A background auto-gc would race with the temp dir's removal.
        git(dir.path(), &["config", "gc.auto", "0"]);
        TestRepo { dir }
    }

    /// The work tree.
    pub fn path(&self) -> &Path {
        self.dir.path()
    }

    /// Runs git in the work tree.
    pub fn git(&self, args: &[&str]) -> String {
        git(self.path(), args)
    }

    /// Writes a file, creating parent directories.
    pub fn write(&self, rel: &str, content: &str) {
        let path = self.path().join(rel);
        std::fs::create_dir_all(path.parent().expect("has parent")).expect("mkdir");
        std::fs::write(path, content).expect("write");
    }

    /// Creates a symlink `rel -> target`, creating parent directories.
    pub fn symlink(&self, rel: &str, target: &str) {
        let path = self.path().join(rel);
        std::fs::create_dir_all(path.parent().expect("has parent")).expect("mkdir");
        std::os::unix::fs::symlink(target, path).expect("symlink");
    }

    /// Stages everything and commits, returning the new commit's SHA.
    pub fn commit(&self, message: &str) -> String {
        self.git(&["add", "-A"]);
        self.git(&["commit", "-q", "--allow-empty", "-m", message]);
        self.git(&["rev-parse", "HEAD"])
    }
}

/// A loopback server for Git's dumb HTTP protocol (shared with the integration tests).
// Not every helper of the server is used by the unit tests.
#[allow(dead_code)]
#[path = "../../tests/it/dumb_http.rs"]
pub mod dumb_http;

/// `git daemon` on loopback, for partial clones (shared with the integration tests).
#[allow(dead_code)]
#[path = "../../tests/it/git_daemon.rs"]
pub mod git_daemon;

/// Publishes the repository at `repo` as the bare `<root>/<name>` that a dumb HTTP server can
/// serve; call again after new commits to update it.
pub fn publish_bare(repo: &Path, root: &Path, name: &str) -> std::path::PathBuf {
    let dest = root.join(name);
    if dest.exists() {
        git(
            &dest,
            &[
                "fetch",
                "-q",
                "--update-head-ok",
                repo.to_str().expect("utf-8 path"),
                "+refs/*:refs/*",
            ],
        );
    } else {
        git(
            root,
            &[
                "clone",
                "-q",
                "--bare",
                repo.to_str().expect("utf-8 path"),
                name,
            ],
        );
    }
    git(&dest, &["update-server-info"]);
    dest
}
