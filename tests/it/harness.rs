//! Shared test plumbing: the plugin on PATH, the test cluster's kubeconfig, namespaces per test.

use std::path::{Path, PathBuf};
use std::process::{Command, Output};

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

/// Runs a command that must finish within `limit`: past it the command is killed and the test
/// fails, so a hang shows as a failure rather than a stuck test run. Returns how long it took.
#[track_caller]
pub fn run_within(cmd: &mut Command, limit: std::time::Duration) -> (Run, std::time::Duration) {
    use std::io::Read;
    let started = std::time::Instant::now();
    let mut child = cmd
        .stdin(std::process::Stdio::null())
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .expect("spawn command");
    // Read both pipes on threads so a chatty command never blocks on a full pipe.
    let mut out = child.stdout.take().unwrap();
    let mut err = child.stderr.take().unwrap();
    let out = std::thread::spawn(move || {
        let mut s = Vec::new();
        let _ = out.read_to_end(&mut s);
        s
    });
    let err = std::thread::spawn(move || {
        let mut s = Vec::new();
        let _ = err.read_to_end(&mut s);
        s
    });
    let status = loop {
        if let Some(status) = child.try_wait().unwrap() {
            break status;
        }
        if started.elapsed() > limit {
            let _ = child.kill();
            let _ = child.wait();
            panic!(
                "command still running after {limit:?}: {cmd:?}; stderr so far: {}",
                String::from_utf8_lossy(&err.join().unwrap_or_default())
            );
        }
        std::thread::sleep(std::time::Duration::from_millis(50));
    };
    let took = started.elapsed();
    let run = Run {
        code: status.code().unwrap_or(-1),
        stdout: String::from_utf8_lossy(&out.join().unwrap()).into_owned(),
        stderr: String::from_utf8_lossy(&err.join().unwrap()).into_owned(),
    };
    (run, took)
}

/// `kubectl gitops ARGS` in `dir`, with its peak resident memory in KiB (the plugin's, or a
/// renderer's it waited for, whichever is larger), from the kernel's accounting at exit.
pub fn gitops_in_measured(dir: &Path, args: &[&str]) -> (Run, u64) {
    use std::io::Read;
    let kc = cluster_kubeconfig();
    let mut cmd = kubectl(Some(&kc));
    // Reaped below with wait4, which std's Child does not know.
    #[allow(clippy::zombie_processes)]
    let mut child = cmd
        .current_dir(dir)
        .arg("gitops")
        .args(args)
        .stdin(std::process::Stdio::null())
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .expect("spawn kubectl gitops");
    let mut out = child.stdout.take().unwrap();
    let mut err = child.stderr.take().unwrap();
    let out = std::thread::spawn(move || {
        let mut s = Vec::new();
        let _ = out.read_to_end(&mut s);
        s
    });
    let err = std::thread::spawn(move || {
        let mut s = Vec::new();
        let _ = err.read_to_end(&mut s);
        s
    });
    let pid = child.id() as libc::pid_t;
    let mut status = 0;
    // SAFETY: rusage is plain data; wait4 fills it for our own child, which nothing else waits
    // for (the Child handle is never waited on).
    let mut usage: libc::rusage = unsafe { std::mem::zeroed() };
    let waited = unsafe { libc::wait4(pid, &mut status, 0, &mut usage) };
    assert_eq!(waited, pid, "wait4: {}", std::io::Error::last_os_error());
    let code = if libc::WIFEXITED(status) {
        libc::WEXITSTATUS(status)
    } else {
        -1
    };
    let run = Run {
        code,
        stdout: String::from_utf8_lossy(&out.join().unwrap()).into_owned(),
        stderr: String::from_utf8_lossy(&err.join().unwrap()).into_owned(),
    };
    (run, usage.ru_maxrss as u64)
}

/// The plugin's requests in the test cluster's audit log (its User-Agent), oldest first.
pub fn audit_events() -> Vec<serde_json::Value> {
    let audit = cluster_kubeconfig().parent().unwrap().join("audit.log");
    assert!(
        audit.exists(),
        "{} is missing: restart the test cluster (scripts/test-cluster.sh stop; start) so it audits",
        audit.display()
    );
    let text = std::fs::read_to_string(&audit).unwrap();
    text.lines()
        .filter_map(|l| serde_json::from_str::<serde_json::Value>(l).ok())
        .filter(|e| {
            e["userAgent"]
                .as_str()
                .is_some_and(|ua| ua.starts_with("kubectl-gitops/"))
        })
        .collect()
}
