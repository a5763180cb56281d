//! `Repo`: one opened repository, shared by every view and thread that reads it.

use std::collections::HashMap;
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex, PoisonError};

use super::cache::Once;
use super::error::{Result, SourceError};
use super::fetch;
use super::sha::Sha;
use super::view::{RepoView, Snapshot};

/// An opened Git repository; cheap to clone and safe to share across threads.
#[derive(Clone)]
pub struct Repo {
    inner: Arc<Inner>,
}

struct Inner {
    shared: gix::ThreadSafeRepository,
    /// `gix::Repository` is not `Sync`, and building one per read costs a config clone, so
    /// thread-local handles are pooled and lent out for the length of one operation.
    pool: Mutex<Vec<gix::Repository>>,
    /// The remote that lazily provides missing objects, when this is a partial clone.
    promisor: Option<Promisor>,
    /// Trees whose missing objects were fetched (or failed to be) in this run.
    fetched: Mutex<HashMap<gix::ObjectId, Once<()>>>,
}

/// A partial clone's promisor remote, from the user's own config.
struct Promisor {
    /// The remote's name, given to `git fetch`.
    name: String,
    /// Its URL (credentials removed) or name, for messages.
    shown: String,
}

impl Repo {
    /// Opens the repository whose work tree or git dir is exactly `path`.
    pub fn open(path: impl AsRef<Path>) -> Result<Repo> {
        let path = path.as_ref();
        let shared = gix::ThreadSafeRepository::open(path).map_err(|source| SourceError::Open {
            path: path.to_path_buf(),
            source,
        })?;
        Ok(Repo::from_shared(shared))
    }

    /// Finds the repository containing `dir`, searching upwards like `git` does.
    pub fn discover(dir: impl AsRef<Path>) -> Result<Repo> {
        let dir = dir.as_ref();
        let shared =
            gix::ThreadSafeRepository::discover(dir).map_err(|source| SourceError::Open {
                path: dir.to_path_buf(),
                source,
            })?;
        Ok(Repo::from_shared(shared))
    }

    fn from_shared(shared: gix::ThreadSafeRepository) -> Repo {
        let promisor = promisor_of(&shared.to_thread_local());
        Repo {
            inner: Arc::new(Inner {
                shared,
                pool: Mutex::new(Vec::new()),
                promisor,
                fetched: Mutex::new(HashMap::new()),
            }),
        }
    }

    /// In a partial clone, fetches every object below `tree` that is not local, in one request
    /// to the promisor remote; at most once per tree and run, a failure included. `Ok(false)`
    /// when this is no partial clone, so a missing object is an error of its own.
    pub(crate) fn fetch_missing_below(&self, tree: gix::ObjectId) -> Result<bool> {
        let Some(promisor) = &self.inner.promisor else {
            return Ok(false);
        };
        let slot = Arc::clone(
            self.inner
                .fetched
                .lock()
                .unwrap_or_else(PoisonError::into_inner)
                .entry(tree)
                .or_default(),
        );
        let done = slot.get_or_init(|| {
            let missing = self.missing_below(tree).map_err(Arc::new)?;
            if missing.is_empty() {
                return Ok(());
            }
            fetch::fetch_objects(self.git_dir(), &promisor.name, &promisor.shown, &missing)
                .map_err(Arc::new)
        });
        done.clone().map(|()| true).map_err(SourceError::Shared)
    }

    /// The objects below `tree` that are not in the object database, found without reading a
    /// blob (a partial clone without blobs still has every tree).
    fn missing_below(&self, tree: gix::ObjectId) -> Result<Vec<gix::ObjectId>> {
        self.with_gix(|repo| {
            let mut missing = Vec::new();
            let mut pending = vec![tree];
            while let Some(id) = pending.pop() {
                if !repo.has_object(id) {
                    missing.push(id);
                    continue;
                }
                let git_error = |source: gix::Error| SourceError::Git {
                    repo: self.display_path(),
                    what: format!("tree {id}"),
                    source,
                };
                let object = repo.find_object(id).map_err(git_error)?;
                for entry in gix::objs::TreeRefIter::from_bytes(&object.data, repo.object_hash()) {
                    let entry = entry.map_err(git_error)?;
                    match entry.mode.kind() {
                        gix::objs::tree::EntryKind::Tree => pending.push(entry.oid.to_owned()),
                        // Submodule commits live in other repositories.
                        gix::objs::tree::EntryKind::Commit => {}
                        _ if !repo.has_object(entry.oid) => missing.push(entry.oid.to_owned()),
                        _ => {}
                    }
                }
            }
            missing.sort();
            missing.dedup();
            Ok(missing)
        })
    }

    /// The checked-out directory, or `None` for a bare repository.
    pub fn workdir(&self) -> Option<&Path> {
        self.inner.shared.work_dir()
    }

    /// The `.git` directory (or the bare repository itself).
    pub fn git_dir(&self) -> &Path {
        self.inner.shared.git_dir()
    }

    /// The directory users know the repository by: the work tree, else the git dir.
    pub fn path(&self) -> &Path {
        self.workdir().unwrap_or_else(|| self.git_dir())
    }

    /// Resolves a branch, tag, (short) SHA, `HEAD~2` or `origin/main` to a commit; `""` means `HEAD`.
    pub fn resolve(&self, rev: &str) -> Result<Sha> {
        let spec = if rev.is_empty() { "HEAD" } else { rev };
        let unknown = |source| SourceError::UnknownRevision {
            repo: self.path().to_path_buf(),
            rev: rev.to_owned(),
            source,
        };
        let id = self.with_gix(|repo| {
            let commit = repo
                .rev_parse_single(spec)
                .and_then(|id| id.object())
                .and_then(|object| object.peel_to_commit())
                .map_err(unknown)?;
            Ok::<_, SourceError>(commit.id)
        })?;
        Sha::from_object_id(id)
    }

    /// The commit `HEAD` points at, or `None` when it is unborn or unreadable.
    pub fn head(&self) -> Option<Sha> {
        self.resolve("HEAD").ok()
    }

    /// Every configured remote URL (fetch and push, as written and after `insteadOf`), deduplicated.
    pub fn remote_urls(&self) -> Vec<String> {
        self.with_gix(|repo| {
            let mut urls = Vec::new();
            let config = repo.config_snapshot();
            let file = config.plumbing();
            for name in repo.remote_names() {
                for key in ["url", "pushurl"] {
                    let values = file
                        .strings_by("remote", Some(name.as_ref() as &gix::bstr::BStr), key)
                        .unwrap_or_default();
                    urls.extend(values.iter().map(|v| v.to_string()));
                }
                if let Ok(remote) = repo.find_remote(name.as_ref() as &gix::bstr::BStr) {
                    urls.extend(
                        remote
                            .urls(gix::remote::Direction::Fetch)
                            .map(|url| url.to_bstring().to_string()),
                    );
                }
            }
            // `insteadOf`-free remotes come back twice, once as written and once parsed.
            let mut seen = std::collections::HashSet::new();
            urls.retain(|url| seen.insert(super::url::normalize_repo_url(url)));
            urls
        })
    }

    /// True when the repository holds this commit (used before reading a cached clone).
    pub fn has_commit(&self, sha: Sha) -> bool {
        self.with_gix(|repo| {
            repo.find_object(sha.to_object_id())
                .is_ok_and(|object| object.kind == gix::objs::Kind::Commit)
        })
    }

    /// Read access to the repository at one snapshot.
    pub fn view(&self, snapshot: Snapshot) -> Result<RepoView> {
        RepoView::new(self.clone(), snapshot)
    }

    /// Lends a thread-local gix handle from the pool for the duration of `f`.
    pub(crate) fn with_gix<R>(&self, f: impl FnOnce(&gix::Repository) -> R) -> R {
        let pooled = self
            .inner
            .pool
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .pop();
        let repo = pooled.unwrap_or_else(|| self.inner.shared.to_thread_local());
        let out = f(&repo);
        self.inner
            .pool
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .push(repo);
        out
    }

    /// The path for error messages, owned.
    pub(crate) fn display_path(&self) -> PathBuf {
        self.path().to_path_buf()
    }
}

/// The promisor remote of a partial clone: `extensions.partialClone`, else the first remote
/// with `promisor = true`.
fn promisor_of(repo: &gix::Repository) -> Option<Promisor> {
    let config = repo.config_snapshot();
    let name = config
        .string("extensions.partialClone")
        .map(|name| name.to_string())
        .or_else(|| {
            repo.remote_names()
                .into_iter()
                .map(|name| name.to_string())
                .find(|name| config.boolean(&format!("remote.{name}.promisor")) == Some(true))
        })?;
    let shown = config.string(&format!("remote.{name}.url")).map_or_else(
        || name.clone(),
        |url| super::url::redact_url(&url.to_string()),
    );
    Some(Promisor { name, shown })
}

impl std::fmt::Debug for Repo {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "Repo({})", self.path().display())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::source::path::RepoPath;
    use crate::source::testutil::git_daemon::{GitDaemon, allow_partial_clones};
    use crate::source::testutil::{TestRepo, git, publish_bare};

    fn assert_send_sync<T: Send + Sync>() {}

    #[test]
    fn repo_is_send_sync() {
        assert_send_sync::<Repo>();
    }

    #[test]
    fn resolves_branches_tags_shas_and_ancestry() {
        let t = TestRepo::new();
        t.write("a.yaml", "one");
        let c1 = t.commit("one");
        t.write("a.yaml", "two");
        let c2 = t.commit("two");
        t.git(&["tag", "v1", &c1]);
        t.git(&["tag", "-a", "-m", "annotated", "v2", &c2]);
        t.write("a.yaml", "three");
        let c3 = t.commit("three");
        t.git(&["update-ref", "refs/remotes/origin/main", &c2]);

        let repo = Repo::open(t.path()).unwrap();
        let r = |rev: &str| repo.resolve(rev).unwrap().to_string();
        assert_eq!(r("HEAD"), c3);
        assert_eq!(r(""), c3);
        assert_eq!(r("main"), c3);
        assert_eq!(r("v1"), c1);
        assert_eq!(r("v2"), c2, "annotated tags peel to their commit");
        assert_eq!(r(&c2), c2);
        assert_eq!(r(&c2[..8]), c2);
        assert_eq!(r("HEAD~2"), c1);
        assert_eq!(r("origin/main"), c2);
        assert_eq!(repo.head().unwrap().to_string(), c3);
        assert!(repo.has_commit(Sha::parse(&c1).unwrap()));
    }

    #[test]
    fn unknown_revision_names_repo_and_revision() {
        let t = TestRepo::new();
        t.write("a", "x");
        t.commit("c");
        let repo = Repo::open(t.path()).unwrap();
        let err = repo.resolve("no-such-branch").unwrap_err();
        match &err {
            SourceError::UnknownRevision {
                repo: path, rev, ..
            } => {
                assert_eq!(rev, "no-such-branch");
                assert_eq!(path, repo.path());
            }
            other => panic!("unexpected {other:?}"),
        }
        let msg = err.to_string();
        assert!(msg.contains("no-such-branch") && msg.contains(&repo.path().display().to_string()));
        assert!(!repo.has_commit(Sha::parse(&"0".repeat(40)).unwrap()));
    }

    #[test]
    fn unborn_head_is_none_and_discover_walks_up() {
        let t = TestRepo::new();
        std::fs::create_dir_all(t.path().join("sub/dir")).unwrap();
        let repo = Repo::discover(t.path().join("sub/dir")).unwrap();
        assert_eq!(repo.head(), None);
        assert_eq!(
            repo.workdir().unwrap().canonicalize().unwrap(),
            t.path().canonicalize().unwrap()
        );
        let missing = tempfile::tempdir().unwrap();
        assert!(matches!(
            Repo::open(missing.path()),
            Err(SourceError::Open { .. })
        ));
    }

    /// A partial clone (no blobs) of a two-commit history, served by `git daemon`.
    struct Partial {
        _served: tempfile::TempDir,
        daemon: Option<GitDaemon>,
        clone: tempfile::TempDir,
        old: String,
    }

    fn partial_clone() -> Partial {
        let upstream = TestRepo::new();
        upstream.write("apps/a.yaml", "old a\n");
        upstream.write("apps/deep/b.yaml", "old b\n");
        let old = upstream.commit("old");
        upstream.write("apps/a.yaml", "new a\n");
        upstream.write("apps/deep/b.yaml", "new b\n");
        upstream.commit("new");
        let served = tempfile::tempdir().unwrap();
        let bare = publish_bare(upstream.path(), served.path(), "repo.git");
        allow_partial_clones(&bare);
        let daemon = GitDaemon::serve(served.path());
        let clone = tempfile::tempdir().unwrap();
        git(
            clone.path(),
            &[
                "clone",
                "-q",
                "--filter=blob:none",
                &daemon.url("repo.git"),
                ".",
            ],
        );
        Partial {
            _served: served,
            daemon: Some(daemon),
            clone,
            old,
        }
    }

    fn tree_of(repo: &Repo, sha: &str) -> gix::ObjectId {
        repo.with_gix(|r| {
            r.find_object(Sha::parse(sha).unwrap().to_object_id())
                .unwrap()
                .peel_to_commit()
                .unwrap()
                .tree_id()
                .unwrap()
                .detach()
        })
    }

    #[test]
    fn a_partial_clone_fetches_a_commits_missing_blobs_in_one_batch() {
        let p = partial_clone();
        let repo = Repo::open(p.clone.path()).unwrap();
        let tree = tree_of(&repo, &p.old);
        assert_eq!(
            repo.missing_below(tree).unwrap().len(),
            2,
            "blobs are missing"
        );
        let view = repo
            .view(Snapshot::Commit(Sha::parse(&p.old).unwrap()))
            .unwrap();
        let read = |f: &str| view.read_to_string(&RepoPath::new(f).unwrap()).unwrap();
        assert_eq!(read("apps/a.yaml"), "old a\n");
        // The first miss fetched every missing object of the commit at once.
        assert!(repo.missing_below(tree).unwrap().is_empty());
        assert_eq!(read("apps/deep/b.yaml"), "old b\n");
        // A repository that is no partial clone never fetches.
        let plain = TestRepo::new();
        assert!(
            !Repo::open(plain.path())
                .unwrap()
                .fetch_missing_below(tree)
                .unwrap()
        );
    }

    #[test]
    fn a_failed_fetch_of_missing_blobs_is_tried_once_per_commit() {
        let mut p = partial_clone();
        drop(p.daemon.take());
        let repo = Repo::open(p.clone.path()).unwrap();
        let view = repo
            .view(Snapshot::Commit(Sha::parse(&p.old).unwrap()))
            .unwrap();
        let read = |f: &str| view.read(&RepoPath::new(f).unwrap()).unwrap_err();
        let (first, second) = (read("apps/a.yaml"), read("apps/deep/b.yaml"));
        match (&first, &second) {
            (SourceError::Shared(a), SourceError::Shared(b)) => {
                assert!(Arc::ptr_eq(a, b), "one failed fetch, met twice")
            }
            other => panic!("{other:?}"),
        }
        let msg = first.to_string();
        assert!(msg.contains("git fetch of git://127.0.0.1:"), "{msg}");
    }

    #[test]
    fn remote_urls_lists_every_remote() {
        let t = TestRepo::new();
        t.git(&["remote", "add", "origin", "git@github.com:org/repo.git"]);
        t.git(&["remote", "add", "mirror", "https://gitlab.com/org/repo"]);
        git(
            t.path(),
            &[
                "config",
                "remote.origin.pushurl",
                "ssh://git@github.com/org/push.git",
            ],
        );
        let mut urls = Repo::open(t.path()).unwrap().remote_urls();
        urls.sort();
        assert_eq!(
            urls,
            [
                "git@github.com:org/repo.git",
                "https://gitlab.com/org/repo",
                "ssh://git@github.com/org/push.git",
            ]
        );
    }
}
