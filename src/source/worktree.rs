//! Raw access to the work tree on disk, uncommitted edits included; `.git` is never visible.

use std::io::ErrorKind;
use std::path::{Path, PathBuf};

use super::error::{Result, SourceError};
use super::path::RepoPath;
use super::store::{RawEntry, RawKind};

/// Reads files below a work dir; symlinks are reported, never followed, so `resolve` can police them.
pub(crate) struct WorkTreeStore {
    root: PathBuf,
}

/// Git never tracks a `.git` component, so hiding it keeps both snapshot kinds identical.
fn is_git_dir(name: &str) -> bool {
    name.eq_ignore_ascii_case(".git")
}

fn kind_of(
    file_type: std::fs::FileType,
    metadata: impl FnOnce() -> Option<u32>,
) -> Option<RawKind> {
    if file_type.is_symlink() {
        Some(RawKind::Link)
    } else if file_type.is_dir() {
        Some(RawKind::Dir)
    } else if file_type.is_file() {
        Some(RawKind::File {
            executable: metadata().is_some_and(|mode| mode & 0o111 != 0),
        })
    } else {
        None
    }
}

#[cfg(unix)]
fn mode(metadata: &std::fs::Metadata) -> u32 {
    use std::os::unix::fs::PermissionsExt;
    metadata.permissions().mode()
}

#[cfg(not(unix))]
fn mode(_metadata: &std::fs::Metadata) -> u32 {
    0
}

impl WorkTreeStore {
    /// A store over the work dir `root`.
    pub fn new(root: &Path) -> WorkTreeStore {
        WorkTreeStore {
            root: root.to_path_buf(),
        }
    }

    fn io(&self, op: &'static str, path: &RepoPath, source: std::io::Error) -> SourceError {
        SourceError::Io {
            op,
            path: path.to_fs_path(&self.root),
            source,
        }
    }

    pub fn lstat(&self, path: &RepoPath) -> Result<Option<RawKind>> {
        if path.components().any(is_git_dir) {
            return Ok(None);
        }
        match std::fs::symlink_metadata(path.to_fs_path(&self.root)) {
            Ok(meta) => Ok(kind_of(meta.file_type(), || Some(mode(&meta)))),
            Err(e) if matches!(e.kind(), ErrorKind::NotFound | ErrorKind::NotADirectory) => {
                Ok(None)
            }
            Err(e) => Err(self.io("inspect", path, e)),
        }
    }

    pub fn list(&self, dir: &RepoPath) -> Result<Vec<RawEntry>> {
        let entries = std::fs::read_dir(dir.to_fs_path(&self.root))
            .map_err(|e| self.io("list directory", dir, e))?;
        let mut out = Vec::new();
        for entry in entries {
            let entry = entry.map_err(|e| self.io("list directory", dir, e))?;
            // Non-UTF-8 names can't be named by a manifest, and gix views skip them too.
            let Ok(name) = entry.file_name().into_string() else {
                continue;
            };
            if is_git_dir(&name) {
                continue;
            }
            let file_type = entry.file_type().map_err(|e| self.io("inspect", dir, e))?;
            let kind = kind_of(file_type, || entry.metadata().ok().map(|m| mode(&m)));
            if let Some(kind) = kind {
                out.push(RawEntry { name, kind });
            }
        }
        out.sort_by(|a, b| a.name.cmp(&b.name));
        Ok(out)
    }

    pub fn read(&self, path: &RepoPath) -> Result<Vec<u8>> {
        std::fs::read(path.to_fs_path(&self.root)).map_err(|e| self.io("read", path, e))
    }

    pub fn read_link(&self, path: &RepoPath) -> Result<Option<String>> {
        let target = std::fs::read_link(path.to_fs_path(&self.root))
            .map_err(|e| self.io("read symlink", path, e))?;
        Ok(target.into_os_string().into_string().ok())
    }
}
