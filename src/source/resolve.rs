//! Symlink resolution shared by both snapshot kinds, so a link that leaves the repo is refused
//! the same way whether it was committed or only exists on disk.

use std::collections::VecDeque;
use std::path::Path;

use super::error::{Result, SourceError};
use super::path::RepoPath;
use super::store::{RawKind, Store};

/// Links followed per lookup before giving up; deep chains in a manifest repo are a mistake.
pub(crate) const MAX_LINKS: usize = 16;

/// Where a repo path really lives once its symlinks are followed.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) struct Resolved {
    /// The physical path: no component of it is a symlink, except the last when not followed.
    pub path: RepoPath,
    /// What is there.
    pub kind: RawKind,
}

/// Follows symlinks in `path` (and in its last component when `follow_last`).
///
/// `Ok(None)` means nothing is there: a missing entry, a dangling or non-UTF-8 link, or a walk
/// through a file. An absolute target, or `..` past the root, is `SymlinkEscape` naming the link.
pub(crate) fn resolve(
    store: &Store,
    repo: &Path,
    path: &RepoPath,
    follow_last: bool,
) -> Result<Option<Resolved>> {
    // The links followed so far, so a `..` can be blamed on the link whose target holds it.
    let mut links: Vec<(RepoPath, String)> = Vec::new();
    let mut pending: VecDeque<(String, Option<usize>)> =
        path.components().map(|c| (c.to_owned(), None)).collect();
    let mut current = RepoPath::root();
    let mut kind = RawKind::Dir;
    let escape = |links: &[(RepoPath, String)], origin: Option<usize>| {
        let (link, target) = origin
            .and_then(|i| links.get(i).cloned())
            .unwrap_or_else(|| (path.clone(), String::new()));
        SourceError::SymlinkEscape {
            repo: repo.to_path_buf(),
            link,
            target,
        }
    };

    while let Some((name, origin)) = pending.pop_front() {
        if name.is_empty() || name == "." {
            continue;
        }
        if kind != RawKind::Dir {
            return Ok(None);
        }
        if name == ".." {
            current = current.parent().ok_or_else(|| escape(&links, origin))?;
            continue;
        }
        let candidate = current.child(&name);
        let Some(found) = store.lstat(&candidate)? else {
            return Ok(None);
        };
        if found == RawKind::Link && (follow_last || !pending.is_empty()) {
            if links.len() >= MAX_LINKS {
                return Err(SourceError::SymlinkLoop {
                    repo: repo.to_path_buf(),
                    path: path.clone(),
                });
            }
            let Some(target) = store.read_link(&candidate)? else {
                return Ok(None);
            };
            if target.is_empty() {
                return Ok(None);
            }
            if target.starts_with('/') {
                return Err(SourceError::SymlinkEscape {
                    repo: repo.to_path_buf(),
                    link: candidate,
                    target,
                });
            }
            let index = links.len();
            for part in target.split('/').rev() {
                pending.push_front((part.to_owned(), Some(index)));
            }
            links.push((candidate, target));
            continue;
        }
        current = candidate;
        kind = found;
    }
    Ok(Some(Resolved {
        path: current,
        kind,
    }))
}
