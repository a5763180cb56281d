//! `helm template` as Argo CD's repo server runs it (`util/helm/cmd.go` `template`): value files
//! in order, then `values`/`valuesObject`, then parameters, the app name as release name, CRDs
//! included unless `skipCrds`, and the target cluster's capabilities.

use std::path::{Path, PathBuf};

use serde_json::Value;

use super::values::ValueFile;
use crate::names;
use crate::render::error::RenderError;
use crate::render::manifest::parse_stream;
use crate::render::object::Object;
use crate::render::tool::run;

/// Everything `helm template` needs for one source, with paths already resolved on disk.
#[derive(Debug, Clone, Default)]
pub struct HelmInputs {
    /// Release name (Argo CD: `helm.releaseName`, default the app name).
    pub release: String,
    /// Release namespace (Argo CD: `helm.namespace`, default the destination namespace).
    pub namespace: Option<String>,
    /// Value files in order (already resolved: files on disk or URLs).
    pub value_files: Vec<ValueFile>,
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
    /// `skipSchemaValidation`: do not check values against `values.schema.json`.
    pub skip_schema_validation: bool,
    /// `.Capabilities.KubeVersion`: the app's `kubeVersion`, else the cluster's.
    pub kube_version: Option<String>,
    /// `.Capabilities.APIVersions`: the app's `apiVersions`, else the cluster's.
    pub api_versions: Vec<String>,
}

/// Runs `helm template` on the chart in `chart_dir`; `label` names it in messages.
pub(super) fn template(
    chart_dir: &Path,
    label: &str,
    inputs: &HelmInputs,
) -> Result<Vec<Object>, RenderError> {
    let scratch = crate::scratch::tempdir("kubectl-gitops-helm-").map_err(|e| RenderError::Io {
        what: format!("helm chart {label}"),
        source: e,
    })?;
    let args = template_args(inputs, &scratch, label)?;
    let yaml = run("helm", &args, chart_dir).map_err(redact_set_values)?;
    Ok(parse_stream(
        &format!("helm template {label}"),
        &yaml,
        false,
    )?)
}

/// The argument vector of `helm template`, built as Argo CD's repo server builds it (value
/// files in order, then `values`/`valuesObject`, then parameters), hardened: every value the
/// repository controls is validated for what it is and passed as `--flag=value`, and the
/// positional arguments come after `--`, so no value can become an option of its own
/// (`releaseName: --post-renderer=/x` once ran a program).
fn template_args(
    inputs: &HelmInputs,
    scratch: &tempfile::TempDir,
    label: &str,
) -> Result<Vec<String>, RenderError> {
    let invalid = |e: crate::names::NameError| RenderError::Unsupported(format!("helm: {e}"));
    names::helm_release(&inputs.release).map_err(invalid)?;
    let mut args: Vec<String> = vec!["template".into()];
    if let Some(ns) = &inputs.namespace {
        names::namespace(ns).map_err(invalid)?;
        args.push(format!("--namespace={ns}"));
    }
    for f in &inputs.value_files {
        match f {
            ValueFile::Local(p) => args.push(format!("--values={}", p.display())),
            ValueFile::Remote(url) => args.push(format!("--values={url}")),
        }
    }
    if let Some(values) = &inputs.values {
        // A file, not --set: values keep their types and never show up in a process listing.
        let file = scratch.path().join("values.json");
        let text = serde_json::to_string(values).unwrap_or_default();
        std::fs::write(&file, text).map_err(|e| RenderError::Io {
            what: format!("helm values for {label}"),
            source: e,
        })?;
        args.push(format!("--values={}", file.display()));
    }
    for (name, value, force_string) in &inputs.parameters {
        let flag = if *force_string {
            "--set-string"
        } else {
            "--set"
        };
        check_parameter_name(name)?;
        args.push(format!("{flag}={name}={}", escape_set_value(value)));
    }
    for (name, path) in &inputs.file_parameters {
        check_parameter_name(name)?;
        args.push(format!("--set-file={name}={}", path.display()));
    }
    if !inputs.skip_crds {
        args.push("--include-crds".into());
    }
    if inputs.skip_schema_validation {
        args.push("--skip-schema-validation".into());
    }
    if inputs.skip_tests {
        args.push("--skip-tests".into());
    }
    if let Some(v) = &inputs.kube_version {
        names::kube_version(v).map_err(invalid)?;
        args.push(format!("--kube-version={v}"));
    }
    for v in &inputs.api_versions {
        names::helm_api_version(v).map_err(invalid)?;
        args.push(format!("--api-versions={v}"));
    }
    args.extend(["--".into(), inputs.release.clone(), ".".into()]);
    Ok(args)
}

/// A parameter name is a Helm value path (`image.tag`, `list[0].name`); `=` or `,` in it would
/// split the assignment, so they are refused rather than reinterpreted.
fn check_parameter_name(name: &str) -> Result<(), RenderError> {
    let ok = !name.is_empty()
        && !name.starts_with('-')
        && !name
            .chars()
            .any(|c| matches!(c, '=' | ',') || c.is_whitespace() || c.is_control());
    if ok {
        Ok(())
    } else {
        Err(RenderError::Unsupported(format!(
            "helm: parameter name {name:?} is not a value path (no '=', ',', spaces or leading '-')"
        )))
    }
}

/// Argo CD's `cleanSetParameters`: a value in braces is a Helm list and is passed as is;
/// otherwise every comma not already escaped is escaped, so `a,b` stays one value instead of
/// becoming a second assignment.
fn escape_set_value(value: &str) -> String {
    if value.starts_with('{') && value.ends_with('}') {
        return value.to_string();
    }
    let mut out = String::with_capacity(value.len());
    let mut prev = None;
    for c in value.chars() {
        if c == ',' && prev != Some('\\') {
            out.push_str("\\,");
        } else {
            out.push(c);
        }
        prev = Some(c);
    }
    out
}

/// `--set` values can be secrets; keep only their names in error messages. The command line is
/// rebuilt argument by argument, so a value with spaces is hidden whole.
pub(super) fn redact_set_values(err: RenderError) -> RenderError {
    match err {
        RenderError::ToolFailed { command, message } => RenderError::ToolFailed {
            command: redact_command(&command),
            message,
        },
        other => other,
    }
}

fn redact_command(command: &[String]) -> Vec<String> {
    command
        .iter()
        .map(|arg| {
            for flag in ["--set=", "--set-string="] {
                if let Some(rest) = arg.strip_prefix(flag) {
                    let name = rest.split_once('=').map_or(rest, |(n, _)| n);
                    return format!("{flag}{name}=***");
                }
            }
            // A value file URL may carry a token.
            if let Some(url) = arg.strip_prefix("--values=") {
                return format!("--values={}", crate::source::redact_url(url));
            }
            arg.clone()
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn inputs() -> HelmInputs {
        HelmInputs {
            release: "web".into(),
            namespace: Some("shop".into()),
            ..Default::default()
        }
    }

    #[test]
    fn repository_values_cannot_become_options() {
        let scratch = tempfile::tempdir().unwrap();
        let mut i = inputs();
        i.release = "--post-renderer=/tmp/x".into();
        assert!(template_args(&i, &scratch, "c").is_err());
        let mut i = inputs();
        i.namespace = Some("--post-renderer=/tmp/x".into());
        assert!(template_args(&i, &scratch, "c").is_err());
        let mut i = inputs();
        i.kube_version = Some("--post-renderer=/tmp/x".into());
        assert!(template_args(&i, &scratch, "c").is_err());
        let mut i = inputs();
        i.api_versions = vec!["--post-renderer=/tmp/x".into()];
        assert!(template_args(&i, &scratch, "c").is_err());
        let mut i = inputs();
        i.parameters = vec![("--post-renderer".into(), "x".into(), false)];
        assert!(template_args(&i, &scratch, "c").is_err());
        // A value may look like an option: it stays inside its --set= argument.
        let mut i = inputs();
        i.parameters = vec![("a".into(), "--post-renderer=/x".into(), false)];
        let args = template_args(&i, &scratch, "c").unwrap();
        assert!(args.contains(&"--set=a=--post-renderer=/x".to_string()));
        assert_eq!(args[args.len() - 3..], ["--", "web", "."]);
    }

    #[test]
    fn commas_are_escaped_as_argo_cd_does() {
        assert_eq!(escape_set_value("a,b"), "a\\,b");
        assert_eq!(escape_set_value("a\\,b"), "a\\,b");
        assert_eq!(escape_set_value("{a,b}"), "{a,b}");
    }

    #[test]
    fn set_values_are_redacted_per_argument() {
        let cmd = vec![
            "helm".to_string(),
            "--set=password=hunter2 with spaces".to_string(),
            "--set-string=token=t0k".to_string(),
            "--values=/x".to_string(),
        ];
        assert_eq!(
            redact_command(&cmd),
            [
                "helm",
                "--set=password=***",
                "--set-string=token=***",
                "--values=/x"
            ]
        );
    }
}
