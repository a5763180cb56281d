//! The one error type of the `source` stage; every variant names the repo, revision or path involved.

use std::path::PathBuf;

use super::path::RepoPath;
use super::view::Snapshot;

/// Shorthand for results of the `source` stage.
pub type Result<T, E = SourceError> = std::result::Result<T, E>;

/// Everything that can go wrong while reading Git.
#[derive(Debug, thiserror::Error)]
pub enum SourceError {
    /// A path from a manifest or the command line is not a safe repo-relative path.
    #[error("path {path:?} is not allowed: {reason}")]
    InvalidPath {
        /// The path as it was given.
        path: String,
        /// Why it was refused.
        reason: &'static str,
    },

    /// A string that should be a full commit SHA is not one.
    #[error("{value:?} is not a commit SHA (40 hex digits)")]
    InvalidSha {
        /// The rejected value.
        value: String,
    },

    /// No repository at or above a directory, or it could not be opened.
    #[error("cannot open git repository at {path}")]
    Open {
        /// The directory given.
        path: PathBuf,
        /// What gix reported.
        #[source]
        source: gix::Error,
    },

    /// A revision does not name a commit in the repository.
    #[error("revision {rev:?} not found in repository {repo}")]
    UnknownRevision {
        /// The repository searched.
        repo: PathBuf,
        /// The revision as given.
        rev: String,
        /// What gix reported.
        #[source]
        source: gix::Error,
    },

    /// Reading the object database failed (corrupt or missing objects).
    #[error("repository {repo}: cannot read {what}")]
    Git {
        /// The repository read.
        repo: PathBuf,
        /// The object or path being read.
        what: String,
        /// What gix reported.
        #[source]
        source: gix::Error,
    },

    /// The work tree was asked for, but the repository is bare.
    #[error("repository {repo} is bare: it has no work tree to read (name a revision)")]
    NoWorkTree {
        /// The bare repository.
        repo: PathBuf,
    },

    /// A path does not exist at the snapshot.
    #[error("{path} does not exist in {repo} ({snapshot})")]
    NotFound {
        /// The repository read.
        repo: PathBuf,
        /// Work tree or commit.
        snapshot: Snapshot,
        /// The missing path.
        path: RepoPath,
    },

    /// A file was expected but the path is a directory.
    #[error("{path} in {repo} ({snapshot}) is a directory, not a file")]
    NotAFile {
        /// The repository read.
        repo: PathBuf,
        /// Work tree or commit.
        snapshot: Snapshot,
        /// The offending path.
        path: RepoPath,
    },

    /// A directory was expected but the path is a file.
    #[error("{path} in {repo} ({snapshot}) is a file, not a directory")]
    NotADirectory {
        /// The repository read.
        repo: PathBuf,
        /// Work tree or commit.
        snapshot: Snapshot,
        /// The offending path.
        path: RepoPath,
    },

    /// A file that must be text is not UTF-8.
    #[error("{path} in {repo} ({snapshot}) is not UTF-8 text")]
    NotUtf8 {
        /// The repository read.
        repo: PathBuf,
        /// Work tree or commit.
        snapshot: Snapshot,
        /// The offending path.
        path: RepoPath,
    },

    /// A symlink points outside the repository (absolute, or `..` past the root).
    #[error("symlink {link} -> {target:?} in {repo} points outside the repository")]
    SymlinkEscape {
        /// The repository read.
        repo: PathBuf,
        /// Where the link is.
        link: RepoPath,
        /// What it points at.
        target: String,
    },

    /// Too many symlinks were followed, or a directory symlink contains itself.
    #[error("too many levels of symbolic links resolving {path} in {repo}")]
    SymlinkLoop {
        /// The repository read.
        repo: PathBuf,
        /// The path being resolved.
        path: RepoPath,
    },

    /// A filesystem operation failed.
    #[error("cannot {op} {path}")]
    Io {
        /// What was attempted ("read", "create directory", ...).
        op: &'static str,
        /// The file or directory involved.
        path: PathBuf,
        /// The OS error.
        #[source]
        source: std::io::Error,
    },

    /// A view of a work tree was given where only commits are cacheable.
    #[error("repository {repo}: only commits can be cached by SHA, not the work tree")]
    NotACommit {
        /// The repository read.
        repo: PathBuf,
    },

    /// A `--repo-map` argument is not `URL=PATH`.
    #[error("--repo-map {arg:?}: expected URL=PATH")]
    InvalidRepoMap {
        /// The argument as given.
        arg: String,
    },

    /// An unmapped, uncached URL was needed while offline.
    #[error("repository {url} is not available offline (use --repo-map URL=PATH)")]
    NotAvailableOffline {
        /// The repoURL (credentials removed).
        url: String,
    },

    /// A repoURL names a local path or `file://` URL that is not the repository the command
    /// runs in: a manifest must not make the tool read other repositories on the machine.
    #[error("repoURL {url}: local repository URLs are read only through --repo-map URL=PATH")]
    LocalRepoUrl {
        /// The repoURL as written (credentials removed).
        url: String,
    },

    /// A repoURL that `git` must not be given (unknown transport, option-like, malformed).
    #[error("repoURL {url} is not allowed: {reason}")]
    InvalidRepoUrl {
        /// The repoURL (credentials removed).
        url: String,
        /// What is wrong with it.
        reason: String,
    },

    /// A revision from a manifest is neither a valid ref name nor a commit SHA.
    #[error("revision {rev:?} of {repo} is not allowed: {reason}")]
    InvalidRevision {
        /// The repoURL (credentials removed) or local repository.
        repo: String,
        /// The revision as written.
        rev: String,
        /// Which rule it breaks.
        reason: &'static str,
    },

    /// The cache directory belongs to another user, who could plant clones or trees in it.
    #[error(
        "cache directory {path} belongs to user id {owner}, not to this user ({uid}); refusing to use it (remove it, or set XDG_CACHE_HOME)"
    )]
    CacheDirNotOwned {
        /// The directory.
        path: PathBuf,
        /// Its owner's user id.
        owner: u32,
        /// This process's effective user id.
        uid: u32,
    },

    /// The cache directory exists but is not a directory.
    #[error("cache directory {path} is not a directory")]
    CacheDirNotADirectory {
        /// The path.
        path: PathBuf,
    },

    /// A clone in the cache was made for another URL (a hash collision or a tampered cache).
    #[error(
        "cache entry {path} holds a clone of {found}, not of {expected}; remove it to clone again"
    )]
    CacheEntryMismatch {
        /// The clone directory.
        path: PathBuf,
        /// The cache key of the URL asked for (no credentials).
        expected: String,
        /// The cache key recorded in the clone (no credentials), or `nothing` when absent.
        found: String,
    },

    /// An error met once and handed to every caller that waited for the same work.
    #[error(transparent)]
    Shared(std::sync::Arc<SourceError>),

    /// `git clone` or `git fetch` failed or could not be started.
    #[error("git {op} of {url} failed: {detail}")]
    GitCommand {
        /// "clone" or "fetch".
        op: &'static str,
        /// The repoURL (credentials removed).
        url: String,
        /// Exit status and stderr of git (credentials removed), or why it did not start.
        detail: String,
    },
}

impl SourceError {
    /// The error itself, looking through `Shared`: for matching on what went wrong.
    pub fn root(&self) -> &SourceError {
        match self {
            SourceError::Shared(inner) => inner.root(),
            other => other,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn assert_send_sync<T: Send + Sync + 'static>() {}

    #[test]
    fn error_is_send_sync() {
        assert_send_sync::<SourceError>();
    }

    #[test]
    fn offline_message_names_url_and_flag() {
        let e = SourceError::NotAvailableOffline {
            url: "https://example.com/org/repo".into(),
        };
        assert_eq!(
            e.to_string(),
            "repository https://example.com/org/repo is not available offline (use --repo-map URL=PATH)"
        );
    }
}
