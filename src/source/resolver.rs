//! `RepoResolver`: which local repository serves an Application's repoURL.

use std::collections::HashMap;
use std::path::{Path, PathBuf};
use std::str::FromStr;
use std::sync::{Arc, Mutex};

use super::cache::{CacheDir, Once, entry_name, publish, unique_temp};
use super::error::{Result, SourceError};
use super::fetch;
use super::refname::check_revision;
use super::repo::Repo;
use super::sha::Sha;
use super::url::{RemoteUrl, UrlProblem, local_path, normalize_repo_url, redact_url};

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
/// Results are memoised per repository, so each cached clone is fetched once per run even
/// when many apps name it, and concurrent callers for one URL wait for a single clone.
/// Clones and fetches run the `git` CLI with an argument vector (see the `fetch` module for why
/// not gix); everything is read with gix afterwards.
///
/// A repoURL is a network URL of an allowed kind ([`RemoteUrl`]) unless it names the local
/// repository or a `--repo-map` entry: a manifest can't point the tool at another repository on
/// the machine. Clones are filed under the strict [`RemoteUrl::cache_key`], record that key, and
/// are always fetched from the URL the manifest names, so no two repositories share a clone.
pub struct RepoResolver {
    local: Option<Repo>,
    local_keys: Vec<String>,
    local_dirs: Vec<PathBuf>,
    mappings: Vec<(String, PathBuf)>,
    cache: Arc<CacheDir>,
    offline: bool,
    /// One slot per repository; a failure is kept too, so a dead URL is tried once per run.
    slots: Mutex<HashMap<String, Once<ResolvedRepo>>>,
}

/// Where a repoURL is read from, decided before anything is opened or fetched.
enum Target {
    Mapped(PathBuf),
    Local(Repo),
    Clone(RemoteUrl),
}

/// The file in a clone that records the cache key it was made for.
const SOURCE_FILE: &str = "kubectl-gitops-source";

impl RepoResolver {
    /// Clones live in `cache` under `repos/`.
    pub fn new(
        local: Option<Repo>,
        mappings: Vec<RepoMapping>,
        cache: Arc<CacheDir>,
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
            cache,
            offline,
            slots: Mutex::new(HashMap::new()),
        }
    }

    /// The repository for `url`: mapped, else the local repo, else a cached clone (cloned or
    /// fetched now unless offline). Local paths and `file://` URLs other than the local
    /// repository, and URLs git must not be given, are errors naming the URL.
    pub fn resolve_url(&self, url: &str) -> Result<ResolvedRepo> {
        let target = self.target(url)?;
        let slot_key = match &target {
            Target::Mapped(path) => format!("mapped:{}", path.display()),
            Target::Local(_) => "local".to_owned(),
            Target::Clone(remote) => format!("clone:{}", remote.cache_key()),
        };
        let slot = crate::source::slot(&self.slots, slot_key);
        let found = slot.get_or_init(|| self.open(url, target).map_err(Arc::new));
        match found {
            Ok(found) => Ok(ResolvedRepo {
                url: url.to_owned(),
                ..found.clone()
            }),
            Err(e) => Err(SourceError::Shared(Arc::clone(e))),
        }
    }

    /// Resolves `rev` (a `targetRevision`: ref name or SHA, refused otherwise) in a resolved
    /// repository; for a cached clone that lacks it (a SHA or ref on no branch), fetches that
    /// revision once before giving up.
    pub fn resolve_revision(&self, resolved: &ResolvedRepo, rev: &str) -> Result<Sha> {
        check_revision(rev).map_err(|reason| SourceError::InvalidRevision {
            repo: match resolved.origin {
                RepoOrigin::Cached => redact_url(&resolved.url),
                RepoOrigin::Local | RepoOrigin::Mapped => {
                    resolved.repo.path().display().to_string()
                }
            },
            rev: rev.to_owned(),
            reason,
        })?;
        let first = resolved.repo.resolve(rev);
        if first.is_ok() || resolved.origin != RepoOrigin::Cached || self.offline {
            return first;
        }
        let remote = parse_remote(&resolved.url)?;
        let local_ref = format!("refs/kubectl-gitops/fetched/{}", entry_name(rev));
        fetch::fetch_revision(
            resolved.repo.git_dir(),
            &remote,
            &redact_url(&resolved.url),
            rev,
            &local_ref,
        )?;
        resolved.repo.resolve(&local_ref).map_err(|e| match e {
            SourceError::UnknownRevision { repo, source, .. } => SourceError::UnknownRevision {
                repo,
                rev: rev.to_owned(),
                source,
            },
            other => other,
        })
    }

    fn open(&self, url: &str, target: Target) -> Result<ResolvedRepo> {
        let (repo, origin) = match target {
            Target::Mapped(path) => (Repo::open(path)?, RepoOrigin::Mapped),
            Target::Local(repo) => (repo, RepoOrigin::Local),
            Target::Clone(remote) => (self.cached_clone(url, &remote)?, RepoOrigin::Cached),
        };
        Ok(ResolvedRepo {
            url: url.to_owned(),
            repo,
            origin,
        })
    }

    fn target(&self, url: &str) -> Result<Target> {
        let key = normalize_repo_url(url);
        if let Some((_, path)) = self.mappings.iter().find(|(k, _)| *k == key) {
            return Ok(Target::Mapped(path.clone()));
        }
        if let Some(local) = &self.local
            && self.is_local(url, &key)
        {
            return Ok(Target::Local(local.clone()));
        }
        parse_remote(url).map(Target::Clone)
    }

    fn is_local(&self, url: &str, key: &str) -> bool {
        if self.local_keys.iter().any(|k| k == key) {
            return true;
        }
        local_path(url)
            .and_then(|path| path.canonicalize().ok())
            .is_some_and(|path| self.local_dirs.contains(&path))
    }

    fn cached_clone(&self, url: &str, remote: &RemoteUrl) -> Result<Repo> {
        let shown = redact_url(url);
        let offline = || SourceError::NotAvailableOffline { url: shown.clone() };
        let repos = self.cache.subdir("repos")?;
        let key = remote.cache_key();
        let dir = repos.join(entry_name(&key));
        if dir.is_dir() {
            check_source(&dir, &key)?;
            super::cache::touch(&dir);
            if !self.offline {
                fetch::fetch_all(&dir, remote, &shown)?;
            }
        } else if self.offline {
            return Err(offline());
        } else {
            clone_into(remote, &shown, &key, &repos, &dir)?;
        }
        Repo::open(&dir)
    }
}

/// Parses a repoURL for git, as a typed error naming it (credentials removed).
fn parse_remote(url: &str) -> Result<RemoteUrl> {
    RemoteUrl::parse(url).map_err(|problem| match problem {
        UrlProblem::Local => SourceError::LocalRepoUrl {
            url: redact_url(url.trim()),
        },
        other => SourceError::InvalidRepoUrl {
            url: redact_url(url.trim()),
            reason: other.to_string(),
        },
    })
}

/// Refuses a clone that was made for another cache key.
fn check_source(dir: &Path, key: &str) -> Result<()> {
    let found = std::fs::read_to_string(dir.join(SOURCE_FILE)).ok();
    if found.as_deref().map(str::trim_end) == Some(key) {
        return Ok(());
    }
    Err(SourceError::CacheEntryMismatch {
        path: dir.to_path_buf(),
        expected: key.to_owned(),
        found: found.map_or_else(|| "nothing".to_owned(), |f| f.trim_end().to_owned()),
    })
}

/// Clones next to `dir` and renames into place, so a crashed or concurrent clone never leaves a
/// half-filled directory under the final name.
fn clone_into(remote: &RemoteUrl, shown: &str, key: &str, repos: &Path, dir: &Path) -> Result<()> {
    let temp = unique_temp(repos, "clone");
    let cloned = fetch::init_bare(&temp, shown)
        .and_then(|()| {
            let file = temp.join(SOURCE_FILE);
            std::fs::write(&file, format!("{key}\n")).map_err(|source| SourceError::Io {
                op: "write",
                path: file,
                source,
            })
        })
        .and_then(|()| fetch::fetch_all(&temp, remote, shown));
    if let Err(e) = cloned {
        let _ = std::fs::remove_dir_all(&temp);
        return Err(e);
    }
    publish(&temp, dir)
}

#[cfg(test)]
mod tests;
