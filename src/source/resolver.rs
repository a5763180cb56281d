//! `RepoResolver`: which local repository serves an Application's repoURL.

use std::collections::HashMap;
use std::path::{Path, PathBuf};
use std::str::FromStr;
use std::sync::{Arc, Mutex, PoisonError};

use super::cache::{default_cache_dir, publish, stable_hash, unique_temp};
use super::error::{Result, SourceError};
use super::fetch;
use super::repo::Repo;
use super::sha::Sha;
use super::url::{local_path, normalize_repo_url, redact_url};

/// A `--repo-map URL=PATH` entry.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct RepoMapping {
    /// The repoURL as written in manifests.
    pub url: String,
    /// A local repository (work tree or bare) that stands for it.
    pub path: PathBuf,
}

impl FromStr for RepoMapping {
    type Err = SourceError;

    /// Splits at the first `=`: URLs in Argo CD manifests don't contain one, paths may.
    fn from_str(arg: &str) -> Result<RepoMapping> {
        match arg.split_once('=') {
            Some((url, path)) if !url.trim().is_empty() && !path.is_empty() => Ok(RepoMapping {
                url: url.trim().to_owned(),
                path: PathBuf::from(path),
            }),
            _ => Err(SourceError::InvalidRepoMap {
                arg: arg.to_owned(),
            }),
        }
    }
}

/// Where a resolved repository came from, which decides the revision to read it at.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum RepoOrigin {
    /// The repository the command runs in (a remote of it matches the URL).
    Local,
    /// A `--repo-map` entry.
    Mapped,
    /// A bare clone in the cache, fetched at most once per resolver.
    Cached,
}

/// A repoURL resolved to a readable repository.
#[derive(Clone, Debug)]
pub struct ResolvedRepo {
    /// The repoURL as asked for.
    pub url: String,
    /// The repository to read.
    pub repo: Repo,
    /// How it was found.
    pub origin: RepoOrigin,
}

/// Maps repoURLs to repositories: the local repo, `--repo-map` entries, then a clone cache.
///
/// Results are memoised per normalised URL, so each cached clone is fetched once per run even
/// when many apps name it, and concurrent callers for one URL wait for a single clone.
/// Clones and fetches run the `git` CLI with an argument vector (see the `fetch` module for why
/// not gix); everything is read with gix afterwards.
pub struct RepoResolver {
    local: Option<Repo>,
    local_keys: Vec<String>,
    local_dirs: Vec<PathBuf>,
    mappings: Vec<(String, PathBuf)>,
    cache_dir: Option<PathBuf>,
    offline: bool,
    slots: Mutex<HashMap<String, Arc<Mutex<Option<ResolvedRepo>>>>>,
}

impl RepoResolver {
    /// `cache_dir` holds clones under `repos/`; `None` means `default_cache_dir()`.
    pub fn new(
        local: Option<Repo>,
        mappings: Vec<RepoMapping>,
        cache_dir: Option<PathBuf>,
        offline: bool,
    ) -> RepoResolver {
        let (local_keys, local_dirs) = match &local {
            Some(repo) => {
                let keys = repo
                    .remote_urls()
                    .iter()
                    .map(|url| normalize_repo_url(url))
                    .collect();
                let dirs = [repo.workdir(), Some(repo.git_dir())]
                    .into_iter()
                    .flatten()
                    .filter_map(|dir| dir.canonicalize().ok())
                    .collect();
                (keys, dirs)
            }
            None => (Vec::new(), Vec::new()),
        };
        RepoResolver {
            local,
            local_keys,
            local_dirs,
            mappings: mappings
                .into_iter()
                .map(|m| (normalize_repo_url(&m.url), m.path))
                .collect(),
            cache_dir,
            offline,
            slots: Mutex::new(HashMap::new()),
        }
    }

    /// The repository for `url`: mapped, else the local repo, else a cached clone (cloned or
    /// fetched now unless offline).
    pub fn resolve_url(&self, url: &str) -> Result<ResolvedRepo> {
        let key = normalize_repo_url(url);
        let slot = Arc::clone(
            self.slots
                .lock()
                .unwrap_or_else(PoisonError::into_inner)
                .entry(key.clone())
                .or_default(),
        );
        let mut slot = slot.lock().unwrap_or_else(PoisonError::into_inner);
        if let Some(found) = slot.as_ref() {
            return Ok(ResolvedRepo {
                url: url.to_owned(),
                ..found.clone()
            });
        }
        let found = self.find(url, &key)?;
        *slot = Some(found.clone());
        Ok(found)
    }

    /// Resolves `rev` in a resolved repository; for a cached clone that lacks it (a SHA or ref on
    /// no branch), fetches that revision once before giving up.
    pub fn resolve_revision(&self, resolved: &ResolvedRepo, rev: &str) -> Result<Sha> {
        let first = resolved.repo.resolve(rev);
        if first.is_ok() || resolved.origin != RepoOrigin::Cached || self.offline {
            return first;
        }
        let local_ref = format!("refs/kubectl-gitops/fetched/{}", stable_hash(rev));
        fetch::fetch_revision(resolved.repo.git_dir(), &resolved.url, rev, &local_ref)?;
        resolved.repo.resolve(&local_ref).map_err(|e| match e {
            SourceError::UnknownRevision { repo, source, .. } => SourceError::UnknownRevision {
                repo,
                rev: rev.to_owned(),
                source,
            },
            other => other,
        })
    }

    fn find(&self, url: &str, key: &str) -> Result<ResolvedRepo> {
        let resolved = |repo, origin| ResolvedRepo {
            url: url.to_owned(),
            repo,
            origin,
        };
        if let Some((_, path)) = self.mappings.iter().find(|(k, _)| k == key) {
            return Ok(resolved(Repo::open(path)?, RepoOrigin::Mapped));
        }
        if let Some(local) = &self.local
            && self.is_local(url, key)
        {
            return Ok(resolved(local.clone(), RepoOrigin::Local));
        }
        Ok(resolved(self.cached_clone(url, key)?, RepoOrigin::Cached))
    }

    fn is_local(&self, url: &str, key: &str) -> bool {
        if self.local_keys.iter().any(|k| k == key) {
            return true;
        }
        local_path(url)
            .and_then(|path| path.canonicalize().ok())
            .is_some_and(|path| self.local_dirs.contains(&path))
    }

    fn cached_clone(&self, url: &str, key: &str) -> Result<Repo> {
        let offline = || SourceError::NotAvailableOffline {
            url: redact_url(url),
        };
        let cache_dir = match self.cache_dir.clone().or_else(default_cache_dir) {
            Some(dir) => dir,
            None if self.offline => return Err(offline()),
            None => {
                return Err(SourceError::NoCacheDir {
                    url: redact_url(url),
                });
            }
        };
        let repos = cache_dir.join("repos");
        let dir = repos.join(stable_hash(key));
        if dir.is_dir() {
            if !self.offline {
                fetch::fetch_all(&dir, url)?;
            }
        } else if self.offline {
            return Err(offline());
        } else {
            clone_into(url, &repos, &dir)?;
        }
        Repo::open(&dir)
    }
}

/// Clones next to `dir` and renames into place, so a crashed or concurrent clone never leaves a
/// half-filled directory under the final name.
fn clone_into(url: &str, repos: &Path, dir: &Path) -> Result<()> {
    std::fs::create_dir_all(repos).map_err(|source| SourceError::Io {
        op: "create directory",
        path: repos.to_path_buf(),
        source,
    })?;
    let temp = unique_temp(repos, "clone");
    if let Err(e) = fetch::clone_bare(url, &temp) {
        let _ = std::fs::remove_dir_all(&temp);
        return Err(e);
    }
    publish(&temp, dir)
}

#[cfg(test)]
mod tests;
