//! A second control plane, started by a test on ports of its own and stopped when dropped:
//! for trees that span two clusters, and for servers that are lost mid-run (the shared test
//! cluster is never stopped: other tests run on it).

use std::path::{Path, PathBuf};
use std::process::Command;

use serde_json::Value;

use crate::harness::{Run, kubectl, run};

/// A free TCP port on loopback (and the one 10 above it, for etcd's peer port).
fn free_port_pair() -> u16 {
    loop {
        let l = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
        let port = l.local_addr().unwrap().port();
        drop(l);
        if port < 60000 && std::net::TcpListener::bind(("127.0.0.1", port + 10)).is_ok() {
            return port;
        }
    }
}

/// A second control plane, stopped when dropped.
pub struct SecondCluster {
    /// Its state directory (kubeconfig, audit log, pids).
    pub dir: PathBuf,
    api_port: u16,
    etcd_port: u16,
}

impl SecondCluster {
    /// Starts it and waits until it is ready.
    pub fn start() -> SecondCluster {
        // One per test: tests of one process run in parallel.
        static N: std::sync::atomic::AtomicU32 = std::sync::atomic::AtomicU32::new(0);
        let dir = PathBuf::from(format!(
            "/dev/shm/kgitops-it-second-{}-{}",
            std::process::id(),
            N.fetch_add(1, std::sync::atomic::Ordering::Relaxed)
        ));
        let api_port = free_port_pair();
        let etcd_port = free_port_pair();
        let script = Path::new(env!("CARGO_MANIFEST_DIR")).join("scripts/test-cluster.sh");
        let out = Command::new("bash")
            .arg(&script)
            .arg("start")
            .env("KGITOPS_TEST_DIR", &dir)
            .env("KGITOPS_API_PORT", api_port.to_string())
            .env("KGITOPS_ETCD_PORT", etcd_port.to_string())
            .output()
            .unwrap();
        assert!(
            out.status.success(),
            "second control plane did not start: {}",
            String::from_utf8_lossy(&out.stderr)
        );
        SecondCluster {
            dir,
            api_port,
            etcd_port,
        }
    }

    /// Its API server URL.
    pub fn server(&self) -> String {
        format!("https://127.0.0.1:{}", self.api_port)
    }

    /// Its kubeconfig with every name made distinct (`second`), so it merges with the first.
    pub fn kubeconfig(&self) -> PathBuf {
        let original = self.dir.join("kubeconfig");
        let out = run(Command::new("kubectl")
            .env("KUBECONFIG", &original)
            .args(["config", "view", "--raw", "-o", "json"]));
        assert_eq!(out.code, 0, "{out:#?}");
        let mut kc: Value = serde_json::from_str(&out.stdout).unwrap();
        kc["clusters"][0]["name"] = "second".into();
        kc["users"] = Value::Array(vec![
            kc["users"]
                .as_array()
                .unwrap()
                .iter()
                .find(|u| u["name"] == "token-admin")
                .unwrap()
                .clone(),
        ]);
        kc["users"][0]["name"] = "second-admin".into();
        kc["contexts"] = serde_json::json!([{"name": "second",
            "context": {"cluster": "second", "user": "second-admin"}}]);
        kc["current-context"] = "second".into();
        let path = self.dir.join("kubeconfig-second.json");
        std::fs::write(&path, kc.to_string()).unwrap();
        path
    }

    /// kubectl against it (its own kubeconfig).
    pub fn kubectl(&self, args: &[&str]) -> Run {
        run(kubectl(Some(&self.dir.join("kubeconfig"))).args(args))
    }
}

impl SecondCluster {
    /// Its own kubeconfig, as the scripts wrote it (context `kgitops-test`).
    pub fn own_kubeconfig(&self) -> PathBuf {
        self.dir.join("kubeconfig")
    }

    /// Stops its API server and starts it again (etcd keeps the state).
    pub fn restart_apiserver(&self) {
        self.script("restart-apiserver");
    }

    /// Runs a subcommand of `scripts/test-cluster.sh` on this cluster (`stop-apiserver`...).
    pub fn script(&self, subcommand: &str) {
        let script = Path::new(env!("CARGO_MANIFEST_DIR")).join("scripts/test-cluster.sh");
        let out = Command::new("bash")
            .arg(&script)
            .arg(subcommand)
            .env("KGITOPS_TEST_DIR", &self.dir)
            .env("KGITOPS_API_PORT", self.api_port.to_string())
            .env("KGITOPS_ETCD_PORT", self.etcd_port.to_string())
            .output()
            .unwrap();
        assert!(
            out.status.success(),
            "test-cluster.sh {subcommand}: {}",
            String::from_utf8_lossy(&out.stderr)
        );
    }
}

impl Drop for SecondCluster {
    fn drop(&mut self) {
        let script = Path::new(env!("CARGO_MANIFEST_DIR")).join("scripts/test-cluster.sh");
        let _ = Command::new("bash")
            .arg(&script)
            .arg("stop")
            .env("KGITOPS_TEST_DIR", &self.dir)
            .output();
    }
}
