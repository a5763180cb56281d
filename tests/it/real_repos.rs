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
        out.stderr.contains(
            "app \"other\": spec.source.helm.parameters[0].value must be a string, not a list"
        ),
        "{out:#?}"
    );
    assert!(out.stdout.contains("web"), "{out:#?}");
}

/// argocd-example-apps' `apps/`: a Helm chart whose templates are the child Applications.
fn chart_of_apps(repo: &GitRepo, dir: &str) {
    repo.write(
        &format!("{dir}/Chart.yaml"),
        "apiVersion: v2\nname: applications\nversion: 0.1.0\n",
    )
    .write(
        &format!("{dir}/values.yaml"),
        &format!(
            "spec:\n  destination:\n    server: https://kubernetes.default.svc\n  source:\n    repoURL: {URL}\n    targetRevision: HEAD\napplications:\n- name: guestbook\n  path: guestbook\n- name: blog\n  path: blog\n"
        ),
    )
    .write(
        &format!("{dir}/templates/applications.yaml"),
        "{{- range .Values.applications }}\n---\napiVersion: argoproj.io/v1alpha1\nkind: Application\nmetadata:\n  name: {{ .name }}\n  namespace: {{ $.Release.Namespace }}\n  annotations:\n    release: {{ $.Release.Name }}\n  finalizers:\n  - resources-finalizer.argocd.argoproj.io\nspec:\n  project: default\n  destination:\n    namespace: {{ .name }}-{{ $.Release.Name }}-{{ $.Release.Namespace }}\n    server: {{ $.Values.spec.destination.server }}\n  source:\n    repoURL: {{ $.Values.spec.source.repoURL }}\n    targetRevision: {{ $.Values.spec.source.targetRevision }}\n    path: {{ .path }}\n{{- end }}\n",
    )
    .write("guestbook/cm.yaml", &configmap("guestbook", "g"))
    .write("blog/cm.yaml", &configmap("blog", "b"));
}

#[test]
fn a_helm_chart_of_applications_is_a_root_and_found_without_root() {
    let repo = GitRepo::new();
    repo.git(&["remote", "add", "origin", URL]);
    chart_of_apps(&repo, "apps");
    // `bootstrap/` comes first among the conventional roots, but holds no Application: the
    // search passes over it.
    repo.write(
        "bootstrap/ns.yaml",
        "apiVersion: v1\nkind: Namespace\nmetadata: {name: argocd}\n",
    );
    repo.commit("chart of apps");
    for args in [
        &["tree", "-o", "json"][..],
        &["tree", "-o", "json", "apps"][..],
    ] {
        let out = gitops_offline(repo.path(), args).success().no_panic();
        let tree = json(&out);
        assert_eq!(app_names(&tree), ["guestbook", "blog"], "{out:#?}");
        assert_eq!(objects_of(&tree, "blog"), Some(1), "{out:#?}");
        // Rendered as `argocd app create apps --path apps --dest-namespace argocd` would:
        // release `apps`, namespace `argocd`.
        assert_eq!(
            tree["apps"][0]["destination"]["namespace"],
            "guestbook-apps-argocd"
        );
        assert_eq!(tree["apps"][0]["definedAt"]["file"], "helm template apps");
    }
    let out = gitops_offline(repo.path(), &["tree", "apps", "--revision", "HEAD"]).success();
    assert!(out.stdout.contains("guestbook"), "{out:#?}");

    // The conventional search says what it passed over when nothing holds Applications.
    std::fs::remove_dir_all(repo.path().join("apps")).unwrap();
    let out = gitops_offline(repo.path(), &["tree"]).code(2).no_panic();
    assert!(
        out.stderr.contains("none of the conventional roots")
            && out
                .stderr
                .contains("bootstrap: holds no Application or ApplicationSet (only 1 Namespace)"),
        "{out:#?}"
    );
}

#[test]
fn a_kustomization_of_applications_is_a_root() {
    let repo = GitRepo::new();
    repo.git(&["remote", "add", "origin", URL]);
    repo.write(
        "bootstrap/kustomization.yaml",
        "apiVersion: kustomize.config.k8s.io/v1beta1\nkind: Kustomization\nnamespace: argocd\ncommonAnnotations:\n  team: platform\nresources:\n- guestbook.yaml\n- blog.yaml\n- project.yaml\n",
    )
    .write("bootstrap/guestbook.yaml", &app("guestbook", URL, "guestbook", "guestbook"))
    .write("bootstrap/blog.yaml", &app("blog", URL, "blog", "blog"))
    .write(
        "bootstrap/project.yaml",
        "apiVersion: argoproj.io/v1alpha1\nkind: AppProject\nmetadata: {name: platform}\nspec: {}\n",
    )
    .write("guestbook/cm.yaml", &configmap("guestbook", "g"))
    .write("blog/cm.yaml", &configmap("blog", "b"));
    repo.commit("kustomization root");
    let out = gitops_offline(repo.path(), &["tree", "-o", "json", "bootstrap"])
        .success()
        .no_panic();
    let tree = json(&out);
    assert_eq!(app_names(&tree), ["blog", "guestbook"], "{out:#?}");
    assert_eq!(objects_of(&tree, "guestbook"), Some(1));
    // What else the root holds is deployed by nothing: said, not an error.
    assert!(
        out.stderr
            .contains("warning: ROOT bootstrap also holds 1 AppProject"),
        "{out:#?}"
    );
    // The default search finds it too.
    let out = gitops_offline(repo.path(), &["tree", "-o", "json"]).success();
    assert_eq!(app_names(&json(&out)), ["blog", "guestbook"], "{out:#?}");

    // A ROOT that yields no Application is an error, not an empty tree.
    let out = gitops_offline(repo.path(), &["tree", "guestbook"])
        .code(2)
        .no_panic();
    assert!(
        out.stderr
            .contains("root guestbook: holds no Application or ApplicationSet (only 1 ConfigMap)"),
        "{out:#?}"
    );
}

#[test]
fn an_application_file_outside_any_repository_is_a_root() {
    let repo = GitRepo::new();
    repo.git(&["remote", "add", "origin", URL]);
    repo.write("apps/one.yaml", &app("one", URL, "one", "one"))
        .write("one/cm.yaml", &configmap("one", "1"));
    repo.commit("apps");
    // What `argocd app create root --repo URL --path apps ... -o yaml` (or Terraform) writes.
    let outside = crate::harness::tempdir();
    let root_file = outside.path().join("root-app.yaml");
    std::fs::write(&root_file, app("root", URL, "apps", "argocd")).unwrap();
    let root_arg = root_file.to_str().unwrap();

    // From the repository's directory: its repoURL is this repository.
    let out = gitops_offline(repo.path(), &["tree", "-o", "json", root_arg])
        .success()
        .no_panic();
    let tree = json(&out);
    assert_eq!(app_names(&tree), ["root", "one"], "{out:#?}");
    assert_eq!(tree["apps"][0]["definedAt"]["file"], root_arg);
    assert_eq!(objects_of(&tree, "one"), Some(1));

    // From anywhere else, with --repo-map.
    let map = format!("{URL}={}", repo.path().display());
    let out = gitops_offline(
        outside.path(),
        &["tree", "-o", "json", "root-app.yaml", "--repo-map", &map],
    )
    .success()
    .no_panic();
    assert_eq!(app_names(&json(&out)), ["root", "one"], "{out:#?}");

    // A folder outside any repository is still refused.
    let out = gitops_offline(outside.path(), &["tree", "."])
        .code(2)
        .no_panic();
    assert!(
        out.stderr
            .contains("a ROOT folder must be inside a Git repository"),
        "{out:#?}"
    );
}

#[test]
fn app_selection_renders_only_what_it_needs_and_other_apps_errors_are_warnings() {
    let ns = crate::harness::TestNamespace::new("app-scope");
    let repo = GitRepo::new();
    repo.git(&["remote", "add", "origin", URL]);
    repo.write("root.yaml", &app("root", URL, "apps", "argocd"))
        .write("apps/web.yaml", &app("web", URL, "web", &ns.name))
        .write("web/cm.yaml", &configmap("web", "w"))
        // An Application whose manifest is invalid, found next to web's.
        .write(
            "apps/broken.yaml",
            &app("broken", URL, "web", "broken").replace(
                "    path: web\n",
                "    path: web\n    helm:\n      parameters:\n      - {name: a, value: [1, 2]}\n",
            ),
        )
        // An app that fails to render; with --app web it is never rendered at all.
        .write(
            "apps/other.yaml",
            &app("other", URL, "does/not/exist", "other"),
        )
        // A group app, and an app below it.
        .write("apps/group.yaml", &app("group", URL, "group", "argocd"))
        .write("group/deep.yaml", &app("deep", URL, "deep", &ns.name))
        .write("deep/cm.yaml", &configmap("deep", "d"));
    repo.commit("apps");

    // The whole tree: both problems are errors.
    let out = gitops_offline(repo.path(), &["render"]).code(2).no_panic();
    assert!(
        out.stderr.contains("error:") && out.stderr.contains("\"other\""),
        "{out:#?}"
    );

    // web only: web's objects, the invalid sibling a warning, the failing one not rendered.
    let out = gitops_offline(repo.path(), &["render", "--app", "web", "-o", "json"])
        .success()
        .no_panic();
    let items = json(&out)["items"].clone();
    assert_eq!(items.as_array().map(Vec::len), Some(1), "{out:#?}");
    assert_eq!(items[0]["metadata"]["name"], "web");
    assert!(
        out.stderr.contains("warning:")
            && out.stderr.contains("app \"broken\"")
            && out.stderr.contains("outside the apps selected with --app"),
        "{out:#?}"
    );
    assert!(!out.stderr.contains("error:"), "{out:#?}");
    assert!(
        !out.stderr.contains("does/not/exist"),
        "an app outside the selection and its search is not rendered: {out:#?}"
    );

    // deep: its parent is looked for among every app of its level (other fails there, a
    // warning); web, found on the way, is not kept.
    let out = gitops_offline(repo.path(), &["render", "--app", "deep", "-o", "json"])
        .success()
        .no_panic();
    assert_eq!(
        json(&out)["items"][0]["metadata"]["name"],
        "deep",
        "{out:#?}"
    );
    assert!(
        out.stderr.contains("warning: app \"other\"") && !out.stderr.contains("error:"),
        "{out:#?}"
    );

    // diff against the cluster: exit 1 for web's new object, not 2.
    let out = crate::harness::gitops_in(
        repo.path(),
        &["diff", "--app", "web", "--records-namespace", &ns.name],
    )
    .code(1)
    .no_panic();
    assert!(out.stdout.contains("+ ConfigMap"), "{out:#?}");
    assert!(
        out.stderr.contains("warning:") && !out.stderr.contains("error:"),
        "{out:#?}"
    );

    // An app that is not in the tree is still an error, naming the known apps.
    let out = gitops_offline(repo.path(), &["render", "--app", "nope"]).code(2);
    assert!(
        out.stderr.contains("app \"nope\" is not in the tree"),
        "{out:#?}"
    );
}
