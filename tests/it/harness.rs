//! Shared test plumbing: the plugin on PATH, the test cluster's kubeconfig, namespaces per test.

use std::path::{Path, PathBuf};
use std::process::{Command, Output};

use serde_json::Value;
use std::sync::OnceLock;
use std::sync::atomic::{AtomicU32, Ordering};

/// The kubeconfig of the running test cluster. Tests that need a cluster fail (never skip)
/// when it is not running, so a green run always means the real API server was exercised.
pub fn cluster_kubeconfig() -> PathBuf {
    let path = std::env::var_os("KGITOPS_TEST_KUBECONFIG")
        .map(PathBuf::from)
        .unwrap_or_else(|| PathBuf::from("/dev/shm/kgitops-test/kubeconfig"));
    assert!(
        path.exists(),
        "no test cluster: {} is missing; run `scripts/test-cluster.sh start` first",
        path.display()
    );
    path
}

/// A directory holding only `kubectl-gitops`, put first on PATH so kubectl finds the build.
fn plugin_dir() -> &'static Path {
    static DIR: OnceLock<PathBuf> = OnceLock::new();
    DIR.get_or_init(|| {
        let dir = std::env::temp_dir().join(format!("kgitops-it-bin-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        let link = dir.join("kubectl-gitops");
        let _ = std::fs::remove_file(&link);
        std::os::unix::fs::symlink(env!("CARGO_BIN_EXE_kubectl-gitops"), &link).unwrap();
        dir
    })
}

/// PATH with the plugin directory first.
pub fn path_with_plugin() -> String {
    let old = std::env::var("PATH").unwrap_or_default();
    format!("{}:{old}", plugin_dir().display())
}

/// A `kubectl` command with the plugin on PATH and the given kubeconfig (None: no KUBECONFIG).
pub fn kubectl(kubeconfig: Option<&Path>) -> Command {
    let mut cmd = Command::new("kubectl");
    cmd.env("PATH", path_with_plugin()).env_remove("KUBECONFIG");
    if let Some(k) = kubeconfig {
        cmd.env("KUBECONFIG", k);
    }
    // A stray ~/.kube/config must never decide which cluster a test talks to.
    cmd.env("HOME", std::env::temp_dir());
    cmd.env("NO_COLOR", "1");
    cmd
}

/// `kubectl gitops ARGS` against the test cluster.
pub fn gitops(args: &[&str]) -> Run {
    let kc = cluster_kubeconfig();
    run(kubectl(Some(&kc)).arg("gitops").args(args))
}

/// The result of a command, with its text decoded.
#[derive(Debug, Clone)]
pub struct Run {
    /// Exit code (-1 when killed by a signal).
    pub code: i32,
    /// Standard output.
    pub stdout: String,
    /// Standard error.
    pub stderr: String,
}

impl Run {
    /// Asserts a zero exit and returns self.
    #[track_caller]
    pub fn success(self) -> Self {
        assert_eq!(self.code, 0, "command failed: {self:#?}");
        self
    }
    /// Asserts this exit code and returns self.
    #[track_caller]
    pub fn code(self, code: i32) -> Self {
        assert_eq!(self.code, code, "unexpected exit code: {self:#?}");
        self
    }
    /// Asserts that the program neither panicked nor printed a backtrace.
    #[track_caller]
    pub fn no_panic(self) -> Self {
        assert!(!self.stderr.contains("panicked"), "panic: {self:#?}");
        assert!(
            !self.stderr.contains("RUST_BACKTRACE"),
            "backtrace hint: {self:#?}"
        );
        self
    }
}

/// Runs a command and captures its output.
pub fn run(cmd: &mut Command) -> Run {
    let Output {
        status,
        stdout,
        stderr,
    } = cmd.output().expect("spawn command");
    Run {
        code: status.code().unwrap_or(-1),
        stdout: String::from_utf8_lossy(&stdout).into_owned(),
        stderr: String::from_utf8_lossy(&stderr).into_owned(),
    }
}

/// A namespace that exists for one test and is deleted when the test ends.
pub struct TestNamespace {
    /// Its name.
    pub name: String,
}

impl TestNamespace {
    /// Creates `t-<label>-<pid>-<n>` in the test cluster.
    pub fn new(label: &str) -> Self {
        static N: AtomicU32 = AtomicU32::new(0);
        let name = format!(
            "t-{label}-{}-{}",
            std::process::id(),
            N.fetch_add(1, Ordering::Relaxed)
        );
        kubectl_ok(&["create", "namespace", &name]);
        TestNamespace { name }
    }
}

impl Drop for TestNamespace {
    fn drop(&mut self) {
        let kc = cluster_kubeconfig();
        let _ = kubectl(Some(&kc))
            .args(["delete", "namespace", &self.name, "--wait=false"])
            .output();
    }
}

/// Runs kubectl against the test cluster and asserts success.
#[track_caller]
pub fn kubectl_ok(args: &[&str]) -> Run {
    let kc = cluster_kubeconfig();
    run(kubectl(Some(&kc)).args(args)).success()
}

/// Runs kubectl against the test cluster with a manifest on stdin.
#[track_caller]
pub fn kubectl_stdin(args: &[&str], input: &str) -> Run {
    use std::io::Write;
    let kc = cluster_kubeconfig();
    let mut child = kubectl(Some(&kc))
        .args(args)
        .stdin(std::process::Stdio::piped())
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .expect("spawn kubectl");
    child
        .stdin
        .take()
        .unwrap()
        .write_all(input.as_bytes())
        .unwrap();
    let out = child.wait_with_output().unwrap();
    Run {
        code: out.status.code().unwrap_or(-1),
        stdout: String::from_utf8_lossy(&out.stdout).into_owned(),
        stderr: String::from_utf8_lossy(&out.stderr).into_owned(),
    }
}

/// A temporary directory for one test's files.
pub fn tempdir() -> tempfile::TempDir {
    tempfile::Builder::new()
        .prefix("kgitops-it-")
        .tempdir()
        .unwrap()
}

/// `kubectl gitops ARGS` run in `dir` with no cluster configured (tree/render need none).
pub fn gitops_offline(dir: &Path, args: &[&str]) -> Run {
    run(kubectl(None).current_dir(dir).arg("gitops").args(args))
}

/// `kubectl gitops ARGS` run in `dir` against the test cluster.
pub fn gitops_in(dir: &Path, args: &[&str]) -> Run {
    let kc = cluster_kubeconfig();
    run(kubectl(Some(&kc)).current_dir(dir).arg("gitops").args(args))
}

/// Parses stdout as JSON.
pub fn json(run: &Run) -> serde_json::Value {
    serde_json::from_str(&run.stdout)
        .unwrap_or_else(|e| panic!("stdout is not JSON ({e}): {run:#?}"))
}

/// The app names of a `tree -o json` document, in tree order.
pub fn app_names(tree: &serde_json::Value) -> Vec<String> {
    tree["apps"]
        .as_array()
        .unwrap()
        .iter()
        .map(|a| a["name"].as_str().unwrap().to_string())
        .collect()
}

/// The Gateway API fixture (CRDs and examples) under an API group of its own, so tests that
/// install its CRDs never see each other's: CRDs are cluster-wide. The CRDs are deleted when
/// the value is dropped.
pub struct GatewayApi {
    /// The group standing for `gateway.networking.k8s.io`.
    pub group: String,
}

impl GatewayApi {
    /// A fresh group for one test.
    pub fn new() -> GatewayApi {
        static N: AtomicU32 = AtomicU32::new(0);
        GatewayApi {
            group: format!(
                "gw{}-{}.test.kgitops.io",
                std::process::id(),
                N.fetch_add(1, Ordering::Relaxed)
            ),
        }
    }

    /// A fixture file with the group replaced.
    pub fn file(&self, name: &str) -> String {
        let path = Path::new(env!("CARGO_MANIFEST_DIR"))
            .join("tests/fixtures/gateway-api")
            .join(name);
        std::fs::read_to_string(path)
            .unwrap()
            .replace("gateway.networking.k8s.io", &self.group)
    }

    /// A CRD's full name in this group (`gateways` → `gateways.<group>`).
    pub fn crd(&self, plural: &str) -> String {
        format!("{plural}.{}", self.group)
    }
}

impl Drop for GatewayApi {
    fn drop(&mut self) {
        let kc = cluster_kubeconfig();
        for plural in [
            "gatewayclasses",
            "gateways",
            "httproutes",
            "referencegrants",
        ] {
            let _ = kubectl(Some(&kc))
                .args([
                    "delete",
                    "crd",
                    &self.crd(plural),
                    "--ignore-not-found",
                    "--wait=false",
                ])
                .output();
        }
    }
}

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

/// A second control plane on ports of its own, stopped when dropped: for tests that need two
/// clusters or one they may stop (the shared one must never go down).
pub struct SecondCluster {
    dir: PathBuf,
    api_port: u16,
    etcd_port: u16,
}

impl SecondCluster {
    /// Starts one (etcd, API server, controllers, kwok) on free ports.
    pub fn start() -> SecondCluster {
        let dir = PathBuf::from(format!("/dev/shm/kgitops-it-second-{}", std::process::id()));
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

    /// kubectl against it.
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
        let script = Path::new(env!("CARGO_MANIFEST_DIR")).join("scripts/test-cluster.sh");
        let out = Command::new("bash")
            .arg(&script)
            .arg("restart-apiserver")
            .env("KGITOPS_TEST_DIR", &self.dir)
            .env("KGITOPS_API_PORT", self.api_port.to_string())
            .env("KGITOPS_ETCD_PORT", self.etcd_port.to_string())
            .output()
            .unwrap();
        assert!(
            out.status.success(),
            "restart failed: {}",
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
