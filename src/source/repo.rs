//! `Repo`: one opened repository, shared by every view and thread that reads it.

use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex, PoisonError};

use super::error::{Result, SourceError};
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
        Repo {
            inner: Arc::new(Inner {
                shared,
                pool: Mutex::new(Vec::new()),
            }),
        }
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

impl std::fmt::Debug for Repo {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "Repo({})", self.path().display())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::source::testutil::{TestRepo, git};

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
