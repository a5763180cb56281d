//! Raw access to one commit's tree through the object database, with every decoded tree cached.

use std::collections::HashMap;
use std::sync::{Arc, PoisonError, RwLock};

use super::error::{Result, SourceError};
use super::path::RepoPath;
use super::repo::Repo;
use super::store::{RawEntry, RawKind};

/// One decoded tree entry.
struct TreeEntry {
    name: String,
    kind: RawKind,
    id: gix::ObjectId,
}

/// A decoded tree, sorted by name for binary search.
struct Listing {
    entries: Vec<TreeEntry>,
}

impl Listing {
    fn get(&self, name: &str) -> Option<&TreeEntry> {
        self.entries
            .binary_search_by(|e| e.name.as_str().cmp(name))
            .ok()
            .map(|i| &self.entries[i])
    }
}

/// Reads a commit's tree; each directory is decoded once per view, so reading N files costs
/// N hash lookups plus N blob reads rather than N walks from the root.
pub(crate) struct CommitStore {
    repo: Repo,
    root: gix::ObjectId,
    dirs: RwLock<HashMap<RepoPath, Arc<Listing>>>,
}

impl CommitStore {
    /// A store over the tree `root` of a commit in `repo`.
    pub fn new(repo: Repo, root: gix::ObjectId) -> CommitStore {
        CommitStore {
            repo,
            root,
            dirs: RwLock::new(HashMap::new()),
        }
    }

    fn git_error(&self, what: String, source: gix::Error) -> SourceError {
        SourceError::Git {
            repo: self.repo.display_path(),
            what,
            source,
        }
    }

    /// The decoded tree at `dir`, or `None` when `dir` is not a directory of this commit.
    fn listing(&self, dir: &RepoPath) -> Result<Option<Arc<Listing>>> {
        let cached = self
            .dirs
            .read()
            .unwrap_or_else(PoisonError::into_inner)
            .get(dir)
            .cloned();
        if let Some(listing) = cached {
            return Ok(Some(listing));
        }
        let id = match (dir.parent(), dir.file_name()) {
            (Some(parent), Some(name)) => {
                let Some(parent) = self.listing(&parent)? else {
                    return Ok(None);
                };
                match parent.get(name) {
                    Some(entry) if entry.kind == RawKind::Dir => entry.id,
                    _ => return Ok(None),
                }
            }
            _ => self.root,
        };
        let listing = Arc::new(self.decode(id, dir)?);
        // Two threads may decode the same tree concurrently; either copy is correct.
        self.dirs
            .write()
            .unwrap_or_else(PoisonError::into_inner)
            .insert(dir.clone(), Arc::clone(&listing));
        Ok(Some(listing))
    }

    /// The data of an object of this commit; in a partial clone, a missing one is fetched (with
    /// every other missing object of the commit, in one request) and read again.
    fn data(&self, id: gix::ObjectId, what: impl Fn() -> String) -> Result<Vec<u8>> {
        let find = || {
            self.repo.with_gix(|repo| {
                repo.find_object(id)
                    .map(|mut object| std::mem::take(&mut object.data))
            })
        };
        match find() {
            Ok(data) => Ok(data),
            Err(first) => {
                if self.repo.fetch_missing_below(self.root)? {
                    find().map_err(|e| self.git_error(what(), e))
                } else {
                    Err(self.git_error(what(), first))
                }
            }
        }
    }

    fn decode(&self, id: gix::ObjectId, dir: &RepoPath) -> Result<Listing> {
        let what = || format!("tree {id} ({dir})");
        let data = self.data(id, what)?;
        self.repo.with_gix(|repo| {
            let mut entries = Vec::new();
            for entry in gix::objs::TreeRefIter::from_bytes(&data, repo.object_hash()) {
                let entry = entry.map_err(|e| self.git_error(what(), e))?;
                // Non-UTF-8 names can't be named by a manifest; the work tree view skips them too.
                let Ok(name) = std::str::from_utf8(entry.filename) else {
                    continue;
                };
                let kind = match entry.mode.kind() {
                    gix::objs::tree::EntryKind::Tree => RawKind::Dir,
                    gix::objs::tree::EntryKind::Blob => RawKind::File { executable: false },
                    gix::objs::tree::EntryKind::BlobExecutable => {
                        RawKind::File { executable: true }
                    }
                    gix::objs::tree::EntryKind::Link => RawKind::Link,
                    // Submodule content is not in this repository's object database.
                    gix::objs::tree::EntryKind::Commit => continue,
                };
                entries.push(TreeEntry {
                    name: name.to_owned(),
                    kind,
                    id: entry.oid.to_owned(),
                });
            }
            entries.sort_by(|a, b| a.name.cmp(&b.name));
            Ok(Listing { entries })
        })
    }

    /// The entry at `path` in its parent's listing.
    fn entry<T>(&self, path: &RepoPath, f: impl FnOnce(&TreeEntry) -> T) -> Result<Option<T>> {
        let (Some(parent), Some(name)) = (path.parent(), path.file_name()) else {
            return Ok(None);
        };
        Ok(self.listing(&parent)?.and_then(|l| l.get(name).map(f)))
    }

    fn blob(&self, path: &RepoPath) -> Result<Vec<u8>> {
        let id = self
            .entry(path, |e| e.id)?
            .ok_or_else(|| self.git_error(path.to_string(), missing(path)))?;
        self.data(id, || format!("blob {id} ({path})"))
    }

    pub fn lstat(&self, path: &RepoPath) -> Result<Option<RawKind>> {
        if path.is_root() {
            return Ok(Some(RawKind::Dir));
        }
        self.entry(path, |e| e.kind)
    }

    pub fn list(&self, dir: &RepoPath) -> Result<Vec<RawEntry>> {
        let listing = self
            .listing(dir)?
            .ok_or_else(|| self.git_error(dir.to_string(), missing(dir)))?;
        Ok(listing
            .entries
            .iter()
            .map(|e| RawEntry {
                name: e.name.clone(),
                kind: e.kind,
            })
            .collect())
    }

    pub fn read(&self, path: &RepoPath) -> Result<Vec<u8>> {
        self.blob(path)
    }

    pub fn read_link(&self, path: &RepoPath) -> Result<Option<String>> {
        Ok(String::from_utf8(self.blob(path)?).ok())
    }
}

/// Callers only pass paths `resolve` found, so a miss means the tree changed under us.
fn missing(path: &RepoPath) -> gix::Error {
    gix::Error::from(gix::error::Message::new(format!("no tree entry at {path}")))
}
