//! Charts from chart repositories: an Application source with `chart:` names a chart in a classic
//! repository (`repoURL: https://charts.example.com`, read through its `index.yaml`) or in an OCI
//! registry (`repoURL: oci://ghcr.io/org/charts`, or without a scheme as Argo CD writes it:
//! `ghcr.io/org/charts`, its `IsHelmOciRepo`). `targetRevision` is the chart version (what
//! Masterminds' `NewVersion` accepts: Argo CD's `IsVersion`) or a semver constraint; Argo CD
//! resolves a constraint against the index for classic repositories and against the tags for OCI
//! registries, which is what `helm pull --version` does too. Both forms are parsed here with the
//! same rules (the `masterminds-semver` crate) to tell them apart and to refuse anything else.
//!
//! Charts are pulled with the user's `helm` (so its repository and registry configuration,
//! `helm registry login` credentials included, apply) into the cache under `charts/`, keyed by
//! repository, chart and exact version, and unpacked there once; they are read-only afterwards.
//! With `--offline` only the cache is used: an exact version must be there, and a constraint is
//! resolved against the cached versions of the chart.
//!
//! Everything from the Application (repository URL, chart name, version) is validated before it
//! reaches `helm`, and passed as `--flag=value` with the chart after `--`.

use std::collections::HashMap;
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex, OnceLock};

use masterminds_semver::{Constraints, Version};
use serde_json::Value;

use super::HelmError;
use crate::render::RenderError;
use crate::render::tool::run;
use crate::source::{CacheDir, CacheEntries, redact_url};

/// Where a chart comes from.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ChartRepo {
    /// A classic chart repository serving `index.yaml` (https, or http), without a trailing `/`.
    Index(String),
    /// An OCI registry path, `host[:port]/path`, without the `oci://` scheme.
    Oci(String),
}

impl ChartRepo {
    /// The repository as shown in messages and as part of cache keys.
    pub fn display(&self) -> String {
        match self {
            ChartRepo::Index(url) => url.clone(),
            ChartRepo::Oci(r) => format!("oci://{r}"),
        }
    }

    /// The registry host (`host[:port]`) of an OCI repository.
    fn oci_host(&self) -> Option<&str> {
        match self {
            ChartRepo::Oci(r) => Some(r.split('/').next().unwrap_or(r)),
            ChartRepo::Index(_) => None,
        }
    }
}

/// The version an Application asks for.
#[derive(Debug, Clone, PartialEq, Eq)]
enum Wanted {
    /// A version, as written (`1.2.3`, `v1.2`): Argo CD's `IsVersion`.
    Version(String),
    /// A constraint (`1.2.*`, `>=1 <2`).
    Range(Constraints, String),
    /// An OCI manifest digest (`sha256:...`), pulled as `chart@digest`.
    Digest(String),
}

impl Wanted {
    fn text(&self) -> &str {
        match self {
            Wanted::Version(t) | Wanted::Range(_, t) | Wanted::Digest(t) => t,
        }
    }
}

/// A chart as an Application source names it: repository, chart and version, validated.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ChartRef {
    /// The repository.
    pub repo: ChartRepo,
    /// The chart's name (for OCI, the path below the repository).
    pub chart: String,
    wanted: Wanted,
}

impl ChartRef {
    /// Reads `repoURL`, `chart` and `targetRevision` of a chart source.
    pub fn parse(
        repo_url: &str,
        chart: &str,
        target_revision: Option<&str>,
    ) -> Result<ChartRef, HelmError> {
        let repo = parse_repo(repo_url, chart)?;
        check_chart_name(chart, matches!(repo, ChartRepo::Oci(_)))?;
        let revision = target_revision.map(str::trim).unwrap_or("");
        let bad = |reason: &str| HelmError::Version {
            chart: chart.to_string(),
            repo: repo.display(),
            revision: revision.to_string(),
            reason: reason.to_string(),
        };
        let wanted = if revision.is_empty() {
            return Err(bad(
                "is empty; a chart source needs a chart version (1.2.3) or a constraint (1.2.*)",
            ));
        } else if let Some(hex) = revision.strip_prefix("sha256:") {
            if !matches!(repo, ChartRepo::Oci(_)) {
                return Err(bad("is a digest, which only OCI registries serve"));
            }
            if hex.len() != 64 || !hex.bytes().all(|b| b.is_ascii_hexdigit()) {
                return Err(bad("is not a sha256 digest (64 hexadecimal digits)"));
            }
            Wanted::Digest(revision.to_ascii_lowercase())
        } else if Version::parse(revision).is_ok() {
            Wanted::Version(revision.to_string())
        } else {
            // Masterminds also reads `\n`, `\r` and `\f` as spaces; they are refused here so the
            // text, shown in messages and handed to helm, stays on one line.
            let one_line = !revision.chars().any(|c| c.is_control() && c != '\t');
            match Constraints::parse(revision) {
                Ok(c) if one_line => Wanted::Range(c, revision.to_string()),
                _ => {
                    return Err(bad(&format!(
                        "is not valid: {revision:?} is neither a chart version nor a version \
                         constraint (examples: 1.2.3, 1.2.*, >=1.0 <2.0, ^1.2)"
                    )));
                }
            }
        };
        Ok(ChartRef {
            repo,
            chart: chart.to_string(),
            wanted,
        })
    }

    /// The version or constraint asked for, as written.
    pub fn wanted(&self) -> &str {
        self.wanted.text()
    }

    /// The cache key of this chart at an exact version (or digest).
    fn key(&self, version: &str) -> String {
        serde_json::json!({
            "repo": self.repo.display(),
            "chart": self.chart,
            "version": version,
        })
        .to_string()
    }
}

/// `repoURL` of a chart source: `https://` / `http://` is a classic repository, `oci://` or no
/// scheme at all an OCI registry.
fn parse_repo(repo_url: &str, chart: &str) -> Result<ChartRepo, HelmError> {
    let url = repo_url.trim();
    let bad = |reason: &str| HelmError::RepoUrl {
        url: redact_url(url),
        chart: chart.to_string(),
        reason: reason.to_string(),
    };
    if url.is_empty() {
        return Err(bad("is empty"));
    }
    if url.chars().any(|c| c.is_whitespace() || c.is_control()) {
        return Err(bad("contains spaces or control characters"));
    }
    let lower = url.to_ascii_lowercase();
    let (scheme, rest) = match lower.split_once("://") {
        Some((s, _)) => (Some(s.to_string()), &url[s.len() + 3..]),
        None => (None, url),
    };
    let (authority, path) = rest.split_once('/').unwrap_or((rest, ""));
    if authority.contains('@') {
        return Err(bad(
            "carries credentials; configure them in helm instead (`helm registry login`, `helm repo add --username`)",
        ));
    }
    if !valid_host(authority) {
        return Err(bad("does not name a host (host or host:port)"));
    }
    if url.contains(['?', '#', '\\']) {
        return Err(bad("has a query, fragment or backslash"));
    }
    let path = path.trim_end_matches('/');
    match scheme.as_deref() {
        Some("https" | "http") => {
            if !path
                .chars()
                .all(|c| c.is_ascii_alphanumeric() || "-._~/%+".contains(c))
                || path.split('/').any(|s| s == "..")
            {
                return Err(bad("has characters a chart repository path does not use"));
            }
            let scheme = scheme.unwrap_or_default();
            let authority = authority.to_ascii_lowercase();
            Ok(ChartRepo::Index(if path.is_empty() {
                format!("{scheme}://{authority}")
            } else {
                format!("{scheme}://{authority}/{path}")
            }))
        }
        Some("oci") | None => {
            if !path.is_empty() && !path.split('/').all(oci_component) {
                return Err(bad(
                    "is not an OCI repository (lowercase letters, digits and . _ - between slashes)",
                ));
            }
            let authority = authority.to_ascii_lowercase();
            Ok(ChartRepo::Oci(if path.is_empty() {
                authority
            } else {
                format!("{authority}/{path}")
            }))
        }
        Some(other) => Err(bad(&format!(
            "has scheme {other:?}; chart sources read https:// chart repositories and OCI registries (oci:// or host/path)"
        ))),
    }
}

/// `host`, `host:port` or `[v6]:port`, nothing that could be read as an option or a path.
fn valid_host(authority: &str) -> bool {
    let (host, port) = if let Some(rest) = authority.strip_prefix('[') {
        let Some((v6, after)) = rest.split_once(']') else {
            return false;
        };
        if v6.is_empty()
            || !v6
                .chars()
                .all(|c| c.is_ascii_hexdigit() || c == ':' || c == '.')
        {
            return false;
        }
        match after {
            "" => (v6, None),
            p => match p.strip_prefix(':') {
                Some(p) => (v6, Some(p)),
                None => return false,
            },
        }
    } else {
        let (h, p) = match authority.split_once(':') {
            Some((h, p)) => (h, Some(p)),
            None => (authority, None),
        };
        let ok = !h.is_empty()
            && !h.starts_with(['-', '.'])
            && h.chars()
                .all(|c| c.is_ascii_alphanumeric() || c == '-' || c == '.');
        if !ok {
            return false;
        }
        (h, p)
    };
    !host.is_empty()
        && port
            .is_none_or(|p| !p.is_empty() && p.len() <= 5 && p.bytes().all(|b| b.is_ascii_digit()))
}

/// One path component of an OCI repository name (distribution's grammar, loosely).
fn oci_component(c: &str) -> bool {
    !c.is_empty()
        && c.starts_with(|ch: char| ch.is_ascii_lowercase() || ch.is_ascii_digit())
        && c.chars()
            .all(|ch| ch.is_ascii_lowercase() || ch.is_ascii_digit() || "._-".contains(ch))
}

/// A chart name: letters, digits, `.`, `_`, `-` (for OCI also `/` between lowercase parts).
fn check_chart_name(chart: &str, oci: bool) -> Result<(), HelmError> {
    let bad = |reason: &str| HelmError::ChartName {
        chart: chart.to_string(),
        reason: reason.to_string(),
    };
    if chart.is_empty() {
        return Err(bad("is empty"));
    }
    let ok = if oci {
        chart.split('/').all(oci_component)
    } else {
        !chart.starts_with(['-', '.'])
            && chart
                .chars()
                .all(|c| c.is_ascii_alphanumeric() || "._-".contains(c))
    };
    if ok {
        Ok(())
    } else {
        Err(bad(if oci {
            "is not an OCI repository name (lowercase letters, digits and . _ - between slashes)"
        } else {
            "is not a chart name (letters, digits, '.', '_' and '-', not starting with '-' or '.')"
        }))
    }
}

/// A chart on disk, unpacked in the cache (read-only).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PulledChart {
    /// The chart's directory (holding `Chart.yaml`).
    pub dir: PathBuf,
    /// Its exact version (the digest for charts pulled by digest).
    pub version: String,
}

type Slot = Arc<OnceLock<Result<PulledChart, HelmError>>>;

/// Charts from chart repositories for one run: pulled once, cached across runs.
pub struct Charts {
    entries: CacheEntries,
    offline: bool,
    plain_http: Vec<String>,
    /// One slot per chart and version asked for, so apps sharing a chart wait for one pull.
    slots: Mutex<HashMap<String, Slot>>,
}

impl Charts {
    /// Charts kept in `cache`; `plain_http` lists the OCI registries (`host[:port]`) reached
    /// without TLS (Helm's `--plain-http`, for local registries).
    pub fn new(cache: Arc<CacheDir>, offline: bool, plain_http: Vec<String>) -> Charts {
        Charts {
            entries: CacheEntries::new(cache, "charts"),
            offline,
            plain_http: plain_http.iter().map(|h| h.to_ascii_lowercase()).collect(),
            slots: Mutex::new(HashMap::new()),
        }
    }

    /// The chart on disk, from the cache or pulled into it.
    pub fn fetch(
        &self,
        chart: &ChartRef,
        pass_credentials: bool,
    ) -> Result<PulledChart, HelmError> {
        let slot_key = format!("{}\n{pass_credentials}", chart.key(chart.wanted()));
        let slot = crate::source::slot(&self.slots, slot_key);
        slot.get_or_init(|| self.fetch_once(chart, pass_credentials))
            .clone()
    }

    fn fetch_once(
        &self,
        chart: &ChartRef,
        pass_credentials: bool,
    ) -> Result<PulledChart, HelmError> {
        // An exact version or digest is one lookup, which also marks the entry used (what
        // `cache prune` goes by). `v1.2.3` names the chart version `1.2.3` too (Helm's index
        // lookup).
        let exact: Vec<&str> = match &chart.wanted {
            Wanted::Version(t) if t.starts_with('v') => vec![t, t.trim_start_matches('v')],
            Wanted::Version(t) => vec![t],
            Wanted::Digest(d) => vec![d],
            Wanted::Range(..) => Vec::new(),
        };
        for version in exact {
            if let Some(found) = self.cached(chart, version)? {
                return Ok(found);
            }
        }
        if self.offline {
            // Offline, a constraint (or a short version such as `1.2`, which Helm reads as
            // one) is resolved against the versions already in the cache.
            let constraint = match &chart.wanted {
                Wanted::Range(c, _) => Some(c.clone()),
                Wanted::Version(t) => Constraints::parse(t).ok(),
                Wanted::Digest(_) => None,
            };
            // Looked up again by the version as its key spells it, which marks it used.
            let cached: Vec<(Version, String)> = self
                .cached_versions(chart)?
                .into_iter()
                .filter_map(|v| Version::parse(&v).ok().map(|p| (p, v)))
                .collect();
            if let Some(c) = constraint
                && let Some((_, v)) = c.best(&cached, |(v, _)| v)
                && let Some(found) = self.cached(chart, v)?
            {
                return Ok(found);
            }
            return Err(HelmError::NotCached {
                chart: chart.chart.clone(),
                version: chart.wanted().to_string(),
                repo: chart.repo.display(),
            });
        }
        self.pull(chart, pass_credentials)
    }

    /// The cached entry of this chart at exactly `version`, marked used.
    fn cached(&self, chart: &ChartRef, version: &str) -> Result<Option<PulledChart>, HelmError> {
        let dir = self
            .entries
            .get(&chart.key(version))
            .map_err(|e| self.cache_error(chart, &e))?;
        Ok(dir.map(|dir| PulledChart {
            dir: dir.join("chart"),
            version: version.to_string(),
        }))
    }

    /// The versions of this chart in the cache.
    fn cached_versions(&self, chart: &ChartRef) -> Result<Vec<String>, HelmError> {
        let entries = self
            .entries
            .list()
            .map_err(|e| self.cache_error(chart, &e))?;
        let repo = chart.repo.display();
        Ok(entries
            .into_iter()
            .filter_map(|(key, _)| {
                let k: Value = serde_json::from_str(&key).ok()?;
                (k["repo"] == repo.as_str() && k["chart"] == chart.chart.as_str())
                    .then(|| Some(k["version"].as_str()?.to_string()))
                    .flatten()
            })
            .collect())
    }

    fn cache_error(&self, chart: &ChartRef, e: &dyn std::fmt::Display) -> HelmError {
        HelmError::Pull {
            chart: chart.chart.clone(),
            version: chart.wanted().to_string(),
            repo: chart.repo.display(),
            message: format!("chart cache: {e}"),
        }
    }

    /// `helm pull` into a staging directory of the cache, unpacked, published under the exact
    /// version Helm chose.
    fn pull(&self, chart: &ChartRef, pass_credentials: bool) -> Result<PulledChart, HelmError> {
        let failed = |message: String| HelmError::Pull {
            chart: chart.chart.clone(),
            version: chart.wanted().to_string(),
            repo: chart.repo.display(),
            message,
        };
        let staging = self
            .entries
            .stage()
            .map_err(|e| self.cache_error(chart, &e))?;
        let download = staging.path().join("download");
        let mut args = vec![
            "pull".to_string(),
            format!("--destination={}", download.display()),
            "--untar".into(),
            "--untardir=chart".into(),
        ];
        if pass_credentials {
            args.push("--pass-credentials".into());
        }
        let target = match (&chart.repo, &chart.wanted) {
            (ChartRepo::Index(url), wanted) => {
                args.push(format!("--repo={url}"));
                args.push(format!("--version={}", wanted.text()));
                chart.chart.clone()
            }
            (ChartRepo::Oci(r), Wanted::Digest(d)) => format!("oci://{r}/{}@{d}", chart.chart),
            (ChartRepo::Oci(r), wanted) => {
                args.push(format!("--version={}", wanted.text()));
                format!("oci://{r}/{}", chart.chart)
            }
        };
        if let Some(host) = chart.repo.oci_host()
            && self.plain_http.iter().any(|h| h == host)
        {
            args.push("--plain-http".into());
        }
        args.extend(["--".to_string(), target]);
        run("helm", &args, staging.path()).map_err(|e| match e {
            RenderError::ToolFailed { message, .. } => failed(message),
            other => failed(other.to_string()),
        })?;
        let unpacked = single_dir(&download.join("chart"))
            .ok_or_else(|| failed("helm pull produced no chart directory".into()))?;
        let version = chart_version(&unpacked)
            .ok_or_else(|| failed("the pulled chart has no version in its Chart.yaml".into()))?;
        let recorded = match &chart.wanted {
            Wanted::Digest(d) => d.clone(),
            _ => version.clone(),
        };
        let key = chart.key(&recorded);
        // Same chart and version from an earlier run (a constraint resolved again): keep it.
        if let Ok(Some(dir)) = self.entries.get(&key) {
            return Ok(PulledChart {
                dir: dir.join("chart"),
                version: recorded,
            });
        }
        std::fs::rename(&unpacked, staging.path().join("chart"))
            .map_err(|e| failed(format!("cannot move the chart into the cache: {e}")))?;
        let _ = std::fs::remove_dir_all(&download);
        let dir = staging
            .publish(&key)
            .map_err(|e| self.cache_error(chart, &e))?;
        Ok(PulledChart {
            dir: dir.join("chart"),
            version: recorded,
        })
    }
}

/// The only directory in `dir`.
fn single_dir(dir: &Path) -> Option<PathBuf> {
    let mut dirs = std::fs::read_dir(dir)
        .ok()?
        .flatten()
        .filter(|e| e.file_type().is_ok_and(|t| t.is_dir()))
        .map(|e| e.path());
    let first = dirs.next()?;
    dirs.next().is_none().then_some(first)
}

/// `version` of the chart in `dir`.
pub(super) fn chart_version(dir: &Path) -> Option<String> {
    let text = std::fs::read_to_string(dir.join("Chart.yaml")).ok()?;
    let chart: Value = crate::yaml::parse_one(&text).ok()?;
    match &chart["version"] {
        Value::String(s) => Some(s.clone()),
        Value::Number(n) => Some(n.to_string()),
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn repositories_are_read_as_argo_cd_reads_them() {
        let r = |u: &str| parse_repo(u, "c");
        assert_eq!(
            r("https://Charts.Example.com/stable/").unwrap(),
            ChartRepo::Index("https://charts.example.com/stable".into())
        );
        assert_eq!(
            r("oci://ghcr.io/org/charts").unwrap(),
            ChartRepo::Oci("ghcr.io/org/charts".into())
        );
        assert_eq!(
            r("registry-1.docker.io/bitnamicharts").unwrap(),
            ChartRepo::Oci("registry-1.docker.io/bitnamicharts".into())
        );
        assert_eq!(
            r("127.0.0.1:5000").unwrap(),
            ChartRepo::Oci("127.0.0.1:5000".into())
        );
        for bad in [
            "",
            "https://user:pw@charts.example.com",
            "git@github.com:org/repo",
            "ssh://github.com/org/repo",
            "https://-x.example.com",
            "https://h/a b",
            "--repo=x",
            "oci://ghcr.io/Org/Charts",
            "https://h/x?token=1",
            "file:///srv/charts",
        ] {
            let e = r(bad);
            assert!(e.is_err(), "{bad}: {e:?}");
            assert!(!format!("{e:?}").contains("pw"), "credentials are redacted");
        }
    }

    #[test]
    fn chart_names_and_versions_are_validated() {
        let c = |chart: &str, rev: &str| ChartRef::parse("https://h", chart, Some(rev));
        assert!(c("nginx", "1.2.3").is_ok());
        assert!(c("nginx", "1.2.*").is_ok());
        assert!(c("nginx", ">=1.0 <2.0").is_ok());
        assert!(c("--post-renderer=x", "1.0.0").is_err());
        assert!(c("a/b", "1.0.0").is_err());
        assert!(c("nginx", "").is_err());
        assert!(c("nginx", "main; rm").is_err());
        // Masterminds reads a newline as a space; a revision must stay on one line here.
        assert!(c("nginx", ">=1.0\t<2.0").is_ok());
        assert!(c("nginx", ">=1.0\n<2.0").is_err());
        assert!(
            c("nginx", "1.2.3-01").is_err(),
            "a leading zero in a prerelease"
        );
        assert!(c("nginx", &format!("sha256:{}", "a".repeat(64))).is_err());
        let oci = ChartRef::parse(
            "oci://h/x",
            "sub/chart",
            Some(&format!("sha256:{}", "A".repeat(64))),
        );
        assert!(oci.is_ok(), "{oci:?}");
        assert!(ChartRef::parse("oci://h/x", "sub/chart", Some("sha256:12")).is_err());
    }
}
