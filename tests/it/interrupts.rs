//! Temporary copies and the cache: Ctrl-C leaves no temporary copy behind, what a killed run
//! left is swept by the next one, and `cache prune` bounds the cache.

use std::os::unix::fs::MetadataExt;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use crate::gitrepo::GitRepo;
use crate::harness::{kubectl, run, tempdir};

const URL: &str = "https://git.example.com/lab/interrupts.git";

/// A repository with one kustomize app: rendering it copies the work tree into a temporary
/// directory and runs `kustomize build` there.
fn kustomize_repo() -> GitRepo {
    let repo = GitRepo::new();
    repo.git(&["remote", "add", "origin", URL]);
    repo.write(
        "root.yaml",
        &format!(
            "apiVersion: argoproj.io/v1alpha1\nkind: Application\nmetadata: {{name: web, namespace: argocd}}\nspec:\n  source: {{repoURL: \"{URL}\", path: web}}\n  destination: {{server: \"https://kubernetes.default.svc\", namespace: web}}\n"
        ),
    )
    .write("web/kustomization.yaml", "resources: [cm.yaml]\n")
    .write(
        "web/cm.yaml",
        "apiVersion: v1\nkind: ConfigMap\nmetadata: {name: settings}\ndata: {a: b}\n",
    );
    repo.commit("kustomize app");
    repo
}

/// Every path under `dir`.
fn everything_under(dir: &Path) -> Vec<PathBuf> {
    let mut out = Vec::new();
    if let Ok(entries) = std::fs::read_dir(dir) {
        for e in entries.flatten() {
            out.push(e.path());
            out.extend(everything_under(&e.path()));
        }
    }
    out
}

/// A pid that no process has now.
fn dead_pid() -> u32 {
    (3_000_000..4_000_000)
        .find(|p| !Path::new(&format!("/proc/{p}")).exists())
        .unwrap()
}

#[test]
fn ctrl_c_leaves_no_temporary_copies_and_leftovers_of_killed_runs_are_swept() {
    let repo = kustomize_repo();
    let tmp = tempdir();
    let uid = std::fs::metadata(tmp.path()).unwrap().uid();
    let base = tmp.path().join(format!("kubectl-gitops-{uid}"));
    // What a run killed with SIGKILL left behind.
    let stale = base.join(format!("run-{}", dead_pid()));
    std::fs::create_dir_all(stale.join("kubectl-gitops-work-x/repo")).unwrap();
    std::fs::write(stale.join("kubectl-gitops-work-x/repo/file"), "left").unwrap();
    std::fs::set_permissions(&base, std::os::unix::fs::PermissionsExt::from_mode(0o700)).unwrap();
    // A kustomize that takes its time, so the run can be interrupted in the middle.
    let bin = tempdir();
    let started = tmp.path().join("kustomize-started");
    std::fs::write(
        bin.path().join("kustomize"),
        format!(
            "#!/bin/sh\necho $$ > {}\nexec sleep 30\n",
            started.display()
        ),
    )
    .unwrap();
    std::fs::set_permissions(
        bin.path().join("kustomize"),
        std::os::unix::fs::PermissionsExt::from_mode(0o755),
    )
    .unwrap();
    let mut child = kubectl(None)
        .current_dir(repo.path())
        .env("TMPDIR", tmp.path())
        .env("XDG_CACHE_HOME", tmp.path().join("cache"))
        .env(
            "PATH",
            format!(
                "{}:{}",
                bin.path().display(),
                crate::harness::path_with_plugin()
            ),
        )
        .args(["gitops", "render", "root.yaml"])
        .stdin(Stdio::null())
        .stdout(Stdio::null())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let begin = Instant::now();
    while !started.exists() {
        assert!(
            child.try_wait().unwrap().is_none(),
            "render ended before kustomize ran"
        );
        assert!(
            begin.elapsed() < Duration::from_secs(60),
            "kustomize never ran"
        );
        std::thread::sleep(Duration::from_millis(20));
    }
    assert!(!stale.exists(), "the killed run's copies were swept");
    let copies = everything_under(&base);
    assert!(
        copies.iter().any(|p| p.ends_with("web/cm.yaml")),
        "the run's copy of the work tree is there while it runs: {copies:?}"
    );
    let kill = Command::new("kill")
        .args(["-INT", &child.id().to_string()])
        .status()
        .unwrap();
    assert!(kill.success());
    let status = loop {
        if let Some(s) = child.try_wait().unwrap() {
            break s;
        }
        assert!(
            begin.elapsed() < Duration::from_secs(90),
            "still running after Ctrl-C"
        );
        std::thread::sleep(Duration::from_millis(20));
    };
    assert_eq!(status.code(), Some(130), "exits as Ctrl-C would");
    let left = everything_under(tmp.path());
    assert_eq!(
        left,
        std::slice::from_ref(&started),
        "temporary copies left behind: {left:?}"
    );
    // The fake kustomize did not get the Ctrl-C (no terminal here): stopped by its pid.
    let pid = std::fs::read_to_string(&started).unwrap();
    let _ = Command::new("kill").args(["-KILL", pid.trim()]).status();
}

#[test]
fn cache_prune_removes_entries_no_run_used() {
    let repo = kustomize_repo();
    let home = tempdir();
    let cache = home.path().join("cache");
    let gitops = |args: &[&str]| {
        run(kubectl(None)
            .current_dir(repo.path())
            .env("XDG_CACHE_HOME", &cache)
            .arg("gitops")
            .args(args))
    };
    // A commit's tree is written to the cache for kustomize.
    let out = gitops(&["render", "root.yaml", "--revision", "HEAD"]);
    assert_eq!(out.code, 0, "{out:#?}");
    let trees = cache.join("kubectl-gitops/trees");
    // The tree, and the list of links left out of it.
    assert_eq!(std::fs::read_dir(&trees).unwrap().count(), 2);
    // Just used: kept.
    let out = gitops(&["cache", "prune"]);
    assert_eq!(out.code, 0, "{out:#?}");
    assert!(
        out.stdout
            .starts_with("Removed 0 entries (0.0 MB) unused for 720h; kept 1"),
        "{out:#?}"
    );
    let out = gitops(&["cache", "prune", "--all", "--dry-run", "-o", "json"]);
    let doc: serde_json::Value = serde_json::from_str(&out.stdout).unwrap();
    assert_eq!(doc["removed"][0]["kind"], "trees", "{doc:#}");
    assert_eq!(std::fs::read_dir(&trees).unwrap().count(), 2, "dry run");
    let out = gitops(&["cache", "prune", "--all"]);
    assert!(
        out.stdout.starts_with("Removed 1 entry (") && out.stdout.contains(": 1 trees; kept 0"),
        "{out:#?}"
    );
    assert_eq!(std::fs::read_dir(&trees).unwrap().count(), 0);
}
