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

/// A repo with a root over `apps/`: `keep` (one ConfigMap), and `group` whose folder holds
/// the Application `leaf`.
fn failing_sides_repo() -> (GitRepo, String) {
    let repo = GitRepo::new();
    repo.git(&["remote", "add", "origin", URL]);
    repo.write("root.yaml", &app("root", URL, "apps", "argocd"))
        .write("apps/keep.yaml", &app("keep", URL, "keep", "keep"))
        .write("apps/group.yaml", &app("group", URL, "group", "argocd"))
        .write("apps/calm.yaml", &app("calm", URL, "calm", "calm"))
        .write("group/leaf.yaml", &app("leaf", URL, "leaf", "leaf"))
        .write("keep/cm.yaml", &configmap("cfg", "old"))
        .write("leaf/cm.yaml", &configmap("leaf", "l"))
        .write("calm/cm.yaml", &configmap("calm", "c"));
    let base = repo.commit("base");
    (repo, base)
}

#[test]
fn an_app_failing_on_one_side_is_an_error_in_every_format() {
    let (repo, base) = failing_sides_repo();
    // keep and group break in the new revision: keep's objects and group's child must not
    // read as pruned or removed.
    let broken = "apiVersion: v1\nkind: ConfigMap\nmetadata: {name: x\n";
    repo.write("keep/broken.yaml", broken)
        .write("group/broken.yaml", broken);
    let head = repo.commit("break keep and group");

    let args = ["diff", "--from", base.as_str(), "--to", head.as_str()];
    let text = gitops_offline(repo.path(), &args).code(2).no_panic();
    assert!(text.stdout.contains("keep: Error"), "{text:#?}");
    assert!(text.stdout.contains("leaf: Error"), "{text:#?}");
    assert!(!text.stdout.contains("(to prune)"), "{text:#?}");
    assert!(!text.stdout.contains("removed"), "{text:#?}");
    assert!(text.stdout.contains("3 failed"), "{text:#?}");
    assert!(
        text.stderr.contains("keep/broken.yaml")
            && text.stderr.contains("above it fails to render"),
        "{text:#?}"
    );

    let mut json_args = args.to_vec();
    json_args.extend(["-o", "json"]);
    let doc = json(&gitops_offline(repo.path(), &json_args).code(2));
    let status = |name: &str| {
        doc["apps"]
            .as_array()
            .unwrap()
            .iter()
            .find(|a| a["name"] == name)
            .map(|a| (a["status"].clone(), a["objects"].as_array().unwrap().len()))
    };
    assert_eq!(status("keep"), Some(("Error".into(), 0)));
    assert_eq!(status("group"), Some(("Error".into(), 0)));
    assert_eq!(status("leaf"), Some(("Error".into(), 0)));
    assert_eq!(status("calm"), Some(("Synced".into(), 0)));
    assert_eq!(doc["summary"]["failedApps"], 3);
    assert_eq!(doc["summary"]["unchanged"], 2, "root and calm: {doc:#}");

    let mut md_args = args.to_vec();
    md_args.extend(["-o", "markdown"]);
    let md = gitops_offline(repo.path(), &md_args).code(2);
    assert!(md.stdout.contains("### `keep`: Error"), "{md:#?}");
    assert!(md.stdout.contains("### `leaf`: Error"), "{md:#?}");
    assert!(md.stdout.contains("keep/broken.yaml"), "{md:#?}");
    assert!(md.stdout.contains("2 apps are unchanged."), "{md:#?}");

    // The other way round: failing in the old revision, fixed in the new one.
    let back = gitops_offline(repo.path(), &["diff", "--from", &head, "--to", &base]).code(2);
    assert!(
        back.stdout.contains("leaf: Error") && !back.stdout.contains("(added)"),
        "{back:#?}"
    );
}

#[test]
fn changes_to_applications_themselves_are_shown_headed_with_the_revisions() {
    let (repo, base) = failing_sides_repo();
    repo.write(
        "apps/keep.yaml",
        &app("keep", URL, "keep", "keep-v2").replace(
            "spec:\n",
            "spec:\n  syncPolicy:\n    automated: {prune: true}\n    syncOptions: [CreateNamespace=true]\n  ignoreDifferences:\n  - {kind: ConfigMap, jsonPointers: [/data/old]}\n",
        ),
    );
    let head = repo.commit("keep: new namespace and sync policy");
    let out = gitops_offline(repo.path(), &["diff", "--from", "main~1", "--to", "main"]).code(1);
    // The new namespace moves the app's objects too.
    assert!(
        out.stdout
            .contains("keep: OutOfSync (1 added, 1 changed, 1 to prune)"),
        "{out:#?}"
    );
    assert!(out.stdout.contains("~ Application argocd/keep"), "{out:#?}");
    for line in [
        "-    namespace: keep",
        "+    namespace: keep-v2",
        "+      prune: true",
        "+    - CreateNamespace=true",
        "+  - jsonPointers:",
    ] {
        assert!(out.stdout.contains(line), "{line}: {out:#?}");
    }
    assert!(
        out.stdout.contains(&format!(
            "--- main~1 ({})\n+++ main ({})",
            &base[..7],
            &head[..7]
        )),
        "hunks are headed with the revisions: {out:#?}"
    );
    assert!(!out.stdout.contains("--- live"), "{out:#?}");
    assert!(
        out.stdout.contains("1 changed, 4 unchanged"),
        "unchanged apps are counted: {out:#?}"
    );
    let md = gitops_offline(
        repo.path(),
        &["diff", "--from", &base, "--to", &head, "-o", "markdown"],
    )
    .code(1);
    assert!(
        md.stdout.contains("**`Application argocd/keep`**"),
        "{md:#?}"
    );
    assert!(md.stdout.contains("+    namespace: keep-v2"), "{md:#?}");
}

#[test]
fn from_alone_compares_with_uncommitted_edits() {
    let (repo, base) = failing_sides_repo();
    repo.write("keep/cm.yaml", &configmap("cfg", "draft"));
    let out = gitops_offline(repo.path(), &["diff", "--from", "HEAD"]).code(1);
    assert!(
        out.stdout.contains("-  value: old") && out.stdout.contains("+  value: draft"),
        "{out:#?}"
    );
    assert!(
        out.stdout
            .contains(&format!("--- HEAD ({})\n+++ work tree", &base[..7])),
        "{out:#?}"
    );
    // Nothing uncommitted: nothing to show.
    repo.commit("draft");
    gitops_offline(repo.path(), &["diff", "--from", "HEAD"]).code(0);
    gitops_offline(repo.path(), &["diff", "--to", "HEAD"]).code(2);
}

#[test]
fn markdown_fits_one_pull_request_comment() {
    let repo = GitRepo::new();
    repo.git(&["remote", "add", "origin", URL]);
    repo.write("root.yaml", &app("root", URL, "apps", "argocd"));
    // 40 apps of 5 ConfigMaps of about 2 KB each: some 400 KB of diff.
    let blob = |v: &str| {
        (0..40)
            .map(|i| format!("line {i} {v}\n"))
            .collect::<String>()
    };
    let write_all = |v: &str| {
        for a in 0..40 {
            repo.write(
                &format!("apps/app-{a}.yaml"),
                &app(&format!("app-{a}"), URL, &format!("app-{a}"), "big"),
            );
            for c in 0..5 {
                repo.write(
                    &format!("app-{a}/cm-{c}.yaml"),
                    &format!(
                        "apiVersion: v1\nkind: ConfigMap\nmetadata: {{name: cm-{c}}}\ndata:\n  text: {:?}\n",
                        blob(v)
                    ),
                );
            }
        }
    };
    write_all("before");
    let base = repo.commit("big");
    write_all("after");
    let head = repo.commit("bigger");
    let md = gitops_offline(
        repo.path(),
        &["diff", "--from", &base, "--to", &head, "-o", "markdown"],
    )
    .code(1);
    assert!(
        md.stdout.chars().count() <= 65_536,
        "{} characters",
        md.stdout.chars().count()
    );
    for a in 0..40 {
        assert!(
            md.stdout.contains(&format!("### `app-{a}`: changed")),
            "app-{a}"
        );
    }
    assert!(
        md.stdout
            .contains("Summary: 41 apps: 40 changed, 1 unchanged"),
        "{}",
        &md.stdout[md.stdout.len() - 500..]
    );
    assert!(
        md.stdout
            .contains("left out to fit one comment (65536 characters)")
    );
    assert!(md.stdout.contains(&format!(
        "`kubectl gitops diff --from {} --to {} --app app-39`",
        &base[..7],
        &head[..7]
    )));
    // The first apps' diffs are there in full.
    assert!(
        md.stdout.contains("+    line 0 after"),
        "{}",
        &md.stdout[..2000]
    );
}
