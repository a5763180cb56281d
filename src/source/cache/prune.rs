//! Keeping the cache bounded: `kubectl gitops cache prune` removes the entries (clones, commit
//! trees, charts, chart dependencies) that no run has used for a while.
//!
//! A command rather than an automatic size limit: `--offline` runs depend on what the cache
//! holds (a clone, a chart), and a limit enforced behind the user's back would make one fail
//! later with nothing said; an entry a run uses is marked used ([`super::touch`]), so what is
//! removed is what nobody has needed for the chosen time, and the user chooses when.

use std::path::{Path, PathBuf};
use std::time::{Duration, SystemTime};

use super::{CacheDir, unique_temp};
use crate::source::error::{Result, SourceError};

/// The kinds of entries, each a subdirectory of the cache.
pub const KINDS: [&str; 4] = ["repos", "trees", "charts", "helm-deps"];

/// One entry removed (or that would be, with a dry run).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PrunedEntry {
    /// `repos`, `trees`, `charts` or `helm-deps`.
    pub kind: &'static str,
    /// Its directory.
    pub path: PathBuf,
    /// Its size on disk, in bytes.
    pub bytes: u64,
}

/// What a prune did.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct PruneReport {
    /// The cache directory.
    pub dir: PathBuf,
    /// The entries removed.
    pub removed: Vec<PrunedEntry>,
    /// How many entries stay.
    pub kept: usize,
    /// Their size, in bytes.
    pub kept_bytes: u64,
}

/// Removes the entries not used for `unused_for` (every entry with `Duration::ZERO`); with
/// `dry_run`, only says which.
pub fn prune(cache: &CacheDir, unused_for: Duration, dry_run: bool) -> Result<PruneReport> {
    let mut report = PruneReport {
        dir: cache.path()?.to_path_buf(),
        ..Default::default()
    };
    let now = SystemTime::now();
    for kind in KINDS {
        let base = cache.subdir(kind)?;
        let read = std::fs::read_dir(&base).map_err(|source| SourceError::Io {
            op: "list",
            path: base.clone(),
            source,
        })?;
        for entry in read.flatten() {
            let name = entry.file_name().to_string_lossy().into_owned();
            // Entries being written (`.tmp-...`), and a commit tree's list of skipped links,
            // which goes with its tree.
            if name.starts_with('.') || name.ends_with(".skipped") {
                continue;
            }
            let path = entry.path();
            let used = std::fs::symlink_metadata(&path)
                .and_then(|m| m.modified())
                .unwrap_or(now);
            let age = now.duration_since(used).unwrap_or_default();
            let bytes = size_of(&path);
            if age < unused_for {
                report.kept += 1;
                report.kept_bytes += bytes;
                continue;
            }
            if !dry_run {
                remove(&base, &path)?;
                let _ = std::fs::remove_file(base.join(format!("{name}.skipped")));
            }
            report.removed.push(PrunedEntry { kind, path, bytes });
        }
    }
    report
        .removed
        .sort_by(|a, b| (a.kind, &a.path).cmp(&(b.kind, &b.path)));
    Ok(report)
}

/// Renames the entry out of its name first, so no run finds it half removed, then removes it.
fn remove(base: &Path, path: &Path) -> Result<()> {
    let doomed = unique_temp(base, "prune");
    std::fs::rename(path, &doomed).map_err(|source| SourceError::Io {
        op: "remove",
        path: path.to_path_buf(),
        source,
    })?;
    std::fs::remove_dir_all(&doomed).map_err(|source| SourceError::Io {
        op: "remove",
        path: doomed,
        source,
    })
}

/// The bytes of the files under `path`, links not followed.
fn size_of(path: &Path) -> u64 {
    let Ok(meta) = std::fs::symlink_metadata(path) else {
        return 0;
    };
    if !meta.is_dir() {
        return meta.len();
    }
    std::fs::read_dir(path)
        .map(|entries| entries.flatten().map(|e| size_of(&e.path())).sum())
        .unwrap_or(0)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn entry(cache: &CacheDir, kind: &str, name: &str, age: Duration) -> PathBuf {
        let dir = cache.subdir(kind).unwrap().join(name);
        std::fs::create_dir_all(&dir).unwrap();
        std::fs::write(dir.join("f"), "12345").unwrap();
        let when = SystemTime::now() - age;
        std::fs::File::open(&dir)
            .unwrap()
            .set_modified(when)
            .unwrap();
        dir
    }

    #[test]
    fn entries_unused_for_the_period_go_and_the_rest_stay() {
        let root = tempfile::tempdir().unwrap();
        let cache = CacheDir::at(root.path().join("cache"));
        let day = Duration::from_secs(86_400);
        let old_tree = entry(&cache, "trees", "aaaa", day * 40);
        std::fs::write(cache.subdir("trees").unwrap().join("aaaa.skipped"), "").unwrap();
        let old_chart = entry(&cache, "charts", "bbbb", day * 31);
        let fresh = entry(&cache, "repos", "cccc", day);
        let dry = prune(&cache, day * 30, true).unwrap();
        assert_eq!(dry.removed.len(), 2);
        assert!(
            old_tree.exists() && old_chart.exists(),
            "a dry run removes nothing"
        );
        let done = prune(&cache, day * 30, false).unwrap();
        assert_eq!(
            done.removed
                .iter()
                .map(|e| (e.kind, e.bytes))
                .collect::<Vec<_>>(),
            [("charts", 5), ("trees", 5)]
        );
        assert!(!old_tree.exists() && !old_chart.exists() && fresh.exists());
        assert!(!cache.subdir("trees").unwrap().join("aaaa.skipped").exists());
        assert_eq!((done.kept, done.kept_bytes), (1, 5));
        let all = prune(&cache, Duration::ZERO, false).unwrap();
        assert_eq!(all.removed.len(), 1);
        assert!(!fresh.exists());
    }
}
