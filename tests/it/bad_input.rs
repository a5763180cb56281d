//! Each kind of broken input gives an error naming repo, revision, file (and document) and app,
//! while the other apps still resolve and print, and the exit code is non-zero.

use crate::gitrepo::{GitRepo, app, configmap};
use crate::harness::{Run, gitops_offline};

const URL: &str = "https://git.example.com/lab/apps.git";

/// A repo with a healthy app `good` and an app `bad` whose folder the test breaks.
fn broken(setup: impl FnOnce(&GitRepo)) -> (GitRepo, Run) {
    let repo = GitRepo::new();
    repo.git(&["remote", "add", "origin", URL]);
    repo.write("root.yaml", &app("root", URL, "apps", "argocd"))
        .write("apps/good.yaml", &app("good", URL, "good", "good"))
        .write("apps/bad.yaml", &app("bad", URL, "bad", "bad"))
        .write("good/cm.yaml", &configmap("fine", "ok"))
        .write("bad/cm.yaml", &configmap("fine-too", "ok"));
    setup(&repo);
    let sha = repo.commit("broken");
    let out = gitops_offline(repo.path(), &["tree", "--revision", &sha])
        .code(2)
        .no_panic();
    assert!(
        out.stdout
            .lines()
            .any(|l| l.contains("good") && l.contains("good@")),
        "the healthy app must still be printed: {out:#?}"
    );
    assert!(out.stderr.contains("app \"bad\""), "{out:#?}");
    assert!(out.stderr.contains(URL), "the repo is named: {out:#?}");
    assert!(
        out.stderr.contains(&format!("commit {}", &sha[..7])),
        "the revision is named: {out:#?}"
    );
    (repo, out)
}

#[test]
fn malformed_yaml_names_the_file_and_position() {
    let (_r, out) = broken(|r| {
        r.write(
            "bad/broken.yaml",
            "apiVersion: v1\nkind: ConfigMap\nmetadata: {name: x\n",
        );
    });
    assert!(
        out.stderr.contains("bad/broken.yaml: invalid YAML:"),
        "{out:#?}"
    );
    assert!(out.stderr.contains("line"), "{out:#?}");
}

#[test]
fn missing_kind_api_version_or_name_names_the_document_and_field() {
    let (_r, out) = broken(|r| {
        r.write(
            "bad/two.yaml",
            &format!(
                "{}---\napiVersion: v1\nmetadata: {{name: nokind}}\n",
                configmap("x", "1")
            ),
        );
    });
    assert!(
        out.stderr
            .contains("bad/two.yaml (document 2): missing required field kind"),
        "{out:#?}"
    );
    let (_r, out) = broken(|r| {
        r.write(
            "bad/noname.yaml",
            "apiVersion: v1\nkind: ConfigMap\nmetadata: {}\n",
        );
    });
    assert!(
        out.stderr
            .contains("bad/noname.yaml (document 1): missing required field metadata.name"),
        "{out:#?}"
    );
    let (_r, out) = broken(|r| {
        r.write(
            "bad/noversion.json",
            r#"{"kind": "ConfigMap", "metadata": {"name": "j"}}"#,
        );
    });
    assert!(
        out.stderr
            .contains("bad/noversion.json (document 1): missing required field apiVersion"),
        "{out:#?}"
    );
}

#[test]
fn missing_path_is_named() {
    let (_r, out) = broken(|r| {
        r.write("apps/bad.yaml", &app("bad", URL, "does/not/exist", "bad"));
    });
    assert!(
        out.stderr
            .contains("path \"does/not/exist\" does not exist"),
        "{out:#?}"
    );
}

#[test]
fn paths_and_symlinks_leaving_the_repo_are_refused() {
    let (_r, out) = broken(|r| {
        r.write("apps/bad.yaml", &app("bad", URL, "../outside", "bad"));
    });
    assert!(
        out.stderr.contains("\"../outside\" is not allowed"),
        "{out:#?}"
    );
    let (_r, out) = broken(|r| {
        std::os::unix::fs::symlink(
            "../../../etc/hostname.yaml",
            r.path().join("bad/escape.yaml"),
        )
        .unwrap();
    });
    assert!(
        out.stderr.contains("bad/escape.yaml"),
        "the link is named: {out:#?}"
    );
    assert!(
        out.stderr.contains("../../../etc/hostname.yaml"),
        "the target is named: {out:#?}"
    );
}

#[test]
fn failing_renderer_shows_its_message() {
    let (_r, out) = broken(|r| {
        r.write("bad/kustomization.yaml", "resources: [missing.yaml]\n");
    });
    assert!(
        out.stderr.contains("kustomize") && out.stderr.contains("failed"),
        "{out:#?}"
    );
    assert!(out.stderr.contains("missing.yaml"), "{out:#?}");
}

#[test]
fn unknown_revision_is_one_clear_error() {
    let repo = GitRepo::new();
    repo.write("root.yaml", &app("root", URL, "apps", "argocd"));
    repo.commit("root");
    let out = gitops_offline(repo.path(), &["tree", "--revision", "no-such-branch"])
        .code(2)
        .no_panic();
    assert!(
        out.stderr
            .contains("revision \"no-such-branch\" not found in repository"),
        "{out:#?}"
    );
    assert_eq!(out.stderr.lines().count(), 1, "{out:#?}");
}

#[test]
fn missing_root_is_reported() {
    let repo = GitRepo::new();
    repo.write("README.md", "nothing here");
    repo.commit("empty");
    let out = gitops_offline(repo.path(), &["tree"]).code(2).no_panic();
    assert!(
        out.stderr.contains("no ROOT given and none of root.yaml"),
        "{out:#?}"
    );
    let out = gitops_offline(repo.path(), &["tree", "nope.yaml"])
        .code(2)
        .no_panic();
    assert!(
        out.stderr.contains("root nope.yaml: does not exist"),
        "{out:#?}"
    );
}

#[test]
fn unsupported_application_kustomize_options_are_refused_rather_than_ignored() {
    let (_r, out) = broken(|r| {
        r.write("bad/kustomization.yaml", "resources: [cm.yaml]\n")
            .write(
                "apps/bad.yaml",
                &app("bad", URL, "bad", "bad").replace(
                    "    path: bad\n",
                    "    path: bad\n    kustomize:\n      kubeVersion: '1.30'\n",
                ),
            );
    });
    assert!(
        out.stderr
            .contains("the Application's kustomize option \"kubeVersion\" is not supported"),
        "{out:#?}"
    );
}
