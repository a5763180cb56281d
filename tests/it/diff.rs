//! `kubectl gitops diff` against the real API server, on setups made with plain kubectl.

use serde_json::Value;

use crate::gitrepo::GitRepo;
use crate::harness::{Run, TestNamespace, gitops_in, json, kubectl_ok, kubectl_stdin};

const URL: &str = "https://git.example.com/lab/apps.git";

fn root_app(name: &str, ns: &str, extra_spec: &str) -> String {
    format!(
        "apiVersion: argoproj.io/v1alpha1\nkind: Application\nmetadata: {{name: {name}, namespace: argocd}}\nspec:\n  source: {{repoURL: \"{URL}\", path: {name}}}\n  destination: {{server: \"https://kubernetes.default.svc\", namespace: {ns}}}\n{extra_spec}"
    )
}

const CONFIGMAP: &str = "apiVersion: v1\nkind: ConfigMap\nmetadata: {name: settings}\ndata: {value: one, ignored: git, managed: git}\n";
const DEPLOYMENT: &str = "apiVersion: apps/v1\nkind: Deployment\nmetadata: {name: web}\nspec:\n  replicas: 1\n  selector: {matchLabels: {app: web}}\n  template:\n    metadata: {labels: {app: web}}\n    spec: {containers: [{name: web, image: nginx}]}\n";
const SECRET: &str = "apiVersion: v1\nkind: Secret\nmetadata: {name: creds}\nstringData: {password: s3cr3t-in-git, token: same-t0ken}\n";

/// A repo with one app `web` (ConfigMap, Deployment, Secret) deployed to `ns` with kubectl.
fn deployed(ns: &TestNamespace, extra_spec: &str) -> GitRepo {
    let repo = GitRepo::new();
    repo.git(&["remote", "add", "origin", URL]);
    repo.write("root.yaml", &root_app("web", &ns.name, extra_spec))
        .write("web/cm.yaml", CONFIGMAP)
        .write("web/deploy.yaml", DEPLOYMENT)
        .write("web/secret.yaml", SECRET);
    repo.commit("web");
    let dir = repo.path().join("web");
    kubectl_ok(&["apply", "-n", &ns.name, "-f", dir.to_str().unwrap()]);
    repo
}

fn diff(repo: &GitRepo, args: &[&str]) -> Run {
    let mut all = vec!["diff"];
    all.extend_from_slice(args);
    gitops_in(repo.path(), &all).no_panic()
}

#[test]
fn identical_state_is_synced_even_with_server_defaults_and_other_managers_fields() {
    let ns = TestNamespace::new("dsame");
    let repo = deployed(&ns, "");
    // Another manager adds a field Git does not set: not a difference.
    kubectl_ok(&["label", "-n", &ns.name, "deployment/web", "team=platform"]);
    let out = diff(&repo, &[]).code(0);
    assert!(out.stdout.contains("web: Synced"), "{out:#?}");
    assert!(!out.stdout.contains("@@"), "{out:#?}");
}

#[test]
fn hand_edit_is_drift_with_the_manager_that_made_it() {
    let ns = TestNamespace::new("ddrift");
    let repo = deployed(&ns, "");
    kubectl_ok(&[
        "patch",
        "-n",
        &ns.name,
        "configmap/settings",
        "--type=merge",
        "-p",
        r#"{"data":{"value":"by-hand"}}"#,
    ]);
    kubectl_ok(&["scale", "-n", &ns.name, "deployment/web", "--replicas=2"]);
    let out = diff(&repo, &[]).code(1);
    assert!(
        out.stdout
            .contains("web: OutOfSync (0 added, 2 changed, 0 to prune)"),
        "{out:#?}"
    );
    assert!(
        out.stdout.contains(&format!(
            "~ Deployment {}/web DRIFT DETECTED (changed by kubectl/scale)",
            ns.name
        )),
        "{out:#?}"
    );
    assert!(
        out.stdout.contains(&format!(
            "~ ConfigMap {}/settings DRIFT DETECTED (changed by kubectl-patch)",
            ns.name
        )),
        "{out:#?}"
    );
    assert!(
        out.stdout.contains("-  value: by-hand") && out.stdout.contains("+  value: one"),
        "{out:#?}"
    );
}

#[test]
fn git_change_is_a_change_not_drift_and_exit_codes_follow_kubectl_diff() {
    let ns = TestNamespace::new("dgit");
    let repo = deployed(&ns, "");
    repo.write(
        "web/cm.yaml",
        &CONFIGMAP.replace("value: one", "value: two"),
    );
    repo.commit("bump value");
    let out = diff(&repo, &[]).code(1);
    assert!(
        out.stdout
            .contains(&format!("~ ConfigMap {}/settings", ns.name)),
        "{out:#?}"
    );
    assert!(!out.stdout.contains("DRIFT DETECTED"), "{out:#?}");
    assert!(out.stdout.contains("+  value: two"), "{out:#?}");
    diff(&repo, &["--exit-code=false"]).code(0);
    // The older commit is what is deployed: no difference.
    let out = diff(&repo, &["--revision", "HEAD~1"]).code(0);
    assert!(out.stdout.contains("web: Synced"), "{out:#?}");
}

#[test]
fn objects_tracked_to_the_app_but_gone_from_git_are_shown_for_pruning() {
    let ns = TestNamespace::new("dprune");
    let repo = deployed(&ns, "");
    let tracked = |name: &str, app: &str| {
        format!(
            "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: {name}\n  namespace: {}\n  annotations:\n    argocd.argoproj.io/tracking-id: {app}:/ConfigMap:{}/{name}\ndata: {{k: v}}\n",
            ns.name, ns.name
        )
    };
    kubectl_stdin(&["apply", "-f", "-"], &tracked("leftover", "web")).success();
    kubectl_stdin(&["apply", "-f", "-"], &tracked("not-ours", "another-app")).success();
    let out = diff(&repo, &[]).code(1);
    assert!(
        out.stdout
            .contains("web: OutOfSync (0 added, 0 changed, 1 to prune)"),
        "{out:#?}"
    );
    assert!(
        out.stdout
            .contains(&format!("- ConfigMap {}/leftover (to prune)", ns.name)),
        "{out:#?}"
    );
    assert!(!out.stdout.contains("not-ours"), "{out:#?}");
}

#[test]
fn secret_values_are_masked_and_changed_keys_named_in_every_format() {
    let ns = TestNamespace::new("dsecret");
    let repo = deployed(&ns, "");
    repo.write(
        "web/secret.yaml",
        &SECRET.replace("s3cr3t-in-git", "n3w-s3cr3t"),
    );
    repo.commit("rotate password");
    for format in ["text", "json", "markdown"] {
        let out = diff(&repo, &["-o", format]).code(1);
        for secret in [
            "s3cr3t-in-git",
            "n3w-s3cr3t",
            "same-t0ken",
            "czNjcjN0LWluLWdpdA",
            "bjN3LXMzY3IzdA",
            "c2FtZS10MGtlbg",
        ] {
            assert!(
                !out.stdout.contains(secret),
                "{format} output leaks {secret}: {out:#?}"
            );
            assert!(
                !out.stderr.contains(secret),
                "{format} stderr leaks {secret}"
            );
        }
        assert!(out.stdout.contains("password"), "{format}: {out:#?}");
    }
    let out = json(&diff(&repo, &["-o", "json"]).code(1));
    let secret = out["apps"][0]["objects"]
        .as_array()
        .unwrap()
        .iter()
        .find(|o| o["kind"] == "Secret")
        .unwrap()
        .clone();
    assert_eq!(secret["secretKeys"], serde_json::json!(["password"]));
    let text = secret["diff"].as_str().unwrap();
    assert!(
        text.contains("token: ++++++++"),
        "an unchanged value keeps one mask on both sides: {text}"
    );
    assert!(
        !text.contains("-    token") && !text.contains("+    token"),
        "{text}"
    );
}

#[test]
fn crds_and_their_custom_resources_diff_as_new_on_an_empty_cluster() {
    let ns = TestNamespace::new("dcrd");
    let gw = crate::harness::GatewayApi::new();
    let repo = GitRepo::new();
    repo.git(&["remote", "add", "origin", URL]);
    repo.write("root.yaml", &root_app("gw", &ns.name, ""));
    for f in [
        "gateway.networking.k8s.io_gatewayclasses.yaml",
        "gateway.networking.k8s.io_gateways.yaml",
        "gateway.networking.k8s.io_httproutes.yaml",
        "basic-http.yaml",
    ] {
        repo.write(&format!("gw/{f}"), &gw.file(f));
    }
    repo.commit("gateway api");
    let out = diff(&repo, &[]).code(1);
    assert!(
        out.stdout
            .contains("gw: OutOfSync (6 added, 0 changed, 0 to prune)"),
        "{out:#?}"
    );
    assert!(
        out.stdout.contains(&format!(
            "+ CustomResourceDefinition {} (added)",
            gw.crd("gateways")
        )),
        "{out:#?}"
    );
    assert!(
        out.stdout
            .contains(&format!("+ HTTPRoute {}/http-app-1 (added)", ns.name)),
        "{out:#?}"
    );
    assert!(
        out.stdout.contains("+ GatewayClass example (added)"),
        "{out:#?}"
    );
    assert_eq!(out.stderr, "", "{out:#?}");
}

#[test]
fn a_kind_unknown_to_cluster_and_tree_is_an_error_naming_the_object() {
    let ns = TestNamespace::new("dunknown");
    let repo = GitRepo::new();
    repo.git(&["remote", "add", "origin", URL]);
    repo.write("root.yaml", &root_app("ghosts", &ns.name, ""))
        .write(
            "ghosts/g.yaml",
            "apiVersion: nothere.example.com/v1\nkind: Ghost\nmetadata: {name: boo}\n",
        );
    repo.commit("ghost");
    let out = diff(&repo, &[]).code(2);
    assert!(
        out.stderr.contains(&format!(
            "app \"ghosts\": Ghost {}/boo (ghosts/g.yaml (document 1)): nothere.example.com/v1 Ghost is not served by the cluster of context \"kgitops-test\" and no CustomResourceDefinition in the tree defines it",
            ns.name
        )),
        "{out:#?}"
    );
}

#[test]
fn ignore_differences_in_each_form() {
    let ns = TestNamespace::new("dignore");
    let rules = "  ignoreDifferences:\n  - {group: apps, kind: Deployment, jsonPointers: [/spec/replicas]}\n  - {kind: ConfigMap, jqPathExpressions: [.data.ignored]}\n  - {kind: ConfigMap, name: settings, managedFieldsManagers: [external-tool]}\n";
    let repo = deployed(&ns, rules);
    kubectl_ok(&["scale", "-n", &ns.name, "deployment/web", "--replicas=3"]);
    kubectl_ok(&[
        "patch",
        "-n",
        &ns.name,
        "configmap/settings",
        "--type=merge",
        "-p",
        r#"{"data":{"ignored":"x"}}"#,
    ]);
    kubectl_ok(&[
        "patch",
        "-n",
        &ns.name,
        "configmap/settings",
        "--type=merge",
        "--field-manager=external-tool",
        "-p",
        r#"{"data":{"managed":"tool"}}"#,
    ]);
    let out = diff(&repo, &[]).code(0);
    assert!(out.stdout.contains("web: Synced"), "{out:#?}");
    // Without the rules the same cluster is out of sync on all three fields.
    repo.write("root.yaml", &root_app("web", &ns.name, ""));
    repo.commit("drop rules");
    let out = diff(&repo, &["-o", "json"]).code(1);
    let doc = json(&out);
    let text: String = doc["apps"][0]["objects"]
        .as_array()
        .unwrap()
        .iter()
        .map(|o| o["diff"].as_str().unwrap().to_string())
        .collect();
    assert!(
        text.contains("replicas: 3")
            && text.contains("ignored: x")
            && text.contains("managed: tool"),
        "{text}"
    );
}

#[test]
fn json_and_markdown_outputs() {
    let ns = TestNamespace::new("dfmt");
    let repo = deployed(&ns, "");
    repo.write(
        "web/new.yaml",
        "apiVersion: v1\nkind: ConfigMap\nmetadata: {name: fresh}\ndata: {a: b}\n",
    );
    repo.commit("new object");
    let doc: Value = json(&diff(&repo, &["-o", "json"]).code(1));
    let app = &doc["apps"][0];
    assert_eq!(app["name"], "web");
    assert_eq!(app["status"], "OutOfSync");
    assert_eq!(
        app["counts"],
        serde_json::json!({"added": 1, "changed": 0, "pruned": 0})
    );
    let obj = &app["objects"][0];
    assert_eq!(
        (
            obj["group"].as_str(),
            obj["kind"].as_str(),
            obj["name"].as_str()
        ),
        (Some(""), Some("ConfigMap"), Some("fresh"))
    );
    assert_eq!(obj["namespace"], ns.name.as_str());
    assert_eq!(obj["change"], "added");
    assert_eq!(obj["drift"], false);
    assert!(obj["diff"].as_str().unwrap().contains("+  a: b"));
    assert_eq!(doc["summary"]["outOfSync"], 1);
    let md = diff(&repo, &["-o", "markdown"]).code(1).stdout;
    assert!(
        md.contains("### `web`: OutOfSync (1 added, 0 changed, 0 to prune)"),
        "{md}"
    );
    assert!(md.contains("```diff\n"), "{md}");
    assert!(md.contains(&format!("ConfigMap {}/fresh", ns.name)), "{md}");
}

#[test]
fn text_is_coloured_only_when_asked_or_on_a_terminal() {
    let ns = TestNamespace::new("dcolor");
    let repo = deployed(&ns, "");
    repo.write(
        "web/cm.yaml",
        &CONFIGMAP.replace("value: one", "value: two"),
    );
    repo.commit("change");
    let plain = diff(&repo, &[]).code(1);
    assert!(!plain.stdout.contains('\x1b'), "not a terminal: no colour");
    let coloured = diff(&repo, &["--color=always"]).code(1);
    assert!(
        coloured.stdout.contains("\x1b[32m+  value: two"),
        "{coloured:#?}"
    );
    assert!(
        coloured.stdout.contains("\x1b[31m-  value: one"),
        "{coloured:#?}"
    );
}

#[test]
fn invalid_ignore_differences_fail_their_app_once() {
    let ns = TestNamespace::new("dbadrule");
    let repo = deployed(
        &ns,
        "  ignoreDifferences:\n  - {kind: ConfigMap, jqPathExpressions: ['.data[']}\n",
    );
    let out = diff(&repo, &[]).code(2);
    let lines: Vec<&str> = out.stderr.lines().collect();
    assert_eq!(lines.len(), 1, "{out:#?}");
    assert!(
        lines[0].starts_with("error: app \"web\": spec.ignoreDifferences:"),
        "{out:#?}"
    );
}
