//! distribution's registry on loopback, for tests of Helm charts from OCI registries. The binary
//! is built by `tools/build.sh` into the control-plane cache, which `scripts/test.sh` puts on
//! PATH (as it does helm). Each registry listens on a free port of 127.0.0.1, keeps its blobs in
//! a temporary directory, and is stopped when dropped.

use std::net::{TcpListener, TcpStream};
use std::path::PathBuf;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

/// A running registry.
pub struct OciRegistry {
    child: Child,
    port: u16,
    _dir: tempfile::TempDir,
}

/// The registry binary: on PATH, else in the default control-plane cache.
fn binary() -> PathBuf {
    let on_path = std::env::var_os("PATH").and_then(|paths| {
        std::env::split_paths(&paths)
            .map(|d| d.join("registry"))
            .find(|p| p.is_file())
    });
    let cached = std::env::var_os("HOME")
        .map(|h| PathBuf::from(h).join(".cache/kgitops-k8s/v1.33.13/registry"));
    on_path
        .or(cached.filter(|p| p.is_file()))
        .expect("the OCI registry is not built: run tools/build.sh (it builds distribution's registry next to helm)")
}

impl OciRegistry {
    /// Starts a registry (plain HTTP, no auth) on loopback.
    pub fn start() -> OciRegistry {
        let dir = crate::harness::tempdir();
        let port = TcpListener::bind("127.0.0.1:0")
            .and_then(|l| l.local_addr())
            .expect("free loopback port")
            .port();
        let config = dir.path().join("config.yml");
        std::fs::write(
            &config,
            format!(
                "version: 0.1\nlog:\n  level: error\n  accesslog:\n    disabled: true\nstorage:\n  filesystem:\n    rootdirectory: {}\nhttp:\n  addr: 127.0.0.1:{port}\n  secret: test-only\n",
                dir.path().join("data").display()
            ),
        )
        .unwrap();
        let child = Command::new(binary())
            .args(["serve", &config.display().to_string()])
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .expect("start the registry");
        let mut registry = OciRegistry {
            child,
            port,
            _dir: dir,
        };
        let deadline = Instant::now() + Duration::from_secs(20);
        while TcpStream::connect(("127.0.0.1", port)).is_err() {
            if Instant::now() > deadline {
                let _ = registry.child.kill();
                panic!("the registry did not listen on port {port}");
            }
            std::thread::sleep(Duration::from_millis(20));
        }
        registry
    }

    /// `127.0.0.1:PORT`.
    pub fn host(&self) -> String {
        format!("127.0.0.1:{}", self.port)
    }
}

impl Drop for OciRegistry {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}
