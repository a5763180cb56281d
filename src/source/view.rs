//! `RepoView`: read access to one repository at one snapshot, the same API for work tree and commit.

use std::fmt;
use std::path::Path;
use std::sync::Arc;

use super::commit::CommitStore;
use super::error::{Result, SourceError};
use super::path::RepoPath;
use super::repo::Repo;
use super::resolve::{Resolved, resolve};
use super::sha::Sha;
use super::store::{RawKind, Store};
use super::worktree::WorkTreeStore;

/// Which state of the repository to read.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Snapshot {
    /// The files on disk, uncommitted edits included.
    WorkTree,
    /// The tree of a commit.
    Commit(Sha),
}

impl Snapshot {
    /// The commit, or `None` for the work tree.
    pub fn sha(&self) -> Option<Sha> {
        match self {
            Snapshot::WorkTree => None,
            Snapshot::Commit(sha) => Some(*sha),
        }
    }
}

impl fmt::Display for Snapshot {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Snapshot::WorkTree => f.write_str("work tree"),
            Snapshot::Commit(sha) => write!(f, "commit {}", sha.short()),
        }
    }
}

/// What a directory entry is; symlinks are reported as such by `list_dir`.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum EntryKind {
    /// A regular file.
    File,
    /// A directory.
    Dir,
    /// A symbolic link (not followed).
    Symlink,
}

/// One entry of `RepoView::list_dir`.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct DirEntry {
    /// The name inside its directory.
    pub name: String,
    /// What it is, without following symlinks.
    pub kind: EntryKind,
}

/// One repository at one snapshot; cheap to clone, `Send + Sync` so apps can render in parallel.
#[derive(Clone)]
pub struct RepoView {
    inner: Arc<Inner>,
}

struct Inner {
    repo: Repo,
    snapshot: Snapshot,
    store: Store,
}

/// How deep directory symlinks may nest while materialising before it counts as a loop.
const MAX_DIR_LINK_NESTING: usize = 8;

impl RepoView {
    pub(crate) fn new(repo: Repo, snapshot: Snapshot) -> Result<RepoView> {
        let store = match snapshot {
            Snapshot::WorkTree => {
                let workdir = repo.workdir().ok_or_else(|| SourceError::NoWorkTree {
                    repo: repo.display_path(),
                })?;
                Store::WorkTree(WorkTreeStore::new(workdir))
            }
            Snapshot::Commit(sha) => {
                let tree = repo.with_gix(|r| {
                    r.find_object(sha.to_object_id())
                        .and_then(|object| object.peel_to_commit())
                        .and_then(|commit| commit.tree_id())
                        .map(|id| id.detach())
                        .map_err(|source| SourceError::UnknownRevision {
                            repo: repo.display_path(),
                            rev: sha.to_string(),
                            source,
                        })
                })?;
                Store::Commit(CommitStore::new(repo.clone(), tree))
            }
        };
        Ok(RepoView {
            inner: Arc::new(Inner {
                repo,
                snapshot,
                store,
            }),
        })
    }

    /// The repository read.
    pub fn repo(&self) -> &Repo {
        &self.inner.repo
    }

    /// The snapshot read.
    pub fn snapshot(&self) -> Snapshot {
        self.inner.snapshot
    }

    fn repo_path(&self) -> &Path {
        self.inner.repo.path()
    }

    fn resolve(&self, path: &RepoPath) -> Result<Option<Resolved>> {
        resolve(&self.inner.store, self.repo_path(), path, true)
    }

    fn not_found(&self, path: &RepoPath) -> SourceError {
        SourceError::NotFound {
            repo: self.inner.repo.display_path(),
            snapshot: self.inner.snapshot,
            path: path.clone(),
        }
    }

    fn existing(&self, path: &RepoPath) -> Result<Resolved> {
        self.resolve(path)?.ok_or_else(|| self.not_found(path))
    }

    fn existing_dir(&self, path: &RepoPath) -> Result<RepoPath> {
        let found = self.existing(path)?;
        match found.kind {
            RawKind::Dir => Ok(found.path),
            RawKind::File { .. } | RawKind::Link => Err(SourceError::NotADirectory {
                repo: self.inner.repo.display_path(),
                snapshot: self.inner.snapshot,
                path: path.clone(),
            }),
        }
    }

    /// The bytes of a file, following symlinks inside the repository.
    pub fn read(&self, path: &RepoPath) -> Result<Vec<u8>> {
        let found = self.existing(path)?;
        match found.kind {
            RawKind::File { .. } => self.inner.store.read(&found.path),
            RawKind::Dir => Err(SourceError::NotAFile {
                repo: self.inner.repo.display_path(),
                snapshot: self.inner.snapshot,
                path: path.clone(),
            }),
            RawKind::Link => Err(self.not_found(path)),
        }
    }

    /// A file as UTF-8 text.
    pub fn read_to_string(&self, path: &RepoPath) -> Result<String> {
        String::from_utf8(self.read(path)?).map_err(|_| SourceError::NotUtf8 {
            repo: self.inner.repo.display_path(),
            snapshot: self.inner.snapshot,
            path: path.clone(),
        })
    }

    /// The entries of a directory, sorted by name; symlinks are listed as `Symlink`.
    pub fn list_dir(&self, path: &RepoPath) -> Result<Vec<DirEntry>> {
        let dir = self.existing_dir(path)?;
        Ok(self
            .inner
            .store
            .list(&dir)?
            .into_iter()
            .map(|e| DirEntry {
                name: e.name,
                kind: match e.kind {
                    RawKind::File { .. } => EntryKind::File,
                    RawKind::Dir => EntryKind::Dir,
                    RawKind::Link => EntryKind::Symlink,
                },
            })
            .collect())
    }

    /// Every file below a directory, recursively, sorted; paths are given below `under` as named.
    ///
    /// Symlinks to files count as files; symlinked directories are not descended (as Argo CD's
    /// directory walk does); dangling links are skipped; links leaving the repo are errors.
    pub fn walk_files(&self, under: &RepoPath) -> Result<Vec<RepoPath>> {
        let physical = self.existing_dir(under)?;
        let mut out = Vec::new();
        let mut stack = vec![(under.clone(), physical)];
        while let Some((logical, physical)) = stack.pop() {
            for entry in self.inner.store.list(&physical)? {
                let logical_child = logical.child(&entry.name);
                let physical_child = physical.child(&entry.name);
                match entry.kind {
                    RawKind::Dir => stack.push((logical_child, physical_child)),
                    RawKind::File { .. } => out.push(logical_child),
                    RawKind::Link => {
                        if let Some(Resolved {
                            kind: RawKind::File { .. },
                            ..
                        }) = self.resolve(&physical_child)?
                        {
                            out.push(logical_child);
                        }
                    }
                }
            }
        }
        out.sort();
        Ok(out)
    }

    /// Whether anything (file or directory, after following symlinks) is at `path`.
    pub fn exists(&self, path: &RepoPath) -> Result<bool> {
        Ok(self.resolve(path)?.is_some())
    }

    /// `File` or `Dir` after following symlinks, or `None` when nothing is there.
    pub fn kind(&self, path: &RepoPath) -> Result<Option<EntryKind>> {
        Ok(self.resolve(path)?.and_then(|found| match found.kind {
            RawKind::File { .. } => Some(EntryKind::File),
            RawKind::Dir => Some(EntryKind::Dir),
            RawKind::Link => None,
        }))
    }

    /// Writes the directory `under` (the root for the whole repo) into `dest` for external renderers.
    ///
    /// Symlinks are replaced by copies of what they point at, so nothing written can point
    /// outside `dest`; executable bits are kept. `dest` is created; it should be empty. A link
    /// that leaves the repository, or a directory link that contains itself, is an error.
    pub fn materialise(&self, under: &RepoPath, dest: &Path) -> Result<()> {
        let physical = self.existing_dir(under)?;
        create_dir(dest)?;
        let mut expanding = Vec::new();
        self.copy_dir(&physical, under, dest, &mut expanding, None)
    }

    /// Like `materialise` for the whole repository, but a link that leaves it (or loops) is left
    /// out and reported instead of failing the copy, so one bad link fails only the apps whose
    /// files it is among (see `TreeCache::on_disk`), never the others sharing the copy.
    pub(crate) fn materialise_checked(&self, dest: &Path) -> Result<Vec<SkippedLink>> {
        let root = RepoPath::root();
        create_dir(dest)?;
        let mut expanding = Vec::new();
        let mut skipped = Vec::new();
        self.copy_dir(&root, &root, dest, &mut expanding, Some(&mut skipped))?;
        Ok(skipped)
    }

    /// Copies the physical directory `dir`, seen by renderers at `logical`, into `dest`.
    fn copy_dir(
        &self,
        dir: &RepoPath,
        logical: &RepoPath,
        dest: &Path,
        expanding: &mut Vec<RepoPath>,
        mut skipped: Option<&mut Vec<SkippedLink>>,
    ) -> Result<()> {
        for entry in self.inner.store.list(dir)? {
            let source = dir.child(&entry.name);
            let at = logical.child(&entry.name);
            let target = dest.join(&entry.name);
            match entry.kind {
                RawKind::Dir => {
                    create_dir(&target)?;
                    self.copy_dir(&source, &at, &target, expanding, skipped.as_deref_mut())?;
                }
                RawKind::File { executable } => {
                    write_file(&target, &self.inner.store.read(&source)?, executable)?;
                }
                RawKind::Link => {
                    let resolved = match (self.resolve(&source), skipped.as_deref_mut()) {
                        (Ok(found), _) => found,
                        (Err(e), Some(skipped)) => match SkippedLink::from_error(at, e) {
                            Ok(link) => {
                                skipped.push(link);
                                continue;
                            }
                            Err(e) => return Err(e),
                        },
                        (Err(e), None) => return Err(e),
                    };
                    match resolved {
                        None
                        | Some(Resolved {
                            kind: RawKind::Link,
                            ..
                        }) => {}
                        Some(Resolved {
                            path,
                            kind: RawKind::File { executable },
                        }) => write_file(&target, &self.inner.store.read(&path)?, executable)?,
                        Some(Resolved {
                            path,
                            kind: RawKind::Dir,
                        }) => {
                            // A link to one of its own ancestors would copy forever.
                            if source.starts_with(&path) || expanding.len() >= MAX_DIR_LINK_NESTING
                            {
                                let e = SourceError::SymlinkLoop {
                                    repo: self.inner.repo.display_path(),
                                    path: source,
                                };
                                match skipped.as_deref_mut() {
                                    Some(skipped) => {
                                        skipped.push(SkippedLink::from_error(at, e)?);
                                        continue;
                                    }
                                    None => return Err(e),
                                }
                            }
                            create_dir(&target)?;
                            expanding.push(source);
                            self.copy_dir(&path, &at, &target, expanding, skipped.as_deref_mut())?;
                            expanding.pop();
                        }
                    }
                }
            }
        }
        Ok(())
    }
}

/// A symlink `materialise_checked` left out of a copy, and why.
#[derive(Clone, Debug, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub(crate) struct SkippedLink {
    /// Where the link's content would have been in the copy (repo-relative).
    pub at: RepoPath,
    /// Why it was left out.
    pub problem: LinkProblem,
}

/// What was wrong with a skipped link.
#[derive(Clone, Debug, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub(crate) enum LinkProblem {
    /// The link (possibly one met on the way) points outside the repository.
    Escape {
        /// The offending link.
        link: RepoPath,
        /// Its target.
        target: String,
    },
    /// Too many links, or a directory link containing itself.
    Loop {
        /// The path being resolved.
        path: RepoPath,
    },
}

impl SkippedLink {
    /// Records a link problem; any other error is given back.
    fn from_error(at: RepoPath, error: SourceError) -> Result<SkippedLink> {
        let problem = match error {
            SourceError::SymlinkEscape { link, target, .. } => LinkProblem::Escape { link, target },
            SourceError::SymlinkLoop { path, .. } => LinkProblem::Loop { path },
            other => return Err(other),
        };
        Ok(SkippedLink { at, problem })
    }

    /// The error an app whose files include this link fails with.
    pub(crate) fn to_error(&self, repo: &Path) -> SourceError {
        match &self.problem {
            LinkProblem::Escape { link, target } => SourceError::SymlinkEscape {
                repo: repo.to_path_buf(),
                link: link.clone(),
                target: target.clone(),
            },
            LinkProblem::Loop { path } => SourceError::SymlinkLoop {
                repo: repo.to_path_buf(),
                path: path.clone(),
            },
        }
    }
}

impl fmt::Debug for RepoView {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "RepoView({} at {})",
            self.repo_path().display(),
            self.inner.snapshot
        )
    }
}

fn create_dir(path: &Path) -> Result<()> {
    std::fs::create_dir_all(path).map_err(|source| SourceError::Io {
        op: "create directory",
        path: path.to_path_buf(),
        source,
    })
}

fn write_file(path: &Path, content: &[u8], executable: bool) -> Result<()> {
    let io = |source| SourceError::Io {
        op: "write",
        path: path.to_path_buf(),
        source,
    };
    std::fs::write(path, content).map_err(io)?;
    #[cfg(unix)]
    if executable {
        use std::os::unix::fs::PermissionsExt;
        std::fs::set_permissions(path, std::fs::Permissions::from_mode(0o755)).map_err(io)?;
    }
    #[cfg(not(unix))]
    let _ = executable;
    Ok(())
}

#[cfg(test)]
mod tests;
