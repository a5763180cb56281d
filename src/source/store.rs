//! The raw, symlink-unaware file access that both snapshot kinds provide; `resolve` builds on it.

use super::commit::CommitStore;
use super::error::Result;
use super::path::RepoPath;
use super::worktree::WorkTreeStore;

/// What a directory entry is, without following symlinks.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum RawKind {
    /// A regular file.
    File {
        /// Whether the file is executable (kept when materialising for renderer plugins).
        executable: bool,
    },
    /// A directory.
    Dir,
    /// A symbolic link, not followed.
    Link,
}

/// One entry of a directory listing.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) struct RawEntry {
    /// The name inside its directory.
    pub name: String,
    /// What it is.
    pub kind: RawKind,
}

/// The snapshot-specific reader; every path given to it is physical (no symlink in its parents).
pub(crate) enum Store {
    /// Files on disk under the work dir.
    WorkTree(WorkTreeStore),
    /// Objects of one commit's tree.
    Commit(CommitStore),
}

impl Store {
    /// The entry at `path`, `None` when absent (or a `.git`, submodule or special file).
    pub fn lstat(&self, path: &RepoPath) -> Result<Option<RawKind>> {
        match self {
            Store::WorkTree(s) => s.lstat(path),
            Store::Commit(s) => s.lstat(path),
        }
    }

    /// The entries of the directory `dir`, sorted by name.
    pub fn list(&self, dir: &RepoPath) -> Result<Vec<RawEntry>> {
        match self {
            Store::WorkTree(s) => s.list(dir),
            Store::Commit(s) => s.list(dir),
        }
    }

    /// The content of the regular file `path`.
    pub fn read(&self, path: &RepoPath) -> Result<Vec<u8>> {
        match self {
            Store::WorkTree(s) => s.read(path),
            Store::Commit(s) => s.read(path),
        }
    }

    /// The target of the symlink `path`; `None` when it is not UTF-8 (treated as dangling).
    pub fn read_link(&self, path: &RepoPath) -> Result<Option<String>> {
        match self {
            Store::WorkTree(s) => s.read_link(path),
            Store::Commit(s) => s.read_link(path),
        }
    }
}
