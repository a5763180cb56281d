//! `kubectl gitops sync` against the real control plane (controller-manager, scheduler and
//! kwok, so Deployments roll out and Jobs complete): order, health, hooks, prune and its
//! guards, locks, conflicts, dry runs, and the agreement with diff.

use serde_json::Value;

use crate::gitrepo::GitRepo;
use crate::harness::{
    GatewayApi, Run, TestNamespace, cluster_kubeconfig, gitops_in, json, kubectl_ok, kubectl_stdin,
};

const URL: &str = "https://git.example.com/lab/sync.git";

/// An Application of this repository: `path`, destination namespace `ns`, extra spec lines.
fn application(name: &str, path: &str, ns: &str, extra_spec: &str, extra_meta: &str) -> String {
    format!(
        "apiVersion: argoproj.io/v1alpha1\nkind: Application\nmetadata:\n  name: {name}\n  namespace: argocd\n{extra_meta}spec:\n  project: default\n  source: {{repoURL: \"{URL}\", path: {path}}}\n  destination: {{server: \"https://kubernetes.default.svc\", namespace: {ns}}}\n{extra_spec}"
    )
}

fn configmap(name: &str, value: &str, annotations: &str) -> String {
    format!(
        "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: {name}\n{annotations}data: {{value: \"{value}\"}}\n"
    )
}

fn wave(w: i64) -> String {
    format!("  annotations: {{argocd.argoproj.io/sync-wave: \"{w}\"}}\n")
}

fn repo() -> GitRepo {
    let repo = GitRepo::new();
    repo.git(&["remote", "add", "origin", URL]);
    repo
}

/// `kubectl gitops ARGS` in the repo, with the test's own records namespace: records and locks
/// are per app name, and tests run in parallel.
fn gitops(repo: &GitRepo, records: &TestNamespace, args: &[&str]) -> Run {
    let mut all = args.to_vec();
    all.extend(["--records-namespace", records.name.as_str()]);
    gitops_in(repo.path(), &all).no_panic()
}

/// The line of the result table for an app.
fn result_line<'a>(out: &'a Run, app: &str) -> &'a str {
    out.stdout
        .lines()
        .find(|l| l.split_whitespace().next() == Some(app))
        .unwrap_or_else(|| panic!("no result line for {app}: {out:#?}"))
}

fn get(ns: &str, what: &str) -> Option<Value> {
    let kc = cluster_kubeconfig();
    let out = crate::harness::run(
        crate::harness::kubectl(Some(&kc)).args(["get", "-n", ns, what, "-o", "json"]),
    );
    (out.code == 0).then(|| serde_json::from_str(&out.stdout).unwrap())
}

/// The plugin's real (not dry-run) writes in a namespace, in the order the API server
/// received them, from its audit log: (time, verb, resource, name).
fn writes_in(ns: &str) -> Vec<(String, String, String, String)> {
    let audit = cluster_kubeconfig().parent().unwrap().join("audit.log");
    let text = std::fs::read_to_string(&audit).unwrap();
    let mut out: Vec<(String, String, String, String)> = text
        .lines()
        .filter_map(|l| serde_json::from_str::<Value>(l).ok())
        .filter(|e| {
            e["userAgent"]
                .as_str()
                .is_some_and(|u| u.starts_with("kubectl-gitops/"))
                && e["objectRef"]["namespace"].as_str() == Some(ns)
                && matches!(e["verb"].as_str(), Some("patch" | "create" | "update"))
                && !e["requestURI"].as_str().unwrap_or("").contains("dryRun")
                && e["responseStatus"]["code"]
                    .as_i64()
                    .is_some_and(|c| c < 300)
        })
        .map(|e| {
            (
                e["requestReceivedTimestamp"].as_str().unwrap().to_string(),
                e["verb"].as_str().unwrap().to_string(),
                e["objectRef"]["resource"]
                    .as_str()
                    .unwrap_or("")
                    .to_string(),
                e["objectRef"]["name"].as_str().unwrap_or("").to_string(),
            )
        })
        .collect();
    out.sort();
    out
}

fn seconds(rfc3339: &str) -> f64 {
    // 2026-11-30T12:22:36.860900Z: the time of day is enough within one test.
    let t = rfc3339.split('T').nth(1).unwrap().trim_end_matches('Z');
    let parts: Vec<f64> = t.split(':').map(|p| p.parse().unwrap()).collect();
    parts[0] * 3600.0 + parts[1] * 60.0 + parts[2]
}

#[test]
fn an_empty_cluster_is_rebuilt_crds_first_across_apps_without_waves() {
    let ns = TestNamespace::new("srebuild");
    let rec = TestNamespace::new("rec");
    let gw = GatewayApi::new();
    let repo = repo();
    // The routes' app sorts first and sits in the same (default) wave as the CRDs' app.
    repo.write("root.yaml", &application("root", "apps", "argocd", "", ""))
        .write(
            "apps/a-routes.yaml",
            &application("a-routes", "routes", &ns.name, "", ""),
        )
        .write(
            "apps/z-gateway-api.yaml",
            &application("z-gateway-api", "gateway-api", &ns.name, "", ""),
        )
        .write("routes/basic-http.yaml", &gw.file("basic-http.yaml"));
    for f in [
        "gateway.networking.k8s.io_gatewayclasses.yaml",
        "gateway.networking.k8s.io_gateways.yaml",
        "gateway.networking.k8s.io_httproutes.yaml",
    ] {
        repo.write(&format!("gateway-api/{f}"), &gw.file(f));
    }
    repo.commit("gateway api in one app, routes in another");
    let out = gitops(&repo, &rec, &["sync"]).success();
    assert!(
        out.stdout.contains("Summary: 3 apps at") && out.stdout.contains("3 synced, 0 failed"),
        "{out:#?}"
    );
    assert!(
        out.stderr.contains(&format!(
            "[z-gateway-api] CustomResourceDefinition {} applied first (CRD of HTTPRoute)",
            gw.crd("httproutes")
        )),
        "{out:#?}"
    );
    let route = get(&ns.name, &format!("httproutes.{}/http-app-1", gw.group));
    assert!(route.is_some(), "the route exists");
    // Sync and diff agree: nothing left to do.
    let diff = gitops(&repo, &rec, &["diff"]).code(0);
    assert!(diff.stdout.contains("No differences."), "{diff:#?}");
}

#[test]
fn waves_apply_in_order_and_a_deployment_gates_the_next_wave() {
    let ns = TestNamespace::new("swaves");
    let rec = TestNamespace::new("rec");
    let repo = repo();
    // minReadySeconds makes the Deployment Available only 3 s after its pod is ready.
    let deployment = format!(
        "apiVersion: apps/v1\nkind: Deployment\nmetadata:\n  name: slow\n{}spec:\n  replicas: 1\n  minReadySeconds: 3\n  selector: {{matchLabels: {{app: slow}}}}\n  template:\n    metadata: {{labels: {{app: slow}}}}\n    spec: {{containers: [{{name: c, image: nginx}}]}}\n",
        wave(1)
    );
    repo.write(
        "root.yaml",
        &application("waves", "waves", &ns.name, "", ""),
    )
    .write("waves/a-last.yaml", &configmap("last", "2", &wave(2)))
    .write("waves/b-deploy.yaml", &deployment)
    .write("waves/c-first.yaml", &configmap("first", "0", &wave(-1)))
    .write("waves/d-zero.yaml", &configmap("zero", "0", ""));
    repo.commit("waves");
    gitops(&repo, &rec, &["sync"]).success();
    let writes = writes_in(&ns.name);
    let order: Vec<&str> = writes
        .iter()
        .filter(|w| w.2 == "configmaps" || w.2 == "deployments")
        .map(|w| w.3.as_str())
        .collect();
    assert_eq!(order, ["first", "zero", "slow", "last"], "{writes:#?}");
    let deployed = writes.iter().find(|w| w.3 == "slow").unwrap();
    let last = writes.iter().find(|w| w.3 == "last").unwrap();
    assert!(
        seconds(&last.0) - seconds(&deployed.0) >= 3.0,
        "wave 2 waited for the Deployment to be Available: {writes:#?}"
    );
    gitops(&repo, &rec, &["diff"]).code(0);
}

#[test]
fn a_deployment_that_never_becomes_ready_stops_the_sync_at_the_timeout() {
    let ns = TestNamespace::new("stimeout");
    let rec = TestNamespace::new("rec");
    let repo = repo();
    let stuck = "apiVersion: apps/v1\nkind: Deployment\nmetadata:\n  name: stuck\nspec:\n  replicas: 1\n  selector: {matchLabels: {app: stuck}}\n  template:\n    metadata: {labels: {app: stuck}}\n    spec:\n      nodeSelector: {no-such-node: \"true\"}\n      containers: [{name: c, image: nginx}]\n";
    repo.write(
        "root.yaml",
        &application("stuck", "stuck", &ns.name, "", ""),
    )
    .write("stuck/deploy.yaml", stuck)
    .write("stuck/later.yaml", &configmap("later", "1", &wave(1)));
    repo.commit("stuck");
    let started = std::time::Instant::now();
    let out = gitops(&repo, &rec, &["sync", "--timeout", "6s"]).code(1);
    assert!(started.elapsed().as_secs() < 30, "{out:#?}");
    assert!(
        out.stdout.contains(&format!(
            "stuck: timed out after 6 s waiting for 1 object to become healthy: Deployment {}/stuck is Progressing",
            ns.name
        )),
        "{out:#?}"
    );
    assert!(result_line(&out, "stuck").contains("Failed"), "{out:#?}");
    assert!(
        get(&ns.name, "configmap/later").is_none(),
        "later waves do not start"
    );
}

#[test]
fn no_wait_returns_after_the_last_wave_is_applied_but_earlier_waves_still_gate() {
    let ns = TestNamespace::new("snowait");
    let rec = TestNamespace::new("rec");
    let repo = repo();
    let stuck = "apiVersion: apps/v1\nkind: Deployment\nmetadata:\n  name: stuck\nspec:\n  replicas: 1\n  selector: {matchLabels: {app: stuck}}\n  template:\n    metadata: {labels: {app: stuck}}\n    spec:\n      nodeSelector: {no-such-node: \"true\"}\n      containers: [{name: c, image: nginx}]\n";
    repo.write(
        "root.yaml",
        &application("nowait", "nowait", &ns.name, "", ""),
    )
    .write("nowait/deploy.yaml", stuck)
    .write("nowait/later.yaml", &configmap("later", "1", &wave(1)));
    repo.commit("a stuck Deployment before a later wave");
    // The later wave needs the Deployment healthy: --no-wait does not skip that.
    let out = gitops(&repo, &rec, &["sync", "--no-wait", "--timeout", "5s"]).code(1);
    assert!(out.stdout.contains("timed out after 5 s"), "{out:#?}");
    assert!(get(&ns.name, "configmap/later").is_none(), "{out:#?}");
    // With the Deployment in the last wave, --no-wait returns once it is applied, as Argo CD's
    // sync operation does; without it, the sync waits and times out.
    repo.remove("nowait/later.yaml");
    repo.commit("the Deployment is the last wave");
    let started = std::time::Instant::now();
    let out = gitops(&repo, &rec, &["sync", "--no-wait", "--timeout", "20s"]).success();
    assert!(started.elapsed().as_secs() < 15, "{out:#?}");
    assert!(result_line(&out, "nowait").contains("Synced"), "{out:#?}");
    let out = gitops(&repo, &rec, &["sync", "--timeout", "4s"]).code(1);
    assert!(
        out.stdout.contains("Deployment") && out.stdout.contains("stuck is Progressing"),
        "{out:#?}"
    );
}

#[test]
fn pre_and_post_sync_jobs_run_with_their_delete_policies() {
    let ns = TestNamespace::new("shooks");
    let rec = TestNamespace::new("rec");
    let repo = repo();
    let job = |name: &str, hook: &str, policy: &str| {
        let policy = if policy.is_empty() {
            String::new()
        } else {
            format!(", argocd.argoproj.io/hook-delete-policy: {policy}")
        };
        format!(
            "apiVersion: batch/v1\nkind: Job\nmetadata:\n  name: {name}\n  annotations: {{argocd.argoproj.io/hook: {hook}{policy}}}\nspec:\n  template:\n    spec:\n      restartPolicy: Never\n      containers: [{{name: c, image: busybox, command: [\"true\"]}}]\n"
        )
    };
    repo.write(
        "root.yaml",
        &application("hooked", "hooked", &ns.name, "", ""),
    )
    .write(
        "hooked/migrate.yaml",
        &job("migrate", "PreSync", "HookSucceeded"),
    )
    .write("hooked/smoke.yaml", &job("smoke", "PostSync", ""))
    .write("hooked/cm.yaml", &configmap("app", "1", ""));
    repo.commit("hooks");
    let out = gitops(&repo, &rec, &["sync"]).success();
    assert!(result_line(&out, "hooked").contains("Synced"), "{out:#?}");
    assert!(
        out.stderr.contains(&format!(
            "[hooked] PreSync hook Job {}/migrate started",
            ns.name
        )),
        "{out:#?}"
    );
    // HookSucceeded: gone after success. The default (BeforeHookCreation): kept until the
    // next run replaces it.
    assert!(get(&ns.name, "job/migrate").is_none(), "{out:#?}");
    let smoke = get(&ns.name, "job/smoke").expect("the PostSync job stays");
    let first_uid = smoke["metadata"]["uid"].clone();
    // PreSync ran before the app's objects, PostSync after.
    let writes = writes_in(&ns.name);
    let pos = |n: &str| writes.iter().position(|w| w.3 == n).unwrap();
    assert!(
        pos("migrate") < pos("app") && pos("app") < pos("smoke"),
        "{writes:#?}"
    );
    // Hooks are not resources of the app: diff is clean.
    gitops(&repo, &rec, &["diff"]).code(0);
    gitops(&repo, &rec, &["sync"]).success();
    let again = get(&ns.name, "job/smoke").unwrap();
    assert_ne!(
        again["metadata"]["uid"], first_uid,
        "BeforeHookCreation re-created it"
    );
}

#[test]
fn prune_removes_exactly_what_left_git() {
    let ns = TestNamespace::new("sprune");
    let rec = TestNamespace::new("rec");
    let other = TestNamespace::new("sprune-other");
    let repo = repo();
    repo.write("root.yaml", &application("root", "apps", "argocd", "", ""))
        .write(
            "apps/web.yaml",
            &application("web", "web", &ns.name, "", ""),
        )
        .write("apps/db.yaml", &application("db", "db", &ns.name, "", ""))
        .write("web/keep.yaml", &configmap("keep", "1", ""))
        .write("web/gone.yaml", &configmap("gone", "1", ""))
        .write("db/db.yaml", &configmap("db-config", "1", ""));
    repo.commit("two apps");
    gitops(&repo, &rec, &["sync"]).success();
    // Look-alikes: an unmanaged object, and one of the same name in another namespace.
    kubectl_ok(&["create", "configmap", "unmanaged", "-n", &ns.name]);
    kubectl_ok(&["create", "configmap", "gone", "-n", &other.name]);
    repo.remove("web/gone.yaml");
    repo.commit("gone leaves Git");

    let diff = gitops(&repo, &rec, &["diff"]).code(1);
    assert!(
        diff.stdout
            .contains(&format!("- ConfigMap {}/gone (to prune)", ns.name)),
        "{diff:#?}"
    );
    // Without --prune it stays, and the report says so.
    let out = gitops(&repo, &rec, &["sync"]).success();
    assert!(out.stdout.contains("web: 1 object left Git"), "{out:#?}");
    assert!(get(&ns.name, "configmap/gone").is_some());
    let out = gitops(&repo, &rec, &["sync", "--prune"]).success();
    assert!(
        out.stderr
            .contains(&format!("[web] ConfigMap {}/gone pruned", ns.name)),
        "{out:#?}"
    );
    assert!(get(&ns.name, "configmap/gone").is_none());
    for (n, what) in [
        (&ns.name, "configmap/keep"),
        (&ns.name, "configmap/db-config"),
        (&ns.name, "configmap/unmanaged"),
        (&other.name, "configmap/gone"),
    ] {
        assert!(get(n, what).is_some(), "{what} in {n} survives");
    }
    gitops(&repo, &rec, &["diff"]).code(0);
}

#[test]
fn prune_guards_keep_everything_when_the_run_is_not_sound() {
    let ns = TestNamespace::new("sguard");
    let rec = TestNamespace::new("rec");
    let repo = repo();
    repo.write("root.yaml", &application("root", "apps", "argocd", "", ""))
        .write(
            "apps/web.yaml",
            &application("web", "web", &ns.name, "", ""),
        )
        .write(
            "apps/other.yaml",
            &application("other", "other", &ns.name, "", ""),
        )
        .write("web/a.yaml", &configmap("a", "1", ""))
        .write("web/b.yaml", &configmap("b", "1", ""))
        .write("other/c.yaml", &configmap("c", "1", ""));
    repo.commit("apps");
    gitops(&repo, &rec, &["sync"]).success();

    // 1. Another app fails to render: nothing is pruned anywhere.
    repo.remove("web/b.yaml");
    // A manifest with a syntax error (YAML that is no manifest at all is skipped, as Argo CD
    // skips it).
    repo.write(
        "other/broken.yaml",
        "apiVersion: v1\nkind: ConfigMap\nmetadata: {name: x\n",
    );
    repo.commit("b leaves Git; other breaks");
    let out = gitops(&repo, &rec, &["sync", "--prune"]).code(2);
    assert!(
        out.stdout
            .contains("nothing was pruned: app \"other\" failed to render"),
        "{out:#?}"
    );
    assert!(get(&ns.name, "configmap/b").is_some());

    // 2. An apply of the run fails: nothing is pruned.
    repo.remove("other/broken.yaml");
    repo.write(
        "other/bad.yaml",
        "apiVersion: v1\nkind: ConfigMap\nmetadata: {name: bad}\ndata: {value: 1}\n",
    );
    repo.commit("other has an object the server refuses");
    let out = gitops(&repo, &rec, &["sync", "--prune"]).code(1);
    assert!(
        out.stdout
            .contains("nothing was pruned: app \"other\" failed"),
        "{out:#?}"
    );
    assert!(get(&ns.name, "configmap/b").is_some());

    // 3. An app that renders nothing is not emptied without allowEmpty.
    repo.remove("other/bad.yaml");
    repo.remove("web/a.yaml");
    repo.write("web/.keep", "");
    repo.commit("web renders nothing");
    let out = gitops(&repo, &rec, &["sync", "--prune"]).success();
    assert!(
        out.stderr.contains("app \"web\" renders no objects"),
        "{out:#?}"
    );
    assert!(get(&ns.name, "configmap/a").is_some() && get(&ns.name, "configmap/b").is_some());

    // Sound again: prune goes ahead.
    repo.write("web/a.yaml", &configmap("a", "1", ""));
    repo.commit("web is back");
    gitops(&repo, &rec, &["sync", "--prune"]).success();
    assert!(get(&ns.name, "configmap/b").is_none());
    assert!(get(&ns.name, "configmap/a").is_some() && get(&ns.name, "configmap/c").is_some());
}

#[test]
fn a_second_sync_waits_for_the_lock_and_names_its_holder() {
    let ns = TestNamespace::new("slock");
    let rec = TestNamespace::new("rec");
    let repo = repo();
    repo.write(
        "root.yaml",
        &application("locked", "locked", &ns.name, "", ""),
    )
    .write("locked/cm.yaml", &configmap("cm", "1", ""));
    repo.commit("app");
    // Another run holds the app's lease, renewed just now.
    let now = k8s_openapi_now();
    let lease = format!(
        "apiVersion: coordination.k8s.io/v1\nkind: Lease\nmetadata: {{name: app-locked, namespace: {}}}\nspec: {{holderIdentity: \"ci-bot@runner-7 (pid 42)\", leaseDurationSeconds: 30, acquireTime: \"{now}\", renewTime: \"{now}\"}}\n",
        rec.name
    );
    kubectl_stdin(&["apply", "-f", "-"], &lease).success();
    let started = std::time::Instant::now();
    let out = gitops(&repo, &rec, &["sync", "--lock-timeout", "2s"]).code(2);
    assert!(started.elapsed().as_secs() >= 2, "it waited: {out:#?}");
    assert!(
        out.stderr
            .contains("app \"locked\" is locked by ci-bot@runner-7 (pid 42)"),
        "{out:#?}"
    );
    assert!(
        get(&ns.name, "configmap/cm").is_none(),
        "nothing was applied"
    );
    // A holder that crashed: its lease expired, so the next sync takes it over.
    let old = "2020-01-01T00:00:00.000000Z";
    kubectl_stdin(&["apply", "-f", "-"], &lease.replace(&now, old)).success();
    gitops(&repo, &rec, &["sync"]).success();
    assert!(get(&ns.name, "configmap/cm").is_some());
    // With nothing to do, a held lock still stops a sync and is named: someone is at work.
    let renewed = k8s_openapi_now();
    kubectl_stdin(&["apply", "-f", "-"], &lease.replace(&now, &renewed)).success();
    let out = gitops(&repo, &rec, &["sync", "--lock-timeout", "1s"]).code(2);
    assert!(
        out.stderr.contains("is locked by ci-bot@runner-7"),
        "{out:#?}"
    );
}

#[test]
fn a_sync_with_nothing_to_do_takes_no_lock_and_writes_nothing() {
    let ns = TestNamespace::new("snoop");
    let rec = TestNamespace::new("rec");
    let repo = repo();
    repo.write("root.yaml", &application("noop", "noop", &ns.name, "", ""))
        .write("noop/cm.yaml", &configmap("cm", "1", ""));
    repo.commit("app");
    let first = gitops(&repo, &rec, &["sync"]).success();
    assert!(result_line(&first, "noop").contains("Synced"), "{first:#?}");
    let writes = |events: &[Value]| -> Vec<String> {
        events
            .iter()
            .filter(|e| {
                let ns_of = e["objectRef"]["namespace"].as_str().unwrap_or_default();
                (ns_of == ns.name || ns_of == rec.name)
                    && !matches!(e["verb"].as_str(), Some("get" | "list" | "watch"))
            })
            .map(|e| format!("{} {}", e["verb"], e["requestURI"]))
            .collect()
    };
    // The first sync took its lease (leases are audited outside kube-system).
    let before = crate::harness::audit_events();
    let lease_writes: Vec<String> = writes(&before)
        .into_iter()
        .filter(|w| w.contains("/leases"))
        .collect();
    assert!(!lease_writes.is_empty(), "the audit log shows lease writes");
    let again = gitops(&repo, &rec, &["sync"]).success();
    assert!(result_line(&again, "noop").contains("Synced"), "{again:#?}");
    let after = crate::harness::audit_events();
    assert_eq!(writes(&after[before.len()..]), Vec::<String>::new());
    // Drift is work: the lock is taken and Git's value put back.
    kubectl_ok(&[
        "-n",
        &ns.name,
        "patch",
        "configmap",
        "cm",
        "-p",
        r#"{"data":{"value":"2"}}"#,
    ]);
    gitops(&repo, &rec, &["sync"]).success();
    let value = get(&ns.name, "configmap/cm").unwrap()["data"]["value"].clone();
    assert_eq!(value, "1");
    let healed = crate::harness::audit_events();
    assert!(
        writes(&healed[after.len()..])
            .iter()
            .any(|w| w.contains("/leases")),
        "the healing sync took its lease"
    );
}

fn k8s_openapi_now() -> String {
    let out = std::process::Command::new("date")
        .args(["-u", "+%Y-%m-%dT%H:%M:%S.000000Z"])
        .output()
        .unwrap();
    String::from_utf8(out.stdout).unwrap().trim().to_string()
}

#[test]
fn a_field_conflict_is_reported_and_force_conflicts_takes_it_over() {
    let ns = TestNamespace::new("sconflict");
    let rec = TestNamespace::new("rec");
    let repo = repo();
    repo.write(
        "root.yaml",
        &application("owned", "owned", &ns.name, "", ""),
    )
    .write("owned/cm.yaml", &configmap("shared", "from-git", ""));
    repo.commit("app");
    // Another manager owns the field with another value.
    let theirs = configmap("shared", "theirs", "").replace(
        "metadata:\n",
        &format!("metadata:\n  namespace: {}\n", ns.name),
    );
    kubectl_stdin(
        &[
            "apply",
            "--server-side",
            "--field-manager=other-team",
            "-f",
            "-",
        ],
        &theirs,
    )
    .success();
    let out = gitops(&repo, &rec, &["sync"]).code(1);
    assert!(result_line(&out, "owned").contains("Failed"), "{out:#?}");
    assert!(out.stdout.contains("conflict"), "{out:#?}");
    assert!(out.stdout.contains("other-team"), "{out:#?}");
    let cm = get(&ns.name, "configmap/shared").unwrap();
    assert_eq!(cm["data"]["value"], "theirs");
    gitops(&repo, &rec, &["sync", "--force-conflicts"]).success();
    let cm = get(&ns.name, "configmap/shared").unwrap();
    assert_eq!(cm["data"]["value"], "from-git");
}

#[test]
fn dry_run_prints_the_plan_and_changes_nothing() {
    let ns = TestNamespace::new("sdry");
    let rec = TestNamespace::new("rec");
    let repo = repo();
    repo.write("root.yaml", &application("dry", "dry", &ns.name, "", ""))
        .write("dry/a.yaml", &configmap("a", "1", ""))
        .write("dry/b.yaml", &configmap("b", "1", &wave(3)));
    repo.commit("app");
    gitops(&repo, &rec, &["sync"]).success();
    kubectl_ok(&[
        "patch",
        "-n",
        &ns.name,
        "configmap/a",
        "--type=merge",
        "-p",
        r#"{"data":{"value":"drift"}}"#,
    ]);
    repo.write("dry/c.yaml", &configmap("c", "1", ""));
    repo.commit("c");
    let before: Vec<Value> = ["a", "b"]
        .iter()
        .map(|n| {
            get(&ns.name, &format!("configmap/{n}")).unwrap()["metadata"]["resourceVersion"].clone()
        })
        .collect();
    let out = gitops(&repo, &rec, &["sync", "--dry-run"]).success();
    assert!(
        out.stdout.contains("dry run: nothing is changed"),
        "{out:#?}"
    );
    assert!(
        out.stdout
            .contains(&format!("update ConfigMap {}/a", ns.name)),
        "{out:#?}"
    );
    assert!(
        out.stdout
            .contains(&format!("create ConfigMap {}/c", ns.name)),
        "{out:#?}"
    );
    assert!(
        out.stdout.contains("wave 3: 0 to apply, 1 unchanged"),
        "{out:#?}"
    );
    let after: Vec<Value> = ["a", "b"]
        .iter()
        .map(|n| {
            get(&ns.name, &format!("configmap/{n}")).unwrap()["metadata"]["resourceVersion"].clone()
        })
        .collect();
    assert_eq!(before, after);
    assert!(get(&ns.name, "configmap/c").is_none());
    let plan = json(&gitops(&repo, &rec, &["sync", "--dry-run", "-o", "json"]).success());
    let steps = plan["apps"][0]["steps"].as_array().unwrap();
    assert!(
        steps
            .iter()
            .any(|s| s["name"] == "c" && s["action"] == "create")
    );
}

#[test]
fn a_hand_edit_is_drift_and_sync_puts_git_back() {
    let ns = TestNamespace::new("sdrift");
    let rec = TestNamespace::new("rec");
    let repo = repo();
    repo.write("root.yaml", &application("web", "web", &ns.name, "", ""))
        .write("web/cm.yaml", &configmap("settings", "from-git", ""));
    repo.commit("app");
    gitops(&repo, &rec, &["sync"]).success();
    kubectl_ok(&[
        "patch",
        "-n",
        &ns.name,
        "configmap/settings",
        "--type=merge",
        "-p",
        r#"{"data":{"value":"by-hand"}}"#,
    ]);
    let diff = gitops(&repo, &rec, &["diff"]).code(1);
    assert!(diff.stdout.contains("DRIFT DETECTED"), "{diff:#?}");
    gitops(&repo, &rec, &["sync"]).success();
    assert_eq!(
        get(&ns.name, "configmap/settings").unwrap()["data"]["value"],
        "from-git"
    );
    gitops(&repo, &rec, &["diff"]).code(0);
    // Records name who synced which commit.
    let record = get(&rec.name, "configmap/app-web").unwrap();
    let doc: Value = serde_json::from_str(record["data"]["record.json"].as_str().unwrap()).unwrap();
    let history = doc["history"].as_array().unwrap();
    assert!(history.len() >= 2);
    let head = repo.git(&["rev-parse", "HEAD"]);
    assert_eq!(history.last().unwrap()["revision"], head.as_str());
    assert_eq!(history.last().unwrap()["user"], "admin");
    assert_eq!(history.last().unwrap()["outcome"], "Succeeded");
}

#[test]
fn sync_refuses_uncommitted_edits_to_what_it_deploys() {
    let ns = TestNamespace::new("sdirty");
    let rec = TestNamespace::new("rec");
    let repo = repo();
    repo.write("root.yaml", &application("web", "web", &ns.name, "", ""))
        .write("web/cm.yaml", &configmap("settings", "committed", ""));
    repo.commit("app");
    repo.write("web/cm.yaml", &configmap("settings", "not-committed", ""));
    let out = gitops(&repo, &rec, &["sync"]).code(2);
    assert!(
        out.stderr
            .contains("uncommitted changes to what app \"web\" renders"),
        "{out:#?}"
    );
    // An edit that changes nothing rendered is fine; a named revision deploys that commit.
    repo.write("web/cm.yaml", &configmap("settings", "committed", ""));
    repo.write("README.md", "notes\n");
    gitops(&repo, &rec, &["sync"]).success();
    repo.write("web/cm.yaml", &configmap("settings", "not-committed", ""));
    gitops(&repo, &rec, &["sync", "--revision", "HEAD"]).success();
    assert_eq!(
        get(&ns.name, "configmap/settings").unwrap()["data"]["value"],
        "committed"
    );
}

#[test]
fn apps_removed_from_git_cascade_with_the_finalizer_and_are_orphaned_without() {
    let ns = TestNamespace::new("sremoved");
    let rec = TestNamespace::new("rec");
    let repo = repo();
    let finalizer = "  finalizers: [resources-finalizer.argocd.argoproj.io]\n";
    repo.write("root.yaml", &application("root", "apps", "argocd", "", ""))
        .write(
            "apps/cascading.yaml",
            &application("cascading", "cascading", &ns.name, "", finalizer),
        )
        .write(
            "apps/orphaning.yaml",
            &application("orphaning", "orphaning", &ns.name, "", ""),
        )
        .write("apps/README.md", "Applications of this repository.\n")
        .write("cascading/cm.yaml", &configmap("cascading-cm", "1", ""))
        .write("orphaning/cm.yaml", &configmap("orphaning-cm", "1", ""));
    repo.commit("two apps");
    gitops(&repo, &rec, &["sync"]).success();
    repo.remove("apps/cascading.yaml");
    repo.remove("apps/orphaning.yaml");
    repo.commit("both apps leave Git");
    let diff = gitops(&repo, &rec, &["diff"]).code(1);
    assert!(
        diff.stdout.contains("- app cascading (removed)"),
        "{diff:#?}"
    );
    assert!(
        diff.stdout
            .contains(&format!("- ConfigMap {}/cascading-cm (to prune)", ns.name)),
        "{diff:#?}"
    );
    assert!(
        diff.stdout
            .contains("- app orphaning (removed; 1 objects stay, orphaned"),
        "{diff:#?}"
    );
    let out = gitops(&repo, &rec, &["sync", "--prune"]).success();
    assert!(
        out.stdout
            .contains("cascading: removed from Git; its 1 objects were deleted"),
        "{out:#?}"
    );
    assert!(
        out.stdout.contains(
            "orphaning: removed from Git; its 1 objects were left in the cluster, orphaned"
        ),
        "{out:#?}"
    );
    assert!(get(&ns.name, "configmap/cascading-cm").is_none());
    assert!(get(&ns.name, "configmap/orphaning-cm").is_some());
    // Their records are gone: the next diff knows nothing more of them.
    gitops(&repo, &rec, &["diff"]).code(0);
}

#[test]
fn a_refused_object_fails_its_app_runs_syncfail_hooks_and_a_fixed_repo_converges() {
    let ns = TestNamespace::new("sfail");
    let rec = TestNamespace::new("rec");
    let repo = repo();
    let later_wave = "  annotations: {argocd.argoproj.io/sync-wave: \"1\"}\n";
    repo.write("root.yaml", &application("root", "apps", "argocd", "", ""))
        .write("apps/good.yaml", &application("good", "good", &ns.name, "", ""))
        .write("apps/bad.yaml", &application("bad", "bad", &ns.name, "", ""))
        .write(
            "apps/later.yaml",
            &application("later", "later", &ns.name, "", later_wave),
        )
        .write("good/cm.yaml", &configmap("good", "1", ""))
        .write("later/cm.yaml", &configmap("later", "1", ""))
        .write(
            "bad/cm.yaml",
            "apiVersion: v1\nkind: ConfigMap\nmetadata: {name: bad}\ndata: {value: 1}\n",
        )
        .write(
            "bad/notify.yaml",
            "apiVersion: batch/v1\nkind: Job\nmetadata:\n  name: notify\n  annotations: {argocd.argoproj.io/hook: SyncFail}\nspec:\n  template:\n    spec:\n      restartPolicy: Never\n      containers: [{name: c, image: busybox, command: [\"true\"]}]\n",
        );
    repo.commit("one bad object");
    let out = gitops(&repo, &rec, &["sync"]).code(1);
    assert!(result_line(&out, "good").contains("Synced"), "{out:#?}");
    assert!(result_line(&out, "bad").contains("Failed"), "{out:#?}");
    assert!(result_line(&out, "later").contains("Skipped"), "{out:#?}");
    assert!(
        out.stdout.contains(&format!(
            "bad: ConfigMap {}/bad (bad/cm.yaml (document 1)): the server refused it:",
            ns.name
        )),
        "{out:#?}"
    );
    assert!(
        out.stderr.contains(&format!(
            "[bad] SyncFail hook Job {}/notify started",
            ns.name
        )),
        "{out:#?}"
    );
    assert!(
        get(&ns.name, "job/notify").is_some(),
        "the SyncFail hook ran"
    );
    assert!(get(&ns.name, "configmap/good").is_some());
    assert!(
        get(&ns.name, "configmap/later").is_none(),
        "later waves do not start"
    );
    // Fixed in Git: the same command converges.
    repo.write(
        "bad/cm.yaml",
        "apiVersion: v1\nkind: ConfigMap\nmetadata: {name: bad}\ndata: {value: \"1\"}\n",
    );
    repo.commit("fix");
    gitops(&repo, &rec, &["sync"]).success();
    assert!(get(&ns.name, "configmap/later").is_some());
    gitops(&repo, &rec, &["diff"]).code(0);
}

#[test]
fn render_leaves_hooks_out_unless_asked() {
    let repo = repo();
    repo.write("root.yaml", &application("hooked", "hooked", "x", "", ""))
        .write("hooked/cm.yaml", &configmap("app", "1", ""))
        .write(
            "hooked/job.yaml",
            "apiVersion: batch/v1\nkind: Job\nmetadata:\n  generateName: migrate-\n  annotations: {helm.sh/hook: pre-install}\nspec: {template: {spec: {restartPolicy: Never, containers: [{name: c, image: busybox}]}}}\n",
        );
    repo.commit("hook");
    let names = |args: &[&str]| -> Vec<String> {
        let mut all = vec!["render", "-o", "json"];
        all.extend_from_slice(args);
        let out = json(&crate::harness::gitops_offline(repo.path(), &all).success());
        out["items"]
            .as_array()
            .unwrap()
            .iter()
            .map(|o| {
                o["metadata"]["name"]
                    .as_str()
                    .or(o["metadata"]["generateName"].as_str())
                    .unwrap()
                    .to_string()
            })
            .collect()
    };
    assert_eq!(names(&[]), ["app"]);
    assert_eq!(names(&["--include-hooks"]), ["app", "migrate-"]);
}

#[test]
fn respect_ignore_differences_keeps_ignored_fields_on_apply() {
    let ns = TestNamespace::new("srespect");
    let rec = TestNamespace::new("rec");
    let repo = repo();
    let deploy = |image: &str| {
        format!(
            "apiVersion: apps/v1\nkind: Deployment\nmetadata: {{name: web}}\nspec:\n  replicas: 1\n  selector: {{matchLabels: {{app: web}}}}\n  template:\n    metadata: {{labels: {{app: web}}}}\n    spec: {{containers: [{{name: c, image: {image}}}]}}\n"
        )
    };
    let rules = "  ignoreDifferences:\n  - {group: apps, kind: Deployment, jsonPointers: [/spec/replicas]}\n";
    let respect = "  syncPolicy: {syncOptions: [RespectIgnoreDifferences=true]}\n";
    repo.write(
        "root.yaml",
        &application("web", "web", &ns.name, &format!("{rules}{respect}"), ""),
    )
    .write("web/deploy.yaml", &deploy("nginx:1.27"));
    repo.commit("app");
    gitops(&repo, &rec, &["sync"]).success();
    // An autoscaler (here: kubectl) owns the replica count.
    kubectl_ok(&["scale", "-n", &ns.name, "deployment/web", "--replicas=2"]);
    repo.write("web/deploy.yaml", &deploy("nginx:1.28"));
    repo.commit("new image");
    gitops(&repo, &rec, &["sync"]).success();
    let d = get(&ns.name, "deployment/web").unwrap();
    assert_eq!(
        d["spec"]["template"]["spec"]["containers"][0]["image"],
        "nginx:1.28"
    );
    assert_eq!(
        d["spec"]["replicas"], 2,
        "the ignored field kept its live value"
    );
    // Without the option, Git's value is applied, as Argo CD does.
    repo.write("root.yaml", &application("web", "web", &ns.name, rules, ""));
    repo.commit("without RespectIgnoreDifferences");
    gitops(&repo, &rec, &["sync"]).success();
    assert_eq!(
        get(&ns.name, "deployment/web").unwrap()["spec"]["replicas"],
        1
    );
}

#[test]
fn sync_options_replace_create_namespace_prune_false_and_validate_false() {
    let rec = TestNamespace::new("rec");
    let ns = format!("t-sopts-{}", std::process::id());
    let repo = repo();
    let policy = "  syncPolicy:\n    syncOptions: [CreateNamespace=true]\n    managedNamespaceMetadata: {labels: {team: platform}, annotations: {owner: ops}}\n";
    repo.write("root.yaml", &application("opts", "opts", &ns, policy, ""))
        .write(
            "opts/replaced.yaml",
            &configmap("replaced", "1", "  annotations: {argocd.argoproj.io/sync-options: Replace=true}\n"),
        )
        .write(
            "opts/kept.yaml",
            &configmap("kept", "1", "  annotations: {argocd.argoproj.io/sync-options: Prune=false}\n"),
        )
        .write(
            "opts/loose.yaml",
            "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: loose\n  annotations: {argocd.argoproj.io/sync-options: Validate=false}\ndata: {value: \"1\"}\nnotAField: true\n",
        );
    repo.commit("options");
    let out = gitops(&repo, &rec, &["sync"]).success();
    let namespace = get("", &format!("namespace/{ns}")).expect("CreateNamespace=true made it");
    assert_eq!(
        namespace["metadata"]["labels"]["team"], "platform",
        "{out:#?}"
    );
    assert_eq!(namespace["metadata"]["annotations"]["owner"], "ops");
    assert!(
        get(&ns, "configmap/loose").is_some(),
        "Validate=false lets an unknown field through"
    );
    // Replace=true: the change goes in with an update (PUT), not an apply.
    repo.write(
        "opts/replaced.yaml",
        &configmap(
            "replaced",
            "2",
            "  annotations: {argocd.argoproj.io/sync-options: Replace=true}\n",
        ),
    );
    repo.remove("opts/kept.yaml");
    repo.commit("replace one, drop the other");
    let out = gitops(&repo, &rec, &["sync", "--prune"]).success();
    assert!(
        out.stderr
            .contains(&format!("ConfigMap {ns}/replaced replaced")),
        "{out:#?}"
    );
    assert_eq!(
        get(&ns, "configmap/replaced").unwrap()["data"]["value"],
        "2"
    );
    assert!(
        writes_in(&ns)
            .iter()
            .any(|w| w.1 == "update" && w.3 == "replaced"),
        "{:#?}",
        writes_in(&ns)
    );
    // Prune=false: shown, never deleted.
    assert!(get(&ns, "configmap/kept").is_some(), "{out:#?}");
    let diff = gitops(&repo, &rec, &["diff"]).code(1);
    assert!(
        diff.stdout
            .contains(&format!("- ConfigMap {ns}/kept (to prune)")),
        "{diff:#?}"
    );
    let _ = crate::harness::run(crate::harness::kubectl(Some(&cluster_kubeconfig())).args([
        "delete",
        "namespace",
        &ns,
        "--wait=false",
    ]));
}

#[test]
fn skip_dry_run_on_missing_resource_applies_a_kind_served_by_its_wave() {
    let ns = TestNamespace::new("sskipdry");
    let rec = TestNamespace::new("rec");
    let repo = repo();
    let group = format!("skip{}.example.com", std::process::id());
    // Wave 0 cannot become healthy until the test lets it (no node matches); wave 1 is an
    // object of a kind no cluster serves and no CRD of the tree defines.
    let gate = "apiVersion: apps/v1\nkind: Deployment\nmetadata:\n  name: gate\nspec:\n  replicas: 1\n  selector: {matchLabels: {app: gate}}\n  template:\n    metadata: {labels: {app: gate}}\n    spec: {nodeSelector: {opened: \"no\"}, containers: [{name: c, image: nginx}]}\n";
    let widget = format!(
        "apiVersion: {group}/v1\nkind: Widget\nmetadata:\n  name: w\n  annotations: {{argocd.argoproj.io/sync-wave: \"1\", argocd.argoproj.io/sync-options: SkipDryRunOnMissingResource=true}}\nspec: {{size: 3}}\n"
    );
    repo.write(
        "root.yaml",
        &application("skipdry", "skipdry", &ns.name, "", ""),
    )
    .write("skipdry/gate.yaml", gate)
    .write("skipdry/widget.yaml", &widget);
    repo.commit("a kind served later");
    // Without the option the plan refuses the unknown kind before applying anything.
    let plain = widget.replace(
        ", argocd.argoproj.io/sync-options: SkipDryRunOnMissingResource=true",
        "",
    );
    let strict = GitRepo::new();
    strict.git(&["remote", "add", "origin", URL]);
    strict
        .write("root.yaml", &application("strict", "s", &ns.name, "", ""))
        .write("s/widget.yaml", &plain);
    strict.commit("no option");
    let out = gitops(&strict, &rec, &["sync"]).code(1);
    assert!(
        out.stderr.contains("is not served by the cluster")
            && result_line(&out, "strict").contains("Failed"),
        "{out:#?}"
    );

    let crd = format!(
        "apiVersion: apiextensions.k8s.io/v1\nkind: CustomResourceDefinition\nmetadata: {{name: widgets.{group}}}\nspec:\n  group: {group}\n  scope: Namespaced\n  names: {{plural: widgets, singular: widget, kind: Widget, listKind: WidgetList}}\n  versions:\n  - name: v1\n    served: true\n    storage: true\n    schema: {{openAPIV3Schema: {{type: object, x-kubernetes-preserve-unknown-fields: true}}}}\n"
    );
    let synced = std::thread::scope(|s| {
        let sync = s.spawn(|| gitops(&repo, &rec, &["sync", "--timeout", "90s"]));
        // While the sync waits on wave 0, the kind comes to be served (as an operator's CRDs
        // would), and then wave 0 is let through.
        let deadline = std::time::Instant::now() + std::time::Duration::from_secs(60);
        while get(&ns.name, "deployment/gate").is_none() {
            assert!(std::time::Instant::now() < deadline, "wave 0 never applied");
            std::thread::sleep(std::time::Duration::from_millis(200));
        }
        kubectl_stdin(&["apply", "-f", "-"], &crd);
        kubectl_ok(&[
            "wait",
            "--for=condition=Established",
            &format!("crd/widgets.{group}"),
            "--timeout=60s",
        ]);
        kubectl_ok(&[
            "patch",
            "-n",
            &ns.name,
            "deployment/gate",
            "--type=json",
            "-p",
            r#"[{"op":"remove","path":"/spec/template/spec/nodeSelector"}]"#,
        ]);
        sync.join().unwrap()
    });
    let widget_live = get(&ns.name, &format!("widgets.{group}/w"));
    kubectl_ok(&["delete", "crd", &format!("widgets.{group}"), "--wait=false"]);
    assert_eq!(synced.code, 0, "{synced:#?}");
    assert_eq!(widget_live.unwrap()["spec"]["size"], 3);
}

#[test]
fn a_degraded_object_stops_the_sync_before_the_timeout() {
    let ns = TestNamespace::new("sdegraded");
    let rec = TestNamespace::new("rec");
    let repo = repo();
    // No node matches and the progress deadline is a second: the Deployment controller marks
    // it ProgressDeadlineExceeded, which Argo CD's rule calls Degraded.
    let doomed = "apiVersion: apps/v1\nkind: Deployment\nmetadata:\n  name: doomed\nspec:\n  replicas: 1\n  progressDeadlineSeconds: 1\n  selector: {matchLabels: {app: doomed}}\n  template:\n    metadata: {labels: {app: doomed}}\n    spec:\n      nodeSelector: {no-such-node: \"true\"}\n      containers: [{name: c, image: nginx}]\n";
    repo.write(
        "root.yaml",
        &application("doomed", "doomed", &ns.name, "", ""),
    )
    .write("doomed/deploy.yaml", doomed)
    .write("doomed/later.yaml", &configmap("later", "1", &wave(1)));
    repo.commit("doomed");
    let started = std::time::Instant::now();
    let out = gitops(&repo, &rec, &["sync", "--timeout", "120s"]).code(1);
    assert!(
        started.elapsed().as_secs() < 60,
        "stopped when Degraded, not at the timeout: {out:#?}"
    );
    assert!(
        out.stdout
            .contains(&format!("Deployment {}/doomed is Degraded", ns.name)),
        "{out:#?}"
    );
    assert!(result_line(&out, "doomed").contains("Failed"), "{out:#?}");
    assert!(
        get(&ns.name, "configmap/later").is_none(),
        "later waves do not start"
    );
}

#[test]
fn sync_app_syncs_that_app_and_its_children_only() {
    let ns = TestNamespace::new("sscope");
    let rec = TestNamespace::new("rec");
    let repo = repo();
    repo.write("root.yaml", &application("root", "apps", "argocd", "", ""))
        .write(
            "apps/parent.yaml",
            &application("parent", "parent", &ns.name, "", ""),
        )
        .write(
            "apps/other.yaml",
            &application("other", "other", &ns.name, "", ""),
        )
        .write(
            "parent/child.yaml",
            &application("child", "child", &ns.name, "", ""),
        )
        .write("parent/cm.yaml", &configmap("parent-cm", "1", ""))
        .write("child/cm.yaml", &configmap("child-cm", "1", ""))
        .write("other/cm.yaml", &configmap("other-cm", "1", ""));
    repo.commit("three apps under a root");
    let out = gitops(&repo, &rec, &["sync", "--app", "parent"]).success();
    assert!(get(&ns.name, "configmap/parent-cm").is_some(), "{out:#?}");
    assert!(get(&ns.name, "configmap/child-cm").is_some(), "{out:#?}");
    assert!(
        get(&ns.name, "configmap/other-cm").is_none(),
        "an app not named is not synced: {out:#?}"
    );
    let apps: Vec<&str> = out
        .stdout
        .lines()
        .skip(1)
        .filter_map(|l| l.split_whitespace().next())
        .filter(|w| !w.ends_with(':'))
        .collect();
    assert!(
        apps.contains(&"parent") && apps.contains(&"child") && !apps.contains(&"other"),
        "{out:#?}"
    );
}

#[test]
fn fail_on_shared_resource_refuses_an_object_another_app_tracks() {
    let ns = TestNamespace::new("sshared");
    let rec = TestNamespace::new("rec");
    let repo = repo();
    repo.write("root.yaml", &application("root", "apps", "argocd", "", ""))
        .write(
            "apps/first.yaml",
            &application("first", "first", &ns.name, "", ""),
        )
        .write("first/cm.yaml", &configmap("shared", "first", ""));
    repo.commit("first app");
    gitops(&repo, &rec, &["sync"]).success();
    // A second app that renders the same object, with FailOnSharedResource: refused, as Argo
    // CD refuses it, and the object stays the first app's.
    let second = |options: &str| application("second", "second", &ns.name, options, "");
    repo.write(
        "apps/second.yaml",
        &second("  syncPolicy: {syncOptions: [FailOnSharedResource=true]}\n"),
    )
    .write("second/cm.yaml", &configmap("shared", "second", ""));
    repo.commit("second app, same object");
    let out = gitops(&repo, &rec, &["sync", "--app", "second"]).code(1);
    assert!(
        out.stdout.contains(&format!(
            "ConfigMap {}/shared (second/cm.yaml (document 1)) is also tracked by app \"first\" (FailOnSharedResource=true)",
            ns.name
        )),
        "{out:#?}"
    );
    assert_eq!(
        get(&ns.name, "configmap/shared").unwrap()["data"]["value"],
        "first"
    );
    // Without the option it is a warning, and the sync goes on.
    repo.write("apps/second.yaml", &second(""));
    repo.commit("second app without the option");
    let out = gitops(&repo, &rec, &["sync", "--app", "second"]).success();
    assert!(
        out.stderr.contains("is also tracked by app \"first\""),
        "{out:#?}"
    );
    assert_eq!(
        get(&ns.name, "configmap/shared").unwrap()["data"]["value"],
        "second"
    );
}
