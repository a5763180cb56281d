//! Clusters that fail in the usual ways: an exec credential plugin that hangs (kubelogin
//! waiting on a browser), a server that never speaks, one that completes TLS and never answers,
//! a context that is not there. Every command stays bounded and says what failed and where.

use std::io::Write;
use std::net::TcpListener;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::Duration;

use crate::gitrepo::GitRepo;
use crate::harness::{Run, cluster_kubeconfig, kubectl, run_within, tempdir};

/// The test cluster's PKI (its CA, and the server certificate reused by a fake server).
fn pki() -> PathBuf {
    cluster_kubeconfig().parent().unwrap().join("pki")
}

/// A kubeconfig with one context `ctx` on `server`, its user given as YAML.
fn kubeconfig(dir: &Path, server: &str, user: &str) -> PathBuf {
    let path = dir.join("kubeconfig");
    std::fs::write(
        &path,
        format!(
            "apiVersion: v1\nkind: Config\ncurrent-context: ctx\nclusters:\n- name: cl\n  cluster:\n    server: {server}\n    certificate-authority: {}\nusers:\n- name: u\n  user:\n{user}\ncontexts:\n- name: ctx\n  context: {{cluster: cl, user: u}}\n",
            pki().join("ca.crt").display()
        ),
    )
    .unwrap();
    path
}

/// An exec credential plugin that sleeps for ten minutes, like kubelogin waiting on a browser.
fn sleeping_plugin(dir: &Path) -> String {
    let script = dir.join("kubelogin-waits.sh");
    std::fs::write(&script, "#!/bin/sh\nsleep 600\n").unwrap();
    std::fs::set_permissions(&script, std::os::unix::fs::PermissionsExt::from_mode(0o755)).unwrap();
    format!(
        "    exec:\n      apiVersion: client.authentication.k8s.io/v1\n      command: {}\n      interactiveMode: Never\n",
        script.display()
    )
}

/// A repository with one app of one ConfigMap, and two commits (for `diff --from/--to`).
fn repo() -> GitRepo {
    let repo = GitRepo::new();
    repo.write(
        "root.yaml",
        "apiVersion: argoproj.io/v1alpha1\nkind: Application\nmetadata: {name: web, namespace: argocd}\nspec:\n  source: {repoURL: \"https://git.example.com/x.git\", path: web}\n  destination: {server: \"https://kubernetes.default.svc\", namespace: web}\n",
    )
    .write(
        "web/cm.yaml",
        "apiVersion: v1\nkind: ConfigMap\nmetadata: {name: one}\ndata: {a: b}\n",
    );
    repo.git(&["remote", "add", "origin", "https://git.example.com/x.git"]);
    repo.commit("one");
    repo.write(
        "web/cm.yaml",
        "apiVersion: v1\nkind: ConfigMap\nmetadata: {name: one}\ndata: {a: c}\n",
    );
    repo.commit("two");
    repo
}

fn gitops(kc: &Path, dir: &Path, args: &[&str], limit: Duration) -> (Run, Duration) {
    run_within(
        kubectl(Some(kc)).current_dir(dir).arg("gitops").args(args),
        limit,
    )
}

#[test]
fn a_hanging_exec_plugin_does_not_hold_up_commands_that_need_no_cluster() {
    let dir = tempdir();
    let kc = kubeconfig(
        dir.path(),
        "https://127.0.0.1:16443",
        &sleeping_plugin(dir.path()),
    );
    let repo = repo();
    for args in [
        &["render"][..],
        &["tree"],
        &["diff", "--from", "HEAD~1", "--to", "HEAD"],
    ] {
        let (out, took) = gitops(&kc, repo.path(), args, Duration::from_secs(60));
        // The README promises 3 s; a little more for starting the process and reading Git.
        assert!(
            took < Duration::from_secs(8),
            "{args:?} took {took:?}: {out:#?}"
        );
        assert!(
            out.code == 0 || (args[0] == "diff" && out.code == 1),
            "{args:?}: {out:#?}"
        );
        assert!(out.stderr.is_empty(), "{args:?}: {out:#?}");
    }
}

#[test]
fn a_hanging_exec_plugin_is_stopped_and_named_by_commands_that_need_the_cluster() {
    let dir = tempdir();
    let kc = kubeconfig(
        dir.path(),
        "https://127.0.0.1:16443",
        &sleeping_plugin(dir.path()),
    );
    let repo = repo();
    for args in [&["version"][..], &["diff"], &["sync", "--dry-run"]] {
        let mut all = args.to_vec();
        all.extend(["--request-timeout", "2s"]);
        let (out, took) = gitops(&kc, repo.path(), &all, Duration::from_secs(60));
        assert!(took < Duration::from_secs(8), "{args:?} took {took:?}");
        assert_eq!(out.code, 2, "{args:?}: {out:#?}");
        let errors: Vec<&str> = out.stderr.lines().collect();
        assert_eq!(
            errors,
            [
                "error: cannot get credentials for context \"ctx\": the exec credential plugin \"kubelogin-waits.sh\" did not finish within 2s and was stopped (log in with it once by hand, or raise --request-timeout)"
            ],
            "{args:?}: {out:#?}"
        );
    }
}

/// A loopback listener that accepts connections and never sends a byte.
fn silent_listener() -> (TcpListener, std::thread::JoinHandle<()>) {
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    let accepting = listener.try_clone().unwrap();
    let keeper = std::thread::spawn(move || {
        let mut held = Vec::new();
        for conn in accepting.incoming() {
            match conn {
                Ok(c) => held.push(c),
                Err(_) => return,
            }
            if held.len() > 64 {
                return;
            }
        }
    });
    (listener, keeper)
}

/// `version` and `diff` with a 2 s request timeout end within seconds, with the one error
/// line `expected(action)`.
fn bounded_errors(kc: &Path, repo: &GitRepo, expected: impl Fn(&str) -> String) {
    for (args, action) in [
        (&["version"][..], "get the server version"),
        (&["diff"], "discover its API resources"),
    ] {
        let mut all = args.to_vec();
        all.extend(["--request-timeout", "2s"]);
        let (out, took) = gitops(kc, repo.path(), &all, Duration::from_secs(60));
        assert!(took < Duration::from_secs(8), "{args:?} took {took:?}");
        assert_eq!(out.code, 2, "{args:?}: {out:#?}");
        let errors: Vec<&str> = out.stderr.lines().collect();
        assert_eq!(errors, [expected(action)], "{args:?}: {out:#?}");
    }
}

#[test]
fn a_server_that_never_speaks_is_a_bounded_error_naming_context_server_and_action() {
    let (listener, _keeper) = silent_listener();
    let server = format!("https://{}", listener.local_addr().unwrap());
    let dir = tempdir();
    let kc = kubeconfig(dir.path(), &server, "    token: x\n");
    let repo = repo();
    bounded_errors(&kc, &repo, |action| {
        format!(
            "error: cannot reach the server of context \"ctx\" at {server} to {action}: no connection within 2s (TCP connect and TLS handshake)"
        )
    });
    // render needs no cluster: it goes on without it, in its 3 s.
    let (out, took) = gitops(&kc, repo.path(), &["render"], Duration::from_secs(60));
    assert_eq!(out.code, 0, "{out:#?}");
    assert!(took < Duration::from_secs(8), "render took {took:?}");
}

/// A TLS server (the test cluster's own certificate, so the handshake succeeds) that never
/// answers a request: `openssl s_server` reads and prints what it gets, and sends nothing.
struct MuteTlsServer {
    child: Child,
    port: u16,
}

impl MuteTlsServer {
    fn start() -> MuteTlsServer {
        let port = {
            let l = TcpListener::bind("127.0.0.1:0").unwrap();
            l.local_addr().unwrap().port()
        };
        let mut child = Command::new("openssl")
            .args(["s_server", "-quiet", "-accept"])
            .arg(format!("127.0.0.1:{port}"))
            .arg("-cert")
            .arg(pki().join("server.crt"))
            .arg("-key")
            .arg(pki().join("server.key"))
            .stdin(Stdio::piped())
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .expect("openssl s_server");
        // Its stdin stays open (it would send what it reads); nothing is ever written.
        let _ = child.stdin.as_mut().unwrap().flush();
        for _ in 0..100 {
            if std::net::TcpStream::connect(("127.0.0.1", port)).is_ok() {
                break;
            }
            std::thread::sleep(Duration::from_millis(50));
        }
        MuteTlsServer { child, port }
    }
}

impl Drop for MuteTlsServer {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

#[test]
fn a_server_that_completes_tls_and_never_answers_is_a_bounded_error() {
    let mute = MuteTlsServer::start();
    let server = format!("https://127.0.0.1:{}", mute.port);
    let dir = tempdir();
    let kc = kubeconfig(dir.path(), &server, "    token: x\n");
    let repo = repo();
    bounded_errors(&kc, &repo, |action| {
        format!(
            "error: the server of context \"ctx\" at {server} did not answer within 2s to {action} (--request-timeout sets how long to wait)"
        )
    });
}

#[test]
fn an_unknown_context_or_unreadable_kubeconfig_is_an_error_for_every_command() {
    let repo = repo();
    let kc = cluster_kubeconfig();
    for args in [
        &["render"][..],
        &["tree"],
        &["diff", "--from", "HEAD~1", "--to", "HEAD"],
        &["diff"],
        &["version"],
    ] {
        let mut all = args.to_vec();
        all.extend(["--context", "typo"]);
        let (out, _) = gitops(&kc, repo.path(), &all, Duration::from_secs(60));
        assert_eq!(out.code, 2, "{args:?}: {out:#?}");
        assert!(
            out.stderr.contains(
                "error: context \"typo\" not found in the kubeconfig (known contexts: kgitops-test, kgitops-test-cert)"
            ),
            "{args:?}: {out:#?}"
        );
        assert!(out.stdout.is_empty() || args[0] == "version", "{out:#?}");
    }
    let missing = repo.path().join("no-such-kubeconfig");
    for args in [&["render"][..], &["tree"]] {
        let mut all: Vec<&str> = args.to_vec();
        let flag = missing.to_string_lossy().into_owned();
        all.extend(["--kubeconfig", flag.as_str()]);
        let (out, _) = gitops(&kc, repo.path(), &all, Duration::from_secs(60));
        assert_eq!(out.code, 2, "{args:?}: {out:#?}");
        assert!(
            out.stderr.contains(&format!(
                "error: cannot read kubeconfig {}",
                missing.display()
            )),
            "{args:?}: {out:#?}"
        );
    }
}
