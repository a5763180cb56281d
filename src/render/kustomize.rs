//! Kustomize sources: `kustomize build` when installed, else the copy built into kubectl, with
//! Argo CD's `kustomize.buildOptions`.

use std::path::Path;

use super::error::RenderError;
use super::helm::Capabilities;
use super::kustomize_build::BuildOptions;
use super::kustomize_check::check_kustomization_tree;
use super::manifest::parse_stream;
use super::object::Object;
use super::tool::{on_path, run};

/// How `kustomize build` runs, beyond the kustomization itself.
#[derive(Debug, Clone, Copy)]
pub struct KustomizeRun<'a> {
    /// `kustomize.buildOptions` (from the command line or argocd-cm in the tree).
    pub options: &'a BuildOptions,
    /// Never fetch (remote bases, helm charts): they are errors instead.
    pub offline: bool,
    /// The destination's capabilities, for charts inflated with `--enable-helm`.
    pub capabilities: &'a Capabilities,
}

/// Whether building the kustomization in `dir` writes into the tree: with `--enable-helm`,
/// kustomize pulls `helmCharts` into their chart home, so the build needs a private copy.
pub fn kustomize_writes(
    root: &Path,
    dir: &Path,
    label: &str,
    options: &BuildOptions,
) -> Result<bool, RenderError> {
    Ok(options.enable_helm()
        && !check_kustomization_tree(root, dir, label)?
            .helm_charts
            .is_empty())
}

/// Renders the kustomization in `dir`, a directory inside `root` (the repository materialised
/// on disk). Every local path it reaches is checked to stay inside `root` first. `label` names
/// the source in messages and origins (repo path of the kustomization).
pub fn render_kustomize(
    root: &Path,
    dir: &Path,
    label: &str,
    how: &KustomizeRun,
) -> Result<Vec<Object>, RenderError> {
    let scan = check_kustomization_tree(root, dir, label)?;
    if how.offline {
        if let Some(remote) = scan.remote.first() {
            return Err(RenderError::Unsupported(format!(
                "{remote} is remote and --offline forbids fetching it"
            )));
        }
        if how.options.enable_helm()
            && let Some(c) = scan
                .helm_charts
                .iter()
                .find(|c| c.repo.is_some() && !c.is_local())
        {
            return Err(RenderError::Unsupported(format!(
                "{}: helmCharts entry {:?} from {} is not in its chart home and --offline forbids pulling it",
                c.file,
                c.name,
                crate::source::redact_url(c.repo.as_deref().unwrap_or_default())
            )));
        }
    }
    let (program, mut args) = if on_path("kustomize") {
        ("kustomize", vec!["build".to_string()])
    } else if on_path("kubectl") {
        ("kubectl", vec!["kustomize".to_string()])
    } else {
        return Err(RenderError::ToolMissing {
            tool: "kustomize",
            what: format!("kustomization {label}"),
        });
    };
    args.extend(how.options.args().iter().cloned());
    // As Argo CD does with kustomize 5.3+: charts inflated by kustomize see the destination's
    // capabilities, unless the options name their own.
    if how.options.enable_helm() {
        if !how.options.sets("--helm-kube-version")
            && let Some(v) = &how.capabilities.kube_version
        {
            args.push(format!("--helm-kube-version={v}"));
        }
        if !how.options.sets("--helm-api-versions") {
            for v in &how.capabilities.api_versions {
                args.push(format!("--helm-api-versions={v}"));
            }
        }
    }
    args.extend(["--".to_string(), ".".to_string()]);
    let yaml = run(program, &args, dir)?;
    Ok(parse_stream(
        &format!("kustomize build {label}"),
        &yaml,
        false,
    )?)
}
