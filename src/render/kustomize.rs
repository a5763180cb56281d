//! Kustomize sources: `kustomize build` when installed, else the copy built into kubectl.

use std::path::Path;

use super::error::RenderError;
use super::kustomize_check::check_kustomization_tree;
use super::manifest::parse_stream;
use super::object::Object;
use super::tool::{on_path, run};

/// Renders the kustomization in `dir`, a directory inside `root` (the repository materialised
/// on disk). Every local path it reaches is checked to stay inside `root` first. `label` names
/// the source in messages and origins (repo path of the kustomization).
pub fn render_kustomize(root: &Path, dir: &Path, label: &str) -> Result<Vec<Object>, RenderError> {
    check_kustomization_tree(root, dir, label)?;
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
    Ok(parse_stream(
        &format!("kustomize build {label}"),
        &yaml,
        false,
    )?)
}
