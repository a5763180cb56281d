//! Directory sources, rendered natively: every YAML/JSON manifest under the source path.

use globset::{Glob, GlobMatcher};

use super::error::RenderError;
use super::manifest::parse_directory_file;
use super::object::Object;
use crate::source::{EntryKind, RepoPath, RepoView};

/// Argo CD's `spec.source.directory` options.
#[derive(Debug, Clone, Default)]
pub struct DirectoryOptions {
    /// Read subdirectories too (Argo CD default: only the top level).
    pub recurse: bool,
    /// Only files matching this glob (relative to the source path).
    pub include: Option<String>,
    /// Never files matching this glob; wins over `include`.
    pub exclude: Option<String>,
}

/// Files marked with this string are skipped, as Argo CD does.
const SKIP_MARKER: &str = "+argocd:skip-file-rendering";

/// Renders a directory source at `path` of `view`.
pub fn render_directory(
    view: &RepoView,
    path: &RepoPath,
    opts: &DirectoryOptions,
) -> Result<Vec<Object>, RenderError> {
    let include = opts.include.as_deref().map(matcher).transpose()?;
    let exclude = opts.exclude.as_deref().map(matcher).transpose()?;
    let files = if opts.recurse {
        view.walk_files(path)?
    } else {
        let mut files = Vec::new();
        for entry in view.list_dir(path)? {
            if entry.kind != EntryKind::Dir {
                files.push(path.join(&entry.name)?);
            }
        }
        files
    };
    let mut objects = Vec::new();
    for file in files {
        let Some(ext) = file.extension().map(str::to_ascii_lowercase) else {
            continue;
        };
        let rel = file.strip_prefix(path).unwrap_or(file.as_str());
        if !matches!(ext.as_str(), "yaml" | "yml" | "json" | "jsonnet") {
            continue;
        }
        if include.as_ref().is_some_and(|m| !m.is_match(rel))
            || exclude.as_ref().is_some_and(|m| m.is_match(rel))
        {
            continue;
        }
        if ext == "jsonnet" {
            return Err(RenderError::Unsupported(format!(
                "{file}: jsonnet sources are not supported"
            )));
        }
        let text = view.read_to_string(&file)?;
        if text.contains(SKIP_MARKER) {
            continue;
        }
        objects.extend(parse_directory_file(file.as_str(), &text, ext == "json")?);
    }
    Ok(objects)
}

/// Argo CD matches these globs with no path separator, so `*` also crosses `/`.
fn matcher(pattern: &str) -> Result<GlobMatcher, RenderError> {
    Glob::new(pattern)
        .map(|g| g.compile_matcher())
        .map_err(|e| RenderError::Unsupported(format!("invalid directory glob {pattern:?}: {e}")))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn star_crosses_slashes_and_alternation_works() {
        let m = matcher("*.yaml").unwrap();
        assert!(m.is_match("a.yaml") && m.is_match("sub/dir/b.yaml"));
        let m = matcher("{config,secrets}/*").unwrap();
        assert!(
            m.is_match("config/a.yaml")
                && m.is_match("secrets/x/y.json")
                && !m.is_match("other/a.yaml")
        );
    }
}
