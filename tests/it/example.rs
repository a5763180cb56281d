//! The example homelab repo in examples/ resolves as the README shows.

use std::path::Path;

use crate::gitrepo::GitRepo;
use crate::harness::{gitops_offline, json};

fn homelab() -> GitRepo {
    let repo = GitRepo::new();
    repo.git(&[
        "remote",
        "add",
        "origin",
        "https://github.com/example/homelab.git",
    ]);
    repo.copy_dir(
        &Path::new(env!("CARGO_MANIFEST_DIR")).join("examples/homelab"),
        ".",
    );
    repo.commit("homelab");
    repo
}

#[test]
fn example_homelab_tree() {
    let repo = homelab();
    let tree = json(&gitops_offline(repo.path(), &["tree", "-o", "json"]).success());
    let rows: Vec<(String, String, u64, i64)> = tree["apps"]
        .as_array()
        .unwrap()
        .iter()
        .map(|a| {
            (
                a["name"].as_str().unwrap().to_string(),
                a["sources"][0]["type"].as_str().unwrap_or("").to_string(),
                a["objects"].as_u64().unwrap(),
                a["wave"].as_i64().unwrap(),
            )
        })
        .collect();
    let expect = |n: &str, t: &str, o: u64, w: i64| (n.to_string(), t.to_string(), o, w);
    assert_eq!(
        rows,
        [
            expect("homelab", "directory", 0, 0),
            expect("blog", "kustomize", 4, 0),
            expect("chat", "directory", 4, 0),
            expect("files", "directory", 2, 0),
            expect("gateway", "directory", 7, 0),
        ]
    );
    assert_eq!(tree["apps"][3]["generatedBy"], "files");
    assert_eq!(tree["errors"], serde_json::json!([]));
}

#[test]
fn example_homelab_renders_crds_and_octal_modes() {
    let repo = homelab();
    let out = gitops_offline(
        repo.path(),
        &["render", "--app", "gateway", "--app", "chat"],
    )
    .success();
    assert_eq!(
        out.stdout.matches("kind: CustomResourceDefinition").count(),
        4
    );
    assert!(out.stdout.contains("defaultMode: 420"));
    // GatewayClass is cluster-scoped (learnt from the CRD in the tree): no namespace.
    let list =
        json(&gitops_offline(repo.path(), &["render", "--app", "gateway", "-o", "json"]).success());
    let class = list["items"]
        .as_array()
        .unwrap()
        .iter()
        .find(|o| o["kind"] == "GatewayClass")
        .unwrap()
        .clone();
    assert!(class["metadata"].get("namespace").is_none(), "{class}");
    let gw = list["items"]
        .as_array()
        .unwrap()
        .iter()
        .find(|o| o["kind"] == "Gateway")
        .unwrap()
        .clone();
    assert_eq!(gw["metadata"]["namespace"], "gateway");
}
