//! Day 2 from Git against the real control plane: status, history, rollback, `git revert` as
//! the rollback, and the drift watch that self-heals.

use std::io::{BufRead, BufReader};
use std::process::{Child, Stdio};
use std::sync::mpsc::{Receiver, channel};
use std::time::{Duration, Instant};

use serde_json::Value;

use crate::gitrepo::GitRepo;
use crate::harness::{
    Run, TestNamespace, cluster_kubeconfig, gitops_in, json, kubectl, kubectl_ok, path_with_plugin,
};
use crate::second_cluster::SecondCluster;

const URL: &str = "https://git.example.com/lab/day2.git";

fn application(name: &str, path: &str, ns: &str, extra_spec: &str) -> String {
    format!(
        "apiVersion: argoproj.io/v1alpha1\nkind: Application\nmetadata: {{name: {name}, namespace: argocd}}\nspec:\n  source: {{repoURL: \"{URL}\", path: {path}}}\n  destination: {{server: \"https://kubernetes.default.svc\", namespace: {ns}}}\n{extra_spec}"
    )
}

fn configmap(name: &str, value: &str) -> String {
    format!(
        "apiVersion: v1\nkind: ConfigMap\nmetadata: {{name: {name}}}\ndata: {{value: \"{value}\"}}\n"
    )
}

fn deployment(name: &str, image: &str, extra: &str) -> String {
    format!(
        "apiVersion: apps/v1\nkind: Deployment\nmetadata: {{name: {name}}}\nspec:\n  replicas: 1\n{extra}  selector: {{matchLabels: {{app: {name}}}}}\n  template:\n    metadata: {{labels: {{app: {name}}}}}\n    spec: {{containers: [{{name: c, image: \"{image}\"}}]}}\n"
    )
}

fn repo() -> GitRepo {
    let repo = GitRepo::new();
    repo.git(&["remote", "add", "origin", URL]);
    repo
}

fn gitops(repo: &GitRepo, records: &TestNamespace, args: &[&str]) -> Run {
    let mut all = args.to_vec();
    all.extend(["--records-namespace", records.name.as_str()]);
    gitops_in(repo.path(), &all).no_panic()
}

fn get(ns: &str, what: &str) -> Option<Value> {
    let kc = cluster_kubeconfig();
    let out = crate::harness::run(kubectl(Some(&kc)).args(["get", "-n", ns, what, "-o", "json"]));
    (out.code == 0).then(|| serde_json::from_str(&out.stdout).unwrap())
}

fn app_row<'a>(status: &'a Value, app: &str) -> &'a Value {
    status["apps"]
        .as_array()
        .unwrap()
        .iter()
        .find(|a| a["name"] == app)
        .unwrap_or_else(|| panic!("no status for {app}: {status}"))
}

#[test]
fn status_shows_synced_out_of_sync_degraded_and_missing_apps() {
    let ns = TestNamespace::new("dstatus");
    let rec = TestNamespace::new("rec");
    let repo = repo();
    // Pods that never schedule, and a deadline of a second: Degraded soon after.
    let stuck = "apiVersion: apps/v1\nkind: Deployment\nmetadata: {name: stuck}\nspec:\n  replicas: 1\n  progressDeadlineSeconds: 1\n  selector: {matchLabels: {app: stuck}}\n  template:\n    metadata: {labels: {app: stuck}}\n    spec: {nodeSelector: {no-such-node: \"true\"}, containers: [{name: c, image: nginx}]}\n";
    repo.write("root.yaml", &application("root", "apps", "argocd", ""))
        .write("apps/fine.yaml", &application("fine", "fine", &ns.name, ""))
        .write(
            "apps/drifted.yaml",
            &application("drifted", "drifted", &ns.name, ""),
        )
        .write(
            "apps/broken.yaml",
            &application("broken", "broken", &ns.name, ""),
        )
        .write("apps/gone.yaml", &application("gone", "gone", &ns.name, ""))
        .write("fine/cm.yaml", &configmap("fine", "1"))
        .write("drifted/cm.yaml", &configmap("drifted", "1"))
        .write("broken/deploy.yaml", stuck)
        .write("gone/cm.yaml", &configmap("gone", "1"));
    repo.commit("four apps");
    // The stuck Deployment fails the sync at the timeout; the rest syncs.
    gitops(&repo, &rec, &["sync", "--timeout", "3s"]).code(1);
    kubectl_ok(&[
        "patch",
        "-n",
        &ns.name,
        "configmap/drifted",
        "--type=merge",
        "-p",
        r#"{"data":{"value":"by-hand"}}"#,
    ]);
    kubectl_ok(&["delete", "-n", &ns.name, "configmap/gone"]);
    // The Deployment controller marks the deadline exceeded after a moment.
    let deadline = Instant::now() + Duration::from_secs(60);
    let status = loop {
        let status = json(&gitops(&repo, &rec, &["status", "-o", "json"]).success());
        if app_row(&status, "broken")["health"] == "Degraded" || Instant::now() > deadline {
            break status;
        }
        std::thread::sleep(Duration::from_secs(1));
    };
    let fine = app_row(&status, "fine");
    assert_eq!(
        (fine["sync"].as_str(), fine["health"].as_str()),
        (Some("Synced"), Some("Healthy"))
    );
    let head = repo.git(&["rev-parse", "HEAD"]);
    assert_eq!(fine["deployed"], head.as_str());
    assert_eq!(fine["revision"], head.as_str());
    assert_eq!(fine["lastSync"]["outcome"], "Succeeded");
    assert_eq!(app_row(&status, "drifted")["sync"], "OutOfSync");
    let broken = app_row(&status, "broken");
    assert_eq!(broken["health"], "Degraded", "{status}");
    assert!(
        broken["healthMessage"]
            .as_str()
            .unwrap()
            .contains("Deployment"),
        "{status}"
    );
    assert_eq!(broken["lastSync"]["outcome"], "Failed");
    let gone = app_row(&status, "gone");
    assert_eq!(
        (gone["sync"].as_str(), gone["health"].as_str()),
        (Some("OutOfSync"), Some("Missing"))
    );
    // The parent's health includes its children's.
    assert_eq!(
        app_row(&status, "root")["health"],
        "Degraded",
        "the worst of its children (Degraded is worse than Missing)"
    );
    let text = gitops(&repo, &rec, &["status"]).success();
    assert!(text.stdout.starts_with("APP"), "{text:#?}");
    assert!(
        text.stdout
            .contains("gone: Missing: none of its 1 objects exists"),
        "{text:#?}"
    );
    // An app no kubeconfig context serves was not compared: Unknown, not Synced.
    repo.write(
        "elsewhere/root.yaml",
        &application("elsewhere", "fine", &ns.name, "")
            .replace("https://kubernetes.default.svc", "https://127.0.0.9:6443"),
    );
    repo.commit("an app for a cluster we have no context for");
    let status = json(
        &gitops(
            &repo,
            &rec,
            &["status", "elsewhere/root.yaml", "-o", "json"],
        )
        .success(),
    );
    let elsewhere = app_row(&status, "elsewhere");
    assert_eq!(
        (elsewhere["sync"].as_str(), elsewhere["health"].as_str()),
        (Some("Unknown"), Some("Unknown")),
        "{status}"
    );
    assert!(
        elsewhere["errors"][0]
            .as_str()
            .unwrap()
            .contains("matches no kubeconfig context"),
        "{status}"
    );
}

#[test]
fn history_shows_syncs_beside_the_commits_that_changed_the_app() {
    let ns = TestNamespace::new("dhistory");
    let rec = TestNamespace::new("rec");
    let repo = repo();
    repo.write("root.yaml", &application("web", "web", &ns.name, ""));
    let mut shas = Vec::new();
    for v in ["1", "2", "3"] {
        repo.write("web/cm.yaml", &configmap("web", v));
        shas.push(repo.commit(&format!("web value {v}")));
        gitops(&repo, &rec, &["sync"]).success();
    }
    repo.write("README.md", "not the app's\n");
    repo.commit("docs");
    repo.write("web/cm.yaml", &configmap("web", "4"));
    let waiting = repo.commit("web value 4, not synced");
    let rows = json(&gitops(&repo, &rec, &["history", "--app", "web", "-o", "json"]).success());
    let rows = rows.as_array().unwrap();
    let states: Vec<(&str, &str)> = rows
        .iter()
        .map(|r| {
            (
                r["revision"].as_str().unwrap(),
                r["state"].as_str().unwrap(),
            )
        })
        .collect();
    assert_eq!(
        states,
        [
            (waiting.as_str(), "waiting"),
            (shas[2].as_str(), "current"),
            (shas[1].as_str(), "deployed"),
            (shas[0].as_str(), "deployed"),
        ],
        "the docs commit does not change the app: {rows:#?}"
    );
    assert_eq!(rows[1]["syncs"][0]["user"], "admin");
    assert_eq!(rows[1]["syncs"][0]["outcome"], "Succeeded");
    assert_eq!(rows[0]["summary"], "web value 4, not synced");
    let text = gitops(&repo, &rec, &["history", "--app", "web"]).success();
    assert!(text.stdout.contains("waiting"), "{text:#?}");
}

#[test]
fn rollback_goes_back_two_deployments_and_refuses_under_self_heal() {
    let ns = TestNamespace::new("drollback");
    let rec = TestNamespace::new("rec");
    let repo = repo();
    let hook = "apiVersion: batch/v1\nkind: Job\nmetadata:\n  name: migrate\n  annotations: {argocd.argoproj.io/hook: PreSync, argocd.argoproj.io/hook-delete-policy: HookSucceeded}\nspec: {template: {spec: {restartPolicy: Never, containers: [{name: c, image: busybox}]}}}\n";
    repo.write("root.yaml", &application("web", "web", &ns.name, ""))
        .write("web/hook.yaml", hook);
    let mut shas = Vec::new();
    for v in ["1", "2", "3"] {
        repo.write("web/cm.yaml", &configmap("web", v));
        shas.push(repo.commit(&format!("v{v}")));
        gitops(&repo, &rec, &["sync"]).success();
    }
    let out = gitops(&repo, &rec, &["rollback", "--app", "web", "--steps", "2"]).success();
    assert!(
        !out.stderr.contains("PreSync hook"),
        "a rollback runs no hooks: {out:#?}"
    );
    assert_eq!(
        get(&ns.name, "configmap/web").unwrap()["data"]["value"],
        "1"
    );
    let rows = json(&gitops(&repo, &rec, &["history", "--app", "web", "-o", "json"]).success());
    let current = rows
        .as_array()
        .unwrap()
        .iter()
        .find(|r| r["state"] == "current")
        .unwrap();
    assert_eq!(current["revision"], shas[0].as_str());
    assert_eq!(
        current["syncs"].as_array().unwrap().last().unwrap()["operation"],
        "rollback"
    );
    // Git still says v3: the app is OutOfSync, as after an Argo CD rollback.
    let status = json(&gitops(&repo, &rec, &["status", "-o", "json"]).success());
    assert_eq!(app_row(&status, "web")["sync"], "OutOfSync");
    // A revision never deployed is refused.
    repo.write("web/cm.yaml", &configmap("web", "never"));
    let never = repo.commit("never deployed");
    let out = gitops(&repo, &rec, &["rollback", "--app", "web", "--to", &never]).code(2);
    assert!(out.stderr.contains("was never deployed at"), "{out:#?}");

    // Under selfHeal the policy would undo a rollback: refused without --force.
    repo.write(
        "root.yaml",
        &application(
            "web",
            "web",
            &ns.name,
            "  syncPolicy: {automated: {selfHeal: true}}\n",
        ),
    );
    repo.write("web/cm.yaml", &configmap("web", "3"));
    repo.commit("automated, v3 again");
    gitops(&repo, &rec, &["sync"]).success();
    let out = gitops(&repo, &rec, &["rollback", "--app", "web"]).code(2);
    assert!(
        out.stderr
            .contains("its syncPolicy.automated.selfHeal would put Git's version back")
            && out.stderr.contains("kubectl gitops revert"),
        "{out:#?}"
    );
    assert_eq!(
        get(&ns.name, "configmap/web").unwrap()["data"]["value"],
        "3"
    );
    gitops(&repo, &rec, &["rollback", "--app", "web", "--force"]).success();
    assert_eq!(
        get(&ns.name, "configmap/web").unwrap()["data"]["value"],
        "1"
    );
}

#[test]
fn rollback_prunes_only_when_asked_even_under_automated_prune() {
    let ns = TestNamespace::new("drbprune");
    let rec = TestNamespace::new("rec");
    let repo = repo();
    repo.write(
        "root.yaml",
        &application(
            "web",
            "web",
            &ns.name,
            "  syncPolicy: {automated: {prune: true}}\n",
        ),
    )
    .write("web/cm.yaml", &configmap("web", "1"));
    let v1 = repo.commit("v1");
    gitops(&repo, &rec, &["sync"]).success();
    repo.write("web/extra.yaml", &configmap("extra", "2"));
    repo.commit("v2 adds extra");
    gitops(&repo, &rec, &["sync"]).success();
    assert!(get(&ns.name, "configmap/extra").is_some());
    // The app's automated.prune is a sync policy; a rollback prunes only with --prune, as
    // `argocd app rollback` does.
    gitops(&repo, &rec, &["rollback", "--app", "web", "--steps", "1"]).success();
    assert!(
        get(&ns.name, "configmap/extra").is_some(),
        "a rollback without --prune deleted an object"
    );
    gitops(&repo, &rec, &["sync"]).success();
    gitops(
        &repo,
        &rec,
        &["rollback", "--app", "web", "--to", &v1, "--prune"],
    )
    .success();
    assert!(get(&ns.name, "configmap/extra").is_none());
}

#[test]
fn revert_writes_a_commit_and_syncs_the_apps_it_changes() {
    let ns = TestNamespace::new("drevert");
    let rec = TestNamespace::new("rec");
    let repo = repo();
    repo.write("root.yaml", &application("root", "apps", "argocd", ""))
        .write("apps/web.yaml", &application("web", "web", &ns.name, ""))
        .write(
            "apps/other.yaml",
            &application("other", "other", &ns.name, ""),
        )
        .write("web/deploy.yaml", &deployment("web", "nginx:1.27", ""))
        .write("other/cm.yaml", &configmap("other", "1"));
    repo.commit("apps");
    gitops(&repo, &rec, &["sync"]).success();
    repo.write(
        "web/deploy.yaml",
        &deployment("web", "nginx:1.99-broken", ""),
    );
    let bad = repo.commit("web: bump image");
    gitops(&repo, &rec, &["sync"]).success();
    let image = |d: Value| d["spec"]["template"]["spec"]["containers"][0]["image"].clone();
    assert_eq!(
        image(get(&ns.name, "deployment/web").unwrap()),
        "nginx:1.99-broken"
    );
    let out = gitops(&repo, &rec, &["revert", &bad]).success();
    assert!(
        out.stderr.contains("Syncing what the revert changed: web"),
        "{out:#?}"
    );
    assert!(out.stdout.contains("Reverted and synced in"), "{out:#?}");
    // The audit trail: a real revert commit, and the cluster back on the old image.
    let log = repo.git(&["log", "--format=%s", "-2"]);
    assert_eq!(
        log.lines().next(),
        Some("Revert \"web: bump image\""),
        "{log}"
    );
    assert_eq!(
        image(get(&ns.name, "deployment/web").unwrap()),
        "nginx:1.27"
    );
    gitops(&repo, &rec, &["diff"]).code(0);
    let rows = json(&gitops(&repo, &rec, &["history", "--app", "web", "-o", "json"]).success());
    assert_eq!(rows[0]["state"], "current");
    assert_eq!(rows[0]["syncs"][0]["operation"], "revert");
}

#[test]
fn a_conflicting_revert_leaves_repo_and_cluster_untouched() {
    let ns = TestNamespace::new("drevconf");
    let rec = TestNamespace::new("rec");
    let repo = repo();
    repo.write("root.yaml", &application("web", "web", &ns.name, ""))
        .write("web/cm.yaml", &configmap("web", "1"));
    repo.commit("v1");
    repo.write("web/cm.yaml", &configmap("web", "2"));
    let two = repo.commit("v2");
    repo.write("web/cm.yaml", &configmap("web", "3"));
    let three = repo.commit("v3");
    gitops(&repo, &rec, &["sync"]).success();
    let before = get(&ns.name, "configmap/web").unwrap()["metadata"]["resourceVersion"].clone();
    let out = gitops(&repo, &rec, &["revert", &two]).code(2);
    assert!(
        out.stderr
            .contains("conflicts with later changes in web/cm.yaml"),
        "{out:#?}"
    );
    assert!(out.stderr.contains("nothing was changed"), "{out:#?}");
    assert_eq!(
        repo.git(&["rev-parse", "HEAD"]),
        three,
        "no commit was written"
    );
    assert_eq!(
        repo.git(&["status", "--porcelain"]),
        "",
        "the work tree is clean"
    );
    let after = get(&ns.name, "configmap/web").unwrap()["metadata"]["resourceVersion"].clone();
    assert_eq!(before, after, "the cluster was not touched");
    // A dirty work tree is refused before anything is written.
    repo.write("web/cm.yaml", &configmap("web", "dirty"));
    let out = gitops(&repo, &rec, &["revert", &three]).code(2);
    assert!(out.stderr.contains("uncommitted changes"), "{out:#?}");
}

/// `kubectl gitops watch` as a child process whose output lines arrive on a channel; killed
/// when dropped, so the test bounds its own run time.
struct Watch {
    child: Child,
    lines: Receiver<String>,
    seen: Vec<String>,
}

impl Watch {
    fn start(dir: &std::path::Path, kubeconfig: &std::path::Path, args: &[&str]) -> Watch {
        let mut child = kubectl(Some(kubeconfig))
            .current_dir(dir)
            .env("PATH", path_with_plugin())
            .arg("gitops")
            .arg("watch")
            .args(args)
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .unwrap();
        let (tx, rx) = channel();
        let out = child.stdout.take().unwrap();
        std::thread::spawn(move || {
            for line in BufReader::new(out).lines().map_while(Result::ok) {
                if tx.send(line).is_err() {
                    break;
                }
            }
        });
        Watch {
            child,
            lines: rx,
            seen: Vec::new(),
        }
    }

    /// Waits for a line that contains `needle`, up to `within`.
    fn wait_for(&mut self, needle: &str, within: Duration) -> String {
        let deadline = Instant::now() + within;
        loop {
            let left = deadline.saturating_duration_since(Instant::now());
            match self.lines.recv_timeout(left) {
                Ok(line) => {
                    self.seen.push(line.clone());
                    if line.contains(needle) {
                        return line;
                    }
                }
                Err(_) => panic!(
                    "no line with {needle:?} within {within:?}; watch printed:\n{}",
                    self.seen.join("\n")
                ),
            }
        }
    }
}

impl Drop for Watch {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

#[test]
fn watch_detects_a_hand_edit_within_two_intervals_and_heals_it() {
    let ns = TestNamespace::new("dwatch");
    let rec = TestNamespace::new("rec");
    let repo = repo();
    repo.write("root.yaml", &application("web", "web", &ns.name, ""))
        .write("web/cm.yaml", &configmap("settings", "from-git"));
    repo.commit("app");
    gitops(&repo, &rec, &["sync"]).success();
    let mut w = Watch::start(
        repo.path(),
        &cluster_kubeconfig(),
        &[
            "--interval",
            "2s",
            "--self-heal",
            "--records-namespace",
            &rec.name,
        ],
    );
    w.wait_for("watching", Duration::from_secs(30));
    // Let the first round end (nothing to do), then edit by hand.
    std::thread::sleep(Duration::from_secs(1));
    let edited = Instant::now();
    kubectl_ok(&[
        "patch",
        "-n",
        &ns.name,
        "configmap/settings",
        "--type=merge",
        "-p",
        r#"{"data":{"value":"by-hand"}}"#,
    ]);
    let drift = w.wait_for("DRIFT DETECTED", Duration::from_secs(4 + 10));
    assert!(
        drift.contains(&format!(
            "ConfigMap {}/settings changed by kubectl-patch",
            ns.name
        )) && drift.contains("-  value: by-hand | +  value: from-git"),
        "{drift}"
    );
    w.wait_for("app web synced", Duration::from_secs(15));
    assert!(
        edited.elapsed() < Duration::from_secs(2 * 2 + 10),
        "detected and healed within two intervals (plus the sync)"
    );
    assert_eq!(
        get(&ns.name, "configmap/settings").unwrap()["data"]["value"],
        "from-git"
    );
    // A deleted object is drift too (Argo CD's self-heal re-creates it).
    kubectl_ok(&["delete", "-n", &ns.name, "configmap/settings"]);
    let drift = w.wait_for("DRIFT DETECTED", Duration::from_secs(4 + 10));
    assert!(
        drift.contains(&format!(
            "ConfigMap {}/settings deleted from the cluster",
            ns.name
        )),
        "{drift}"
    );
    w.wait_for("app web synced", Duration::from_secs(15));
    assert_eq!(
        get(&ns.name, "configmap/settings").unwrap()["data"]["value"],
        "from-git"
    );
    // -o json: one object per line.
    drop(w);
    let mut w = Watch::start(
        repo.path(),
        &cluster_kubeconfig(),
        &[
            "--interval",
            "1s",
            "-o",
            "json",
            "--records-namespace",
            &rec.name,
        ],
    );
    let first = w.wait_for("revision", Duration::from_secs(30));
    let v: Value = serde_json::from_str(&first).unwrap();
    assert_eq!(v["event"], "revision");
    assert!(v["time"].is_string());
}

#[test]
fn watch_survives_an_api_server_restart() {
    let second = SecondCluster::start();
    let ns = format!("dwatch-restart-{}", std::process::id());
    let repo = repo();
    repo.write(
        "root.yaml",
        &application(
            "web",
            "web",
            &ns,
            "  syncPolicy: {syncOptions: [CreateNamespace=true], automated: {selfHeal: true}}\n",
        ),
    )
    .write("web/cm.yaml", &configmap("settings", "from-git"));
    repo.commit("app");
    let kc = second.own_kubeconfig();
    let sync = crate::harness::run(
        kubectl(Some(&kc))
            .current_dir(repo.path())
            .args(["gitops", "sync"]),
    );
    assert_eq!(sync.code, 0, "{sync:#?}");
    let mut w = Watch::start(repo.path(), &kc, &["--interval", "1s"]);
    w.wait_for("watching", Duration::from_secs(30));
    // A round during the outage says so once, and is retried, not fatal.
    second.script("stop-apiserver");
    w.wait_for("trying again every interval", Duration::from_secs(30));
    second.restart_apiserver();
    let patched = second.kubectl(&[
        "patch",
        "-n",
        &ns,
        "configmap/settings",
        "--type=merge",
        "-p",
        r#"{"data":{"value":"after-restart"}}"#,
    ]);
    assert_eq!(patched.code, 0, "{patched:#?}");
    w.wait_for("DRIFT DETECTED", Duration::from_secs(30));
    w.wait_for("app web synced", Duration::from_secs(30));
    let cm = second.kubectl(&[
        "get",
        "-n",
        &ns,
        "configmap/settings",
        "-o",
        "jsonpath={.data.value}",
    ]);
    assert_eq!(cm.stdout, "from-git");
    assert!(
        w.child.try_wait().unwrap().is_none(),
        "the watch is still running"
    );
}

#[test]
fn revert_no_sync_writes_the_commit_and_leaves_the_cluster() {
    let ns = TestNamespace::new("drevertns");
    let rec = TestNamespace::new("rec");
    let repo = repo();
    repo.write("root.yaml", &application("web", "web", &ns.name, ""))
        .write("web/cm.yaml", &configmap("web", "good"));
    repo.commit("good");
    repo.write("web/cm.yaml", &configmap("web", "bad"));
    let bad = repo.commit("bad");
    gitops(&repo, &rec, &["sync"]).success();
    let out = gitops(&repo, &rec, &["revert", &bad, "--no-sync"]).success();
    assert_eq!(
        repo.git(&["log", "--format=%s", "-1"]).trim(),
        "Revert \"bad\"",
        "{out:#?}"
    );
    assert_eq!(
        get(&ns.name, "configmap/web").unwrap()["data"]["value"],
        "bad",
        "--no-sync stops after the commit"
    );
    let status = json(&gitops(&repo, &rec, &["status", "-o", "json"]).success());
    assert_eq!(app_row(&status, "web")["sync"], "OutOfSync");
}
