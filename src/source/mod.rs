//! Git access for the pipeline: open a repository, resolve revisions, and read files at a commit
//! (from the object database, no checkout) or in the work tree, through one API.
//!
//! - [`Repo`] opens a repository and resolves revisions to a [`Sha`].
//! - [`RepoView`] reads one repository at one [`Snapshot`]; it is `Send + Sync` and caches
//!   decoded trees, so apps can be rendered in parallel from one view.
//! - [`RepoPath`] is the only path type the readers accept: manifest paths can't leave the repo,
//!   and symlinks are followed only while they stay inside it.
//! - [`RepoResolver`] maps an Application's repoURL to the local repo, a `--repo-map` entry or a
//!   bare clone in the cache; [`TreeCache`] puts commit trees on disk for kustomize and helm;
//!   [`CacheEntries`] keeps charts pulled from chart repositories and built chart dependencies.

mod cache;
mod commit;
mod entries;
mod error;
mod fetch;
mod log;
mod path;
mod refname;
mod repo;
mod resolve;
mod resolver;
mod sha;
mod store;
mod url;
mod view;
mod worktree;

#[cfg(test)]
mod testutil;

pub use cache::prune::{PruneReport, PrunedEntry, prune as prune_cache};
pub(crate) use cache::{ensure_private_dir, slot};

/// The kinds of cache entries (`repos`, `trees`, `charts`, `helm-deps`).
pub fn cache_kinds() -> [&'static str; 4] {
    cache::prune::KINDS
}
pub use cache::{CacheDir, TreeCache, default_cache_dir};
pub use entries::{CacheEntries, Staging};
pub use error::{Result, SourceError};
pub use log::CommitInfo;
pub use path::RepoPath;
pub use repo::Repo;
pub use resolver::{RepoMapping, RepoOrigin, RepoResolver, ResolvedRepo};
pub use sha::Sha;
pub use url::{local_path, normalize_repo_url, redact_url};
pub use view::{DirEntry, EntryKind, RepoView, Snapshot};
