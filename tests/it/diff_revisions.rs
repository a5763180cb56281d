//! `diff --from REV1 --to REV2`: the pull-request preview, no cluster needed.

use crate::gitrepo::{GitRepo, app, configmap};
use crate::harness::{gitops_offline, json};

const URL: &str = "https://git.example.com/lab/apps.git";

#[test]
fn revision_against_revision_shows_added_removed_and_changed_apps() {
    let repo = GitRepo::new();
    repo.git(&["remote", "add", "origin", URL]);
    repo.write("root.yaml", &app("root", URL, "apps", "argocd"))
        .write("apps/keep.yaml", &app("keep", URL, "keep", "keep"))
        .write("apps/gone.yaml", &app("gone", URL, "gone", "gone"))
        .write("keep/cm.yaml", &configmap("cfg", "old"))
        .write("gone/cm.yaml", &configmap("x", "y"))
        .write(
            "apps/set.yaml",
            "apiVersion: argoproj.io/v1alpha1\nkind: ApplicationSet\nmetadata: {name: envs, namespace: argocd}\nspec:\n  generators:\n  - list:\n      elements: [{env: dev}]\n  template:\n    metadata: {name: 'site-{{env}}'}\n    spec:\n      source: {repoURL: \"https://git.example.com/lab/apps.git\", path: site}\n      destination: {server: \"https://kubernetes.default.svc\", namespace: '{{env}}'}\n",
        )
        .write("site/cm.yaml", &configmap("site", "s"));
    let base = repo.commit("base");
    repo.write("keep/cm.yaml", &configmap("cfg", "new"));
    repo.remove("apps/gone.yaml");
    repo.write(
        "apps/set.yaml",
        &std::fs::read_to_string(repo.path().join("apps/set.yaml"))
            .unwrap()
            .replace("[{env: dev}]", "[{env: dev}, {env: prod}]"),
    );
    let head = repo.commit("change");

    let out = gitops_offline(repo.path(), &["diff", "--from", &base, "--to", &head]).code(1);
    assert!(out.stdout.contains("+ app site-prod (added)"), "{out:#?}");
    assert!(out.stdout.contains("- app gone (removed)"), "{out:#?}");
    assert!(
        out.stdout
            .contains("keep: OutOfSync (0 added, 1 changed, 0 to prune)"),
        "{out:#?}"
    );
    assert!(
        out.stdout.contains("-  value: old") && out.stdout.contains("+  value: new"),
        "{out:#?}"
    );
    assert!(
        !out.stdout.contains("site-dev"),
        "unchanged apps are not listed: {out:#?}"
    );

    let doc = json(
        &gitops_offline(
            repo.path(),
            &["diff", "--from", &base, "--to", &head, "-o", "json"],
        )
        .code(1),
    );
    let status = |name: &str| {
        doc["apps"]
            .as_array()
            .unwrap()
            .iter()
            .find(|a| a["name"] == name)
            .map(|a| a["status"].clone())
    };
    assert_eq!(status("site-prod"), Some("Added".into()));
    assert_eq!(status("gone"), Some("Removed".into()));
    assert_eq!(status("keep"), Some("OutOfSync".into()));
    let same = gitops_offline(repo.path(), &["diff", "--from", &head, "--to", "HEAD"]).code(0);
    assert!(same.stdout.contains("No differences"), "{same:#?}");
}
