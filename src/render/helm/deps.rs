//! Chart dependencies: a "wrapper chart" lists upstream charts under `dependencies:` and vendors
//! none of them. Argo CD's repo server runs `helm template`, and when Helm reports dependencies
//! missing from `charts/` (its `IsMissingDependencyErr`) it runs `helm dependency build` in the
//! chart and templates again. This does the same, with three differences that keep a preview
//! safe and fast:
//!
//! - the build runs on a private copy of the chart (and of the `file://` dependencies it names),
//!   never in the user's work tree nor in the shared per-commit tree cache;
//! - a `file://` dependency must stay inside the repository (or inside the chart, for a chart
//!   pulled from a chart repository): a repository is untrusted input, and `file://../../..`
//!   would otherwise package any directory of the machine into the rendered output;
//! - what the build put in `charts/` is cached under `helm-deps/`, keyed by the content of
//!   `Chart.yaml`, `Chart.lock` (`requirements.*` for v1 charts) and of every `file://`
//!   dependency, so a second run downloads nothing. A chart without a lock file keeps the
//!   versions its first build resolved until its `Chart.yaml` changes, as a lock would.

use std::collections::HashMap;
use std::path::{Component, Path, PathBuf};
use std::sync::{Arc, Mutex, OnceLock};

use serde_json::Value;
use sha2::Digest as _;

use super::HelmError;
use crate::render::RenderError;
use crate::render::tool::run;
use crate::source::{CacheDir, CacheEntries, redact_url};

/// Helm's messages for a dependency listed but not in `charts/` (Argo CD matches the same).
pub(super) fn is_missing_dependency(message: &str) -> bool {
    message.contains("found in Chart.yaml, but missing in charts/ directory")
        || message.contains("found in requirements.yaml, but missing in charts/ directory")
}

/// A chart with its dependencies in `charts/`, in a private directory removed when dropped.
pub struct BuiltChart {
    _scratch: tempfile::TempDir,
    chart: PathBuf,
}

impl BuiltChart {
    /// The chart's directory.
    pub fn chart_dir(&self) -> &Path {
        &self.chart
    }
}

type Slot = Arc<OnceLock<Result<Arc<BuiltChart>, HelmError>>>;

/// Built dependencies for one run, cached across runs.
pub struct DependencyCache {
    entries: CacheEntries,
    offline: bool,
    plain_http: Vec<String>,
    /// One build per chart directory and content in a run; apps sharing a chart share it
    /// (read-only, as `helm template` uses it).
    slots: Mutex<HashMap<(PathBuf, String), Slot>>,
}

/// Where one dependency comes from.
#[derive(Debug)]
enum Source {
    /// No repository: Helm expects it in `charts/` already.
    Vendored,
    /// `file://`: a directory inside the root, relative to it.
    Local(PathBuf),
    /// An https or OCI repository, or a repository of the user's Helm configuration by name.
    Remote {
        /// The OCI registry host, for `--plain-http`.
        oci_host: Option<String>,
    },
}

/// Why a dependency's `repository` is refused: the words follow the dependency's name and
/// repository in the message.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum DependencyRefusal {
    /// Spaces or control characters, which `helm` would read as more than one argument.
    #[error("contains spaces or control characters")]
    ControlCharacters,
    /// `@name` or `alias:name` with a name Helm's configuration cannot hold.
    #[error("is not a repository name")]
    NotARepositoryName,
    /// No `scheme://`.
    #[error("is not a URL")]
    NotAUrl,
    /// `user:password@` in the URL.
    #[error("carries credentials in its URL; configure them in helm instead")]
    Credentials,
    /// A scheme Helm does not pull from.
    #[error(
        "has scheme {scheme:?}; dependencies come from https://, oci://, file:// or a named Helm repository"
    )]
    Scheme {
        /// The scheme, lower case.
        scheme: String,
    },
    /// A `file://` path that is absolute.
    #[error("is an absolute path; file:// dependencies must stay inside the repository")]
    Absolute,
    /// A `file://` path whose `..` go above the repository.
    #[error("leaves the repository; file:// dependencies must stay inside the repository")]
    LeavesRepository,
    /// A `file://` path with a component that is neither a name, `.` nor `..`.
    #[error("is not a relative path; file:// dependencies must stay inside the repository")]
    NotRelative,
    /// A `file://` path that a symlink takes out of the repository.
    #[error("leads outside the repository; file:// dependencies must stay inside the repository")]
    LeadsOutside,
    /// A `file://` path that is a file.
    #[error("is not a directory")]
    NotADirectory,
    /// A `file://` path that does not exist.
    #[error("names {} which does not exist in the repository", path.display())]
    Missing {
        /// The path, relative to the repository.
        path: PathBuf,
    },
}

/// A dependency as the chart lists it.
struct Dependency {
    name: String,
    repository: String,
    source: Source,
}

impl DependencyCache {
    /// Builds kept in `cache`; `plain_http` lists OCI registries reached without TLS.
    pub fn new(cache: Arc<CacheDir>, offline: bool, plain_http: Vec<String>) -> DependencyCache {
        DependencyCache {
            entries: CacheEntries::new(cache, "helm-deps"),
            offline,
            plain_http: plain_http.iter().map(|h| h.to_ascii_lowercase()).collect(),
            slots: Mutex::new(HashMap::new()),
        }
    }

    /// A private copy of the chart in `chart_dir` with its dependencies built; `root` is what
    /// `file://` dependencies must stay in. `label` names the chart in messages.
    pub fn build(
        &self,
        chart_dir: &Path,
        root: &Path,
        label: &str,
    ) -> Result<Arc<BuiltChart>, RenderError> {
        let io = |what: &str, e: std::io::Error| RenderError::Io {
            what: format!("chart {label}: {what}"),
            source: e,
        };
        let root = root
            .canonicalize()
            .map_err(|e| io("the repository copy", e))?;
        let chart_dir = chart_dir
            .canonicalize()
            .map_err(|e| io("the chart directory", e))?;
        let chart_rel = chart_dir
            .strip_prefix(&root)
            .map_err(|_| {
                RenderError::Unsupported(format!("chart {label} is not inside its repository"))
            })?
            .to_path_buf();
        let deps = read_dependencies(&chart_dir, &root, &chart_rel, label)?;
        let key = content_key(&chart_dir, &root, &deps).map_err(|e| io("hashing", e))?;
        let slot = crate::source::slot(&self.slots, (chart_dir.clone(), key.clone()));
        let built = slot.get_or_init(|| {
            self.build_once(&chart_dir, &root, &chart_rel, &deps, &key, label)
                .map(Arc::new)
        });
        Ok(built.clone()?)
    }

    fn build_once(
        &self,
        chart_dir: &Path,
        root: &Path,
        chart_rel: &Path,
        deps: &[Dependency],
        key: &str,
        label: &str,
    ) -> Result<BuiltChart, HelmError> {
        let fail = |reason: String| HelmError::Dependency {
            chart: label.to_string(),
            dependency: String::new(),
            repository: String::new(),
            reason,
        };
        let scratch = private_scratch().map_err(|e| fail(format!("cannot make a copy: {e}")))?;
        let copy_root = scratch.path().join("root");
        // The `file://` dependencies first, then the chart, so a chart inside a dependency's
        // directory ends up as it is in the repository either way.
        for d in deps {
            if let Source::Local(rel) = &d.source {
                copy_tree(&root.join(rel), &copy_root.join(rel))
                    .map_err(|e| fail(format!("cannot copy {}: {e}", rel.display())))?;
            }
        }
        let chart = copy_root.join(chart_rel);
        copy_tree(chart_dir, &chart).map_err(|e| fail(format!("cannot copy the chart: {e}")))?;
        let charts = chart.join("charts");
        match self.entries.get(key) {
            Ok(Some(entry)) => {
                // Cached: the `charts/` the build produced replaces the copy's.
                let _ = std::fs::remove_dir_all(&charts);
                copy_tree(&entry.join("charts"), &charts)
                    .map_err(|e| fail(format!("cannot copy cached dependencies: {e}")))?;
            }
            Ok(None) | Err(_) => {
                if self.offline
                    && let Some(d) = deps
                        .iter()
                        .find(|d| matches!(d.source, Source::Remote { .. }))
                {
                    return Err(HelmError::Offline {
                        what: format!(
                            "chart {label}: dependency {:?} from {} (not built before)",
                            d.name,
                            redact_url(&d.repository)
                        ),
                    });
                }
                self.run_build(&chart, deps, label)?;
                // Another run may publish the same key first; both hold the same content.
                let _ = self
                    .entries
                    .insert::<crate::source::SourceError>(key, |dir| {
                        copy_tree(&charts, &dir.join("charts")).map_err(|e| {
                            crate::source::SourceError::Io {
                                op: "copy built dependencies to",
                                path: dir.to_path_buf(),
                                source: e,
                            }
                        })
                    });
            }
        }
        Ok(BuiltChart {
            _scratch: scratch,
            chart,
        })
    }

    /// `helm dependency build` in the copy, with `--plain-http` when the chart's OCI
    /// dependencies are all on registries the user named as plain HTTP.
    fn run_build(&self, chart: &Path, deps: &[Dependency], label: &str) -> Result<(), HelmError> {
        let hosts: Vec<&str> = deps
            .iter()
            .filter_map(|d| match &d.source {
                Source::Remote { oci_host } => oci_host.as_deref(),
                _ => None,
            })
            .collect();
        let plain: Vec<bool> = hosts
            .iter()
            .map(|h| self.plain_http.iter().any(|p| p == h))
            .collect();
        let mut args = vec!["dependency".to_string(), "build".to_string()];
        if plain.iter().any(|p| *p) {
            if !plain.iter().all(|p| *p) {
                return Err(HelmError::Dependency {
                    chart: label.to_string(),
                    dependency: String::new(),
                    repository: hosts.join(", "),
                    reason: "mixes OCI registries reached over plain HTTP with TLS ones; helm dependency build can only do one".into(),
                });
            }
            args.push("--plain-http".into());
        }
        args.extend(["--".into(), ".".into()]);
        run("helm", &args, chart).map_err(|e| HelmError::Dependency {
            chart: label.to_string(),
            dependency: deps
                .iter()
                .map(|d| d.name.as_str())
                .collect::<Vec<_>>()
                .join(", "),
            repository: deps
                .iter()
                .map(|d| redact_url(&d.repository))
                .collect::<Vec<_>>()
                .join(", "),
            reason: match e {
                RenderError::ToolFailed { message, .. } => {
                    format!("helm dependency build failed: {message}")
                }
                other => other.to_string(),
            },
        })?;
        Ok(())
    }
}

/// The chart's dependencies (`Chart.yaml`, or `requirements.yaml` for `apiVersion: v1`), each
/// checked: `file://` inside `root`, other repositories well-formed.
fn read_dependencies(
    chart_dir: &Path,
    root: &Path,
    chart_rel: &Path,
    label: &str,
) -> Result<Vec<Dependency>, RenderError> {
    let mut out = Vec::new();
    for file in ["Chart.yaml", "requirements.yaml"] {
        let path = chart_dir.join(file);
        let Ok(text) = std::fs::read_to_string(&path) else {
            continue;
        };
        let doc: Value = crate::yaml::parse_one(&text).map_err(|e| {
            RenderError::Unsupported(format!("chart {label}: {file} is not valid YAML: {e}"))
        })?;
        for d in doc["dependencies"].as_array().into_iter().flatten() {
            let name = d["name"].as_str().unwrap_or_default().to_string();
            let repository = d["repository"]
                .as_str()
                .unwrap_or_default()
                .trim()
                .to_string();
            let source = classify(&repository, root, chart_rel).map_err(|reason| {
                HelmError::DependencyRefused {
                    chart: label.to_string(),
                    dependency: name.clone(),
                    repository: redact_url(&repository),
                    reason,
                }
            })?;
            out.push(Dependency {
                name,
                repository,
                source,
            });
        }
    }
    Ok(out)
}

/// What a dependency's `repository` is, or why it is refused.
fn classify(repository: &str, root: &Path, chart_rel: &Path) -> Result<Source, DependencyRefusal> {
    if repository.is_empty() {
        return Ok(Source::Vendored);
    }
    if repository
        .chars()
        .any(|c| c.is_control() || c.is_whitespace())
    {
        return Err(DependencyRefusal::ControlCharacters);
    }
    // Names of repositories in the user's Helm configuration.
    if let Some(name) = repository
        .strip_prefix('@')
        .or_else(|| repository.strip_prefix("alias:"))
    {
        return if !name.is_empty()
            && name
                .chars()
                .all(|c| c.is_ascii_alphanumeric() || "._-".contains(c))
        {
            Ok(Source::Remote { oci_host: None })
        } else {
            Err(DependencyRefusal::NotARepositoryName)
        };
    }
    let lower = repository.to_ascii_lowercase();
    if let Some(rel) = lower.strip_prefix("file://").map(|_| &repository[7..]) {
        return local_dependency(rel, root, chart_rel).map(Source::Local);
    }
    let (scheme, rest) = lower.split_once("://").ok_or(DependencyRefusal::NotAUrl)?;
    let authority = rest.split('/').next().unwrap_or_default();
    if authority.contains('@') {
        return Err(DependencyRefusal::Credentials);
    }
    match scheme {
        "https" | "http" => Ok(Source::Remote { oci_host: None }),
        "oci" => Ok(Source::Remote {
            oci_host: Some(authority.to_string()),
        }),
        _ => Err(DependencyRefusal::Scheme {
            scheme: scheme.to_string(),
        }),
    }
}

/// A `file://` dependency's directory, relative to `root`, when it stays inside it.
fn local_dependency(
    rel: &str,
    root: &Path,
    chart_rel: &Path,
) -> Result<PathBuf, DependencyRefusal> {
    if rel.starts_with('/') {
        return Err(DependencyRefusal::Absolute);
    }
    // Lexically first: `..` past the root is refused whether or not it exists out there.
    let mut parts: Vec<std::ffi::OsString> = chart_rel
        .components()
        .filter_map(|c| match c {
            Component::Normal(n) => Some(n.to_os_string()),
            _ => None,
        })
        .collect();
    for c in Path::new(rel).components() {
        match c {
            Component::ParentDir => {
                if parts.pop().is_none() {
                    return Err(DependencyRefusal::LeavesRepository);
                }
            }
            Component::Normal(n) => parts.push(n.to_os_string()),
            Component::CurDir => {}
            _ => return Err(DependencyRefusal::NotRelative),
        }
    }
    let joined: PathBuf = parts.iter().collect();
    // Then physically: the copy on disk must not lead out through a symlink either.
    let full = root.join(&joined);
    match full.canonicalize() {
        Ok(real) if !real.starts_with(root) => Err(DependencyRefusal::LeadsOutside),
        Ok(real) if !real.is_dir() => Err(DependencyRefusal::NotADirectory),
        Ok(_) => Ok(joined),
        Err(_) => Err(DependencyRefusal::Missing { path: joined }),
    }
}

/// The cache key: the chart's dependency files and the content of its `file://` dependencies.
fn content_key(chart_dir: &Path, root: &Path, deps: &[Dependency]) -> std::io::Result<String> {
    let mut h = sha2::Sha256::new();
    h.update(b"kubectl-gitops helm-deps v1\n");
    for f in [
        "Chart.yaml",
        "Chart.lock",
        "requirements.yaml",
        "requirements.lock",
    ] {
        h.update(f.as_bytes());
        match std::fs::read(chart_dir.join(f)) {
            Ok(bytes) => {
                h.update((bytes.len() as u64).to_le_bytes());
                h.update(&bytes);
            }
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => h.update(b"-"),
            Err(e) => return Err(e),
        }
    }
    for d in deps {
        if let Source::Local(rel) = &d.source {
            h.update(rel.to_string_lossy().as_bytes());
            hash_tree(&root.join(rel), Path::new(""), &mut h)?;
        }
    }
    Ok(h.finalize().iter().map(|b| format!("{b:02x}")).collect())
}

fn hash_tree(dir: &Path, rel: &Path, h: &mut sha2::Sha256) -> std::io::Result<()> {
    let mut entries: Vec<_> = std::fs::read_dir(dir)?.collect::<Result<_, _>>()?;
    entries.sort_by_key(|e| e.file_name());
    for e in entries {
        let t = e.file_type()?;
        let name = rel.join(e.file_name());
        if t.is_dir() {
            h.update(b"d");
            h.update(name.to_string_lossy().as_bytes());
            hash_tree(&e.path(), &name, h)?;
        } else if t.is_file() {
            let bytes = std::fs::read(e.path())?;
            h.update(b"f");
            h.update(name.to_string_lossy().as_bytes());
            h.update((bytes.len() as u64).to_le_bytes());
            h.update(&bytes);
        }
    }
    Ok(())
}

/// Copies the regular files and directories of `from` into `to` (created); links are not
/// followed (the trees renderers read hold none).
fn copy_tree(from: &Path, to: &Path) -> std::io::Result<()> {
    std::fs::create_dir_all(to)?;
    for e in std::fs::read_dir(from)? {
        let e = e?;
        let t = e.file_type()?;
        let target = to.join(e.file_name());
        if t.is_dir() {
            copy_tree(&e.path(), &target)?;
        } else if t.is_file() {
            std::fs::copy(e.path(), &target)?;
        }
    }
    Ok(())
}

/// A `0700` temporary directory of the run, removed when dropped.
fn private_scratch() -> std::io::Result<tempfile::TempDir> {
    crate::scratch::tempdir("kubectl-gitops-helm-deps-")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn file_dependencies_stay_in_the_repository() {
        let outer = tempfile::tempdir().unwrap();
        let root = outer.path().join("repo");
        std::fs::create_dir_all(root.join("charts/app")).unwrap();
        std::fs::create_dir_all(root.join("charts/common")).unwrap();
        std::fs::create_dir_all(outer.path().join("secret")).unwrap();
        let root = root.canonicalize().unwrap();
        let rel = Path::new("charts/app");
        assert_eq!(
            local_dependency("../common", &root, rel).unwrap(),
            PathBuf::from("charts/common")
        );
        for (bad, why) in [
            ("../../../secret", "leaves the repository"),
            ("/etc", "absolute"),
            ("../nope", "does not exist"),
        ] {
            let e = local_dependency(bad, &root, rel).unwrap_err().to_string();
            assert!(e.contains(why), "{bad}: {e}");
        }
        std::os::unix::fs::symlink(outer.path().join("secret"), root.join("charts/link")).unwrap();
        let e = local_dependency("../link", &root, rel).unwrap_err();
        assert_eq!(e, DependencyRefusal::LeadsOutside);
    }

    #[test]
    fn repositories_are_classified() {
        let root = Path::new("/nonexistent");
        let rel = Path::new("c");
        assert!(matches!(classify("", root, rel), Ok(Source::Vendored)));
        assert!(matches!(
            classify("https://charts.example.com", root, rel),
            Ok(Source::Remote { oci_host: None })
        ));
        assert!(matches!(
            classify("oci://127.0.0.1:5000/charts", root, rel),
            Ok(Source::Remote { oci_host: Some(h) }) if h == "127.0.0.1:5000"
        ));
        assert!(matches!(
            classify("@stable", root, rel),
            Ok(Source::Remote { .. })
        ));
        assert!(classify("https://u:p@h/x", root, rel).is_err());
        assert!(classify("ssh://h/x", root, rel).is_err());
        assert!(classify("@--x y", root, rel).is_err());
        assert!(is_missing_dependency(
            "Error: ... found in Chart.yaml, but missing in charts/ directory: demo"
        ));
    }
}
