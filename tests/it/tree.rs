//! `kubectl gitops tree` and `render` over real Git repositories made by the tests.

use serde_json::Value;

use crate::gitrepo::{GitRepo, app, configmap};
use crate::harness::{app_names, gitops_offline, json};

const URL: &str = "https://git.example.com/lab/apps.git";

/// A repo whose `origin` is URL, with a root app over `apps/` and one child app `one`.
fn lab() -> GitRepo {
    let repo = GitRepo::new();
    repo.git(&["remote", "add", "origin", URL]);
    // The root names the repo in scp form: it must still be read from the local repo.
    repo.write(
        "root.yaml",
        &app("root", "git@git.example.com:lab/apps.git", "apps", "argocd"),
    )
    .write("apps/one.yaml", &app("one", URL, "one", "team-one"))
    .write("one/a.yaml", &configmap("a", "first"));
    repo.commit("root and app one");
    repo
}

fn objects_of(tree: &Value, app: &str) -> Option<u64> {
    tree["apps"].as_array()?.iter().find(|a| a["name"] == app)?["objects"].as_u64()
}

#[test]
fn tree_reads_the_work_tree_and_older_commits_without_touching_files() {
    let repo = lab();
    repo.write(
        "apps/two.yaml",
        &app("two", "https://git.example.com/lab/apps", "two", "team-two"),
    )
    .write("two/b.yaml", &configmap("b", "second"));
    let second = repo.commit("app two");
    // An uncommitted edit: only the work tree view sees it.
    repo.write("one/c.yaml", &configmap("c", "draft"));
    let status_before = repo.git(&["status", "--porcelain"]);

    let now = json(&gitops_offline(repo.path(), &["tree", "-o", "json"]).success());
    assert_eq!(app_names(&now), ["root", "one", "two"]);
    assert_eq!(objects_of(&now, "one"), Some(2));
    assert_eq!(now["apps"][1]["sources"][0]["revision"], Value::Null);

    let at_head =
        json(&gitops_offline(repo.path(), &["tree", "-o", "json", "--revision", "HEAD"]).success());
    assert_eq!(objects_of(&at_head, "one"), Some(1));
    assert_eq!(
        at_head["apps"][1]["sources"][0]["revision"],
        second.as_str()
    );

    let older = json(
        &gitops_offline(repo.path(), &["tree", "-o", "json", "--revision", "HEAD~1"]).success(),
    );
    assert_eq!(app_names(&older), ["root", "one"]);

    assert_eq!(
        repo.git(&["status", "--porcelain"]),
        status_before,
        "the work tree was modified"
    );
}

#[test]
fn tree_text_shows_branches_types_paths_destinations_counts_and_waves() {
    let repo = lab();
    repo.write(
        "apps/two.yaml",
        &app("two", URL, "two", "team-two").replace(
            "  namespace: argocd\n",
            "  namespace: argocd\n  annotations:\n    argocd.argoproj.io/sync-wave: \"5\"\n",
        ),
    )
    .write("two/b.yaml", &configmap("b", "x"));
    let sha = repo.commit("two");
    let out = gitops_offline(repo.path(), &["tree", "--revision", "main"]).success();
    let short = &sha[..7];
    let lines: Vec<&str> = out.stdout.lines().collect();
    assert!(lines[0].starts_with("APP"), "{}", out.stdout);
    let row = |name: &str| *lines.iter().find(|l| l.contains(name)).unwrap();
    assert!(row("root").starts_with("root "), "{}", out.stdout);
    assert!(row("one").starts_with("├── one "), "{}", out.stdout);
    assert!(row("two").starts_with("└── two "), "{}", out.stdout);
    let cols: Vec<&str> = row("two").split_whitespace().collect();
    assert_eq!(
        cols[2..],
        [
            "directory",
            &format!("two@{short}"),
            "in-cluster/team-two",
            "1",
            "5"
        ]
    );
}

#[test]
fn default_root_is_found_from_a_subdirectory() {
    let repo = lab();
    let sub = repo.path().join("one");
    let out = json(&gitops_offline(&sub, &["tree", "-o", "json"]).success());
    assert_eq!(app_names(&out), ["root", "one"]);
    assert_eq!(out["apps"][0]["definedAt"]["file"], "root.yaml");
}

#[test]
fn render_sets_destination_namespaces_and_selects_apps() {
    let repo = lab();
    repo.write(
        "one/rbac.yaml",
        "apiVersion: rbac.authorization.k8s.io/v1\nkind: ClusterRole\nmetadata: {name: reader, namespace: wrong}\nrules: []\n---\napiVersion: v1\nkind: ConfigMap\nmetadata: {name: pinned, namespace: elsewhere}\n",
    );
    repo.commit("rbac");
    let out = gitops_offline(repo.path(), &["render", "--app", "one", "-o", "json"]).success();
    let list = json(&out);
    assert_eq!(list["kind"], "List");
    let items = list["items"].as_array().unwrap();
    let ns_of = |name: &str| {
        items
            .iter()
            .find(|o| o["metadata"]["name"] == name)
            .unwrap()["metadata"]
            .get("namespace")
            .cloned()
    };
    assert_eq!(ns_of("a"), Some(Value::from("team-one")));
    assert_eq!(
        ns_of("reader"),
        None,
        "cluster-scoped objects lose their namespace"
    );
    assert_eq!(ns_of("pinned"), Some(Value::from("elsewhere")));
    // Child Applications are not objects to send.
    let all = json(&gitops_offline(repo.path(), &["render", "-o", "json"]).success());
    assert!(
        all["items"]
            .as_array()
            .unwrap()
            .iter()
            .all(|o| o["kind"] != "Application")
    );
    let unknown = gitops_offline(repo.path(), &["render", "--app", "nope"]).code(2);
    assert!(
        unknown
            .stderr
            .contains("app \"nope\" is not in the tree (apps: root, one)"),
        "{unknown:#?}"
    );
}

#[test]
fn repo_map_reads_another_repository_and_offline_refuses_unknown_urls() {
    let repo = lab();
    let other = GitRepo::new();
    other.write("svc/cm.yaml", &configmap("from-other", "x"));
    other.commit("other repo");
    repo.write(
        "apps/ext.yaml",
        &app("ext", "https://git.example.com/lab/other.git", "svc", "ext"),
    );
    repo.commit("external app");

    let map = format!(
        "https://git.example.com/lab/other.git={}",
        other.path().display()
    );
    let out =
        json(&gitops_offline(repo.path(), &["tree", "-o", "json", "--repo-map", &map]).success());
    assert_eq!(objects_of(&out, "ext"), Some(1));
    let head = other.git(&["rev-parse", "HEAD"]);
    let ext = out["apps"]
        .as_array()
        .unwrap()
        .iter()
        .find(|a| a["name"] == "ext")
        .unwrap()
        .clone();
    assert_eq!(
        ext["sources"][0]["revision"],
        head.as_str(),
        "other repos are read at targetRevision"
    );

    let out = gitops_offline(repo.path(), &["tree", "--offline"])
        .code(2)
        .no_panic();
    assert!(
        out.stderr.contains(
            "repository https://git.example.com/lab/other.git is not available offline (use --repo-map URL=PATH)"
        ),
        "{out:#?}"
    );
    assert!(out.stderr.contains("app \"ext\""), "{out:#?}");
    // The other apps still resolve and print.
    assert!(
        out.stdout
            .lines()
            .any(|l| l.contains("one") && l.contains("team-one")),
        "{out:#?}"
    );
}

#[test]
fn respect_target_revision_reads_each_apps_own_revision() {
    let repo = lab();
    repo.git(&["tag", "v1"]);
    repo.write("one/b.yaml", &configmap("b", "later"));
    repo.write(
        "apps/one.yaml",
        &app("one", URL, "one", "team-one").replace("targetRevision: main", "targetRevision: v1"),
    );
    repo.commit("one pinned to v1, with a second object on main");
    let evaluated = json(&gitops_offline(repo.path(), &["tree", "-o", "json"]).success());
    assert_eq!(
        objects_of(&evaluated, "one"),
        Some(2),
        "by default the evaluated revision is used"
    );
    let pinned = json(
        &gitops_offline(
            repo.path(),
            &["tree", "-o", "json", "--respect-target-revision"],
        )
        .success(),
    );
    assert_eq!(objects_of(&pinned, "one"), Some(1));
}

#[test]
fn kustomize_sources_are_built() {
    let repo = lab();
    repo.write("apps/kz.yaml", &app("kz", URL, "kz/overlay", "kz"))
        .write("kz/base/kustomization.yaml", "resources: [cm.yaml]\n")
        .write("kz/base/cm.yaml", &configmap("settings", "v"))
        .write(
            "kz/overlay/kustomization.yaml",
            "resources: [../base]\nnamePrefix: prod-\ncommonLabels: {env: prod}\n",
        );
    repo.commit("kustomize app");
    for rev in [None, Some("HEAD")] {
        let mut args = vec!["render", "--app", "kz", "-o", "json"];
        if let Some(r) = rev {
            args.extend(["--revision", r]);
        }
        let out = json(&gitops_offline(repo.path(), &args).success());
        let item = &out["items"][0];
        assert_eq!(item["metadata"]["name"], "prod-settings", "{out}");
        assert_eq!(item["metadata"]["labels"]["env"], "prod");
        assert_eq!(item["metadata"]["namespace"], "kz");
    }
    let tree = json(&gitops_offline(repo.path(), &["tree", "-o", "json"]).success());
    let kz = tree["apps"]
        .as_array()
        .unwrap()
        .iter()
        .find(|a| a["name"] == "kz")
        .unwrap()
        .clone();
    assert_eq!(kz["sources"][0]["type"], "kustomize");
}

#[test]
fn cycles_and_duplicate_names_name_both_places() {
    let repo = lab();
    // `one` renders an Application named root: root -> one -> root.
    repo.write("one/loop.yaml", &app("root", URL, "apps", "argocd"))
        .write("apps/dup.yaml", &app("one", URL, "one", "elsewhere"));
    repo.commit("cycle and duplicate");
    let out = gitops_offline(repo.path(), &["tree"]).code(2).no_panic();
    assert!(
        out.stderr
            .contains("cycle: app \"root\" includes itself: defined at")
            && out.stderr.contains("root.yaml (document 1)")
            && out.stderr.contains("one/loop.yaml (document 1)"),
        "{out:#?}"
    );
    assert!(
        out.stderr
            .contains("duplicate app name \"one\": defined at")
            && out.stderr.contains("apps/dup.yaml (document 1)")
            && out.stderr.contains("apps/one.yaml (document 1)"),
        "{out:#?}"
    );
}

#[test]
fn directory_options_recurse_include_exclude_json_and_lists() {
    let repo = lab();
    let dir_app = "apiVersion: argoproj.io/v1alpha1\nkind: Application\nmetadata: {name: dirs, namespace: argocd}\nspec:\n  source:\n    repoURL: https://git.example.com/lab/apps.git\n    path: d\n    directory: {recurse: true, include: '{base,extra}/*', exclude: '*-skip.yaml'}\n  destination: {server: \"https://kubernetes.default.svc\", namespace: d}\n";
    repo.write("apps/dirs.yaml", dir_app)
        .write("d/top.yaml", &configmap("top-level-not-included", "x"))
        .write("d/base/a.yaml", &configmap("a", "1"))
        .write("d/base/b-skip.yaml", &configmap("skipped", "1"))
        .write("d/base/deeper/c.yaml", &configmap("c", "1"))
        .write(
            "d/extra/list.json",
            r#"{"apiVersion": "v1", "kind": "List", "items": [
                {"apiVersion": "v1", "kind": "ConfigMap", "metadata": {"name": "j1"}},
                {"apiVersion": "v1", "kind": "ConfigMap", "metadata": {"name": "j2"}}]}"#,
        )
        .write("d/extra/notes.txt", "not a manifest")
        .write(
            "d/extra/marked.yaml",
            &format!(
                "# +argocd:skip-file-rendering\n{}",
                configmap("marked", "1")
            ),
        );
    repo.commit("directory options");
    let out = json(
        &gitops_offline(
            repo.path(),
            &[
                "render",
                "--app",
                "dirs",
                "-o",
                "json",
                "--revision",
                "HEAD",
            ],
        )
        .success(),
    );
    let mut names: Vec<&str> = out["items"]
        .as_array()
        .unwrap()
        .iter()
        .map(|o| o["metadata"]["name"].as_str().unwrap())
        .collect();
    names.sort();
    // `*` crosses folders in Argo CD's globs, so base/deeper/c.yaml matches `base/*`.
    assert_eq!(names, ["a", "c", "j1", "j2"]);
    // Without recurse only the top folder is read.
    repo.write("apps/dirs.yaml", &dir_app.replace("recurse: true, ", ""));
    repo.commit("no recurse");
    let out =
        json(&gitops_offline(repo.path(), &["render", "--app", "dirs", "-o", "json"]).success());
    assert_eq!(
        out["items"].as_array().unwrap().len(),
        0,
        "top.yaml is not included: {out}"
    );
}

#[test]
fn other_repositories_are_cloned_into_the_cache_unless_offline() {
    let repo = lab();
    let other = GitRepo::new();
    other.write("svc/cm.yaml", &configmap("cloned", "x"));
    other.commit("remote content");
    // Served over git's dumb HTTP protocol on loopback: local paths are no repoURLs.
    let served = crate::harness::tempdir();
    other.publish_bare(served.path(), "other.git");
    let server = crate::dumb_http::DumbHttp::serve(served.path(), None);
    let url = server.url("other.git");
    repo.write("apps/remote.yaml", &app("remote", &url, "svc", "remote"));
    repo.commit("app from another repository");
    let home = crate::harness::tempdir();
    let run = |extra: &[&str]| {
        let mut args = vec!["gitops", "tree", "-o", "json"];
        args.extend_from_slice(extra);
        crate::harness::run(
            crate::harness::kubectl(None)
                .current_dir(repo.path())
                .env("HOME", home.path())
                .env_remove("XDG_CACHE_HOME")
                .args(&args),
        )
    };
    let out = json(&run(&[]).success());
    assert_eq!(objects_of(&out, "remote"), Some(1));
    let cache = home.path().join(".cache/kubectl-gitops/repos");
    assert_eq!(
        std::fs::read_dir(&cache).unwrap().count(),
        1,
        "one bare clone in {}",
        cache.display()
    );
    // Now cached: --offline reads the clone without fetching.
    let requests = server.requests().len();
    let out = json(&run(&["--offline"]).success());
    assert_eq!(objects_of(&out, "remote"), Some(1));
    assert_eq!(server.requests().len(), requests, "offline: no request");
}

#[test]
fn namespace_flag_is_the_fallback_for_apps_without_a_destination_namespace() {
    let repo = lab();
    repo.write(
        "apps/nons.yaml",
        "apiVersion: argoproj.io/v1alpha1\nkind: Application\nmetadata: {name: nons, namespace: argocd}\nspec:\n  source: {repoURL: \"https://git.example.com/lab/apps.git\", path: nons}\n  destination: {server: \"https://kubernetes.default.svc\"}\n",
    )
    .write("nons/cm.yaml", &configmap("floating", "x"));
    repo.commit("app without destination namespace");
    for args in [
        &["render", "--app", "nons", "-o", "json", "-n", "team-x"][..],
        &["-n", "team-x", "render", "--app", "nons", "-o", "json"],
    ] {
        let out = json(&gitops_offline(repo.path(), args).success());
        assert_eq!(
            out["items"][0]["metadata"]["namespace"], "team-x",
            "{args:?}"
        );
    }
    let out =
        json(&gitops_offline(repo.path(), &["render", "--app", "nons", "-o", "json"]).success());
    assert_eq!(out["items"][0]["metadata"]["namespace"], "default");
    // The app's destination namespace wins over -n.
    let out = json(
        &gitops_offline(
            repo.path(),
            &["render", "--app", "one", "-o", "json", "-n", "team-x"],
        )
        .success(),
    );
    assert_eq!(out["items"][0]["metadata"]["namespace"], "team-one");
}

#[test]
fn absolute_source_paths_are_relative_to_the_repo_root_as_in_argo_cd() {
    let repo = lab();
    repo.write("apps/one.yaml", &app("one", URL, "/one", "team-one"));
    repo.commit("absolute path");
    let out = json(&gitops_offline(repo.path(), &["tree", "-o", "json"]).success());
    assert_eq!(objects_of(&out, "one"), Some(1));
}

#[test]
fn application_kustomize_options_are_applied_to_a_private_copy() {
    let repo = lab();
    let spec = "apiVersion: argoproj.io/v1alpha1\nkind: Application\nmetadata: {name: kzo, namespace: argocd}\nspec:\n  source:\n    repoURL: https://git.example.com/lab/apps.git\n    path: kzo/overlay\n    kustomize:\n      namePrefix: prod-\n      commonLabels: {env: prod}\n      images: ['nginx:1.27']\n      replicas: [{name: web, count: 3}]\n  destination: {server: \"https://kubernetes.default.svc\", namespace: kzo}\n";
    let kustomization = "resources: [../base]\n";
    repo.write("apps/kzo.yaml", spec)
        .write("kzo/base/kustomization.yaml", "resources: [deploy.yaml]\n")
        .write(
            "kzo/base/deploy.yaml",
            "apiVersion: apps/v1\nkind: Deployment\nmetadata: {name: web}\nspec:\n  replicas: 1\n  selector: {matchLabels: {app: web}}\n  template:\n    metadata: {labels: {app: web}}\n    spec: {containers: [{name: web, image: nginx}]}\n",
        )
        .write("kzo/overlay/kustomization.yaml", kustomization);
    repo.commit("kustomize options in the Application");
    for rev in [None, Some("HEAD")] {
        let mut args = vec!["render", "--app", "kzo", "-o", "json"];
        args.extend(rev.iter().flat_map(|r| ["--revision", *r]));
        let out = json(&gitops_offline(repo.path(), &args).success());
        let d = &out["items"][0];
        assert_eq!(d["metadata"]["name"], "prod-web", "{out}");
        assert_eq!(d["metadata"]["labels"]["env"], "prod");
        assert_eq!(d["spec"]["replicas"], 3);
        assert_eq!(
            d["spec"]["template"]["spec"]["containers"][0]["image"],
            "nginx:1.27"
        );
    }
    let on_disk =
        std::fs::read_to_string(repo.path().join("kzo/overlay/kustomization.yaml")).unwrap();
    assert_eq!(on_disk, kustomization, "the work tree must not change");
}
