//! The on-disk cache: commit trees materialised once per SHA, shared by concurrent runs.

use std::collections::HashMap;
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex, PoisonError};

use super::error::{Result, SourceError};
use super::path::RepoPath;
use super::sha::Sha;
use super::view::RepoView;

/// `$XDG_CACHE_HOME/kubectl-gitops`, else `$HOME/.cache/kubectl-gitops`.
pub fn default_cache_dir() -> Option<PathBuf> {
    let non_empty = |key| {
        std::env::var_os(key)
            .filter(|v| !v.is_empty())
            .map(PathBuf::from)
    };
    let base =
        non_empty("XDG_CACHE_HOME").or_else(|| non_empty("HOME").map(|h| h.join(".cache")))?;
    Some(base.join("kubectl-gitops"))
}

/// Commit trees on disk for renderers that need files (kustomize, helm), at `<dir>/trees/<sha>`.
///
/// A tree is written to a temporary sibling and renamed into place, so a directory under its
/// final name is always complete and concurrent runs never see a half-written tree. Renderers
/// must treat it as read-only: every later run with the same SHA reuses it.
pub struct TreeCache {
    dir: PathBuf,
    /// Serialises materialising the same SHA within this process; other processes race safely.
    in_flight: Mutex<HashMap<Sha, Arc<Mutex<()>>>>,
}

impl TreeCache {
    /// A cache rooted at `dir` (usually `default_cache_dir()`).
    pub fn new(dir: impl Into<PathBuf>) -> TreeCache {
        TreeCache {
            dir: dir.into(),
            in_flight: Mutex::new(HashMap::new()),
        }
    }

    /// The cache root.
    pub fn dir(&self) -> &Path {
        &self.dir
    }

    /// The whole tree of the view's commit on disk, written on first use.
    pub fn commit_tree(&self, view: &RepoView) -> Result<PathBuf> {
        let sha = view
            .snapshot()
            .sha()
            .ok_or_else(|| SourceError::NotACommit {
                repo: view.repo().path().to_path_buf(),
            })?;
        let trees = self.dir.join("trees");
        let final_dir = trees.join(sha.as_str());
        if final_dir.is_dir() {
            return Ok(final_dir);
        }
        let lock = Arc::clone(
            self.in_flight
                .lock()
                .unwrap_or_else(PoisonError::into_inner)
                .entry(sha)
                .or_default(),
        );
        let _guard = lock.lock().unwrap_or_else(PoisonError::into_inner);
        if final_dir.is_dir() {
            return Ok(final_dir);
        }
        let temp = unique_temp(&trees, sha.as_str());
        let written = view.materialise(&RepoPath::root(), &temp);
        if let Err(e) = written {
            let _ = std::fs::remove_dir_all(&temp);
            return Err(e);
        }
        publish(&temp, &final_dir)?;
        Ok(final_dir)
    }
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

/// A stable name for a cache entry: FNV-1a, fixed here so it can't change with the toolchain.
pub(crate) fn stable_hash(text: &str) -> String {
    let mut hash: u64 = 0xcbf2_9ce4_8422_2325;
    for byte in text.bytes() {
        hash ^= u64::from(byte);
        hash = hash.wrapping_mul(0x0100_0000_01b3);
    }
    format!("{hash:016x}")
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::source::repo::Repo;
    use crate::source::testutil::TestRepo;
    use crate::source::view::Snapshot;

    #[test]
    fn stable_hash_is_fixed() {
        assert_eq!(stable_hash(""), "cbf29ce484222325");
        assert_eq!(
            stable_hash("github.com/org/repo"),
            stable_hash("github.com/org/repo")
        );
        assert_ne!(stable_hash("a"), stable_hash("b"));
    }

    #[test]
    fn commit_tree_is_written_once_and_reused_across_threads() {
        let t = TestRepo::new();
        t.write("apps/a.yaml", "a: 1\n");
        t.write("base/kustomization.yaml", "resources: []\n");
        let sha = t.commit("c");
        let repo = Repo::open(t.path()).unwrap();
        let view = repo
            .view(Snapshot::Commit(Sha::parse(&sha).unwrap()))
            .unwrap();
        let cache_dir = tempfile::tempdir().unwrap();
        let cache = TreeCache::new(cache_dir.path());

        let dirs: Vec<PathBuf> = std::thread::scope(|s| {
            let handles: Vec<_> = (0..4)
                .map(|_| s.spawn(|| cache.commit_tree(&view).unwrap()))
                .collect();
            handles.into_iter().map(|h| h.join().unwrap()).collect()
        });
        let expected = cache_dir.path().join("trees").join(&sha);
        assert!(dirs.iter().all(|d| *d == expected));
        assert_eq!(
            std::fs::read_to_string(expected.join("apps/a.yaml")).unwrap(),
            "a: 1\n"
        );
        let leftovers: Vec<_> = std::fs::read_dir(cache_dir.path().join("trees"))
            .unwrap()
            .map(|e| e.unwrap().file_name())
            .collect();
        assert_eq!(leftovers, [std::ffi::OsString::from(&sha)]);

        // A second cache object (another run) reuses the directory without rewriting it.
        std::fs::write(expected.join("marker"), "kept").unwrap();
        let again = TreeCache::new(cache_dir.path()).commit_tree(&view).unwrap();
        assert!(again.join("marker").exists());
    }

    #[test]
    fn work_tree_views_are_not_cacheable() {
        let t = TestRepo::new();
        let repo = Repo::open(t.path()).unwrap();
        let view = repo.view(Snapshot::WorkTree).unwrap();
        let cache = TreeCache::new(tempfile::tempdir().unwrap().path());
        assert!(matches!(
            cache.commit_tree(&view),
            Err(SourceError::NotACommit { .. })
        ));
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
}
