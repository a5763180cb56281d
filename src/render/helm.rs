//! Helm sources: `helm template` with Argo CD's value precedence and release name.

use std::path::{Path, PathBuf};

use serde_json::Value;

use super::error::RenderError;
use super::manifest::parse_objects;
use super::object::Object;
use super::tool::{on_path, run};

/// Everything `helm template` needs for one source, with paths already resolved on disk.
#[derive(Debug, Clone, Default)]
pub struct HelmInputs {
    /// Release name (Argo CD: `helm.releaseName`, default the app name).
    pub release: String,
    /// Release namespace (Argo CD: `helm.namespace`, default the destination namespace).
    pub namespace: Option<String>,
    /// Value files in order (chart-relative ones already joined to the chart dir).
    pub value_files: Vec<PathBuf>,
    /// `values` / `valuesObject` (valuesObject wins), applied after the value files.
    pub values: Option<Value>,
    /// `parameters`: (name, value, forceString), applied last.
    pub parameters: Vec<(String, String, bool)>,
    /// `fileParameters`: (name, path on disk).
    pub file_parameters: Vec<(String, PathBuf)>,
    /// `skipCrds`: leave out the chart's `crds/` (default: include them).
    pub skip_crds: bool,
    /// `skipTests`.
    pub skip_tests: bool,
    /// `kubeVersion`.
    pub kube_version: Option<String>,
    /// `apiVersions`.
    pub api_versions: Vec<String>,
}

/// Renders the chart in `chart_dir`; `label` names it in messages (repo path of the chart).
pub fn render_helm(
    chart_dir: &Path,
    label: &str,
    inputs: &HelmInputs,
) -> Result<Vec<Object>, RenderError> {
    if !on_path("helm") {
        return Err(RenderError::ToolMissing {
            tool: "helm",
            what: format!("Helm chart {label}"),
        });
    }
    let scratch = tempfile::Builder::new()
        .prefix("kubectl-gitops-helm-")
        .tempdir()
        .map_err(|e| RenderError::Io {
            what: format!("helm chart {label}"),
            source: e,
        })?;
    let mut args: Vec<String> = vec!["template".into(), inputs.release.clone(), ".".into()];
    if let Some(ns) = &inputs.namespace {
        args.extend(["--namespace".into(), ns.clone()]);
    }
    for f in &inputs.value_files {
        args.extend(["--values".into(), f.display().to_string()]);
    }
    if let Some(values) = &inputs.values {
        // A file, not --set: values keep their types and never show up in a process listing.
        let file = scratch.path().join("values.json");
        let text = serde_json::to_string(values).unwrap_or_default();
        std::fs::write(&file, text).map_err(|e| RenderError::Io {
            what: format!("helm values for {label}"),
            source: e,
        })?;
        args.extend(["--values".into(), file.display().to_string()]);
    }
    for (name, value, force_string) in &inputs.parameters {
        let flag = if *force_string {
            "--set-string"
        } else {
            "--set"
        };
        args.extend([flag.into(), format!("{name}={value}")]);
    }
    for (name, path) in &inputs.file_parameters {
        args.extend(["--set-file".into(), format!("{name}={}", path.display())]);
    }
    if !inputs.skip_crds {
        args.push("--include-crds".into());
    }
    if inputs.skip_tests {
        args.push("--skip-tests".into());
    }
    if let Some(v) = &inputs.kube_version {
        args.extend(["--kube-version".into(), v.clone()]);
    }
    for v in &inputs.api_versions {
        args.extend(["--api-versions".into(), v.clone()]);
    }
    let yaml = run("helm", &args, chart_dir).map_err(redact_set_values)?;
    Ok(parse_objects(
        &format!("helm template {label}"),
        &yaml,
        false,
    )?)
}

/// `--set` values can be secrets; keep only their names in error messages.
fn redact_set_values(err: RenderError) -> RenderError {
    match err {
        RenderError::ToolFailed { command, message } => {
            let mut redact_next = false;
            let shown: Vec<String> = command
                .split(' ')
                .map(|word| {
                    let out = if redact_next {
                        word.split_once('=')
                            .map(|(k, _)| format!("{k}=***"))
                            .unwrap_or_else(|| word.into())
                    } else {
                        word.to_string()
                    };
                    redact_next = matches!(word, "--set" | "--set-string");
                    out
                })
                .collect();
            RenderError::ToolFailed {
                command: shown.join(" "),
                message,
            }
        }
        other => other,
    }
}
