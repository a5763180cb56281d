use std::os::unix::fs::{MetadataExt, PermissionsExt};

use super::*;
use crate::source::repo::Repo;
use crate::source::testutil::TestRepo;
use crate::source::view::Snapshot;

fn commit_view(t: &TestRepo, sha: &str) -> RepoView {
    let repo = Repo::open(t.path()).unwrap();
    repo.view(Snapshot::Commit(Sha::parse(sha).unwrap()))
        .unwrap()
}

#[test]
fn entry_names_are_fixed_and_distinct() {
    assert_eq!(
        entry_name("https://github.com:443/org/repo"),
        entry_name("https://github.com:443/org/repo")
    );
    assert_eq!(entry_name("").len(), 40);
    assert_ne!(entry_name("a"), entry_name("b"));
}

#[test]
fn commit_tree_is_written_once_and_reused_across_threads_and_runs() {
    let t = TestRepo::new();
    t.write("apps/a.yaml", "a: 1\n");
    t.write("base/kustomization.yaml", "resources: []\n");
    let sha = t.commit("c");
    let view = commit_view(&t, &sha);
    let cache_dir = tempfile::tempdir().unwrap();
    let cache = TreeCache::new(CacheDir::at(cache_dir.path()));
    let root = RepoPath::root();

    let dirs: Vec<PathBuf> = std::thread::scope(|s| {
        let handles: Vec<_> = (0..4)
            .map(|_| s.spawn(|| cache.on_disk(&view, &root).unwrap()))
            .collect();
        handles.into_iter().map(|h| h.join().unwrap()).collect()
    });
    let expected = cache_dir.path().join("trees").join(&sha);
    assert!(dirs.iter().all(|d| *d == expected));
    assert_eq!(
        std::fs::read_to_string(expected.join("apps/a.yaml")).unwrap(),
        "a: 1\n"
    );
    let mut leftovers: Vec<_> = std::fs::read_dir(cache_dir.path().join("trees"))
        .unwrap()
        .map(|e| e.unwrap().file_name().into_string().unwrap())
        .collect();
    leftovers.sort();
    assert_eq!(leftovers, [sha.clone(), format!("{sha}.skipped")]);

    // A second cache object (another run) reuses the directory without rewriting it.
    std::fs::write(expected.join("marker"), "kept").unwrap();
    let again = TreeCache::new(CacheDir::at(cache_dir.path()))
        .on_disk(&view, &root)
        .unwrap();
    assert!(again.join("marker").exists());
}

#[test]
fn a_link_out_of_the_repo_fails_only_the_paths_that_hold_it() {
    let outside = tempfile::tempdir().unwrap();
    let secret = outside.path().join("secret");
    std::fs::write(&secret, "sentinel").unwrap();
    let t = TestRepo::new();
    t.write("chart/Chart.yaml", "name: c\n");
    t.symlink("chart/templates/leak.yaml", secret.to_str().unwrap());
    t.write("other/kustomization.yaml", "resources: []\n");
    t.symlink("other/inside.yaml", "kustomization.yaml");
    let sha = t.commit("c");
    let repo = Repo::open(t.path()).unwrap();
    let cache_dir = tempfile::tempdir().unwrap();

    for view in [
        commit_view(&t, &sha),
        repo.view(Snapshot::WorkTree).unwrap(),
    ] {
        let cache = TreeCache::new(CacheDir::at(cache_dir.path()));
        for bad in ["chart", "chart/templates", "chart/templates/leak.yaml", ""] {
            let err = cache
                .on_disk(&view, &RepoPath::new(bad).unwrap())
                .unwrap_err();
            assert!(
                matches!(err, SourceError::SymlinkEscape { ref link, .. } if link.as_str() == "chart/templates/leak.yaml"),
                "{bad}: {err:?}"
            );
        }
        let root = cache
            .on_disk(&view, &RepoPath::new("other").unwrap())
            .unwrap();
        assert_eq!(
            std::fs::read_to_string(root.join("other/inside.yaml")).unwrap(),
            "resources: []\n",
            "in-repo links become copies"
        );
        assert!(!root.join("chart/templates/leak.yaml").exists());
        assert!(
            std::fs::symlink_metadata(root.join("other/inside.yaml"))
                .unwrap()
                .file_type()
                .is_file()
        );
    }
    // The next run reads the cached tree's list of left-out links.
    let cache = TreeCache::new(CacheDir::at(cache_dir.path()));
    assert!(
        cache
            .on_disk(&commit_view(&t, &sha), &RepoPath::new("chart").unwrap())
            .is_err()
    );
}

#[test]
fn the_work_tree_is_copied_once_per_run_into_a_private_dir_removed_at_the_end() {
    let t = TestRepo::new();
    t.write("chart/Chart.yaml", "name: c\n");
    let repo = Repo::open(t.path()).unwrap();
    let view = repo.view(Snapshot::WorkTree).unwrap();
    let cache_dir = tempfile::tempdir().unwrap();
    let cache = TreeCache::new(CacheDir::at(cache_dir.path()));
    let chart = RepoPath::new("chart").unwrap();
    let first = cache.on_disk(&view, &chart).unwrap();
    assert_ne!(first, t.path(), "renderers never get the work tree itself");
    assert_eq!(
        std::fs::read_to_string(first.join("chart/Chart.yaml")).unwrap(),
        "name: c\n"
    );
    assert!(!first.join(".git").exists(), ".git is not copied");
    // Edits after the copy are not seen: one copy per run, shared by every app.
    t.write("chart/Chart.yaml", "name: changed\n");
    let second = cache.on_disk(&view, &RepoPath::root()).unwrap();
    assert_eq!(first, second);
    assert_eq!(
        std::fs::read_to_string(second.join("chart/Chart.yaml")).unwrap(),
        "name: c\n"
    );
    let scratch = first.parent().unwrap().to_path_buf();
    assert_eq!(
        std::fs::metadata(&scratch).unwrap().permissions().mode() & 0o777,
        0o700
    );
    assert!(
        std::fs::read_dir(cache_dir.path())
            .unwrap()
            .next()
            .is_none(),
        "work-tree copies don't go to the shared cache"
    );
    drop(cache);
    assert!(!scratch.exists(), "removed when the run ends");
}

#[test]
fn cache_dir_is_created_private_and_its_mode_fixed() {
    let base = tempfile::tempdir().unwrap();
    let dir = base.path().join("a/b/kubectl-gitops");
    let cache = CacheDir::at(&dir);
    assert_eq!(cache.path().unwrap(), dir);
    let mode = |p: &Path| std::fs::metadata(p).unwrap().permissions().mode() & 0o777;
    assert_eq!(mode(&dir), 0o700);
    let repos = cache.subdir("repos").unwrap();
    assert_eq!(mode(&repos), 0o700);

    std::fs::set_permissions(&dir, std::fs::Permissions::from_mode(0o777)).unwrap();
    CacheDir::at(&dir).path().unwrap();
    assert_eq!(mode(&dir), 0o700);

    let file = base.path().join("file");
    std::fs::write(&file, "").unwrap();
    assert!(matches!(
        CacheDir::at(&file).path().unwrap_err().root(),
        SourceError::CacheDirNotADirectory { .. }
    ));
}

#[test]
fn cache_dir_of_another_user_is_refused() {
    let dir = tempfile::tempdir().unwrap();
    let me = std::fs::metadata(dir.path()).unwrap().uid();
    check_owner(dir.path(), me, me).unwrap();
    let err = check_owner(dir.path(), me + 1, me).unwrap_err();
    let msg = err.to_string();
    assert!(
        msg.contains(&dir.path().display().to_string())
            && msg.contains(&format!("user id {}", me + 1))
            && msg.contains("refusing"),
        "{msg}"
    );
    // Really owned by someone else (possible only as root, as in CI).
    if rustix::process::geteuid().is_root() {
        let theirs = dir.path().join("theirs");
        std::fs::create_dir(&theirs).unwrap();
        std::os::unix::fs::chown(&theirs, Some(65534), Some(65534)).unwrap();
        let err = CacheDir::at(&theirs).path().unwrap_err();
        assert!(
            matches!(
                err.root(),
                SourceError::CacheDirNotOwned { owner: 65534, .. }
            ),
            "{err:?}"
        );
    }
}

#[test]
fn publish_keeps_the_first_writer() {
    let dir = tempfile::tempdir().unwrap();
    let final_dir = dir.path().join("final");
    std::fs::create_dir_all(final_dir.join("x")).unwrap();
    let temp = dir.path().join("temp");
    std::fs::create_dir_all(temp.join("y")).unwrap();
    publish(&temp, &final_dir).unwrap();
    assert!(final_dir.join("x").exists());
    assert!(!temp.exists());
}

#[test]
fn without_a_user_cache_each_run_gets_a_private_dir_removed_at_the_end() {
    let run = CacheDir {
        place: None,
        opened: OnceLock::new(),
        swept: Mutex::default(),
    };
    let dir = run.path().unwrap().to_path_buf();
    assert_eq!(
        std::fs::metadata(&dir).unwrap().permissions().mode() & 0o777,
        0o700
    );
    assert_ne!(dir, std::env::temp_dir().join("kubectl-gitops"));
    let other = CacheDir {
        place: None,
        opened: OnceLock::new(),
        swept: Mutex::default(),
    };
    assert_ne!(other.path().unwrap(), dir, "not reused by another run");
    drop(run);
    assert!(!dir.exists());
}

#[test]
fn a_failed_commit_tree_is_tried_once_per_run() {
    let t = TestRepo::new();
    t.write("a.yaml", "a\n");
    let sha = t.commit("c");
    let view = commit_view(&t, &sha);
    let base = tempfile::tempdir().unwrap();
    let not_a_dir = base.path().join("file");
    std::fs::write(&not_a_dir, "").unwrap();
    let cache = TreeCache::new(CacheDir::at(&not_a_dir));
    let first = cache.on_disk(&view, &RepoPath::root()).unwrap_err();
    let second = cache.on_disk(&view, &RepoPath::root()).unwrap_err();
    match (&first, &second) {
        (SourceError::Shared(a), SourceError::Shared(b)) => assert!(Arc::ptr_eq(a, b)),
        other => panic!("{other:?}"),
    }
    assert!(matches!(
        first.root(),
        SourceError::CacheDirNotADirectory { .. }
    ));
}
