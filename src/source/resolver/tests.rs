use super::*;
use crate::source::path::RepoPath;
use crate::source::testutil::dumb_http::DumbHttp;
use crate::source::testutil::{TestRepo, git, publish_bare};
use crate::source::view::Snapshot;

fn file_url(path: &Path) -> String {
    format!("file://{}", path.display())
}

fn read_at(resolved: &ResolvedRepo, rev: &str, file: &str) -> String {
    let sha = resolved.repo.resolve(rev).unwrap();
    let view = resolved.repo.view(Snapshot::Commit(sha)).unwrap();
    view.read_to_string(&RepoPath::new(file).unwrap()).unwrap()
}

/// A resolver with no local repo and its cache in `cache`.
fn resolver(cache: &Path, offline: bool) -> RepoResolver {
    RepoResolver::new(None, vec![], CacheDir::at(cache), offline)
}

/// An upstream repository served over dumb HTTP as `repo.git`.
struct Served {
    upstream: TestRepo,
    root: tempfile::TempDir,
    server: DumbHttp,
}

impl Served {
    fn new(file: &str, content: &str) -> Served {
        Served::with_auth(file, content, None)
    }

    fn with_auth(file: &str, content: &str, auth: Option<(&str, &str)>) -> Served {
        let upstream = TestRepo::new();
        upstream.write(file, content);
        upstream.commit("one");
        let root = tempfile::tempdir().unwrap();
        publish_bare(upstream.path(), root.path(), "repo.git");
        let server = DumbHttp::serve(root.path(), auth);
        Served {
            upstream,
            root,
            server,
        }
    }

    fn url(&self) -> String {
        self.server.url("repo.git")
    }

    fn commit(&self, file: &str, content: &str) -> String {
        self.upstream.write(file, content);
        let sha = self.upstream.commit("change");
        publish_bare(self.upstream.path(), self.root.path(), "repo.git");
        sha
    }
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
    let cache = tempfile::tempdir().unwrap();
    let resolver = RepoResolver::new(Some(repo), vec![], CacheDir::at(cache.path()), true);
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
fn file_path_to_the_local_repo_is_local_and_any_other_is_refused() {
    let local = TestRepo::new();
    let elsewhere = TestRepo::new();
    elsewhere.write("x", "y");
    elsewhere.commit("c");
    let repo = Repo::open(local.path()).unwrap();
    let cache = tempfile::tempdir().unwrap();
    let resolver = RepoResolver::new(Some(repo), vec![], CacheDir::at(cache.path()), false);
    for url in [
        file_url(local.path()),
        format!("{}/", local.path().display()),
        format!("FILE://{}", local.path().display()),
    ] {
        assert_eq!(
            resolver.resolve_url(&url).unwrap().origin,
            RepoOrigin::Local
        );
    }
    for url in [
        file_url(elsewhere.path()),
        elsewhere.path().display().to_string(),
        format!("FILE://{}", elsewhere.path().display()),
        "../elsewhere".to_owned(),
    ] {
        let err = resolver.resolve_url(&url).unwrap_err();
        assert!(
            matches!(err.root(), SourceError::LocalRepoUrl { .. }),
            "{url}: {err:?}"
        );
        assert!(
            err.to_string()
                .contains("local repository URLs are read only through --repo-map URL=PATH"),
            "{err}"
        );
    }
    assert_eq!(
        std::fs::read_dir(cache.path()).unwrap().count(),
        0,
        "nothing was cloned"
    );
}

#[test]
fn mapped_urls_win_over_everything_even_file_urls() {
    let local = TestRepo::new();
    local.git(&["remote", "add", "origin", "https://github.com/org/repo"]);
    let other = TestRepo::new();
    other.write("x.yaml", "mapped\n");
    other.commit("c");
    let file = file_url(other.path());
    let mappings = vec![
        format!("git@github.com:org/repo.git={}", other.path().display())
            .parse()
            .unwrap(),
        format!("{file}={}", other.path().display())
            .parse()
            .unwrap(),
    ];
    let cache = tempfile::tempdir().unwrap();
    let resolver = RepoResolver::new(
        Some(Repo::open(local.path()).unwrap()),
        mappings,
        CacheDir::at(cache.path()),
        true,
    );
    for url in ["https://github.com/org/repo", file.as_str()] {
        let found = resolver.resolve_url(url).unwrap();
        assert_eq!(found.origin, RepoOrigin::Mapped);
        assert_eq!(read_at(&found, "HEAD", "x.yaml"), "mapped\n");
    }
}

#[test]
fn http_url_is_cloned_into_the_cache_then_fetched_on_the_next_run() {
    let served = Served::new("apps/a.yaml", "v1\n");
    let url = served.url();
    let cache = tempfile::tempdir().unwrap();

    let first = resolver(cache.path(), false);
    let found = first.resolve_url(&url).unwrap();
    assert_eq!(found.origin, RepoOrigin::Cached);
    let clone_dir = cache
        .path()
        .join("repos")
        .join(entry_name(&RemoteUrl::parse(&url).unwrap().cache_key()));
    assert_eq!(
        found.repo.git_dir().canonicalize().unwrap(),
        clone_dir.canonicalize().unwrap()
    );
    assert!(found.repo.workdir().is_none(), "clones are bare");
    assert_eq!(read_at(&found, "main", "apps/a.yaml"), "v1\n");
    assert_eq!(read_at(&found, "HEAD", "apps/a.yaml"), "v1\n");
    let config = std::fs::read_to_string(clone_dir.join("config")).unwrap();
    assert!(!config.contains("127.0.0.1"), "no remote stored: {config}");
    // Memoised: the same run doesn't clone or fetch again.
    let tip = served.commit("apps/a.yaml", "v2\n");
    assert_eq!(
        read_at(&first.resolve_url(&url).unwrap(), "main", "apps/a.yaml"),
        "v1\n"
    );

    // The next run fetches, and sees the new commit.
    let second = resolver(cache.path(), false).resolve_url(&url).unwrap();
    assert_eq!(second.repo.resolve("main").unwrap().to_string(), tip);
    assert_eq!(read_at(&second, "HEAD", "apps/a.yaml"), "v2\n");

    // Offline runs use the cache as it is.
    let offline = resolver(cache.path(), true).resolve_url(&url).unwrap();
    assert_eq!(offline.origin, RepoOrigin::Cached);
    assert_eq!(read_at(&offline, "main", "apps/a.yaml"), "v2\n");
    let leftovers = std::fs::read_dir(cache.path().join("repos"))
        .unwrap()
        .count();
    assert_eq!(leftovers, 1, "no temporary clone left behind");
}

#[test]
fn urls_differing_only_by_port_get_their_own_clones() {
    let a = Served::new("who.yaml", "a\n");
    let b = Served::new("who.yaml", "b\n");
    let cache = tempfile::tempdir().unwrap();
    let run = resolver(cache.path(), false);
    let found_a = run.resolve_url(&a.url()).unwrap();
    let found_b = run.resolve_url(&b.url()).unwrap();
    assert_eq!(read_at(&found_a, "HEAD", "who.yaml"), "a\n");
    assert_eq!(read_at(&found_b, "HEAD", "who.yaml"), "b\n");
    assert_ne!(found_a.repo.git_dir(), found_b.repo.git_dir());
    // The scheme's case names the same repository: one clone.
    let upper = a.url().replacen("http://", "HTTP://", 1);
    assert_eq!(
        run.resolve_url(&upper).unwrap().repo.git_dir(),
        found_a.repo.git_dir()
    );
}

#[test]
fn a_dead_url_never_reuses_another_clone() {
    let served = Served::new("who.yaml", "alive\n");
    let cache = tempfile::tempdir().unwrap();
    resolver(cache.path(), false)
        .resolve_url(&served.url())
        .unwrap();
    let port = served.server.port();
    drop(served);
    // Same host, path and content of the cache; only the port differs, and nothing listens.
    let dead = format!(
        "http://127.0.0.1:{}/repo.git",
        if port == 1 { 2 } else { 1 }
    );
    let err = resolver(cache.path(), false)
        .resolve_url(&dead)
        .unwrap_err();
    assert!(
        matches!(err.root(), SourceError::GitCommand { op: "fetch", .. }),
        "{err:?}"
    );
}

#[test]
fn a_clone_recorded_for_another_url_is_refused() {
    let served = Served::new("who.yaml", "x\n");
    let cache = tempfile::tempdir().unwrap();
    let found = resolver(cache.path(), false)
        .resolve_url(&served.url())
        .unwrap();
    std::fs::write(
        found.repo.git_dir().join(SOURCE_FILE),
        "https://evil.example:443/x\n",
    )
    .unwrap();
    let err = resolver(cache.path(), true)
        .resolve_url(&served.url())
        .unwrap_err();
    assert!(
        matches!(err.root(), SourceError::CacheEntryMismatch { .. }),
        "{err:?}"
    );
}

#[test]
fn credentials_go_to_git_out_of_band_and_never_into_messages_or_config() {
    let served = Served::with_auth("a.yaml", "secret content\n", Some(("user", "tok3n")));
    let url = served.url().replacen("http://", "HTTP://user:tok3n@", 1);
    let cache = tempfile::tempdir().unwrap();
    let found = resolver(cache.path(), false).resolve_url(&url).unwrap();
    assert_eq!(read_at(&found, "HEAD", "a.yaml"), "secret content\n");
    for entry in walk(found.repo.git_dir()) {
        if entry.is_file()
            && let Ok(text) = std::fs::read_to_string(&entry)
        {
            assert!(
                !text.contains("tok3n"),
                "{} holds the token",
                entry.display()
            );
        }
    }
    // A wrong token fails with a message that shows neither token.
    let wrong = served.url().replacen("http://", "http://user:wr0ngtok@", 1);
    let other_cache = tempfile::tempdir().unwrap();
    let err = resolver(other_cache.path(), false)
        .resolve_url(&wrong)
        .unwrap_err();
    let msg = format!("{err} {err:?}");
    assert!(!msg.contains("wr0ngtok") && !msg.contains("tok3n"), "{msg}");
    assert!(
        matches!(err.root(), SourceError::GitCommand { .. }),
        "{msg}"
    );
}

fn walk(dir: &Path) -> Vec<PathBuf> {
    let mut out = Vec::new();
    for entry in std::fs::read_dir(dir).unwrap() {
        let path = entry.unwrap().path();
        if path.is_dir() {
            out.extend(walk(&path));
        } else {
            out.push(path);
        }
    }
    out
}

#[test]
fn concurrent_resolves_of_one_url_share_one_clone() {
    let served = Served::new("a", "x");
    let url = served.url();
    let cache = tempfile::tempdir().unwrap();
    let resolver = resolver(cache.path(), false);
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
    let served = Served::new("a.yaml", "main\n");
    let cache = tempfile::tempdir().unwrap();
    let resolver = resolver(cache.path(), false);
    let found = resolver.resolve_url(&served.url()).unwrap();

    // A pull-request head: reachable only from a ref outside refs/heads.
    let upstream = &served.upstream;
    upstream.write("a.yaml", "pr\n");
    upstream.git(&["add", "-A"]);
    let tree = upstream.git(&["write-tree"]);
    let pr = upstream.git(&["commit-tree", &tree, "-p", "HEAD", "-m", "pr"]);
    git(upstream.path(), &["update-ref", "refs/pull/1/head", &pr]);
    publish_bare(upstream.path(), served.root.path(), "repo.git");

    assert!(found.repo.resolve(&pr).is_err());
    let by_ref = resolver
        .resolve_revision(&found, "refs/pull/1/head")
        .unwrap();
    assert_eq!(by_ref.to_string(), pr);
    assert_eq!(read_at(&found, &pr, "a.yaml"), "pr\n");
    assert!(matches!(
        resolver
            .resolve_revision(&found, "no-such-branch")
            .unwrap_err()
            .root(),
        SourceError::GitCommand { .. }
    ));
}

#[test]
fn option_like_and_refspec_revisions_are_refused_before_git_runs() {
    let served = Served::new("a.yaml", "x\n");
    let cache = tempfile::tempdir().unwrap();
    let resolver = resolver(cache.path(), false);
    let found = resolver.resolve_url(&served.url()).unwrap();
    let before = served.server.requests().len();
    for rev in [
        "--upload-pack=touch /tmp/x",
        "main:refs/heads/evil",
        "-q",
        "HEAD~1",
    ] {
        let err = resolver.resolve_revision(&found, rev).unwrap_err();
        assert!(
            matches!(err, SourceError::InvalidRevision { .. }),
            "{rev}: {err:?}"
        );
        assert!(err.to_string().contains(&format!("{rev:?}")), "{err}");
    }
    assert_eq!(served.server.requests().len(), before, "git never ran");
    assert!(found.repo.resolve("refs/heads/evil").is_err());
}

#[test]
fn bad_urls_are_typed_errors_naming_the_redacted_url() {
    let cache = tempfile::tempdir().unwrap();
    let resolver = resolver(cache.path(), false);
    for (url, want) in [
        (
            "ext::sh -c touch% /tmp/pwned",
            "the ext:: transport is not allowed",
        ),
        ("ftp://tok3n@h/r", "the ftp:// scheme is not allowed"),
        ("-oProxyCommand=touch /tmp/x:r", "whitespace"),
        ("ssh://-oProxyCommand=x/r", "starts with '-'"),
    ] {
        let err = resolver.resolve_url(url).unwrap_err();
        let msg = err.to_string();
        assert!(
            matches!(err, SourceError::InvalidRepoUrl { .. }),
            "{url}: {err:?}"
        );
        assert!(msg.contains(want), "{url}: {msg}");
        assert!(!msg.contains("tok3n"), "{msg}");
    }
    assert_eq!(std::fs::read_dir(cache.path()).unwrap().count(), 0);
}

#[test]
fn failed_clones_are_typed_errors_without_credentials() {
    let cache = tempfile::tempdir().unwrap();
    let resolver = resolver(cache.path(), false);
    // Nothing listens on port 1 of loopback, so this fails fast without a network.
    for url in [
        "https://user:s3cret@127.0.0.1:1/org/repo.git",
        "HTTPS://s3cret@127.0.0.1:1/org/repo.git",
    ] {
        let err = resolver.resolve_url(url).unwrap_err();
        assert!(
            matches!(err.root(), SourceError::GitCommand { op: "fetch", .. }),
            "{err:?}"
        );
        let msg = format!("{err} {err:?}");
        assert!(!msg.contains("s3cret"), "{msg}");
    }
    assert_eq!(
        std::fs::read_dir(cache.path().join("repos"))
            .unwrap()
            .count(),
        0
    );
}
