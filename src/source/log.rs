//! The history of paths: which commits changed them, read from the object database (first
//! parents from a tip, like `git log --first-parent -- PATHS`), for `history` and `rollback`.

use super::error::{Result, SourceError};
use super::path::RepoPath;
use super::repo::Repo;
use super::sha::Sha;

/// One commit of a log.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CommitInfo {
    /// The commit.
    pub sha: Sha,
    /// The first line of its message.
    pub summary: String,
    /// The author's name.
    pub author: String,
    /// When it was committed (seconds since the epoch, UTC).
    pub time: i64,
}

impl Repo {
    /// The commits from `tip` back along first parents that changed anything under one of
    /// `paths` (every commit when `paths` is empty), newest first, at most `limit`.
    pub fn log(&self, tip: Sha, paths: &[RepoPath], limit: usize) -> Result<Vec<CommitInfo>> {
        let unreadable = |e: gix::Error| SourceError::UnknownRevision {
            repo: self.path().to_path_buf(),
            rev: tip.to_string(),
            source: e,
        };
        self.with_gix(|repo| {
            let mut out = Vec::new();
            let mut next = Some(tip.to_object_id());
            // A walk this long without `limit` matches is a very old or quiet path: stop there.
            let mut budget = limit.saturating_mul(200).max(2000);
            while let Some(id) = next {
                if out.len() >= limit || budget == 0 {
                    break;
                }
                budget -= 1;
                let commit = repo.find_commit(id).map_err(unreadable)?;
                let parent = commit.parent_ids().next().map(|p| p.detach());
                let tree = commit.tree().map_err(unreadable)?;
                let parent_tree = match parent {
                    Some(p) => Some(
                        repo.find_commit(p)
                            .map_err(unreadable)?
                            .tree()
                            .map_err(unreadable)?,
                    ),
                    None => None,
                };
                let entry_id = |t: &gix::Tree<'_>, p: &RepoPath| -> Result<Option<gix::ObjectId>> {
                    if p.is_root() {
                        return Ok(Some(t.id));
                    }
                    Ok(t.lookup_entry_by_path(p.as_str())
                        .map_err(unreadable)?
                        .map(|e| e.object_id()))
                };
                let mut changed =
                    paths.is_empty() && parent_tree.as_ref().is_none_or(|pt| pt.id != tree.id);
                for p in paths {
                    let now = entry_id(&tree, p)?;
                    let before = match &parent_tree {
                        Some(pt) => entry_id(pt, p)?,
                        None => None,
                    };
                    if now != before {
                        changed = true;
                        break;
                    }
                }
                if changed {
                    let message = commit.message().map_err(unreadable)?;
                    let author = commit.author().map_err(unreadable)?;
                    out.push(CommitInfo {
                        sha: Sha::from_object_id(id)?,
                        summary: message.summary().to_string(),
                        author: author.name.to_string(),
                        time: commit.time().map_err(unreadable)?.seconds,
                    });
                }
                next = parent;
            }
            Ok(out)
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::source::testutil::TestRepo;

    #[test]
    fn only_commits_that_touch_the_paths_newest_first() {
        let t = TestRepo::new();
        t.write("apps/a/cm.yaml", "a: 1\n");
        t.write("apps/b/cm.yaml", "b: 1\n");
        let first = t.commit("both");
        t.write("apps/b/cm.yaml", "b: 2\n");
        t.commit("only b");
        t.write("apps/a/cm.yaml", "a: 2\n");
        let third = t.commit("a again");
        let repo = Repo::open(t.path()).unwrap();
        let tip = Sha::parse(&third).unwrap();
        let a = RepoPath::new("apps/a").unwrap();
        let log = repo.log(tip, std::slice::from_ref(&a), 10).unwrap();
        let shas: Vec<String> = log.iter().map(|c| c.sha.to_string()).collect();
        assert_eq!(shas, [third.clone(), first]);
        assert_eq!(log[0].summary, "a again");
        assert_eq!(repo.log(tip, &[], 10).unwrap().len(), 3);
        assert_eq!(repo.log(tip, &[a], 1).unwrap().len(), 1);
    }
}
