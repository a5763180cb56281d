//! `spec.templatePatch`: a rendered YAML/JSON document applied to each generated Application the
//! way Argo CD applies it (a strategic merge patch on the Application type, whose only
//! merge-keyed list is `metadata.finalizers`), after which `spec.project` is put back so a patch
//! cannot move an Application to another project.

use serde_json::{Map, Value};

use super::error::PatchError;

/// Parses a rendered patch; an empty document is no patch.
pub fn parse_patch(text: &str) -> Result<Option<Map<String, Value>>, PatchError> {
    let docs = crate::yaml::parse_documents(text).map_err(PatchError::Yaml)?;
    match docs.into_iter().next() {
        None | Some(Value::Null) => Ok(None),
        Some(Value::Object(m)) => Ok(Some(m)),
        Some(other) => Err(PatchError::NotAMap {
            got: match other {
                Value::Array(_) => "a list",
                Value::String(_) => "a string",
                _ => "a scalar",
            },
        }),
    }
}

/// Applies `patch` to the Application `app` in place.
pub fn apply(app: &mut Value, patch: &Map<String, Value>) {
    let project = app.pointer("/spec/project").cloned();
    if let Value::Object(target) = app {
        merge_map(target, patch, "");
    }
    match (project, app.pointer_mut("/spec")) {
        (Some(p), Some(Value::Object(spec))) => {
            spec.insert("project".to_string(), p);
        }
        (None, Some(Value::Object(spec))) => {
            spec.remove("project");
        }
        _ => {}
    }
}

fn merge_map(target: &mut Map<String, Value>, patch: &Map<String, Value>, path: &str) {
    match patch.get("$patch").and_then(Value::as_str) {
        Some("replace") => {
            *target = patch
                .iter()
                .filter(|(k, _)| k.as_str() != "$patch")
                .map(|(k, v)| (k.clone(), v.clone()))
                .collect();
            return;
        }
        Some("delete") => {
            target.clear();
            return;
        }
        _ => {}
    }
    for (k, pv) in patch {
        if k.starts_with('$') {
            continue;
        }
        let child_path = format!("{path}/{k}");
        match pv {
            Value::Null => {
                target.remove(k);
            }
            Value::Object(pm) => match target.get_mut(k) {
                Some(Value::Object(tm)) => merge_map(tm, pm, &child_path),
                _ => {
                    let mut fresh = Map::new();
                    merge_map(&mut fresh, pm, &child_path);
                    target.insert(k.clone(), Value::Object(fresh));
                }
            },
            Value::Array(items) if child_path == "/metadata/finalizers" => {
                // ObjectMeta.finalizers has patchStrategy "merge": a union, original order first.
                let mut merged = match target.get(k) {
                    Some(Value::Array(existing)) => existing.clone(),
                    _ => Vec::new(),
                };
                for item in items {
                    if !merged.contains(item) {
                        merged.push(item.clone());
                    }
                }
                target.insert(k.clone(), Value::Array(merged));
            }
            other => {
                target.insert(k.clone(), other.clone());
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn maps_merge_lists_replace_nulls_delete() {
        let mut app = json!({
            "metadata": {"name": "a", "labels": {"x": "1"}, "finalizers": ["f1"]},
            "spec": {"project": "default", "source": {"repoURL": "r", "helm": {"valueFiles": ["a.yaml"]}}, "syncPolicy": {"automated": {}}}
        });
        let patch = parse_patch(
            "metadata:\n  labels:\n    y: '2'\n  finalizers: [f2]\nspec:\n  project: evil\n  source:\n    helm:\n      valueFiles: [b.yaml]\n  syncPolicy: null\n",
        )
        .unwrap()
        .unwrap();
        apply(&mut app, &patch);
        assert_eq!(
            app,
            json!({
                "metadata": {"name": "a", "labels": {"x": "1", "y": "2"}, "finalizers": ["f1", "f2"]},
                "spec": {"project": "default", "source": {"repoURL": "r", "helm": {"valueFiles": ["b.yaml"]}}}
            })
        );
    }

    #[test]
    fn empty_patch_is_none_and_lists_are_rejected() {
        assert!(parse_patch("").unwrap().is_none());
        assert!(parse_patch("- a").is_err());
    }
}
