use super::*;
use crate::source::path::RepoPath;
use crate::source::testutil::{TestRepo, git};
use crate::source::view::Snapshot;

fn file_url(path: &Path) -> String {
    format!("file://{}", path.display())
}

fn read_at(resolved: &ResolvedRepo, rev: &str, file: &str) -> String {
    let sha = resolved.repo.resolve(rev).unwrap();
    let view = resolved.repo.view(Snapshot::Commit(sha)).unwrap();
    view.read_to_string(&RepoPath::new(file).unwrap()).unwrap()
}

#[test]
fn repo_map_parses_url_equals_path() {
    let m: RepoMapping = "https://github.com/org/repo=/srv/a=b".parse().unwrap();
    assert_eq!(m.url, "https://github.com/org/repo");
    assert_eq!(m.path, PathBuf::from("/srv/a=b"));
    for bad in ["no-equals", "=path", "url="] {
        assert!(matches!(
            bad.parse::<RepoMapping>(),
            Err(SourceError::InvalidRepoMap { .. })
        ));
    }
}

#[test]
fn url_matching_a_local_remote_is_the_local_repo() {
    let local = TestRepo::new();
    local.git(&["remote", "add", "origin", "git@github.com:Org/Repo.git"]);
    let repo = Repo::open(local.path()).unwrap();
    let resolver = RepoResolver::new(Some(repo), vec![], None, true);
    for url in [
        "https://github.com/org/repo",
        "https://github.com/Org/Repo.git/",
        "ssh://git@github.com/org/repo",
    ] {
        let found = resolver.resolve_url(url).unwrap();
        assert_eq!(found.origin, RepoOrigin::Local, "{url}");
        assert_eq!(found.url, url);
    }
    let err = resolver
        .resolve_url("https://github.com/org/other")
        .unwrap_err();
    assert_eq!(
        err.to_string(),
        "repository https://github.com/org/other is not available offline (use --repo-map URL=PATH)"
    );
}

#[test]
fn file_path_to_a_local_repo_without_remote_is_local() {
    let local = TestRepo::new();
    let repo = Repo::open(local.path()).unwrap();
    let resolver = RepoResolver::new(Some(repo), vec![], None, true);
    for url in [
        file_url(local.path()),
        format!("{}/", local.path().display()),
    ] {
        assert_eq!(
            resolver.resolve_url(&url).unwrap().origin,
            RepoOrigin::Local
        );
    }
}

#[test]
fn mapped_urls_win_over_everything() {
    let local = TestRepo::new();
    local.git(&["remote", "add", "origin", "https://github.com/org/repo"]);
    let other = TestRepo::new();
    other.write("x.yaml", "mapped\n");
    other.commit("c");
    let mapping: RepoMapping = format!("git@github.com:org/repo.git={}", other.path().display())
        .parse()
        .unwrap();
    let resolver = RepoResolver::new(
        Some(Repo::open(local.path()).unwrap()),
        vec![mapping],
        None,
        true,
    );
    let found = resolver.resolve_url("https://github.com/org/repo").unwrap();
    assert_eq!(found.origin, RepoOrigin::Mapped);
    assert_eq!(read_at(&found, "HEAD", "x.yaml"), "mapped\n");
}

#[test]
fn file_url_is_cloned_into_the_cache_then_fetched_on_the_next_run() {
    let upstream = TestRepo::new();
    upstream.write("apps/a.yaml", "v1\n");
    upstream.commit("one");
    let url = file_url(upstream.path());
    let cache = tempfile::tempdir().unwrap();

    let run = |offline| RepoResolver::new(None, vec![], Some(cache.path().to_path_buf()), offline);
    let first = run(false);
    let found = first.resolve_url(&url).unwrap();
    assert_eq!(found.origin, RepoOrigin::Cached);
    let clone_dir = cache
        .path()
        .join("repos")
        .join(stable_hash(&normalize_repo_url(&url)));
    assert_eq!(
        found.repo.git_dir().canonicalize().unwrap(),
        clone_dir.canonicalize().unwrap()
    );
    assert!(found.repo.workdir().is_none(), "clones are bare");
    assert_eq!(read_at(&found, "main", "apps/a.yaml"), "v1\n");
    // Memoised: the same run doesn't clone or fetch again.
    upstream.write("apps/a.yaml", "v2\n");
    let tip = upstream.commit("two");
    assert_eq!(
        read_at(&first.resolve_url(&url).unwrap(), "main", "apps/a.yaml"),
        "v1\n"
    );

    // The next run fetches, and sees the new commit.
    let second = run(false).resolve_url(&url).unwrap();
    assert_eq!(second.repo.resolve("main").unwrap().to_string(), tip);
    assert_eq!(read_at(&second, "HEAD", "apps/a.yaml"), "v2\n");

    // Offline runs use the cache as it is.
    let offline = run(true).resolve_url(&url).unwrap();
    assert_eq!(offline.origin, RepoOrigin::Cached);
    assert_eq!(read_at(&offline, "main", "apps/a.yaml"), "v2\n");
    let leftovers = std::fs::read_dir(cache.path().join("repos"))
        .unwrap()
        .count();
    assert_eq!(leftovers, 1, "no temporary clone left behind");
}

#[test]
fn concurrent_resolves_of_one_url_share_one_clone() {
    let upstream = TestRepo::new();
    upstream.write("a", "x");
    upstream.commit("c");
    let url = file_url(upstream.path());
    let cache = tempfile::tempdir().unwrap();
    let resolver = RepoResolver::new(None, vec![], Some(cache.path().to_path_buf()), false);
    std::thread::scope(|s| {
        for _ in 0..4 {
            s.spawn(|| resolver.resolve_url(&url).unwrap());
        }
    });
    assert_eq!(
        std::fs::read_dir(cache.path().join("repos"))
            .unwrap()
            .count(),
        1
    );
}

#[test]
fn unbranched_revisions_are_fetched_on_demand() {
    let upstream = TestRepo::new();
    upstream.write("a.yaml", "main\n");
    upstream.commit("main");
    let url = file_url(upstream.path());
    let cache = tempfile::tempdir().unwrap();
    let resolver = RepoResolver::new(None, vec![], Some(cache.path().to_path_buf()), false);
    let found = resolver.resolve_url(&url).unwrap();

    // A pull-request head: reachable only from a ref outside refs/heads.
    upstream.write("a.yaml", "pr\n");
    upstream.git(&["add", "-A"]);
    let tree = upstream.git(&["write-tree"]);
    let pr = upstream.git(&["commit-tree", &tree, "-p", "HEAD", "-m", "pr"]);
    git(upstream.path(), &["update-ref", "refs/pull/1/head", &pr]);

    assert!(found.repo.resolve(&pr).is_err());
    let sha = resolver.resolve_revision(&found, &pr).unwrap();
    assert_eq!(sha.to_string(), pr);
    assert_eq!(read_at(&found, &pr, "a.yaml"), "pr\n");
    let by_ref = resolver
        .resolve_revision(&found, "refs/pull/1/head")
        .unwrap();
    assert_eq!(by_ref.to_string(), pr);
    assert!(matches!(
        resolver.resolve_revision(&found, "no-such-branch"),
        Err(SourceError::GitCommand { .. })
    ));
}

#[test]
fn failed_clones_are_typed_errors_without_credentials() {
    let cache = tempfile::tempdir().unwrap();
    let resolver = RepoResolver::new(None, vec![], Some(cache.path().to_path_buf()), false);
    // Nothing listens on port 1 of loopback, so this fails fast without a network.
    let url = "https://user:s3cret@127.0.0.1:1/org/repo.git";
    let err = resolver.resolve_url(url).unwrap_err();
    assert!(
        matches!(err, SourceError::GitCommand { op: "clone", .. }),
        "{err:?}"
    );
    let msg = err.to_string();
    assert!(!msg.contains("s3cret"), "{msg}");
    assert_eq!(
        std::fs::read_dir(cache.path().join("repos"))
            .unwrap()
            .count(),
        0
    );
}
