use super::*;
use crate::source::testutil::TestRepo;

fn p(s: &str) -> RepoPath {
    RepoPath::new(s).unwrap()
}

/// A repository exercising files, directories, executables and every kind of symlink.
fn fixture() -> (TestRepo, Sha) {
    let t = TestRepo::new();
    t.write("apps/a.yaml", "kind: A\n");
    t.write("apps/sub/b.yaml", "kind: B\n");
    t.write("apps/sub/deeper/c.yaml", "kind: C\n");
    t.write("base/d.yaml", "kind: D\n");
    t.write("base/run.sh", "#!/bin/sh\n");
    t.write("README.md", "readme\n");
    std::fs::set_permissions(
        t.path().join("base/run.sh"),
        std::os::unix::fs::PermissionsExt::from_mode(0o755),
    )
    .unwrap();
    t.symlink("apps/link.yaml", "a.yaml");
    t.symlink("apps/up.yaml", "../base/d.yaml");
    t.symlink("apps/linkdir", "sub");
    t.symlink("apps/dangling.yaml", "nope.yaml");
    t.symlink("bad/evil", "../../etc");
    t.symlink("bad/abs", "/etc/passwd");
    t.symlink("bad/dotdot", "../apps/../../x");
    t.symlink("loop/one", "two");
    t.symlink("loop/two", "one");
    t.symlink("loop/self", ".");
    let sha = t.commit("fixture");
    (t, Sha::parse(&sha).unwrap())
}

fn views(t: &TestRepo, sha: Sha) -> [RepoView; 2] {
    let repo = Repo::open(t.path()).unwrap();
    [
        repo.view(Snapshot::WorkTree).unwrap(),
        repo.view(Snapshot::Commit(sha)).unwrap(),
    ]
}

/// Everything observable through the API, as a comparable value.
fn observe(view: &RepoView) -> Vec<String> {
    let mut out = Vec::new();
    for dir in [
        "",
        "apps",
        "apps/sub",
        "apps/linkdir",
        "base",
        "bad",
        "loop",
    ] {
        out.push(format!(
            "list {dir}: {:?}",
            view.list_dir(&p(dir)).map_err(kind_of_error)
        ));
    }
    for under in ["apps", "apps/linkdir", "base", "", "loop"] {
        out.push(format!(
            "walk {under}: {:?}",
            view.walk_files(&p(under)).map_err(kind_of_error)
        ));
    }
    for file in [
        "apps/a.yaml",
        "apps/link.yaml",
        "apps/up.yaml",
        "apps/linkdir/b.yaml",
        "apps/linkdir/deeper/c.yaml",
        "apps/dangling.yaml",
        "apps",
        "apps/a.yaml/x",
        "bad/evil/passwd",
        "bad/abs",
        "bad/dotdot",
        "loop/one",
        "loop/self/self/self/one",
        "missing",
        ".git/config",
    ] {
        let read = view
            .read(&p(file))
            .map(|b| String::from_utf8(b).unwrap())
            .map_err(kind_of_error);
        let kind = view.kind(&p(file)).map_err(kind_of_error);
        out.push(format!("{file}: {read:?} {kind:?}"));
    }
    out
}

fn kind_of_error(e: SourceError) -> String {
    match e {
        SourceError::NotFound { path, .. } => format!("NotFound({path})"),
        SourceError::NotAFile { path, .. } => format!("NotAFile({path})"),
        SourceError::NotADirectory { path, .. } => format!("NotADirectory({path})"),
        SourceError::SymlinkEscape { link, target, .. } => format!("Escape({link} -> {target})"),
        SourceError::SymlinkLoop { path, .. } => format!("Loop({path})"),
        other => format!("other: {other}"),
    }
}

#[test]
fn work_tree_and_commit_views_behave_identically() {
    let (t, sha) = fixture();
    let [work, commit] = views(&t, sha);
    let (work, commit) = (observe(&work), observe(&commit));
    for (w, c) in work.iter().zip(&commit) {
        assert_eq!(w, c);
    }
    assert_eq!(work.len(), commit.len());
}

#[test]
fn lists_are_sorted_and_report_symlinks() {
    let (t, sha) = fixture();
    for view in views(&t, sha) {
        let entries = view.list_dir(&p("apps")).unwrap();
        let names: Vec<(&str, EntryKind)> =
            entries.iter().map(|e| (e.name.as_str(), e.kind)).collect();
        assert_eq!(
            names,
            [
                ("a.yaml", EntryKind::File),
                ("dangling.yaml", EntryKind::Symlink),
                ("link.yaml", EntryKind::Symlink),
                ("linkdir", EntryKind::Symlink),
                ("sub", EntryKind::Dir),
                ("up.yaml", EntryKind::Symlink),
            ]
        );
        let root: Vec<String> = view
            .list_dir(&RepoPath::root())
            .unwrap()
            .into_iter()
            .map(|e| e.name)
            .collect();
        assert_eq!(
            root,
            ["README.md", "apps", "bad", "base", "loop"],
            "{view:?}"
        );
        assert_eq!(
            view.list_dir(&p("apps/linkdir")).unwrap(),
            view.list_dir(&p("apps/sub")).unwrap()
        );
    }
}

#[test]
fn walk_files_follows_file_links_but_not_directory_links() {
    let (t, sha) = fixture();
    for view in views(&t, sha) {
        let files: Vec<String> = view
            .walk_files(&p("apps"))
            .unwrap()
            .iter()
            .map(|f| f.to_string())
            .collect();
        assert_eq!(
            files,
            [
                "apps/a.yaml",
                "apps/link.yaml",
                "apps/sub/b.yaml",
                "apps/sub/deeper/c.yaml",
                "apps/up.yaml",
            ]
        );
        // Walking below a symlinked directory names paths as asked.
        assert_eq!(
            view.walk_files(&p("apps/linkdir")).unwrap(),
            [p("apps/linkdir/b.yaml"), p("apps/linkdir/deeper/c.yaml")]
        );
    }
}

#[test]
fn reads_follow_links_inside_the_repo() {
    let (t, sha) = fixture();
    for view in views(&t, sha) {
        assert_eq!(view.read(&p("apps/link.yaml")).unwrap(), b"kind: A\n");
        assert_eq!(
            view.read_to_string(&p("apps/up.yaml")).unwrap(),
            "kind: D\n"
        );
        assert_eq!(
            view.read(&p("./apps/linkdir/deeper/c.yaml")).unwrap(),
            b"kind: C\n"
        );
        assert_eq!(view.kind(&p("apps/linkdir")).unwrap(), Some(EntryKind::Dir));
        assert!(view.exists(&p("apps/linkdir/b.yaml")).unwrap());
        assert!(!view.exists(&p("apps/dangling.yaml")).unwrap());
    }
}

#[test]
fn symlinks_leaving_the_repo_are_errors_naming_link_and_target() {
    let (t, sha) = fixture();
    for view in views(&t, sha) {
        for (path, link, target) in [
            ("bad/evil/passwd", "bad/evil", "../../etc"),
            ("bad/abs", "bad/abs", "/etc/passwd"),
            ("bad/dotdot", "bad/dotdot", "../apps/../../x"),
        ] {
            let err = view.read(&p(path)).unwrap_err();
            match &err {
                SourceError::SymlinkEscape {
                    link: l,
                    target: tg,
                    ..
                } => {
                    assert_eq!(l.as_str(), link);
                    assert_eq!(tg, target);
                }
                other => panic!("{path}: {other:?}"),
            }
            let msg = err.to_string();
            assert!(msg.contains(link) && msg.contains(target), "{msg}");
        }
        assert!(matches!(
            view.walk_files(&p("bad")),
            Err(SourceError::SymlinkEscape { .. })
        ));
        assert!(view.walk_files(&RepoPath::root()).is_err());
        assert!(matches!(
            view.read(&p("loop/one")),
            Err(SourceError::SymlinkLoop { .. })
        ));
    }
}

#[test]
fn typed_errors_name_the_path_and_snapshot() {
    let (t, sha) = fixture();
    let [work, commit] = views(&t, sha);
    let err = commit.read(&p("apps/missing.yaml")).unwrap_err();
    assert!(matches!(err, SourceError::NotFound { .. }));
    let msg = err.to_string();
    assert!(
        msg.contains("apps/missing.yaml") && msg.contains(sha.short()),
        "{msg}"
    );
    assert!(
        work.read(&p("apps/missing.yaml"))
            .unwrap_err()
            .to_string()
            .contains("work tree")
    );
    assert!(matches!(
        commit.read(&p("apps")),
        Err(SourceError::NotAFile { .. })
    ));
    assert!(matches!(
        commit.list_dir(&p("apps/a.yaml")),
        Err(SourceError::NotADirectory { .. })
    ));
    assert!(matches!(
        commit.walk_files(&p("nowhere")),
        Err(SourceError::NotFound { .. })
    ));
}

#[test]
fn work_tree_sees_uncommitted_edits_and_hides_dot_git() {
    let (t, sha) = fixture();
    t.write("apps/a.yaml", "kind: Edited\n");
    t.write("apps/new.yaml", "kind: New\n");
    let [work, commit] = views(&t, sha);
    assert_eq!(work.read(&p("apps/a.yaml")).unwrap(), b"kind: Edited\n");
    assert_eq!(commit.read(&p("apps/a.yaml")).unwrap(), b"kind: A\n");
    assert!(work.exists(&p("apps/new.yaml")).unwrap());
    assert!(!commit.exists(&p("apps/new.yaml")).unwrap());
    assert!(!work.exists(&p(".git/HEAD")).unwrap());
    assert!(
        !work
            .list_dir(&RepoPath::root())
            .unwrap()
            .iter()
            .any(|e| e.name == ".git")
    );
}

#[test]
fn commit_view_of_older_commit_and_bare_repo_errors() {
    let (t, first) = fixture();
    t.write("apps/a.yaml", "kind: Second\n");
    t.commit("second");
    let repo = Repo::open(t.path()).unwrap();
    let old = repo.view(Snapshot::Commit(first)).unwrap();
    assert_eq!(old.read(&p("apps/a.yaml")).unwrap(), b"kind: A\n");
    let head = repo.view(Snapshot::Commit(repo.head().unwrap())).unwrap();
    assert_eq!(head.read(&p("apps/a.yaml")).unwrap(), b"kind: Second\n");
    assert!(matches!(
        repo.view(Snapshot::Commit(Sha::parse(&"1".repeat(40)).unwrap())),
        Err(SourceError::UnknownRevision { .. })
    ));

    let bare_dir = tempfile::tempdir().unwrap();
    crate::source::testutil::git(
        bare_dir.path(),
        &["clone", "-q", "--bare", t.path().to_str().unwrap(), "b.git"],
    );
    let bare = Repo::open(bare_dir.path().join("b.git")).unwrap();
    assert!(matches!(
        bare.view(Snapshot::WorkTree),
        Err(SourceError::NoWorkTree { .. })
    ));
    let view = bare.view(Snapshot::Commit(first)).unwrap();
    assert_eq!(view.read(&p("apps/a.yaml")).unwrap(), b"kind: A\n");
}

#[test]
fn materialise_copies_links_as_content_and_keeps_exec_bits() {
    use std::os::unix::fs::PermissionsExt;
    let (t, sha) = fixture();
    for view in views(&t, sha) {
        let dest = tempfile::tempdir().unwrap();
        let out = dest.path().join("apps");
        view.materialise(&p("apps"), &out).unwrap();
        let read = |rel: &str| std::fs::read_to_string(out.join(rel)).unwrap();
        assert_eq!(read("a.yaml"), "kind: A\n");
        assert_eq!(read("link.yaml"), "kind: A\n");
        assert_eq!(
            read("up.yaml"),
            "kind: D\n",
            "link outside the subtree is copied"
        );
        assert_eq!(read("linkdir/deeper/c.yaml"), "kind: C\n");
        assert!(!out.join("dangling.yaml").exists());
        assert!(!out.join("link.yaml").is_symlink());

        let base = dest.path().join("base");
        view.materialise(&p("base"), &base).unwrap();
        let mode = std::fs::metadata(base.join("run.sh"))
            .unwrap()
            .permissions()
            .mode();
        assert_eq!(mode & 0o111, 0o111, "{view:?}");
        let mode = std::fs::metadata(base.join("d.yaml"))
            .unwrap()
            .permissions()
            .mode();
        assert_eq!(mode & 0o111, 0);

        assert!(matches!(
            view.materialise(&p("loop"), &dest.path().join("loop")),
            Err(SourceError::SymlinkLoop { .. })
        ));
        assert!(matches!(
            view.materialise(&p("bad"), &dest.path().join("bad")),
            Err(SourceError::SymlinkEscape { .. })
        ));
    }
}

#[test]
fn views_are_shareable_across_threads() {
    fn assert_send_sync<T: Send + Sync>() {}
    assert_send_sync::<RepoView>();

    let t = TestRepo::new();
    for i in 0..200 {
        t.write(
            &format!("apps/app{}/obj{i}.yaml", i % 10),
            &format!("n: {i}\n"),
        );
    }
    let sha = Sha::parse(&t.commit("many")).unwrap();
    let view = Repo::open(t.path())
        .unwrap()
        .view(Snapshot::Commit(sha))
        .unwrap();
    let files = view.walk_files(&RepoPath::root()).unwrap();
    assert_eq!(files.len(), 200);
    std::thread::scope(|s| {
        for chunk in files.chunks(25) {
            let view = view.clone();
            s.spawn(move || {
                for file in chunk {
                    let text = view.read_to_string(file).unwrap();
                    let n = file.file_name().unwrap().trim_start_matches("obj");
                    assert_eq!(text, format!("n: {}\n", n.trim_end_matches(".yaml")));
                }
            });
        }
    });
}
