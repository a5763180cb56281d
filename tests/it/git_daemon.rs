//! `git daemon` on loopback for tests that need git's smart protocol (partial clones, which the
//! dumb HTTP protocol can't serve). Started on a free port of 127.0.0.1, stopped when dropped.
//! Shared by the unit tests (through `#[path]`).

use std::net::{TcpListener, TcpStream};
use std::path::Path;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

/// A running `git daemon` serving every repository below a directory.
pub struct GitDaemon {
    child: Child,
    port: u16,
}

impl GitDaemon {
    /// Serves the bare repositories below `root` (read-only, partial clone filters allowed).
    pub fn serve(root: &Path) -> GitDaemon {
        // A port that was free a moment ago; the daemon binds it right away.
        let port = TcpListener::bind("127.0.0.1:0")
            .and_then(|l| l.local_addr())
            .expect("free loopback port")
            .port();
        // `git daemon` would run git-daemon as a child of its own, which killing `git` leaves
        // running: start the daemon itself, so the process dropped is the one listening.
        let exec_path = Command::new("git")
            .arg("--exec-path")
            .output()
            .expect("git --exec-path");
        let exec_path = String::from_utf8_lossy(&exec_path.stdout).trim().to_owned();
        let child = Command::new(Path::new(&exec_path).join("git-daemon"))
            .args([
                "--listen=127.0.0.1",
                &format!("--port={port}"),
                "--export-all",
                "--reuseaddr",
                "--timeout=60",
                "--max-connections=32",
                &format!("--base-path={}", root.display()),
                &root.display().to_string(),
            ])
            .env("GIT_CONFIG_GLOBAL", "/dev/null")
            .env("GIT_CONFIG_NOSYSTEM", "1")
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .expect("git daemon starts");
        let mut daemon = GitDaemon { child, port };
        let deadline = Instant::now() + Duration::from_secs(10);
        while TcpStream::connect(("127.0.0.1", port)).is_err() {
            if Instant::now() > deadline {
                let _ = daemon.child.kill();
                panic!("git daemon did not listen on port {port}");
            }
            std::thread::sleep(Duration::from_millis(20));
        }
        daemon
    }

    /// `git://127.0.0.1:PORT/<rel>`.
    pub fn url(&self, rel: &str) -> String {
        format!("git://127.0.0.1:{}/{rel}", self.port)
    }
}

impl Drop for GitDaemon {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// Lets a served bare repository answer partial clones and fetches of single objects.
pub fn allow_partial_clones(bare: &Path) {
    for (key, value) in [
        ("uploadpack.allowFilter", "true"),
        ("uploadpack.allowAnySHA1InWant", "true"),
    ] {
        let status = Command::new("git")
            .args(["config", key, value])
            .current_dir(bare)
            .env("GIT_CONFIG_GLOBAL", "/dev/null")
            .env("GIT_CONFIG_NOSYSTEM", "1")
            .status()
            .expect("git config runs");
        assert!(status.success());
    }
}
