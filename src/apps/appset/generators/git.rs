//! The git generator: one parameter set per matching directory, or per object in each matching
//! YAML/JSON file, read through [`GitFiles`](crate::apps::appset::GitFiles).

use std::collections::BTreeMap;

use serde_json::{Map, Value};

use super::{GenCtx, append_values, str_field};
use crate::apps::appset::error::{GenCause, GenError, GitFileError, GitReadError};
use crate::apps::appset::glob::{git_pathspec_match, path_match};
use crate::apps::appset::params::{Params, flatten, sanitize_name};

const KIND: &str = "git";

struct Spec<'a> {
    repo_url: &'a str,
    revision: &'a str,
    prefix: &'a str,
    values: Option<&'a Value>,
}

/// One `directories[]` / `files[]` entry.
struct PathItem {
    path: String,
    exclude: bool,
}

fn git_error(spec: &Spec, source: GitReadError) -> GenError {
    GenError::new(
        KIND,
        GenCause::Git {
            repo_url: spec.repo_url.to_string(),
            revision: spec.revision.to_string(),
            source: Box::new(source),
        },
    )
}

fn path_items(v: Option<&Value>, field: &str) -> Result<Vec<PathItem>, GenError> {
    let Some(v) = v.filter(|v| !v.is_null()) else {
        return Ok(Vec::new());
    };
    let items = v
        .as_array()
        .ok_or_else(|| GenError::invalid(KIND, format!("{field} must be a list")))?;
    items
        .iter()
        .enumerate()
        .map(|(i, item)| {
            let path = item.get("path").and_then(Value::as_str).ok_or_else(|| {
                GenError::invalid(KIND, format!("{field}[{i}].path must be a string"))
            })?;
            Ok(PathItem {
                path: path.to_string(),
                exclude: item
                    .get("exclude")
                    .and_then(Value::as_bool)
                    .unwrap_or(false),
            })
        })
        .collect()
}

/// Parameter sets of a `git` generator spec.
pub fn generate(spec_value: &Value, cx: &GenCtx) -> Result<Vec<Params>, GenError> {
    let spec = Spec {
        repo_url: str_field(spec_value, "repoURL", KIND)?,
        revision: str_field(spec_value, "revision", KIND)?,
        prefix: str_field(spec_value, "pathParamPrefix", KIND)?,
        values: spec_value.get("values"),
    };
    let directories = path_items(spec_value.get("directories"), "directories")?;
    let files = path_items(spec_value.get("files"), "files")?;
    if !directories.is_empty() {
        directory_params(&spec, &directories, cx)
    } else if !files.is_empty() {
        file_params(&spec, &files, cx)
    } else {
        Err(GenError::invalid(
            KIND,
            "needs directories or files (generator is empty)",
        ))
    }
}

/// Every directory holding a file, depth-first in name order as Go's `filepath.WalkDir` visits
/// a checkout; directories whose name starts with `.` are skipped with everything below them.
pub fn walk_directories(files: &[String]) -> Vec<String> {
    #[derive(Default)]
    struct Dir(BTreeMap<String, Dir>);
    let mut root = Dir::default();
    for f in files {
        let mut parts: Vec<&str> = f.split('/').filter(|p| !p.is_empty()).collect();
        parts.pop();
        let mut node = &mut root;
        for p in parts {
            node = node.0.entry(p.to_string()).or_default();
        }
    }
    fn walk(node: &Dir, prefix: &str, out: &mut Vec<String>) {
        for (name, child) in &node.0 {
            if name.starts_with('.') {
                continue;
            }
            let path = if prefix.is_empty() {
                name.clone()
            } else {
                format!("{prefix}/{name}")
            };
            out.push(path.clone());
            walk(child, &path, out);
        }
    }
    let mut out = Vec::new();
    walk(&root, "", &mut out);
    out
}

fn directory_params(spec: &Spec, items: &[PathItem], cx: &GenCtx) -> Result<Vec<Params>, GenError> {
    let all = cx
        .git
        .files(spec.repo_url, spec.revision)
        .map_err(|e| git_error(spec, GitReadError::List(e)))?;
    let mut out = Vec::new();
    for dir in walk_directories(&all) {
        let mut include = false;
        let mut exclude = false;
        for item in items {
            // A malformed pattern is skipped, as Argo CD logs and continues.
            if path_match(&item.path, &dir).unwrap_or(false) {
                if item.exclude {
                    exclude = true;
                } else {
                    include = true;
                }
            }
        }
        if !include || exclude {
            continue;
        }
        let mut params = Params::new();
        if cx.renderer.is_go() {
            let mut p = Map::new();
            p.insert("path".into(), Value::String(dir.clone()));
            p.insert("basename".into(), Value::String(go_base(&dir)));
            p.insert(
                "basenameNormalized".into(),
                Value::String(sanitize_name(&go_base(&dir))),
            );
            p.insert("segments".into(), segments(&dir));
            insert_path_map(&mut params, spec.prefix, p);
        } else {
            let name = path_param_name(spec.prefix);
            params.insert(name.clone(), Value::String(dir.clone()));
            params.insert(format!("{name}.basename"), Value::String(go_base(&dir)));
            params.insert(
                format!("{name}.basenameNormalized"),
                Value::String(sanitize_name(&go_base(&dir))),
            );
            insert_indexed_segments(&mut params, &name, &dir);
        }
        append_values(spec.values, &mut params, cx, KIND)?;
        out.push(params);
        if out.len() > super::MAX_PARAM_SETS {
            return Err(super::too_many(KIND));
        }
    }
    Ok(out)
}

fn file_params(spec: &Spec, items: &[PathItem], cx: &GenCtx) -> Result<Vec<Params>, GenError> {
    let all = cx
        .git
        .files(spec.repo_url, spec.revision)
        .map_err(|e| git_error(spec, GitReadError::List(e)))?;
    let mut selected: Vec<&String> = all
        .iter()
        .filter(|f| {
            items
                .iter()
                .any(|i| !i.exclude && git_pathspec_match(&i.path, f))
                && !items
                    .iter()
                    .any(|i| i.exclude && git_pathspec_match(&i.path, f))
        })
        .collect();
    selected.sort();
    selected.dedup();
    let mut out = Vec::new();
    for file in selected {
        let bytes = cx
            .git
            .read(spec.repo_url, spec.revision, file)
            .map_err(|source| {
                git_error(
                    spec,
                    GitReadError::Read {
                        file: file.clone(),
                        source,
                    },
                )
            })?;
        let objects = parse_file(&bytes).map_err(|source| {
            git_error(
                spec,
                GitReadError::Process {
                    file: file.clone(),
                    source,
                },
            )
        })?;
        for obj in objects {
            out.push(file_param_set(spec, file, obj, cx)?);
            if out.len() > super::MAX_PARAM_SETS {
                return Err(super::too_many(KIND));
            }
        }
    }
    Ok(out)
}

/// A file holds one object or a list of objects (an empty file is one empty object).
fn parse_file(bytes: &[u8]) -> Result<Vec<Params>, GitFileError> {
    let text = std::str::from_utf8(bytes).map_err(GitFileError::NotUtf8)?;
    // JSON first: tab-indented JSON is valid JSON but not valid block YAML.
    let trimmed = text.trim_start();
    let json = if trimmed.starts_with('{') || trimmed.starts_with('[') {
        serde_json::from_str::<Value>(text).ok()
    } else {
        None
    };
    let first = match json {
        Some(v) => Some(v),
        None => crate::yaml::parse_documents(text)
            .map_err(GitFileError::Syntax)?
            .into_iter()
            .next(),
    };
    match first {
        None | Some(Value::Null) => Ok(vec![Params::new()]),
        Some(Value::Object(m)) => Ok(vec![m]),
        Some(Value::Array(items)) => items
            .into_iter()
            .map(|item| match item {
                Value::Object(m) => Ok(m),
                Value::Null => Ok(Params::new()),
                _ => Err(GitFileError::ElementNotAMap),
            })
            .collect(),
        Some(_) => Err(GitFileError::NotAMap),
    }
}

fn file_param_set(spec: &Spec, file: &str, obj: Params, cx: &GenCtx) -> Result<Params, GenError> {
    let dir = go_dir(file);
    let filename = go_base(file);
    let mut params;
    if cx.renderer.is_go() {
        params = obj;
        let mut p = Map::new();
        p.insert("path".into(), Value::String(dir.clone()));
        p.insert("basename".into(), Value::String(go_base(&dir)));
        p.insert("filename".into(), Value::String(filename.clone()));
        p.insert(
            "basenameNormalized".into(),
            Value::String(sanitize_name(&go_base(&dir))),
        );
        p.insert(
            "filenameNormalized".into(),
            Value::String(sanitize_name(&filename)),
        );
        p.insert("segments".into(), segments(&dir));
        insert_path_map(&mut params, spec.prefix, p);
    } else {
        params = flatten(&obj)
            .into_iter()
            .map(|(k, v)| (k, Value::String(v)))
            .collect();
        let name = path_param_name(spec.prefix);
        params.insert(name.clone(), Value::String(dir.clone()));
        params.insert(format!("{name}.basename"), Value::String(go_base(&dir)));
        params.insert(format!("{name}.filename"), Value::String(filename.clone()));
        params.insert(
            format!("{name}.basenameNormalized"),
            Value::String(sanitize_name(&go_base(&dir))),
        );
        params.insert(
            format!("{name}.filenameNormalized"),
            Value::String(sanitize_name(&filename)),
        );
        insert_indexed_segments(&mut params, &name, &dir);
    }
    append_values(spec.values, &mut params, cx, KIND)?;
    Ok(params)
}

fn path_param_name(prefix: &str) -> String {
    if prefix.is_empty() {
        "path".to_string()
    } else {
        format!("{prefix}.path")
    }
}

/// goTemplate: `.path.*`, or `.<prefix>.path.*` with `pathParamPrefix`.
fn insert_path_map(params: &mut Params, prefix: &str, path: Map<String, Value>) {
    if prefix.is_empty() {
        params.insert("path".into(), Value::Object(path));
    } else {
        let mut wrapper = Map::new();
        wrapper.insert("path".into(), Value::Object(path));
        params.insert(prefix.to_string(), Value::Object(wrapper));
    }
}

fn segments(dir: &str) -> Value {
    Value::Array(
        dir.split('/')
            .map(|s| Value::String(s.to_string()))
            .collect(),
    )
}

/// fasttemplate: `path[0]`, `path[1]`, ... for the non-empty segments (indexes kept).
fn insert_indexed_segments(params: &mut Params, name: &str, dir: &str) {
    for (i, seg) in dir.split('/').enumerate() {
        if !seg.is_empty() {
            params.insert(format!("{name}[{i}]"), Value::String(seg.to_string()));
        }
    }
}

/// Go's `path.Base`.
fn go_base(p: &str) -> String {
    if p.is_empty() {
        return ".".to_string();
    }
    let trimmed = p.trim_end_matches('/');
    if trimmed.is_empty() {
        return "/".to_string();
    }
    trimmed.rsplit('/').next().unwrap_or(trimmed).to_string()
}

/// Go's `path.Dir` for the clean relative paths a repository listing holds.
fn go_dir(p: &str) -> String {
    match p.rfind('/') {
        None => ".".to_string(),
        Some(0) => "/".to_string(),
        Some(i) => p[..i].trim_end_matches('/').to_string(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn directories_walk_depth_first_and_skip_dot_dirs() {
        let files: Vec<String> = [
            "README.md",
            "a-c/x.yaml",
            "a/b/k.yaml",
            "a/z.yaml",
            ".github/workflows/ci.yaml",
            "apps/.hidden/x.yaml",
        ]
        .iter()
        .map(|s| s.to_string())
        .collect();
        assert_eq!(walk_directories(&files), vec!["a", "a/b", "a-c", "apps"]);
    }

    #[test]
    fn go_path_helpers() {
        assert_eq!(go_base("apps/web"), "web");
        assert_eq!(go_dir("apps/web/config.json"), "apps/web");
        assert_eq!(go_dir("config.json"), ".");
        assert_eq!(go_base("."), ".");
    }
}
