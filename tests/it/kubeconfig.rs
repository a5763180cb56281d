//! Cluster access like kubectl: --kubeconfig, --context, KUBECONFIG lists, credentials, and
//! one clear line for every way it can fail.

use std::path::{Path, PathBuf};

use crate::harness::{cluster_kubeconfig, kubectl, run, tempdir};

/// The pieces of the test cluster's kubeconfig that variants are built from.
struct Cluster {
    server: String,
    ca: PathBuf,
    token: String,
    dir: PathBuf,
}

fn cluster() -> Cluster {
    let kc = cluster_kubeconfig();
    let dir = kc.parent().unwrap().to_path_buf();
    let text = std::fs::read_to_string(&kc).unwrap();
    let server = text
        .lines()
        .find_map(|l| l.trim().strip_prefix("server: "))
        .expect("server in test kubeconfig")
        .to_string();
    let token = std::fs::read_to_string(dir.join("token"))
        .unwrap()
        .trim()
        .to_string();
    Cluster {
        server,
        ca: dir.join("pki/ca.crt"),
        token,
        dir,
    }
}

fn write(dir: &Path, name: &str, text: &str) -> PathBuf {
    let p = dir.join(name);
    std::fs::write(&p, text).unwrap();
    p
}

/// A kubeconfig with one context `ctx` whose user is the given YAML user body.
fn config_with_user(c: &Cluster, server: &str, user: &str) -> String {
    format!(
        "apiVersion: v1\nkind: Config\ncurrent-context: ctx\nclusters:\n- name: cl\n  cluster:\n    server: {server}\n    certificate-authority: {}\nusers:\n- name: u\n  user:\n{user}\ncontexts:\n- name: ctx\n  context: {{cluster: cl, user: u}}\n",
        c.ca.display()
    )
}

#[test]
fn version_prints_plugin_and_test_server_versions() {
    let out = crate::harness::gitops(&["version"]).success();
    assert!(
        out.stdout
            .contains(&format!("Client Version: v{}", env!("CARGO_PKG_VERSION"))),
        "{}",
        out.stdout
    );
    assert!(
        out.stdout.contains("Server Version: v1.33."),
        "{}",
        out.stdout
    );
}

#[test]
fn version_json_has_client_and_server() {
    let out = crate::harness::gitops(&["version", "-o", "json"]).success();
    let v: serde_json::Value = serde_json::from_str(&out.stdout).unwrap();
    assert_eq!(
        v["clientVersion"]["version"],
        format!("v{}", env!("CARGO_PKG_VERSION"))
    );
    assert!(
        v["serverVersion"]["gitVersion"]
            .as_str()
            .unwrap()
            .starts_with("v1.33."),
        "{v}"
    );
    assert_eq!(v["serverVersion"]["minor"], "33");
}

#[test]
fn version_client_never_contacts_a_server() {
    let c = cluster();
    let dir = tempdir();
    // Port 1 on loopback refuses connections: any attempt to reach it would fail the command.
    let kc = write(
        dir.path(),
        "kc",
        &config_with_user(&c, "https://127.0.0.1:1", "    token: x"),
    );
    let out = run(kubectl(Some(&kc)).args(["gitops", "version", "--client"])).success();
    assert!(out.stdout.starts_with("Client Version: v"), "{out:#?}");
    assert!(!out.stdout.contains("Server Version"), "{out:#?}");
    assert_eq!(out.stderr, "");
}

#[test]
fn version_without_reachable_server_prints_client_then_one_line_and_fails() {
    let c = cluster();
    let dir = tempdir();
    let kc = write(
        dir.path(),
        "kc",
        &config_with_user(&c, "https://127.0.0.1:1", "    token: x"),
    );
    let out = run(kubectl(Some(&kc)).args(["gitops", "version"]))
        .code(2)
        .no_panic();
    assert!(out.stdout.starts_with("Client Version: v"), "{out:#?}");
    assert_eq!(out.stderr.lines().count(), 1, "{out:#?}");
    assert!(
        out.stderr
            .contains("cannot reach the server of context \"ctx\" at https://127.0.0.1:1"),
        "{out:#?}"
    );
}

#[test]
fn context_flag_selects_a_client_certificate_user() {
    let out = crate::harness::gitops(&["version", "--context", "kgitops-test-cert"]).success();
    assert!(out.stdout.contains("Server Version: v1.33."), "{out:#?}");
    // The flag is global: before the subcommand works the same.
    let out = crate::harness::gitops(&["--context", "kgitops-test-cert", "version"]).success();
    assert!(out.stdout.contains("Server Version: v1.33."), "{out:#?}");
}

#[test]
fn unknown_context_is_one_clear_line() {
    let out = crate::harness::gitops(&["version", "--context", "nope"])
        .code(2)
        .no_panic();
    assert_eq!(
        out.stderr.trim(),
        "error: context \"nope\" not found in the kubeconfig (known contexts: kgitops-test, kgitops-test-cert)"
    );
}

#[test]
fn kubeconfig_flag_wins_over_kubeconfig_env() {
    let dir = tempdir();
    let broken = write(dir.path(), "broken", "not: [valid");
    let out = run(kubectl(Some(&broken))
        .args(["gitops", "version", "--kubeconfig"])
        .arg(cluster_kubeconfig()))
    .success();
    assert!(out.stdout.contains("Server Version: v1.33."), "{out:#?}");
}

#[test]
fn kubeconfig_env_lists_are_merged_and_missing_entries_skipped() {
    let c = cluster();
    let dir = tempdir();
    // Cluster and user in one file, the context and current-context in another; a missing
    // file in between, as kubectl allows.
    let a = write(
        dir.path(),
        "a",
        &format!(
            "apiVersion: v1\nkind: Config\nclusters:\n- name: cl\n  cluster:\n    server: {}\n    certificate-authority: {}\nusers:\n- name: u\n  user:\n    token: {}\n",
            c.server,
            c.ca.display(),
            c.token
        ),
    );
    let b = write(
        dir.path(),
        "b",
        "apiVersion: v1\nkind: Config\ncurrent-context: merged\ncontexts:\n- name: merged\n  context: {cluster: cl, user: u}\n",
    );
    let list = format!(
        "{}:{}:{}",
        b.display(),
        dir.path().join("missing").display(),
        a.display()
    );
    let out = run(kubectl(None)
        .env("KUBECONFIG", list)
        .args(["gitops", "version"]))
    .success();
    assert!(out.stdout.contains("Server Version: v1.33."), "{out:#?}");
}

#[test]
fn unreadable_kubeconfig_names_the_file() {
    let dir = tempdir();
    let missing = dir.path().join("nope.yaml");
    let out = run(kubectl(None)
        .args(["gitops", "version", "--kubeconfig"])
        .arg(&missing))
    .code(2)
    .no_panic();
    assert!(
        out.stderr
            .contains(&format!("cannot read kubeconfig {}", missing.display())),
        "{out:#?}"
    );
    let bad = write(dir.path(), "bad.yaml", "clusters: [oops\n");
    let out = run(kubectl(None)
        .args(["gitops", "version", "--kubeconfig"])
        .arg(&bad))
    .code(2)
    .no_panic();
    assert!(
        out.stderr
            .contains(&format!("cannot read kubeconfig {}", bad.display())),
        "{out:#?}"
    );
    assert_eq!(out.stderr.lines().count(), 1, "{out:#?}");
}

#[test]
fn rejected_token_reads_as_expired_credentials() {
    let c = cluster();
    let dir = tempdir();
    let kc = write(
        dir.path(),
        "kc",
        &config_with_user(&c, &c.server, "    token: expired-or-revoked"),
    );
    let out = run(kubectl(Some(&kc)).args(["gitops", "version"]))
        .code(2)
        .no_panic();
    assert!(
        out.stderr
            .contains("rejected the credentials (401 Unauthorized)"),
        "{out:#?}"
    );
    assert_eq!(out.stderr.lines().count(), 1, "{out:#?}");
}

#[test]
fn exec_credential_plugin_supplies_the_token() {
    let c = cluster();
    let dir = tempdir();
    let script = write(
        dir.path(),
        "cred.sh",
        &format!(
            "#!/bin/sh\necho '{{\"apiVersion\":\"client.authentication.k8s.io/v1\",\"kind\":\"ExecCredential\",\"status\":{{\"token\":\"{}\"}}}}'\n",
            c.token
        ),
    );
    std::fs::set_permissions(&script, std::os::unix::fs::PermissionsExt::from_mode(0o755)).unwrap();
    let user = format!(
        "    exec:\n      apiVersion: client.authentication.k8s.io/v1\n      command: {}\n      interactiveMode: Never\n",
        script.display()
    );
    let kc = write(dir.path(), "kc", &config_with_user(&c, &c.server, &user));
    let out = run(kubectl(Some(&kc)).args(["gitops", "version"])).success();
    assert!(out.stdout.contains("Server Version: v1.33."), "{out:#?}");
}

#[test]
fn failing_exec_credential_plugin_is_one_line() {
    let c = cluster();
    let dir = tempdir();
    let script = write(
        dir.path(),
        "cred.sh",
        "#!/bin/sh\necho 'token expired, run login' >&2\nexit 1\n",
    );
    std::fs::set_permissions(&script, std::os::unix::fs::PermissionsExt::from_mode(0o755)).unwrap();
    let user = format!(
        "    exec:\n      apiVersion: client.authentication.k8s.io/v1\n      command: {}\n      interactiveMode: Never\n",
        script.display()
    );
    let kc = write(dir.path(), "kc", &config_with_user(&c, &c.server, &user));
    let out = run(kubectl(Some(&kc)).args(["gitops", "version"]))
        .code(2)
        .no_panic();
    assert!(
        out.stderr
            .contains("cannot get credentials for context \"ctx\""),
        "{out:#?}"
    );
    assert_eq!(out.stderr.lines().count(), 1, "{out:#?}");
    let _ = c.dir;
}
