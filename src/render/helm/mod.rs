//! Helm sources, rendered as Argo CD's repo server renders them: charts in Git and charts from
//! chart repositories (`index.yaml` over https, OCI registries), `helm dependency build` when a
//! chart's dependencies are missing, and `helm template` with Argo CD's value order and the
//! destination cluster's capabilities.
//!
//! - [`template`]: the `helm template` argument vector;
//! - [`values`]: value files, `$ref` files, globs and `$ARGOCD_APP_*` substitution;
//! - [`repo`]: chart references from Applications and `helm pull` into the chart cache;
//! - [`deps`]: missing dependencies, built on a private copy and cached by content;
//! - [`capabilities`]: `.Capabilities` from the cluster or the command line.

mod capabilities;
mod deps;
mod repo;
mod template;
mod values;

use std::path::Path;

pub use capabilities::{Capabilities, normalize_kube_version};
pub use deps::{DependencyCache, DependencyRefusal};
pub use repo::{ChartRef, Charts, PulledChart};
pub use template::HelmInputs;
pub use values::{BuildEnv, DiskRoot, ValueFile, ValueFiles, ValueRoot};

use super::error::RenderError;
use super::object::Object;
use super::tool::on_path;

/// What a Helm source can go wrong with beyond `helm` failing: each names the chart, the
/// repository (credentials redacted) and the file or field.
#[derive(Debug, Clone, thiserror::Error)]
pub enum HelmError {
    /// `repoURL` of a chart source is not a chart repository or registry this tool reads.
    #[error("repoURL {url:?} of chart {chart:?}: {reason}")]
    RepoUrl {
        /// The URL, credentials redacted.
        url: String,
        /// The chart.
        chart: String,
        /// What is wrong.
        reason: String,
    },
    /// `chart` is not a chart name.
    #[error("chart {chart:?}: {reason}")]
    ChartName {
        /// The name.
        chart: String,
        /// What is wrong.
        reason: String,
    },
    /// `targetRevision` of a chart source is neither a version nor a constraint.
    #[error("chart {chart:?} from {repo}: targetRevision {revision:?} {reason}")]
    Version {
        /// The chart.
        chart: String,
        /// The repository, redacted.
        repo: String,
        /// The revision given.
        revision: String,
        /// What is wrong.
        reason: String,
    },
    /// `--offline` and the chart is not in the cache.
    #[error(
        "chart {chart:?} version {version} from {repo} is not in the chart cache and --offline forbids downloading it; run once without --offline"
    )]
    NotCached {
        /// The chart.
        chart: String,
        /// The version or constraint asked for.
        version: String,
        /// The repository, redacted.
        repo: String,
    },
    /// `helm pull` failed.
    #[error("cannot pull chart {chart:?} version {version} from {repo}: {message}")]
    Pull {
        /// The chart.
        chart: String,
        /// The version or constraint asked for.
        version: String,
        /// The repository, redacted.
        repo: String,
        /// Helm's message (last lines).
        message: String,
    },
    /// A dependency of a chart cannot be built.
    #[error("chart {chart}: dependency {dependency:?} (repository {repository:?}) {reason}")]
    Dependency {
        /// The chart (repository path or chart reference).
        chart: String,
        /// The dependency's name.
        dependency: String,
        /// Its `repository`, redacted.
        repository: String,
        /// What is wrong.
        reason: String,
    },
    /// A dependency's `repository` is refused before anything is built.
    #[error("chart {chart}: dependency {dependency:?} (repository {repository:?}) {reason}")]
    DependencyRefused {
        /// The chart (repository path or chart reference).
        chart: String,
        /// The dependency's name.
        dependency: String,
        /// Its `repository`, redacted.
        repository: String,
        /// Why it is refused.
        #[source]
        reason: DependencyRefusal,
    },
    /// Something needs the network and `--offline` forbids it.
    #[error("{what} needs the network and --offline forbids it")]
    Offline {
        /// What needed it.
        what: String,
    },
    /// A `$name/...` value file names no `ref` source.
    #[error("value file {file:?}: no source of the app has ref {name:?}")]
    UnknownRef {
        /// The entry.
        file: String,
        /// The ref name.
        name: String,
    },
    /// A value file entry is not usable.
    #[error("value file {file:?} {reason}")]
    ValueFile {
        /// The entry (URLs redacted).
        file: String,
        /// What is wrong.
        reason: String,
    },
    /// A value file does not exist (and `ignoreMissingValueFiles` is not set).
    #[error(
        "value file {file:?} does not exist in {root} (set ignoreMissingValueFiles to skip it)"
    )]
    MissingValueFile {
        /// The entry.
        file: String,
        /// Where it was looked for.
        root: String,
    },
    /// A value file glob matches nothing (and `ignoreMissingValueFiles` is not set).
    #[error(
        "value file glob {pattern:?} matches no file in {root} (set ignoreMissingValueFiles to allow that)"
    )]
    GlobNoMatch {
        /// The pattern.
        pattern: String,
        /// Where it was matched.
        root: String,
    },
    /// A field of the app's `helm:` block that this tool cannot honour.
    #[error("helm.{field}: {reason}")]
    Field {
        /// The field.
        field: &'static str,
        /// Why.
        reason: String,
    },
}

/// Renders the chart in `chart_dir`. When Helm reports dependencies missing from `charts/`,
/// they are built (as Argo CD runs `helm dependency build` and retries) on a private copy:
/// `root` is the directory `file://` dependencies must stay in (the repository, or the chart
/// itself for a chart pulled from a repository). `label` names the chart in messages.
pub fn render_helm(
    chart_dir: &Path,
    root: &Path,
    label: &str,
    inputs: &HelmInputs,
    deps: &DependencyCache,
) -> Result<Vec<Object>, RenderError> {
    if !on_path("helm") {
        return Err(RenderError::ToolMissing {
            tool: "helm",
            what: format!("Helm chart {label}"),
        });
    }
    let rendered = match template::template(chart_dir, label, inputs) {
        Err(RenderError::ToolFailed { message, .. }) if deps::is_missing_dependency(&message) => {
            let built = deps.build(chart_dir, root, label)?;
            template::template(built.chart_dir(), label, inputs)
        }
        other => other,
    };
    rendered.map_err(|e| match e {
        // Without a cluster (or flag) Helm assumes an old Kubernetes, which charts gated on
        // `kubeVersion` refuse: say how to give the real one.
        RenderError::ToolFailed { command, message }
            if inputs.kube_version.is_none()
                && message.contains("which is incompatible with Kubernetes") =>
        {
            RenderError::ToolFailed {
                command,
                message: format!(
                    "{message} (no cluster answered, so Helm assumed its default version; pass --kube-version)"
                ),
            }
        }
        other => other,
    })
}
