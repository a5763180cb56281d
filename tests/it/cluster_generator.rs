//! The ApplicationSet cluster generator over real Argo CD cluster metadata: cluster secrets from
//! `--clusters FILE` or from the cluster's Argo CD namespace, selected on labels and templated
//! from annotations (the GitOps-bridge pattern), never showing a secret's credentials.

use serde_json::Value;

use crate::gitrepo::{GitRepo, app, configmap};
use crate::harness::{
    Run, TestNamespace, app_names, gitops_in, gitops_offline, json, kubectl_stdin, tempdir,
};

const URL: &str = "https://git.example.com/lab/apps.git";
const TOKEN: &str = "SECRET-TOKEN-never-shown-4711";

/// A cluster secret as Argo CD's declarative setup writes it, credentials included.
fn cluster_secret(name: &str, server: &str, labels: &str, annotations: &str) -> String {
    format!(
        "apiVersion: v1\nkind: Secret\nmetadata:\n  name: {name}-cluster\n  labels:\n    argocd.argoproj.io/secret-type: cluster\n{labels}  annotations:\n    addons_repo_url: {URL}\n{annotations}type: Opaque\nstringData:\n  name: {name}\n  server: {server}\n  config: '{{\"bearerToken\": \"{TOKEN}\", \"tlsClientConfig\": {{\"insecure\": true}}}}'\n"
    )
}

/// A repo with GitOps-bridge style ApplicationSets: an add-on enabled per cluster by a label,
/// its repository and revision taken from the cluster's annotations.
fn bridge_repo() -> GitRepo {
    let repo = GitRepo::new();
    repo.git(&["remote", "add", "origin", URL]);
    repo.write("root.yaml", &app("root", URL, "bootstrap", "argocd"))
        .write(
            "bootstrap/ingress.yaml",
            r#"apiVersion: argoproj.io/v1alpha1
kind: ApplicationSet
metadata:
  name: addons-ingress
  namespace: argocd
  annotations:
    argocd.argoproj.io/sync-wave: "-3"
spec:
  goTemplate: true
  generators:
  - clusters:
      selector:
        matchExpressions:
        - {key: enable_ingress_nginx, operator: In, values: ["true"]}
  template:
    metadata:
      name: 'ingress-{{.name}}'
    spec:
      project: default
      source:
        repoURL: '{{.metadata.annotations.addons_repo_url}}'
        targetRevision: '{{.metadata.annotations.addons_repo_revision}}'
        path: addons/ingress
      destination:
        server: '{{.server}}'
        namespace: ingress
"#,
        )
        .write(
            "bootstrap/all.yaml",
            r#"apiVersion: argoproj.io/v1alpha1
kind: ApplicationSet
metadata:
  name: addons-all
  namespace: argocd
spec:
  generators:
  - clusters:
      selector:
        matchLabels:
          argocd.argoproj.io/secret-type: cluster
  template:
    metadata:
      name: 'base-{{name}}'
      annotations:
        argocd.argoproj.io/sync-wave: '{{metadata.annotations.wave}}'
    spec:
      project: default
      source: {repoURL: 'https://git.example.com/lab/apps.git', path: addons/base}
      destination: {server: '{{server}}', namespace: 'base-{{metadata.labels.env}}'}
"#,
        )
        .write(
            "bootstrap/staging.yaml",
            r#"apiVersion: argoproj.io/v1alpha1
kind: ApplicationSet
metadata:
  name: staging-only
  namespace: argocd
spec:
  generators:
  - clusters:
      selector:
        matchLabels: {env: staging}
  template:
    metadata: {name: 'staging-{{name}}'}
    spec:
      project: default
      source: {repoURL: 'https://git.example.com/lab/apps.git', path: addons/base}
      destination: {server: '{{server}}', namespace: staging}
"#,
        )
        .write("addons/ingress/cm.yaml", &configmap("ingress", "on"))
        .write("addons/base/cm.yaml", &configmap("base", "on"));
    repo.commit("gitops bridge");
    repo
}

fn field(tree: &Value, app: &str, pointer: &str) -> Value {
    tree["apps"]
        .as_array()
        .unwrap()
        .iter()
        .find(|a| a["name"] == app)
        .and_then(|a| a.pointer(pointer))
        .cloned()
        .unwrap_or(Value::Null)
}

#[track_caller]
fn assert_no_credentials(runs: &[&Run]) {
    for r in runs {
        assert!(
            !r.stdout.contains(TOKEN) && !r.stderr.contains(TOKEN),
            "a cluster secret's config was shown: {r:#?}"
        );
        assert!(!r.stdout.contains("bearerToken"), "{r:#?}");
    }
}

#[test]
fn clusters_from_a_file_of_secrets_select_on_labels_and_template_annotations() {
    let repo = bridge_repo();
    let dir = tempdir();
    let file = dir.path().join("clusters.yaml");
    std::fs::write(
        &file,
        [
            cluster_secret(
                "prod",
                "https://prod.example.com:6443",
                "    enable_ingress_nginx: \"true\"\n    env: prod\n",
                "    addons_repo_revision: HEAD\n    wave: \"5\"\n",
            ),
            cluster_secret(
                "dev",
                "https://dev.example.com:6443/",
                "    enable_ingress_nginx: \"false\"\n    env: dev\n",
                "    addons_repo_revision: HEAD\n    wave: \"2\"\n",
            ),
        ]
        .join("---\n"),
    )
    .unwrap();
    let file = file.to_str().unwrap();
    let out = gitops_offline(repo.path(), &["tree", "-o", "json", "--clusters", file])
        .success()
        .no_panic();
    let tree = json(&out);
    assert_eq!(tree["errors"], Value::Array(vec![]), "{out:#?}");
    let names = app_names(&tree);
    // Only the labelled cluster gets the add-on; every secret gets the base, and no implicit
    // in-cluster joins a selector (the local cluster has no secret, so no labels).
    assert_eq!(
        names,
        ["root", "base-prod", "base-dev", "ingress-prod"],
        "{out:#?}"
    );
    assert_eq!(field(&tree, "ingress-prod", "/sources/0/repoURL"), URL);
    assert_eq!(
        field(&tree, "ingress-prod", "/destination/server"),
        "https://prod.example.com:6443"
    );
    assert_eq!(
        field(&tree, "base-dev", "/destination/server"),
        "https://dev.example.com:6443",
        "Argo CD keeps servers without a trailing slash"
    );
    assert_eq!(
        field(&tree, "base-dev", "/destination/namespace"),
        "base-dev"
    );
    // Generated apps have their own waves, not the ApplicationSet's (-3).
    assert_eq!(field(&tree, "ingress-prod", "/wave"), 0);
    assert_eq!(field(&tree, "base-prod", "/wave"), 5);
    assert_eq!(field(&tree, "base-dev", "/wave"), 2);
    // A selector that matches no cluster is a warning, not silence.
    assert!(
        out.stderr
            .contains("warning: ApplicationSet \"staging-only\"")
            && out.stderr.contains("matches no cluster (known: prod, dev)"),
        "{out:#?}"
    );
    let text = gitops_offline(repo.path(), &["tree", "--clusters", file]).success();
    let rendered = gitops_offline(repo.path(), &["render", "--clusters", file]).success();
    assert_no_credentials(&[&out, &text, &rendered]);

    // Without secrets, the kubeconfig's contexts stand for them: with none, only the local
    // cluster, which no selector matches.
    let out = gitops_offline(repo.path(), &["tree", "-o", "json"]).success();
    assert_eq!(app_names(&json(&out)), ["root"], "{out:#?}");
}

#[test]
fn clusters_from_the_argo_cd_namespace_of_the_cluster() {
    let ns = TestNamespace::new("argocd-clusters");
    let repo = bridge_repo();
    let secrets = [
        cluster_secret(
            "prod",
            "https://prod.example.com:6443",
            "    enable_ingress_nginx: \"true\"\n    env: prod\n",
            "    addons_repo_revision: HEAD\n",
        ),
        cluster_secret(
            "edge",
            "https://edge.example.com:6443",
            "    env: edge\n",
            "    addons_repo_revision: HEAD\n",
        ),
        // A repository secret in the same namespace is not a cluster.
        "apiVersion: v1\nkind: Secret\nmetadata:\n  name: repo\n  labels: {argocd.argoproj.io/secret-type: repository}\nstringData: {url: 'https://git.example.com', password: pw}\n".to_string(),
    ]
    .join("---\n");
    kubectl_stdin(&["apply", "-n", &ns.name, "-f", "-"], &secrets).success();

    let out = gitops_in(
        repo.path(),
        &["tree", "-o", "json", "--argocd-namespace", &ns.name],
    )
    .success()
    .no_panic();
    let tree = json(&out);
    // The API server lists secrets by name: edge-cluster, then prod-cluster.
    assert_eq!(
        app_names(&tree),
        ["root", "base-edge", "base-prod", "ingress-prod"],
        "{out:#?}"
    );
    assert_eq!(
        field(&tree, "base-edge", "/destination/namespace"),
        "base-edge"
    );
    let text = gitops_in(repo.path(), &["tree", "--argocd-namespace", &ns.name]).success();
    assert_no_credentials(&[&out, &text]);

    // A namespace holding none: the kubeconfig's contexts stand in.
    let empty = TestNamespace::new("argocd-none");
    let out = gitops_in(
        repo.path(),
        &["tree", "-o", "json", "--argocd-namespace", &empty.name],
    )
    .success();
    assert_eq!(app_names(&json(&out)), ["root"], "{out:#?}");
}
