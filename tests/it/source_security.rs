//! A repository can't attack the machine that previews it: everything the tool reads from Git
//! is controlled by whoever opens a pull request, so repoURLs, revisions and symlinks must not
//! reach other repositories or files on the machine, poison the clone cache, or leak tokens.
//! Remote repositories are served by a dumb-HTTP server on loopback that the tests start.

use std::os::unix::fs::PermissionsExt;
use std::path::{Path, PathBuf};
use std::process::Command;

use serde_json::Value;

use crate::dumb_http::DumbHttp;
use crate::gitrepo::{GitRepo, app, configmap};
use crate::harness::{Run, app_names, json, kubectl, run, tempdir};

const URL: &str = "https://git.example.com/lab/apps.git";

/// A repo whose `origin` is URL, with a root app over `apps/` and a directory app `plain`.
fn lab() -> GitRepo {
    let repo = GitRepo::new();
    repo.git(&["remote", "add", "origin", URL]);
    repo.write("root.yaml", &app("root", URL, "apps", "argocd"))
        .write("apps/plain.yaml", &app("plain", URL, "plain", "plain"))
        .write("plain/cm.yaml", &configmap("plain", "fine"));
    repo.commit("root and a plain app");
    repo
}

/// `kubectl gitops ARGS` in `dir` with its own HOME (so its own cache) and no XDG_CACHE_HOME.
fn gitops_home(dir: &Path, home: &Path, args: &[&str]) -> Run {
    run(kubectl(None)
        .current_dir(dir)
        .env("HOME", home)
        .env_remove("XDG_CACHE_HOME")
        .arg("gitops")
        .args(args))
}

fn objects_of(tree: &Value, app: &str) -> Option<u64> {
    tree["apps"].as_array()?.iter().find(|a| a["name"] == app)?["objects"].as_u64()
}

/// A value no file on the machine holds by chance.
fn unique(label: &str) -> String {
    let nanos = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .as_nanos();
    format!("{label}-{}-{nanos}", std::process::id())
}

/// A repository with one ConfigMap `name` in `svc/`, served as `<root>/repo.git`.
fn served_repo(name: &str) -> (GitRepo, tempfile::TempDir) {
    let repo = GitRepo::new();
    repo.write("svc/cm.yaml", &configmap(name, name));
    repo.commit("content");
    let root = tempdir();
    repo.publish_bare(root.path(), "repo.git");
    (repo, root)
}

/// A loopback port on which nothing listens (bound, then released).
fn dead_port() -> u16 {
    let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    listener.local_addr().unwrap().port()
}

fn names_of_rendered(run: &Run) -> Vec<String> {
    json(run)["items"]
        .as_array()
        .unwrap()
        .iter()
        .map(|o| o["metadata"]["name"].as_str().unwrap().to_owned())
        .collect()
}

#[test]
fn local_path_and_file_repo_urls_are_refused_while_other_apps_render() {
    let repo = lab();
    let other = GitRepo::new();
    other.write("svc/cm.yaml", &configmap("private", "from-another-repo"));
    other.commit("a repository elsewhere on the machine");
    let path_url = other.path().display().to_string();
    let file_url = format!("file://{path_url}");
    repo.write("apps/bypath.yaml", &app("bypath", &path_url, "svc", "x"))
        .write("apps/byfile.yaml", &app("byfile", &file_url, "svc", "x"));
    // The repository the command runs in may still name itself by path: no new access.
    let own = format!("file://{}", repo.path().display());
    repo.write("apps/self.yaml", &app("self", &own, "plain", "self"));
    repo.commit("apps naming local repositories");
    let home = tempdir();

    let out = gitops_home(repo.path(), home.path(), &["tree", "-o", "json"]).no_panic();
    assert_ne!(out.code, 0, "{out:#?}");
    let tree = json(&out);
    assert_eq!(objects_of(&tree, "plain"), Some(1), "{out:#?}");
    assert_eq!(objects_of(&tree, "self"), Some(1), "{out:#?}");
    for (name, file) in [
        ("bypath", "apps/bypath.yaml"),
        ("byfile", "apps/byfile.yaml"),
    ] {
        let line = out
            .stderr
            .lines()
            .find(|l| l.contains(&format!("app \"{name}\"")))
            .unwrap_or_else(|| panic!("no error for {name}: {out:#?}"));
        assert!(line.contains(file), "{line}");
        assert!(
            line.contains("local repository URLs are read only through --repo-map URL=PATH"),
            "{line}"
        );
    }
    assert!(!out.stdout.contains("from-another-repo"));
    assert!(
        !home.path().join(".cache/kubectl-gitops/repos").exists()
            || std::fs::read_dir(home.path().join(".cache/kubectl-gitops/repos"))
                .unwrap()
                .next()
                .is_none(),
        "nothing cloned"
    );

    // --repo-map is the way to read them, for either spelling.
    let map_path = format!("{path_url}={}", other.path().display());
    let map_file = format!("{file_url}={}", other.path().display());
    let out = gitops_home(
        repo.path(),
        home.path(),
        &[
            "tree",
            "-o",
            "json",
            "--repo-map",
            &map_path,
            "--repo-map",
            &map_file,
        ],
    )
    .success();
    let tree = json(&out);
    assert_eq!(objects_of(&tree, "bypath"), Some(1));
    assert_eq!(objects_of(&tree, "byfile"), Some(1));
}

/// A Helm chart that reads a file through a symlink to `target`, and a well-behaved chart.
fn leaky_charts(repo: &GitRepo, target: &Path) {
    let chart = |dir: &str, template: &str| {
        repo.write(
            &format!("{dir}/Chart.yaml"),
            "apiVersion: v2\nname: c\nversion: 0.1.0\n",
        )
        .write(&format!("{dir}/templates/cm.yaml"), template);
    };
    chart(
        "leaky",
        "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: leaky\ndata:\n  stolen: {{ .Files.Get \"files/secret\" | quote }}\n",
    );
    std::fs::create_dir_all(repo.path().join("leaky/files")).unwrap();
    std::os::unix::fs::symlink(target, repo.path().join("leaky/files/secret")).unwrap();
    chart(
        "good",
        "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: good\ndata:\n  fine: \"yes\"\n",
    );
    repo.write("apps/leaky.yaml", &app("leaky", URL, "leaky", "leaky"))
        .write("apps/good.yaml", &app("good", URL, "good", "good"));
}

#[test]
fn a_helm_chart_symlink_out_of_the_repo_fails_that_app_and_never_shows_the_file() {
    let outside = tempdir();
    let sentinel = unique("SENTINEL");
    let secret = outside.path().join("secret.txt");
    std::fs::write(&secret, &sentinel).unwrap();
    let repo = lab();
    leaky_charts(&repo, &secret);
    let home = tempdir();

    let check = |args: &[&str], mode: &str| {
        for output in [
            &["render", "-o", "json"][..],
            &["tree", "-o", "json"],
            &["tree"],
        ] {
            let mut all = output.to_vec();
            all.extend_from_slice(args);
            let out = gitops_home(repo.path(), home.path(), &all).no_panic();
            assert!(
                !out.stdout.contains(&sentinel) && !out.stderr.contains(&sentinel),
                "{mode} {all:?}: the file outside the repository leaked: {out:#?}"
            );
            assert_ne!(out.code, 0, "{mode} {all:?}: {out:#?}");
            let line = out
                .stderr
                .lines()
                .find(|l| l.contains("app \"leaky\""))
                .unwrap_or_else(|| panic!("{mode} {all:?}: no error for leaky: {out:#?}"));
            assert!(
                line.contains("leaky/files/secret")
                    && line.contains("points outside the repository"),
                "{mode}: {line}"
            );
            assert!(
                !out.stderr.contains("app \"good\"") && !out.stderr.contains("app \"plain\""),
                "{mode}: only the leaky app fails: {out:#?}"
            );
            if all[0] == "render" {
                let names = names_of_rendered(&out);
                assert!(names.contains(&"good".to_owned()), "{mode}: {names:?}");
                assert!(names.contains(&"plain".to_owned()), "{mode}: {names:?}");
            }
        }
    };
    // Work tree: helm used to run on the checkout itself and follow the link.
    check(&[], "work tree");
    // Commit: the same link, committed.
    repo.commit("charts with a link out of the repository");
    check(&["--revision", "HEAD"], "commit");
    check(&[], "work tree after commit");
}

#[test]
fn repositories_differing_only_by_port_get_separate_clones() {
    let (_a, root_a) = served_repo("from-a");
    let (_b, root_b) = served_repo("from-b");
    let server_a = DumbHttp::serve(root_a.path(), None);
    let server_b = DumbHttp::serve(root_b.path(), None);
    let repo = lab();
    let url_a = server_a.url("repo.git");
    let url_b = server_b.url("repo.git");
    // The scheme's case does not make another repository: it shares A's clone.
    let url_a_upper = url_a.replacen("http://", "HTTP://", 1);
    repo.write("apps/a.yaml", &app("a", &url_a, "svc", "a"))
        .write("apps/b.yaml", &app("b", &url_b, "svc", "b"))
        .write("apps/a2.yaml", &app("a2", &url_a_upper, "svc", "a2"));
    repo.commit("two servers");
    let home = tempdir();

    let out = gitops_home(repo.path(), home.path(), &["render", "-o", "json"]).success();
    let items = json(&out)["items"].as_array().unwrap().clone();
    let name_in = |ns: &str| {
        items
            .iter()
            .find(|o| o["metadata"]["namespace"] == ns)
            .map(|o| o["metadata"]["name"].as_str().unwrap().to_owned())
    };
    assert_eq!(name_in("a").as_deref(), Some("from-a"));
    assert_eq!(name_in("b").as_deref(), Some("from-b"));
    assert_eq!(name_in("a2").as_deref(), Some("from-a"));
    let repos = home.path().join(".cache/kubectl-gitops/repos");
    assert_eq!(std::fs::read_dir(&repos).unwrap().count(), 2);

    // The next run fetches each from its own URL and still keeps them apart.
    let out = gitops_home(repo.path(), home.path(), &["render", "-o", "json"]).success();
    assert_eq!(names_of_rendered(&out).len(), 4);
}

#[test]
fn a_dead_url_does_not_reuse_another_repositorys_clone() {
    let (_a, root_a) = served_repo("from-a");
    let server = DumbHttp::serve(root_a.path(), None);
    let repo = lab();
    repo.write(
        "apps/a.yaml",
        &app("a", &server.url("repo.git"), "svc", "a"),
    );
    repo.commit("app a");
    let home = tempdir();
    gitops_home(repo.path(), home.path(), &["tree", "-o", "json"]).success();

    // Same host and path, another port where nothing listens: it must not read A's clone.
    let dead = format!("http://127.0.0.1:{}/repo.git", dead_port());
    repo.write("apps/a.yaml", &app("dead", &dead, "svc", "dead"));
    repo.commit("a dead url");
    for extra in [&[][..], &["--offline"]] {
        let mut args = vec!["tree", "-o", "json"];
        args.extend_from_slice(extra);
        let out = gitops_home(repo.path(), home.path(), &args).no_panic();
        assert_ne!(out.code, 0, "{out:#?}");
        let tree = json(&out);
        let dead = tree["apps"]
            .as_array()
            .unwrap()
            .iter()
            .find(|a| a["name"] == "dead")
            .unwrap();
        assert_eq!(dead["objects"], 0, "{out:#?}");
        assert!(dead["error"].is_string(), "{out:#?}");
        assert!(
            out.stderr.lines().any(|l| l.contains("app \"dead\"")),
            "{out:#?}"
        );
        assert_eq!(objects_of(&tree, "plain"), Some(1));
    }
}

/// Every file below `dir`.
fn files_below(dir: &Path) -> Vec<PathBuf> {
    let mut out = Vec::new();
    let Ok(entries) = std::fs::read_dir(dir) else {
        return out;
    };
    for entry in entries {
        let path = entry.unwrap().path();
        if path.is_dir() {
            out.extend(files_below(&path));
        } else {
            out.push(path);
        }
    }
    out
}

#[test]
fn a_token_in_a_repo_url_is_never_shown_nor_stored() {
    let (a, root) = served_repo("authed");
    a.publish_bare(root.path(), "other.git");
    let server = DumbHttp::serve(root.path(), Some(("user", "tok3n")));
    let port = server.port();
    let good = format!("HTTP://user:tok3n@127.0.0.1:{port}/repo.git");
    let bad = format!("Https://tok3n@127.0.0.1:{}/repo.git", dead_port());
    // Another repository on the same server (a clone of its own), with a wrong password.
    let wrong = format!("http://user:tok3nwrong@127.0.0.1:{port}/other.git");
    let repo = lab();
    repo.write("apps/authed.yaml", &app("authed", &good, "svc", "authed"))
        .write(
            "apps/unreachable.yaml",
            &app("unreachable", &bad, "svc", "x"),
        )
        .write("apps/wrong.yaml", &app("wrong", &wrong, "svc", "wrong"));
    repo.commit("apps with tokens");
    let home = tempdir();

    for args in [
        &["tree", "-o", "json"][..],
        &["tree"],
        &["render", "-o", "json"],
        &["render"],
        &["tree", "--revision", "HEAD"],
    ] {
        let out = gitops_home(repo.path(), home.path(), args).no_panic();
        assert!(
            !out.stdout.contains("tok3n") && !out.stderr.contains("tok3n"),
            "{args:?} shows the token: {out:#?}"
        );
        assert_ne!(out.code, 0, "two apps fail: {out:#?}");
        for name in ["unreachable", "wrong"] {
            assert!(
                out.stderr
                    .lines()
                    .any(|l| l.contains(&format!("app \"{name}\""))),
                "{args:?}: {out:#?}"
            );
        }
    }
    let out = gitops_home(repo.path(), home.path(), &["render", "-o", "json"]);
    assert!(
        names_of_rendered(&out).contains(&"authed".to_owned()),
        "{out:#?}"
    );
    assert!(
        server
            .requests()
            .iter()
            .any(|r| r.authorization.is_some() && r.path.ends_with("/info/refs")),
        "the token reached the server"
    );

    let cache = home.path().join(".cache/kubectl-gitops");
    let files = files_below(&cache);
    assert!(files.iter().any(|f| f.ends_with("config")), "{files:?}");
    for file in files {
        let bytes = std::fs::read(&file).unwrap();
        assert!(
            !String::from_utf8_lossy(&bytes).contains("tok3n"),
            "{} holds the token",
            file.display()
        );
    }
}

#[test]
fn a_token_never_shows_in_a_markdown_diff_against_the_cluster() {
    let (_a, root) = served_repo("authed-diff");
    let server = DumbHttp::serve(root.path(), Some(("user", "tok3n")));
    let good = format!("HTTP://user:tok3n@127.0.0.1:{}/repo.git", server.port());
    // A bare token in an upper-case scheme, as in `HTTPS://TOKEN@host/...`.
    let bad = format!("HTTP://tok3n@127.0.0.1:{}/repo.git", dead_port());
    let repo = lab();
    repo.write("apps/authed.yaml", &app("authed", &good, "svc", "authed"))
        .write(
            "apps/unreachable.yaml",
            &app("unreachable", &bad, "svc", "x"),
        );
    repo.commit("apps with tokens");
    let home = tempdir();
    let kubeconfig = crate::harness::cluster_kubeconfig();
    let out = run(kubectl(Some(&kubeconfig))
        .current_dir(repo.path())
        .env("HOME", home.path())
        .env_remove("XDG_CACHE_HOME")
        .args(["gitops", "diff", "-o", "markdown"]))
    .no_panic();
    assert!(
        !out.stdout.contains("tok3n") && !out.stderr.contains("tok3n"),
        "{out:#?}"
    );
    assert!(out.code >= 2, "an app failed: {out:#?}");
}

#[test]
fn without_home_or_xdg_cache_home_the_cache_is_private_to_the_run() {
    let (_a, root) = served_repo("cloned-without-home");
    let server = DumbHttp::serve(root.path(), None);
    let repo = lab();
    repo.write(
        "apps/remote.yaml",
        &app("remote", &server.url("repo.git"), "svc", "r"),
    )
    .write(
        "chart/Chart.yaml",
        "apiVersion: v2\nname: c\nversion: 0.1.0\n",
    )
    .write(
        "chart/templates/cm.yaml",
        "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: charted\n",
    )
    .write("apps/chart.yaml", &app("chart", URL, "chart", "c"));
    repo.commit("a remote app and a chart");
    let shared = Path::new("/tmp/kubectl-gitops");
    let shared_before = shared.exists();
    let tmp = tempdir();

    for args in [
        &["render", "-o", "json"][..],
        &["render", "-o", "json", "--revision", "HEAD"],
    ] {
        let out = run(kubectl(None)
            .current_dir(repo.path())
            .env_remove("HOME")
            .env_remove("XDG_CACHE_HOME")
            .env("TMPDIR", tmp.path())
            .arg("gitops")
            .args(args))
        .success();
        let names = names_of_rendered(&out);
        for name in ["cloned-without-home", "charted", "plain"] {
            assert!(names.contains(&name.to_owned()), "{args:?}: {names:?}");
        }
        let left: Vec<_> = std::fs::read_dir(tmp.path())
            .unwrap()
            .map(|e| e.unwrap().path())
            .filter(|p| {
                p.file_name()
                    .is_some_and(|n| n.to_string_lossy().starts_with("kubectl-gitops"))
            })
            .collect();
        assert!(left.is_empty(), "per-run directories are removed: {left:?}");
    }
    if !shared_before {
        assert!(!shared.exists(), "nothing in a shared /tmp/kubectl-gitops");
    }
}

#[test]
fn the_cache_dir_must_be_private_and_owned_by_the_user() {
    let (_a, root) = served_repo("cached");
    let server = DumbHttp::serve(root.path(), None);
    let repo = lab();
    repo.write(
        "apps/remote.yaml",
        &app("remote", &server.url("repo.git"), "svc", "r"),
    );
    repo.commit("a remote app");
    let xdg = tempdir();
    let cache = xdg.path().join("kubectl-gitops");
    std::fs::create_dir(&cache).unwrap();
    std::fs::set_permissions(&cache, std::fs::Permissions::from_mode(0o777)).unwrap();
    let gitops_xdg = |args: &[&str]| {
        run(kubectl(None)
            .current_dir(repo.path())
            .env("XDG_CACHE_HOME", xdg.path())
            .arg("gitops")
            .args(args))
    };

    let out = gitops_xdg(&["tree", "-o", "json"]).success();
    assert_eq!(objects_of(&json(&out), "remote"), Some(1));
    let mode = |p: &Path| std::fs::metadata(p).unwrap().permissions().mode() & 0o777;
    assert_eq!(
        mode(&cache),
        0o700,
        "a group- or world-writable cache is made private"
    );
    assert_eq!(mode(&cache.join("repos")), 0o700);

    // Another user's cache could hold planted clones: refused, naming the directory.
    if !is_root() {
        return;
    }
    let chown = |uid: u32| {
        let status = Command::new("chown")
            .args(["-R", &uid.to_string(), cache.to_str().unwrap()])
            .status()
            .unwrap();
        assert!(status.success());
    };
    chown(65534);
    let out = gitops_xdg(&["tree", "-o", "json"]).no_panic();
    chown(0);
    assert_ne!(out.code, 0, "{out:#?}");
    let line = out
        .stderr
        .lines()
        .find(|l| l.contains("app \"remote\""))
        .unwrap_or_else(|| panic!("{out:#?}"));
    assert!(
        line.contains(&cache.display().to_string()) && line.contains("belongs to user id 65534"),
        "{line}"
    );
    assert_eq!(
        objects_of(&json(&out), "plain"),
        Some(1),
        "other apps still resolve"
    );
}

fn is_root() -> bool {
    Command::new("id")
        .arg("-u")
        .output()
        .is_ok_and(|o| String::from_utf8_lossy(&o.stdout).trim() == "0")
}

#[test]
fn option_like_and_refspec_target_revisions_are_refused_and_run_nothing() {
    let (_a, root) = served_repo("revisions");
    let server = DumbHttp::serve(root.path(), None);
    let marker_dir = tempdir();
    let marker = marker_dir.path().join(unique("pwned"));
    let evil = [
        format!("--upload-pack=touch {}", marker.display()),
        "main:refs/heads/evil".to_owned(),
    ];
    let repo = lab();
    for (i, rev) in evil.iter().enumerate() {
        let manifest = app(&format!("evil{i}"), &server.url("repo.git"), "svc", "e")
            .replace("targetRevision: main", &format!("targetRevision: {rev:?}"));
        repo.write(&format!("apps/evil{i}.yaml"), &manifest);
    }
    repo.commit("apps with hostile revisions");
    let home = tempdir();

    for extra in [&[][..], &["--respect-target-revision"]] {
        let mut args = vec!["tree", "-o", "json"];
        args.extend_from_slice(extra);
        let out = gitops_home(repo.path(), home.path(), &args).no_panic();
        assert_ne!(out.code, 0, "{out:#?}");
        for (i, rev) in evil.iter().enumerate() {
            let line = out
                .stderr
                .lines()
                .find(|l| l.contains(&format!("app \"evil{i}\"")))
                .unwrap_or_else(|| panic!("{rev}: {out:#?}"));
            assert!(line.contains("is not allowed"), "{line}");
        }
        let names = app_names(&json(&out));
        assert!(names.contains(&"plain".to_owned()), "{names:?}");
    }
    assert!(!marker.exists(), "git ran the upload-pack command");
    let clones = home.path().join(".cache/kubectl-gitops/repos");
    for clone in std::fs::read_dir(&clones).unwrap() {
        let clone = clone.unwrap().path();
        assert!(!clone.join("refs/heads/evil").exists());
    }
}
