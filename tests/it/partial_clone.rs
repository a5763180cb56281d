//! Partial clones (`git clone --filter=blob:none`, common in CI) have the trees of every commit
//! but the blobs of the checked-out one only: reading another revision fetches the commit's
//! missing blobs from the promisor remote, in one request, as git does.

use std::path::Path;
use std::process::Command;

use serde_json::Value;

use crate::git_daemon::{GitDaemon, allow_partial_clones};
use crate::gitrepo::{GitRepo, app, configmap};
use crate::harness::{json, kubectl, run, tempdir};

fn git(dir: &Path, args: &[&str]) -> String {
    let out = Command::new("git")
        .args(args)
        .current_dir(dir)
        .env("GIT_CONFIG_GLOBAL", "/dev/null")
        .env("GIT_CONFIG_NOSYSTEM", "1")
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "git {args:?}: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8_lossy(&out.stdout).into_owned()
}

fn chart_template(value: &str) -> String {
    format!(
        "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: charted\ndata:\n  value: {value:?}\n"
    )
}

fn value_of(items: &Value, name: &str) -> String {
    items["items"]
        .as_array()
        .unwrap()
        .iter()
        .find(|o| o["metadata"]["name"] == name)
        .unwrap_or_else(|| panic!("no {name} in {items}"))["data"]["value"]
        .as_str()
        .unwrap()
        .to_owned()
}

#[test]
fn a_blobless_clone_renders_and_diffs_older_revisions() {
    let served = tempdir();
    let daemon = GitDaemon::serve(served.path());
    let url = daemon.url("repo.git");
    let upstream = GitRepo::new();
    upstream
        .write("root.yaml", &app("root", &url, "apps", "argocd"))
        .write("apps/plain.yaml", &app("plain", &url, "plain", "plain"))
        .write("apps/chart.yaml", &app("chart", &url, "chart", "charts"))
        .write("plain/cm.yaml", &configmap("plain", "old"))
        .write(
            "chart/Chart.yaml",
            "apiVersion: v2\nname: c\nversion: 0.1.0\n",
        )
        .write("chart/templates/cm.yaml", &chart_template("old-chart"));
    let old = upstream.commit("old");
    upstream
        .write("plain/cm.yaml", &configmap("plain", "new"))
        .write("chart/templates/cm.yaml", &chart_template("new-chart"));
    let new = upstream.commit("new");
    let bare = upstream.publish_bare(served.path(), "repo.git");
    allow_partial_clones(&bare);

    let clone = tempdir();
    git(
        clone.path(),
        &["clone", "-q", "--filter=blob:none", &url, "."],
    );
    let missing = git(
        clone.path(),
        &["rev-list", "--objects", "--missing=print", &old],
    );
    assert!(
        missing.lines().any(|l| l.starts_with('?')),
        "the old commit's blobs are not in the clone: {missing}"
    );
    let home = tempdir();
    let gitops = |args: &[&str]| {
        run(kubectl(None)
            .current_dir(clone.path())
            .env("HOME", home.path())
            .env_remove("XDG_CACHE_HOME")
            .arg("gitops")
            .args(args))
    };

    let out = json(&gitops(&["render", "-o", "json", "--revision", &old]).success());
    assert_eq!(value_of(&out, "plain"), "old");
    assert_eq!(value_of(&out, "charted"), "old-chart");
    let out = gitops(&["diff", "--from", &old, "--to", &new]).code(1);
    for line in [
        "-  value: old",
        "+  value: new",
        "-  value: old-chart",
        "+  value: new-chart",
    ] {
        assert!(out.stdout.contains(line), "{line}: {out:#?}");
    }
    // Once fetched, the blobs stay: an offline run without the server still reads them.
    drop(daemon);
    let out = json(&gitops(&["render", "-o", "json", "--revision", &old]).success());
    assert_eq!(value_of(&out, "plain"), "old");
}
