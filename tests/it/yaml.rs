//! YAML is read and written the way Kubernetes reads it: what `render` prints, kubectl applies
//! with the same values.

use crate::gitrepo::{GitRepo, app};
use crate::harness::{TestNamespace, gitops_offline, kubectl_ok, kubectl_stdin};

const MANIFESTS: &str = r#"
defaults: &defaults
  app: yaml-check
  tier: web
---
apiVersion: v1
kind: ConfigMap
metadata:
  name: scalars
  labels:
    <<: *defaults
    tier: api
data:
  quoted-no: "no"
  quoted-on: 'on'
  octal-looking: "0644"
  float-looking: "1e3"
  null-looking: "null"
  empty: ""
---
apiVersion: v1
kind: ServiceAccount
metadata:
  name: sa
automountServiceAccountToken: yes
---
apiVersion: v1
kind: Pod
metadata:
  name: modes
spec:
  automountServiceAccountToken: off
  containers:
  - name: c
    image: busybox
  volumes:
  - name: cfg
    configMap:
      name: scalars
      defaultMode: 0644
"#;

#[test]
fn render_output_applies_with_the_same_values() {
    let ns = TestNamespace::new("yaml");
    let repo = GitRepo::new();
    repo.git(&["remote", "add", "origin", "https://git.example.com/y.git"]);
    repo.write(
        "root.yaml",
        &app("yamlcheck", "https://git.example.com/y.git", "m", &ns.name),
    );
    // The anchor document is not an object: keep it out of the directory app, and reuse the
    // anchor inside one document instead.
    let objects = MANIFESTS
        .split("---\n")
        .skip(1)
        .collect::<Vec<_>>()
        .join("---\n");
    let objects = objects.replace(
        "    <<: *defaults\n",
        "    <<: {app: yaml-check, tier: web}\n",
    );
    repo.write("m/all.yaml", &objects);
    repo.commit("yaml cases");

    let out = gitops_offline(repo.path(), &["render"]).success();
    let text = &out.stdout;
    assert!(text.contains("defaultMode: 420"), "{text}");
    assert!(
        text.contains("automountServiceAccountToken: true"),
        "{text}"
    );
    assert!(
        text.contains("automountServiceAccountToken: false"),
        "{text}"
    );
    assert!(text.contains("quoted-no: \"no\""), "{text}");

    kubectl_stdin(&["apply", "-f", "-"], text).success();
    let get = |what: &str, path: &str| {
        kubectl_ok(&[
            "get",
            "-n",
            &ns.name,
            what,
            "-o",
            &format!("jsonpath={path}"),
        ])
        .stdout
    };
    assert_eq!(get("configmap/scalars", "{.data.quoted-no}"), "no");
    assert_eq!(get("configmap/scalars", "{.data.quoted-on}"), "on");
    assert_eq!(get("configmap/scalars", "{.data.octal-looking}"), "0644");
    assert_eq!(get("configmap/scalars", "{.data.float-looking}"), "1e3");
    assert_eq!(get("configmap/scalars", "{.data.null-looking}"), "null");
    assert_eq!(
        get("configmap/scalars", "{.metadata.labels.app}"),
        "yaml-check"
    );
    assert_eq!(get("configmap/scalars", "{.metadata.labels.tier}"), "api");
    assert_eq!(
        get("serviceaccount/sa", "{.automountServiceAccountToken}"),
        "true"
    );
    assert_eq!(
        get("pod/modes", "{.spec.volumes[0].configMap.defaultMode}"),
        "420"
    );
    assert_eq!(
        get("pod/modes", "{.spec.automountServiceAccountToken}"),
        "false"
    );
}

#[test]
fn anchors_across_a_document_are_resolved() {
    let repo = GitRepo::new();
    repo.git(&["remote", "add", "origin", "https://git.example.com/y.git"]);
    repo.write(
        "root.yaml",
        &app("yamlcheck", "https://git.example.com/y.git", "m", "ns"),
    );
    repo.write(
        "m/cm.yaml",
        "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: a\n  labels: &l {team: x}\n  annotations: *l\ndata: {k: v}\n",
    );
    repo.commit("anchors");
    let out =
        crate::harness::json(&gitops_offline(repo.path(), &["render", "-o", "json"]).success());
    assert_eq!(out["items"][0]["metadata"]["annotations"]["team"], "x");
}
