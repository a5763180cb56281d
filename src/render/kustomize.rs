//! Kustomize sources: `kustomize build` when installed, else the copy built into kubectl.

use std::path::Path;

use super::error::RenderError;
use super::manifest::parse_objects;
use super::object::Object;
use super::tool::{on_path, run};

/// Renders the kustomization in `dir` (a directory on disk inside a materialised repo).
/// `label` names the source in messages and origins (repo path of the kustomization).
pub fn render_kustomize(dir: &Path, label: &str) -> Result<Vec<Object>, RenderError> {
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
    args.push(".".into());
    let yaml = run(program, &args, dir)?;
    Ok(parse_objects(
        &format!("kustomize build {label}"),
        &yaml,
        false,
    )?)
}
