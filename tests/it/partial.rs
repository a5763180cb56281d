//! Partial failure reported as partial: a LIST the user may not make fails only the apps that
//! need it (and only their objects of that kind go uncompared), and a server lost mid-run
//! stops the run at once, with one line, and every format says the report is incomplete.

use std::io::Read;
use std::path::{Path, PathBuf};
use std::process::Stdio;
use std::time::{Duration, Instant};

use serde_json::Value;

use crate::gitrepo::GitRepo;
use crate::harness::{
    Run, TestNamespace, cluster_kubeconfig, kubectl, kubectl_ok, kubectl_stdin, run, tempdir,
};
use crate::second_cluster::SecondCluster;

const URL: &str = "https://git.example.com/lab/partial.git";

fn application(name: &str, ns: &str) -> String {
    format!(
        "apiVersion: argoproj.io/v1alpha1\nkind: Application\nmetadata: {{name: {name}, namespace: argocd}}\nspec:\n  source: {{repoURL: \"{URL}\", path: {name}}}\n  destination: {{server: \"https://kubernetes.default.svc\", namespace: {ns}}}\n"
    )
}

/// A kubeconfig for a ServiceAccount of `ns` that may read and write ConfigMaps there and
/// nothing about Secrets: the usual "may read ConfigMaps but not Secrets" user.
fn configmaps_only_user(ns: &str, dir: &Path) -> PathBuf {
    kubectl_ok(&["create", "serviceaccount", "reader", "-n", ns]);
    kubectl_stdin(
        &["apply", "-f", "-"],
        &format!(
            "apiVersion: rbac.authorization.k8s.io/v1\nkind: Role\nmetadata: {{name: configmaps, namespace: {ns}}}\nrules:\n- apiGroups: [\"\"]\n  resources: [configmaps]\n  verbs: [get, list, watch, create, patch, update]\n---\napiVersion: rbac.authorization.k8s.io/v1\nkind: RoleBinding\nmetadata: {{name: reader, namespace: {ns}}}\nroleRef: {{apiGroup: rbac.authorization.k8s.io, kind: Role, name: configmaps}}\nsubjects:\n- {{kind: ServiceAccount, name: reader, namespace: {ns}}}\n"
        ),
    );
    let token = kubectl_ok(&["create", "token", "reader", "-n", ns, "--duration", "1h"])
        .stdout
        .trim()
        .to_string();
    let admin = std::fs::read_to_string(cluster_kubeconfig()).unwrap();
    let server = admin
        .lines()
        .find_map(|l| l.trim().strip_prefix("server: "))
        .unwrap()
        .to_string();
    let ca = cluster_kubeconfig().parent().unwrap().join("pki/ca.crt");
    let path = dir.join("reader-kubeconfig");
    std::fs::write(
        &path,
        format!(
            "apiVersion: v1\nkind: Config\ncurrent-context: reader\nclusters:\n- name: c\n  cluster: {{server: \"{server}\", certificate-authority: {}}}\nusers:\n- name: reader\n  user: {{token: {token}}}\ncontexts:\n- name: reader\n  context: {{cluster: c, user: reader, namespace: {ns}}}\n",
            ca.display()
        ),
    )
    .unwrap();
    path
}

#[test]
fn a_refused_list_fails_only_the_apps_that_need_it_and_hides_none_of_their_other_objects() {
    let ns = TestNamespace::new("rbac");
    let dir = tempdir();
    let kc = configmaps_only_user(&ns.name, dir.path());
    kubectl_ok(&[
        "create",
        "configmap",
        "settings",
        "-n",
        &ns.name,
        "--from-literal=mode=old",
    ]);
    let repo = GitRepo::new();
    repo.git(&["remote", "add", "origin", URL]);
    repo.write("apps/cms.yaml", &application("cms", &ns.name))
        .write("apps/creds.yaml", &application("creds", &ns.name))
        .write("apps/mixed.yaml", &application("mixed", &ns.name))
        .write(
            "cms/cm.yaml",
            "apiVersion: v1\nkind: ConfigMap\nmetadata: {name: settings}\ndata: {mode: new}\n",
        )
        .write(
            "creds/secret.yaml",
            "apiVersion: v1\nkind: Secret\nmetadata: {name: db}\nstringData: {password: hunter2}\n",
        )
        .write(
            "mixed/cm.yaml",
            "apiVersion: v1\nkind: ConfigMap\nmetadata: {name: extra}\ndata: {a: b}\n",
        )
        .write(
            "mixed/secret.yaml",
            "apiVersion: v1\nkind: Secret\nmetadata: {name: token}\nstringData: {t: s3cret}\n",
        );
    repo.commit("three apps");
    let gitops = |args: &[&str]| {
        let mut all = vec!["gitops", "diff", "apps", "--records-namespace", &ns.name];
        all.extend_from_slice(args);
        run(kubectl(Some(&kc)).current_dir(repo.path()).args(&all))
    };
    let refused = format!(
        "context \"reader\": user \"system:serviceaccount:{0}:reader\" may not list Secret (v1) in namespace \"{0}\" (403 Forbidden)",
        ns.name
    );

    let out = gitops(&["-o", "json"]);
    assert_eq!(out.code, 2, "{out:#?}");
    let doc: Value = serde_json::from_str(&out.stdout).unwrap();
    let app = |name: &str| {
        doc["apps"]
            .as_array()
            .unwrap()
            .iter()
            .find(|a| a["name"] == name)
            .unwrap()
            .clone()
    };
    assert_eq!(app("cms")["status"], "OutOfSync", "{doc:#}");
    assert_eq!(app("cms")["errors"], serde_json::json!([]));
    for name in ["creds", "mixed"] {
        assert_eq!(app(name)["status"], "Error", "{doc:#}");
        assert_eq!(
            app(name)["errors"],
            serde_json::json!([format!("app {name:?}: {refused}")]),
            "{doc:#}"
        );
    }
    // Its ConfigMap is compared; its Secret, whose live state is unknown, is not shown as new.
    let mixed: Vec<(String, String)> = app("mixed")["objects"]
        .as_array()
        .unwrap()
        .iter()
        .map(|o| {
            (
                o["kind"].as_str().unwrap().to_string(),
                o["change"].as_str().unwrap().to_string(),
            )
        })
        .collect();
    assert_eq!(mixed, [("ConfigMap".to_string(), "added".to_string())]);
    assert_eq!(app("creds")["objects"], serde_json::json!([]));
    let stderr: Vec<&str> = out.stderr.lines().collect();
    assert_eq!(
        stderr,
        [
            format!("error: app \"creds\": {refused}"),
            format!("error: app \"mixed\": {refused}")
        ],
        "{out:#?}"
    );

    let text = gitops(&[]);
    assert_eq!(text.code, 2, "{text:#?}");
    assert!(
        text.stdout
            .contains("mixed: Error (1 added, 0 changed, 0 to prune)"),
        "{text:#?}"
    );
    assert!(
        text.stdout
            .contains(&format!("+ ConfigMap {}/extra (added)", ns.name)),
        "{text:#?}"
    );
    assert!(text.stdout.contains("+  a: b"), "{text:#?}");
    assert!(text.stdout.contains("+  mode: new"), "{text:#?}");

    let md = gitops(&["-o", "markdown"]);
    assert_eq!(md.code, 2, "{md:#?}");
    assert!(
        md.stdout
            .contains("### `mixed`: Error (1 added, 0 changed, 0 to prune)"),
        "{md:#?}"
    );
    assert!(md.stdout.contains("+  a: b"), "{md:#?}");
    assert!(md.stdout.contains(&refused), "{md:#?}");
    // Records the user may not read are a warning naming the same things, and the diff goes on.
    let out = run(kubectl(Some(&kc))
        .current_dir(repo.path())
        .args(["gitops", "diff", "apps", "--app", "cms"]));
    assert_eq!(out.code, 1, "{out:#?}");
    assert_eq!(
        out.stderr.trim_end(),
        format!(
            "warning: context \"reader\": user \"system:serviceaccount:{}:reader\" may not list ConfigMap (v1) in namespace \"kubectl-gitops\" (the app records) (403 Forbidden); objects that left Git are looked for only where the apps still have objects",
            ns.name
        ),
        "{out:#?}"
    );
    for secret in ["hunter2", "s3cret"] {
        assert!(!format!("{out:?}{text:?}{md:?}").contains(secret));
    }
}

/// Many apps of many ConfigMaps in the namespace `lost` of the second cluster, so that a diff
/// or sync runs long enough to lose its server in the middle.
fn many_apps(cluster: &SecondCluster, apps: usize, objects: usize) -> GitRepo {
    let repo = GitRepo::new();
    repo.git(&["remote", "add", "origin", URL]);
    for a in 0..apps {
        let name = format!("app{a:02}");
        repo.write(
            &format!("apps/{name}.yaml"),
            &format!(
                "apiVersion: argoproj.io/v1alpha1\nkind: Application\nmetadata: {{name: {name}, namespace: argocd}}\nspec:\n  source: {{repoURL: \"{URL}\", path: {name}}}\n  destination: {{server: \"{}\", namespace: lost}}\n",
                cluster.server()
            ),
        );
        let docs: Vec<String> = (0..objects)
            .map(|o| {
                format!(
                    "apiVersion: v1\nkind: ConfigMap\nmetadata: {{name: {name}-{o:03}}}\ndata: {{n: \"{o}\"}}\n"
                )
            })
            .collect();
        repo.write(&format!("{name}/cms.yaml"), &docs.join("---\n"));
    }
    repo.commit("many apps");
    repo
}

/// Runs `kubectl gitops ARGS` against the second cluster and stops its API server as soon as
/// the audit log shows the first request matching `started` (the run is then in the middle of
/// its work). Returns the run and how long it went on after the server was stopped.
fn run_and_lose_the_server(
    cluster: &SecondCluster,
    repo: &GitRepo,
    args: &[&str],
    started: impl Fn(&str) -> bool,
) -> (Run, Duration) {
    let audit = cluster.dir.join("audit.log");
    let seen = std::fs::metadata(&audit).map(|m| m.len()).unwrap_or(0);
    let mut child = kubectl(Some(&cluster.kubeconfig()))
        .current_dir(repo.path())
        .arg("gitops")
        .args(args)
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let mut out_pipe = child.stdout.take().unwrap();
    let mut err_pipe = child.stderr.take().unwrap();
    let out = std::thread::spawn(move || {
        let mut s = String::new();
        let _ = out_pipe.read_to_string(&mut s);
        s
    });
    let err = std::thread::spawn(move || {
        let mut s = String::new();
        let _ = err_pipe.read_to_string(&mut s);
        s
    });
    let begin = Instant::now();
    loop {
        let text = std::fs::read(&audit).unwrap_or_default();
        let new = String::from_utf8_lossy(&text[(seen as usize).min(text.len())..]).into_owned();
        if new
            .lines()
            .any(|l| l.contains("kubectl-gitops/") && started(l))
        {
            break;
        }
        assert!(
            child.try_wait().unwrap().is_none(),
            "the run ended before it was under way: {}",
            err.join().unwrap()
        );
        assert!(begin.elapsed() < Duration::from_secs(120), "never started");
        std::thread::sleep(Duration::from_millis(20));
    }
    cluster.script("stop-apiserver");
    let stopped = Instant::now();
    let status = loop {
        if let Some(s) = child.try_wait().unwrap() {
            break s;
        }
        if stopped.elapsed() > Duration::from_secs(60) {
            let _ = child.kill();
            panic!("still running a minute after its server was stopped");
        }
        std::thread::sleep(Duration::from_millis(50));
    };
    let took = stopped.elapsed();
    let run = Run {
        code: status.code().unwrap_or(-1),
        stdout: out.join().unwrap(),
        stderr: err.join().unwrap(),
    };
    (run, took)
}

fn is_dry_run_apply(line: &str) -> bool {
    line.contains("\"verb\":\"patch\"")
        && line.contains("/namespaces/lost/configmaps/")
        && line.contains("dryRun=All")
}

fn is_real_apply(line: &str) -> bool {
    line.contains("\"verb\":\"patch\"")
        && line.contains("/namespaces/lost/configmaps/")
        && !line.contains("dryRun")
}

#[test]
fn a_server_lost_mid_run_stops_the_run_with_one_line_and_an_incomplete_report() {
    const APPS: usize = 12;
    const OBJECTS: usize = 60;
    let cluster = SecondCluster::start();
    assert_eq!(cluster.kubectl(&["create", "namespace", "lost"]).code, 0);
    let repo = many_apps(&cluster, APPS, OBJECTS);
    let slow = ["--concurrency", "2", "--request-timeout", "5s"];
    let one_error_line = |out: &Run| {
        let errors: Vec<&str> = out
            .stderr
            .lines()
            .filter(|l| l.starts_with("error:"))
            .collect();
        assert_eq!(errors.len(), 1, "{out:#?}");
        assert!(
            errors[0].starts_with(&format!(
                "error: cannot reach the server of context \"second\" at {}",
                cluster.server()
            )),
            "{out:#?}"
        );
        errors[0].to_string()
    };

    // diff -o json: the apps compared before the loss are whole, the rest Unknown.
    let mut args = vec!["diff", "apps", "-o", "json"];
    args.extend(slow);
    let (out, took) = run_and_lose_the_server(&cluster, &repo, &args, is_dry_run_apply);
    assert!(
        took < Duration::from_secs(15),
        "took {took:?} after the loss"
    );
    assert_eq!(out.code, 2, "{out:#?}");
    let line = one_error_line(&out);
    assert!(line.contains("the diff is incomplete"), "{line}");
    let doc: Value = serde_json::from_str(&out.stdout).unwrap();
    assert_eq!(doc["complete"], false, "{doc:#}");
    assert!(doc["incomplete"].is_string(), "{doc:#}");
    let apps = doc["apps"].as_array().unwrap();
    assert_eq!(apps.len(), APPS);
    let unknown = apps.iter().filter(|a| a["status"] == "Unknown").count();
    assert!(unknown > 0, "{doc:#}");
    assert_eq!(doc["summary"]["unknownApps"], unknown);
    for a in apps {
        match a["status"].as_str().unwrap() {
            "Unknown" => {
                assert_eq!(a["objects"], serde_json::json!([]), "{a:#}");
                assert_eq!(a["errors"], serde_json::json!([]), "{a:#}");
            }
            // Compared before the loss, so compared whole.
            "OutOfSync" => assert_eq!(a["counts"]["added"], OBJECTS, "{a:#}"),
            other => panic!("app {} is {other}: {doc:#}", a["name"]),
        }
    }
    assert_eq!(
        doc["summary"]["added"],
        OBJECTS * (APPS - unknown),
        "no object of an unfinished app counts as added"
    );

    // Text: the same, said in the report.
    cluster.script("restart-apiserver");
    let mut args = vec!["diff", "apps"];
    args.extend(slow);
    let (out, _) = run_and_lose_the_server(&cluster, &repo, &args, is_dry_run_apply);
    assert_eq!(out.code, 2, "{out:#?}");
    one_error_line(&out);
    assert!(
        out.stdout.contains("INCOMPLETE: cannot reach the server"),
        "{out:#?}"
    );
    assert!(out.stdout.contains("Not compared ("), "{out:#?}");
    assert!(
        out.stdout.contains("not compared (the run stopped)"),
        "{out:#?}"
    );

    // Markdown (the pull-request comment) says it too.
    cluster.script("restart-apiserver");
    let mut args = vec!["diff", "apps", "-o", "markdown"];
    args.extend(slow);
    let (out, _) = run_and_lose_the_server(&cluster, &repo, &args, is_dry_run_apply);
    assert_eq!(out.code, 2, "{out:#?}");
    one_error_line(&out);
    assert!(out.stdout.contains("**Incomplete**"), "{out:#?}");

    // status: an app the run never reached is Unknown, not Synced, and the exit code says so.
    cluster.script("restart-apiserver");
    let mut args = vec!["status", "apps", "-o", "json"];
    args.extend(slow);
    let (out, _) = run_and_lose_the_server(&cluster, &repo, &args, is_dry_run_apply);
    assert_eq!(out.code, 2, "{out:#?}");
    let doc: Value = serde_json::from_str(&out.stdout).unwrap();
    assert!(doc["incomplete"].is_string(), "{doc:#}");
    let rows = doc["apps"].as_array().unwrap();
    assert!(rows.iter().any(|a| a["sync"] == "Unknown"), "{doc:#}");
    assert!(
        rows.iter().all(|a| a["sync"] != "Synced"),
        "nothing is Synced: every app has objects to add: {doc:#}"
    );

    // sync -o json: interrupted during its applies.
    cluster.script("restart-apiserver");
    let mut args = vec!["sync", "apps", "-o", "json", "--revision", "HEAD"];
    args.extend(slow);
    let (out, took) = run_and_lose_the_server(&cluster, &repo, &args, is_real_apply);
    assert!(
        took < Duration::from_secs(15),
        "took {took:?} after the loss"
    );
    assert_eq!(out.code, 2, "{out:#?}");
    let line = one_error_line(&out);
    assert!(line.contains("the sync is incomplete"), "{line}");
    assert!(
        !out.stderr.contains("FAILED"),
        "no per-app failure lines: {out:#?}"
    );
    let doc: Value = serde_json::from_str(&out.stdout).unwrap();
    assert_eq!(doc["complete"], false, "{doc:#}");
    for a in doc["apps"].as_array().unwrap() {
        match a["outcome"].as_str().unwrap() {
            "Synced" | "Skipped" => {}
            "Failed" => assert_eq!(a["message"], "interrupted: the run stopped", "{a:#}"),
            other => panic!("{other}"),
        }
    }
    assert!(
        !out.stderr.contains("cannot write its record"),
        "no record write is tried on a server that is gone: {out:#?}"
    );
}
