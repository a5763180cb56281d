//! Helm sources: Argo CD's value precedence, release name, `$ref` value files, and a clear
//! error when helm is missing.

use crate::gitrepo::GitRepo;
use crate::harness::{gitops_offline, json, kubectl, run};

const URL: &str = "https://git.example.com/lab/apps.git";
const VALUES_URL: &str = "https://git.example.com/lab/values.git";

fn chart_repo(helm_block: &str, extra_sources: &str) -> GitRepo {
    let repo = GitRepo::new();
    repo.git(&["remote", "add", "origin", URL]);
    repo.write("charts/web/Chart.yaml", "apiVersion: v2\nname: web\nversion: 0.1.0\n")
        .write("charts/web/values.yaml", "message: chart-default\nfromChart: kept\nlayer: chart\n")
        .write("charts/web/values-prod.yaml", "message: value-file\nlayer: value-file\n")
        .write(
            "charts/web/templates/cm.yaml",
            "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: {{ .Release.Name }}-cfg\ndata:\n  message: {{ .Values.message | quote }}\n  fromChart: {{ .Values.fromChart | quote }}\n  layer: {{ .Values.layer | quote }}\n  inline: {{ .Values.inline | default \"none\" | quote }}\n  namespace: {{ .Release.Namespace | quote }}\n",
        )
        .write(
            "root.yaml",
            &format!(
                "apiVersion: argoproj.io/v1alpha1\nkind: Application\nmetadata: {{name: web, namespace: argocd}}\nspec:\n  destination: {{server: \"https://kubernetes.default.svc\", namespace: web-ns}}\n  sources:\n  - repoURL: {URL}\n    path: charts/web\n    helm:\n{helm_block}{extra_sources}"
            ),
        );
    repo.commit("chart");
    repo
}

fn data(repo: &GitRepo, extra: &[&str]) -> serde_json::Value {
    let mut args = vec!["render", "-o", "json"];
    args.extend_from_slice(extra);
    let out = json(&gitops_offline(repo.path(), &args).success());
    out["items"][0].clone()
}

#[test]
fn helm_values_follow_argo_cd_precedence_and_release_name() {
    // chart values < value files < values < parameters
    let repo = chart_repo(
        "      valueFiles: [values-prod.yaml]\n      values: |\n        layer: inline-values\n        inline: yes-inline\n      parameters:\n      - {name: message, value: from-parameter}\n",
        "",
    );
    let cm = data(&repo, &[]);
    assert_eq!(
        cm["metadata"]["name"], "web-cfg",
        "release name defaults to the app name"
    );
    assert_eq!(cm["metadata"]["namespace"], "web-ns");
    assert_eq!(cm["data"]["message"], "from-parameter");
    assert_eq!(cm["data"]["layer"], "inline-values");
    assert_eq!(cm["data"]["inline"], "yes-inline");
    assert_eq!(cm["data"]["fromChart"], "kept");
    assert_eq!(cm["data"]["namespace"], "web-ns");
    let tree = json(&gitops_offline(repo.path(), &["tree", "-o", "json"]).success());
    assert_eq!(tree["apps"][0]["sources"][0]["type"], "helm");
}

#[test]
fn helm_release_name_values_object_and_ref_value_files() {
    let values = GitRepo::new();
    values.write("envs/prod.yaml", "message: from-ref-repo\nlayer: ref\n");
    values.commit("values");
    let repo = chart_repo(
        "      releaseName: site\n      valueFiles: [$vals/envs/prod.yaml]\n      values: 'layer: ignored'\n      valuesObject: {inline: object-wins}\n",
        &format!("  - repoURL: {VALUES_URL}\n    ref: vals\n"),
    );
    let map = format!("{VALUES_URL}={}", values.path().display());
    for rev in [None, Some("HEAD")] {
        let mut extra = vec!["--repo-map", map.as_str()];
        if let Some(r) = rev {
            extra.extend(["--revision", r]);
        }
        let cm = data(&repo, &extra);
        assert_eq!(cm["metadata"]["name"], "site-cfg");
        assert_eq!(cm["data"]["message"], "from-ref-repo");
        assert_eq!(
            cm["data"]["layer"], "ref",
            "valuesObject replaces values entirely"
        );
        assert_eq!(cm["data"]["inline"], "object-wins");
    }
}

#[test]
fn helm_missing_is_a_clear_error() {
    let repo = chart_repo("      valueFiles: [values-prod.yaml]\n", "");
    let plugin_path = crate::harness::path_with_plugin();
    let first = plugin_path.split(':').next().unwrap();
    // kubectl and git live in /usr/bin; helm (built by tools/build.sh) does not.
    let path = format!("{first}:/usr/bin:/bin");
    let out = run(kubectl(None)
        .env("PATH", path)
        .current_dir(repo.path())
        .args(["gitops", "tree"]))
    .code(2)
    .no_panic();
    assert!(
        out.stderr
            .contains("helm is not installed (needed to render Helm chart charts/web)"),
        "{out:#?}"
    );
}

#[test]
fn helm_block_fields_are_honoured_or_refused() {
    let repo = GitRepo::new();
    repo.git(&["remote", "add", "origin", URL]);
    repo.write("charts/strict/Chart.yaml", "apiVersion: v2\nname: strict\nversion: 0.1.0\n")
        .write("charts/strict/values.yaml", "replicas: 1\nlayer: chart\n")
        .write(
            "charts/strict/values.schema.json",
            r#"{"type": "object", "properties": {"replicas": {"type": "integer"}}}"#,
        )
        .write("charts/strict/envs/a.yaml", "layer: a\n")
        .write("charts/strict/envs/b.yaml", "layer: b\n")
        .write(
            "charts/strict/templates/cm.yaml",
            "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: {{ .Release.Name }}\ndata:\n  replicas: {{ .Values.replicas | quote }}\n  layer: {{ .Values.layer | quote }}\n  app: {{ .Values.app | quote }}\n",
        );
    let app = |name: &str, helm: &str| {
        format!(
            "apiVersion: argoproj.io/v1alpha1\nkind: Application\nmetadata: {{name: {name}, namespace: argocd}}\nspec:\n  destination: {{server: \"https://kubernetes.default.svc\", namespace: web}}\n  source:\n    repoURL: {URL}\n    path: charts/strict\n    helm:\n{helm}---\n"
        )
    };
    repo.write(
        "root.yaml",
        &[
            // A string for an integer: the schema refuses it unless skipSchemaValidation.
            app("schema", "      parameters: [{name: replicas, value: many, forceString: true}]\n"),
            app(
                "skip",
                "      skipSchemaValidation: true\n      parameters: [{name: replicas, value: many, forceString: true}]\n",
            ),
            // Globs in lexical order; a file named explicitly keeps its own place.
            app(
                "globs",
                "      valueFiles: [envs/*.yaml, envs/a.yaml, missing/*.yaml]\n      ignoreMissingValueFiles: true\n      parameters: [{name: app, value: $ARGOCD_APP_NAME}]\n",
            ),
            app("nomatch", "      valueFiles: [missing/*.yaml]\n"),
            app("helm2", "      version: v2\n"),
        ]
        .concat(),
    );
    repo.commit("helm fields");
    let out = gitops_offline(repo.path(), &["render", "-o", "json"])
        .code(2)
        .no_panic();
    let items = json(&out)["items"].as_array().unwrap().clone();
    let data = |name: &str| {
        items
            .iter()
            .find(|o| o["metadata"]["name"] == name)
            .map(|o| o["data"].clone())
    };
    assert_eq!(data("skip").unwrap()["replicas"], "many");
    assert_eq!(
        data("globs").unwrap()["layer"],
        "a",
        "b from the glob, then a by name"
    );
    assert_eq!(data("globs").unwrap()["app"], "globs");
    for (app, message) in [
        (
            "schema",
            "values don't meet the specifications of the schema",
        ),
        (
            "nomatch",
            "value file glob \"missing/*.yaml\" matches no file",
        ),
        (
            "helm2",
            "helm.version: helm version \"v2\" is not supported (only v3)",
        ),
    ] {
        assert!(data(app).is_none(), "{app}");
        assert!(
            out.stderr
                .lines()
                .any(|l| l.contains(&format!("app \"{app}\"")) && l.contains(message)),
            "{app}: {out:#?}"
        );
    }
}
