//! Real Argo CD repositories read unchanged: the root forms people use, directory sources with
//! YAML that is not a manifest, `null` where Argo CD reads an empty value, and `--app` scoping.

use crate::gitrepo::{GitRepo, app, configmap};
use crate::harness::{app_names, gitops_offline, json};

const URL: &str = "https://git.example.com/lab/apps.git";

fn objects_of(tree: &serde_json::Value, app: &str) -> Option<u64> {
    tree["apps"].as_array()?.iter().find(|a| a["name"] == app)?["objects"].as_u64()
}

#[test]
fn directory_sources_skip_yaml_that_is_not_a_manifest() {
    let repo = GitRepo::new();
    repo.git(&["remote", "add", "origin", URL]);
    repo.write("root.yaml", &app("root", URL, "apps", "argocd"))
        .write("apps/web.yaml", &app("web", URL, "web", "web"))
        .write("web/cm.yaml", &configmap("web", "ok"))
        // A chart's values next to the manifests, a Helm repository index, a plain list and a
        // settings file: Argo CD skips each, since none decodes as an object with a kind and
        // none looks like a manifest.
        .write("web/values.yaml", "replicaCount: 2\nimage:\n  repository: nginx\n")
        .write(
            "web/index.yaml",
            "apiVersion: v1\nentries:\n  web:\n  - name: web\n    version: 0.1.0\n    urls: [web-0.1.0.tgz]\ngenerated: \"2024-01-01T00:00:00Z\"\n",
        )
        .write("web/hosts.yaml", "- alpha.example.com\n- beta.example.com\n")
        .write("web/notes.yml", "just some text\n");
    repo.commit("web with unrelated YAML");
    let tree = json(&gitops_offline(repo.path(), &["tree", "-o", "json"]).success());
    assert_eq!(app_names(&tree), ["root", "web"]);
    assert_eq!(objects_of(&tree, "web"), Some(1));

    // A file that looks like a manifest but is broken is still an error, as in Argo CD.
    repo.write(
        "web/broken.yaml",
        "apiVersion: v1\nkind: ConfigMap\nmetadata: {name: x\n",
    );
    let out = gitops_offline(repo.path(), &["tree"]).code(2).no_panic();
    assert!(
        out.stderr.contains("web/broken.yaml: invalid YAML"),
        "{out:#?}"
    );
}

#[test]
fn nulls_read_as_empty_values_and_bad_fields_are_named() {
    let repo = GitRepo::new();
    repo.git(&["remote", "add", "origin", URL]);
    repo.write("charts/web/Chart.yaml", "apiVersion: v2\nname: web\nversion: 0.1.0\n")
        .write("charts/web/values.yaml", "message: default\n")
        .write(
            "charts/web/templates/cm.yaml",
            "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: {{ .Release.Name }}\ndata:\n  message: {{ .Values.message | default \"empty\" | quote }}\n",
        )
        .write(
            "apps/web.yaml",
            &format!(
                "apiVersion: argoproj.io/v1alpha1\nkind: Application\nmetadata:\n  name: web\n  namespace: argocd\n  annotations:\nspec:\n  project:\n  source:\n    repoURL: {URL}\n    path: charts/web\n    targetRevision:\n    helm:\n      valueFiles:\n      parameters:\n      - name: message\n        value: null\n  destination:\n    server: https://kubernetes.default.svc\n    namespace: web\n  syncPolicy:\n    automated:\n    syncOptions:\n  ignoreDifferences:\n"
            ),
        )
        .write(
            "apps/other.yaml",
            &format!(
                "apiVersion: argoproj.io/v1alpha1\nkind: Application\nmetadata: {{name: other, namespace: argocd}}\nspec:\n  source:\n    repoURL: {URL}\n    path: charts/web\n    helm:\n      parameters:\n  destination: {{server: \"https://kubernetes.default.svc\", namespace: other}}\n"
            ),
        );
    repo.commit("nulls");
    let out = gitops_offline(repo.path(), &["render", "-o", "json", "apps"]).success();
    let items = json(&out)["items"].as_array().unwrap().clone();
    let message = |name: &str| {
        items
            .iter()
            .find(|i| i["metadata"]["name"] == name)
            .map(|i| i["data"]["message"].clone())
    };
    // `value: null` is the empty string Argo CD passes to `--set message=`.
    assert_eq!(message("web"), Some("empty".into()), "{out:#?}");
    assert_eq!(message("other"), Some("default".into()), "{out:#?}");

    // A value of the wrong type is an error naming the app and the field path.
    repo.write(
        "apps/other.yaml",
        &format!(
            "apiVersion: argoproj.io/v1alpha1\nkind: Application\nmetadata: {{name: other, namespace: argocd}}\nspec:\n  source:\n    repoURL: {URL}\n    path: charts/web\n    helm:\n      parameters:\n      - {{name: message, value: [1, 2]}}\n  destination: {{server: \"https://kubernetes.default.svc\", namespace: other}}\n"
        ),
    );
    let out = gitops_offline(repo.path(), &["tree", "apps"])
        .code(2)
        .no_panic();
    assert!(
        out.stderr
            .contains("app \"other\": spec.source.helm.parameters[0].value: invalid type"),
        "{out:#?}"
    );
    assert!(out.stdout.contains("web"), "{out:#?}");
}
