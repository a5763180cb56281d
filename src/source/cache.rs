//! The on-disk cache: where clones and commit trees live, who may own it, and the copies of
//! commit trees and the work tree that external renderers (kustomize, helm) read.

use std::collections::HashMap;
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex, OnceLock, PoisonError};

use sha2::Digest as _;

use super::error::{Result, SourceError};
use super::path::RepoPath;
use super::sha::Sha;
use super::view::{RepoView, SkippedLink, Snapshot};

/// `$XDG_CACHE_HOME/kubectl-gitops`, else `$HOME/.cache/kubectl-gitops`; `None` without either.
///
/// Relative values are ignored, as the XDG base directory spec asks: they would make the cache
/// depend on the directory the command runs in.
pub fn default_cache_dir() -> Option<PathBuf> {
    let absolute = |key| {
        std::env::var_os(key)
            .map(PathBuf::from)
            .filter(|v| v.is_absolute())
    };
    let base = absolute("XDG_CACHE_HOME").or_else(|| absolute("HOME").map(|h| h.join(".cache")))?;
    Some(base.join("kubectl-gitops"))
}

/// Where clones (`repos/`) and commit trees (`trees/`) are kept, opened on first use.
///
/// The directory is created `0700` and must belong to the user running the command: another
/// user who could write there could plant a clone or a tree that this user then deploys. With
/// no per-user location (neither `XDG_CACHE_HOME` nor `HOME`), each run gets a private temporary
/// directory that is removed when it ends; nothing is shared through a fixed `/tmp` path.
pub struct CacheDir {
    place: Option<PathBuf>,
    opened: OnceLock<Result<Opened, Arc<SourceError>>>,
    /// The subdirectories already swept of stale temporaries in this run.
    swept: Mutex<std::collections::HashSet<String>>,
}

struct Opened {
    path: PathBuf,
    /// Keeps a per-run directory alive until the run ends.
    _temp: Option<tempfile::TempDir>,
}

impl CacheDir {
    /// The per-user cache of `default_cache_dir()`, or a private per-run one without it.
    pub fn from_env() -> Arc<CacheDir> {
        Arc::new(CacheDir {
            place: default_cache_dir(),
            opened: OnceLock::new(),
            swept: Mutex::default(),
        })
    }

    /// A cache at `dir`, checked like the per-user one.
    pub fn at(dir: impl Into<PathBuf>) -> Arc<CacheDir> {
        Arc::new(CacheDir {
            place: Some(dir.into()),
            opened: OnceLock::new(),
            swept: Mutex::default(),
        })
    }

    /// The directory, created and checked on first use (later calls give the same answer).
    pub fn path(&self) -> Result<&Path> {
        let opened = self.opened.get_or_init(|| {
            let opened = match &self.place {
                Some(dir) => ensure_private_dir(dir).map(|()| Opened {
                    path: dir.clone(),
                    _temp: None,
                }),
                None => private_temp_dir("kubectl-gitops-cache-").map(|temp| Opened {
                    path: temp.path().to_path_buf(),
                    _temp: Some(temp),
                }),
            };
            opened.map_err(Arc::new)
        });
        match opened {
            Ok(opened) => Ok(&opened.path),
            Err(e) => Err(SourceError::Shared(Arc::clone(e))),
        }
    }

    /// The subdirectory `name` (`repos`, `trees`), private like the cache itself. The first
    /// time in a run, what killed runs left half-written there is removed.
    pub(crate) fn subdir(&self, name: &str) -> Result<PathBuf> {
        let dir = self.path()?.join(name);
        ensure_private_dir(&dir)?;
        let first = self
            .swept
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .insert(name.to_string());
        if first {
            crate::scratch::sweep_stale(&dir);
        }
        Ok(dir)
    }
}

/// A `0700` directory in the run's scratch directory, removed when the value is dropped (and
/// with the run's directory on Ctrl-C: see `crate::scratch`).
fn private_temp_dir(prefix: &str) -> Result<tempfile::TempDir> {
    crate::scratch::tempdir(prefix).map_err(|source| SourceError::Io {
        op: "create a temporary directory in",
        path: std::env::temp_dir(),
        source,
    })
}

/// Creates `dir` with mode `0700` if missing, then checks that this user owns it (following a
/// symlink: the checked directory is the one used) and takes group and other access away.
pub(crate) fn ensure_private_dir(dir: &Path) -> Result<()> {
    let io = |op, source| SourceError::Io {
        op,
        path: dir.to_path_buf(),
        source,
    };
    if let Some(parent) = dir.parent() {
        std::fs::create_dir_all(parent).map_err(|e| io("create directory", e))?;
    }
    let mut builder = std::fs::DirBuilder::new();
    #[cfg(unix)]
    std::os::unix::fs::DirBuilderExt::mode(&mut builder, 0o700);
    match builder.create(dir) {
        Ok(()) => {}
        Err(e) if e.kind() == std::io::ErrorKind::AlreadyExists => {}
        Err(e) => return Err(io("create directory", e)),
    }
    let meta = std::fs::metadata(dir).map_err(|e| io("inspect", e))?;
    if !meta.is_dir() {
        return Err(SourceError::CacheDirNotADirectory {
            path: dir.to_path_buf(),
        });
    }
    #[cfg(unix)]
    {
        use std::os::unix::fs::{MetadataExt, PermissionsExt};
        check_owner(dir, meta.uid(), rustix::process::geteuid().as_raw())?;
        if meta.mode() & 0o077 != 0 {
            std::fs::set_permissions(dir, std::fs::Permissions::from_mode(0o700))
                .map_err(|e| io("restrict the permissions of", e))?;
        }
    }
    Ok(())
}

/// Refuses a directory that another user owns (root's included: root must not trust a
/// directory that a user can fill).
fn check_owner(dir: &Path, owner: u32, uid: u32) -> Result<()> {
    if owner == uid {
        Ok(())
    } else {
        Err(SourceError::CacheDirNotOwned {
            path: dir.to_path_buf(),
            owner,
            uid,
        })
    }
}

/// A tree on disk for renderers, and the links left out of it.
struct OnDisk {
    root: PathBuf,
    skipped: Vec<SkippedLink>,
}

/// A result computed once and shared by everyone who asked for it, failures included.
pub(crate) type Once<T> = Arc<OnceLock<Result<T, Arc<SourceError>>>>;

/// The shared slot of `key` in a map of once-cells: the first caller makes it, the others of
/// the run get the same one, so concurrent apps wait for one piece of work instead of racing.
pub(crate) fn slot<K: std::hash::Hash + Eq, T: Default>(
    map: &Mutex<HashMap<K, Arc<T>>>,
    key: K,
) -> Arc<T> {
    Arc::clone(
        map.lock()
            .unwrap_or_else(PoisonError::into_inner)
            .entry(key)
            .or_default(),
    )
}

/// Trees on disk for renderers that need files (kustomize, helm), one copy per snapshot per run.
///
/// A commit's tree is written once to `<cache>/trees/<sha>` and reused by later runs: it is
/// written to a temporary sibling and renamed into place, so a directory under its final name is
/// always complete and concurrent runs never see a half-written tree. The links left out of it
/// (pointing outside the repository) are listed in `<sha>.skipped`, written before the rename.
/// The work tree is copied, once per run, into a private temporary directory removed when the
/// `TreeCache` is dropped: renderers never run on the user's files, whose symlinks may lead
/// anywhere. Renderers must treat every tree as read-only.
pub struct TreeCache {
    cache: Arc<CacheDir>,
    /// One slot per commit in this run, so concurrent apps wait for one copy and a failure is
    /// met once; other processes race safely through the rename.
    commits: Mutex<HashMap<Sha, Once<Arc<OnDisk>>>>,
    work_trees: Mutex<HashMap<PathBuf, Once<Arc<OnDisk>>>>,
    scratch: OnceLock<Result<tempfile::TempDir, Arc<SourceError>>>,
}

impl TreeCache {
    /// Trees for this run, commit trees kept in `cache`.
    pub fn new(cache: Arc<CacheDir>) -> TreeCache {
        TreeCache {
            cache,
            commits: Mutex::new(HashMap::new()),
            work_trees: Mutex::new(HashMap::new()),
            scratch: OnceLock::new(),
        }
    }

    /// A directory holding the view's whole repository, for a renderer of `path`.
    ///
    /// Fails when a link left out of the copy is at, under or above `path` (that app's files
    /// would be incomplete), naming the link; apps elsewhere in the repository still get the copy.
    pub fn on_disk(&self, view: &RepoView, path: &RepoPath) -> Result<PathBuf> {
        let tree = match view.snapshot() {
            Snapshot::Commit(sha) => self.commit_tree(view, sha)?,
            Snapshot::WorkTree => self.work_tree(view)?,
        };
        if let Some(link) = tree
            .skipped
            .iter()
            .find(|s| s.at.starts_with(path) || path.starts_with(&s.at))
        {
            return Err(link.to_error(view.repo().path()));
        }
        Ok(tree.root.clone())
    }

    fn commit_tree(&self, view: &RepoView, sha: Sha) -> Result<Arc<OnDisk>> {
        let slot = slot(&self.commits, sha);
        let result = slot.get_or_init(|| self.write_commit_tree(view, sha).map_err(Arc::new));
        result.clone().map_err(SourceError::Shared)
    }

    fn write_commit_tree(&self, view: &RepoView, sha: Sha) -> Result<Arc<OnDisk>> {
        let trees = self.cache.subdir("trees")?;
        let final_dir = trees.join(sha.as_str());
        let skipped_file = trees.join(format!("{sha}.skipped"));
        if final_dir.is_dir() {
            touch(&final_dir);
            return Ok(Arc::new(OnDisk {
                skipped: read_skipped(&skipped_file)?,
                root: final_dir,
            }));
        }
        let temp = unique_temp(&trees, sha.as_str());
        let written = view.materialise_checked(&temp).and_then(|skipped| {
            write_skipped(&trees, &skipped_file, &skipped)?;
            Ok(skipped)
        });
        let skipped = match written {
            Ok(skipped) => skipped,
            Err(e) => {
                let _ = std::fs::remove_dir_all(&temp);
                return Err(e);
            }
        };
        publish(&temp, &final_dir)?;
        Ok(Arc::new(OnDisk {
            root: final_dir,
            skipped,
        }))
    }

    fn work_tree(&self, view: &RepoView) -> Result<Arc<OnDisk>> {
        let key = view.repo().git_dir().to_path_buf();
        let slot = slot(&self.work_trees, key);
        let result = slot.get_or_init(|| self.copy_work_tree(view).map_err(Arc::new));
        result.clone().map_err(SourceError::Shared)
    }

    fn copy_work_tree(&self, view: &RepoView) -> Result<Arc<OnDisk>> {
        let scratch = self
            .scratch
            .get_or_init(|| private_temp_dir("kubectl-gitops-worktree-").map_err(Arc::new));
        let scratch = scratch
            .as_ref()
            .map_err(|e| SourceError::Shared(Arc::clone(e)))?;
        let root = unique_temp(scratch.path(), "repo");
        let skipped = view.materialise_checked(&root)?;
        Ok(Arc::new(OnDisk { root, skipped }))
    }
}

/// The links left out of a cached commit tree; a tree cached before these lists existed was
/// written only when it had none.
fn read_skipped(file: &Path) -> Result<Vec<SkippedLink>> {
    let text = match std::fs::read(file) {
        Ok(text) => text,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(Vec::new()),
        Err(source) => {
            return Err(SourceError::Io {
                op: "read",
                path: file.to_path_buf(),
                source,
            });
        }
    };
    serde_json::from_slice(&text).map_err(|e| SourceError::Io {
        op: "parse (remove it to rebuild the tree)",
        path: file.to_path_buf(),
        source: std::io::Error::new(std::io::ErrorKind::InvalidData, e),
    })
}

fn write_skipped(dir: &Path, file: &Path, skipped: &[SkippedLink]) -> Result<()> {
    let io = |source| SourceError::Io {
        op: "write",
        path: file.to_path_buf(),
        source,
    };
    let text = serde_json::to_vec(skipped)
        .map_err(|e| io(std::io::Error::new(std::io::ErrorKind::InvalidData, e)))?;
    let temp = unique_temp(dir, "skipped");
    std::fs::write(&temp, text).map_err(io)?;
    std::fs::rename(&temp, file).map_err(|e| {
        let _ = std::fs::remove_file(&temp);
        io(e)
    })
}

/// A path in `dir` that no other thread or process will pick.
pub(crate) fn unique_temp(dir: &Path, label: &str) -> PathBuf {
    static COUNTER: AtomicU64 = AtomicU64::new(0);
    let n = COUNTER.fetch_add(1, Ordering::Relaxed);
    let nanos = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| d.subsec_nanos());
    dir.join(format!(".tmp-{label}-{}-{n}-{nanos}", std::process::id()))
}

/// Renames a finished `temp` into `final_dir`; if another run got there first, keeps theirs.
pub(crate) fn publish(temp: &Path, final_dir: &Path) -> Result<()> {
    match std::fs::rename(temp, final_dir) {
        Ok(()) => Ok(()),
        Err(_) if final_dir.is_dir() => {
            let _ = std::fs::remove_dir_all(temp);
            Ok(())
        }
        Err(source) => {
            let _ = std::fs::remove_dir_all(temp);
            Err(SourceError::Io {
                op: "move into place",
                path: final_dir.to_path_buf(),
                source,
            })
        }
    }
}

/// A file name for a cache entry: SHA-256 of `text`, so no chosen input can collide with
/// another's entry (the entry records its full key as well).
pub(crate) fn entry_name(text: &str) -> String {
    let digest = sha2::Sha256::digest(text.as_bytes());
    digest.iter().take(20).map(|b| format!("{b:02x}")).collect()
}

/// Marks a cache entry used now (its modification time), so `cache prune` keeps what runs
/// use. A failure only makes the entry look older than it is.
pub(crate) fn touch(dir: &Path) {
    let _ = std::fs::File::open(dir).and_then(|f| f.set_modified(std::time::SystemTime::now()));
}

pub mod prune;

#[cfg(test)]
mod tests;
