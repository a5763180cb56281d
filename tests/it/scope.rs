//! Namespace defaulting uses the cluster's discovery when a cluster answers.

use crate::gitrepo::{GitRepo, app};
use crate::harness::{gitops_in, gitops_offline, json, kubectl_stdin};

#[test]
fn cluster_scoped_custom_kinds_are_learnt_from_discovery() {
    let crd = "apiVersion: apiextensions.k8s.io/v1\nkind: CustomResourceDefinition\nmetadata: {name: scopechecks.it.kgitops.dev}\nspec:\n  group: it.kgitops.dev\n  scope: Cluster\n  names: {kind: ScopeCheck, plural: scopechecks, singular: scopecheck, listKind: ScopeCheckList}\n  versions:\n  - name: v1\n    served: true\n    storage: true\n    schema: {openAPIV3Schema: {type: object, x-kubernetes-preserve-unknown-fields: true}}\n";
    kubectl_stdin(&["apply", "-f", "-"], crd).success();
    crate::harness::kubectl_ok(&[
        "wait",
        "--for=condition=Established",
        "crd/scopechecks.it.kgitops.dev",
        "--timeout=60s",
    ]);
    let repo = GitRepo::new();
    repo.git(&["remote", "add", "origin", "https://git.example.com/s.git"]);
    repo.write(
        "root.yaml",
        &app("scope", "https://git.example.com/s.git", "m", "dest"),
    )
    .write(
        "m/x.yaml",
        "apiVersion: it.kgitops.dev/v1\nkind: ScopeCheck\nmetadata: {name: x}\n",
    );
    repo.commit("custom kind");
    let online = json(&gitops_in(repo.path(), &["render", "-o", "json"]).success());
    assert!(
        online["items"][0]["metadata"].get("namespace").is_none(),
        "{online}"
    );
    // Without a cluster the kind is unknown and taken as namespaced.
    let offline = json(&gitops_offline(repo.path(), &["render", "-o", "json"]).success());
    assert_eq!(offline["items"][0]["metadata"]["namespace"], "dest");
}
