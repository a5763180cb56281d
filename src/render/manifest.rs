//! Turning the bytes of one manifest file (YAML or JSON) into validated objects.

use serde_json::Value;

use super::object::{ManifestError, Object, Origin};
use crate::yaml;

/// Why a manifest file could not be turned into objects.
#[derive(Debug, thiserror::Error)]
pub enum ParseError {
    /// The file is not valid YAML/JSON.
    #[error("{file}: invalid {format}: {message}")]
    Syntax {
        /// The file.
        file: String,
        /// `YAML` or `JSON`.
        format: &'static str,
        /// The parser's message (with line and column).
        message: String,
    },
    /// A document is not a valid object.
    #[error(transparent)]
    Manifest(#[from] ManifestError),
}

/// Parses a manifest stream; `List` kinds are flattened into their items, as kubectl does.
/// Files from a repository are refused past [`yaml::MAX_FILE_BYTES`].
pub fn parse_objects(file: &str, text: &str, json: bool) -> Result<Vec<Object>, ParseError> {
    if text.len() > yaml::MAX_FILE_BYTES {
        return Err(ParseError::Syntax {
            file: file.into(),
            format: if json { "JSON" } else { "YAML" },
            message: format!(
                "file too large (limit {} MiB)",
                yaml::MAX_FILE_BYTES / (1024 * 1024)
            ),
        });
    }
    parse_stream(file, text, json)
}

/// Parses what a renderer printed (already bounded by the renderer's output cap, so a chart's
/// output may be larger than one manifest file may be).
pub fn parse_stream(file: &str, text: &str, json: bool) -> Result<Vec<Object>, ParseError> {
    let docs = if json {
        serde_json::from_str::<Value>(text)
            .map(|v| vec![v])
            .map_err(|e| ParseError::Syntax {
                file: file.into(),
                format: "JSON",
                message: e.to_string(),
            })?
    } else {
        yaml::parse_documents(text).map_err(|e| ParseError::Syntax {
            file: file.into(),
            format: "YAML",
            message: e.to_string(),
        })?
    };
    let mut out = Vec::with_capacity(docs.len());
    for (i, doc) in docs.into_iter().enumerate() {
        let origin = Origin {
            file: file.to_string(),
            doc: i + 1,
        };
        push_document(doc, origin, &mut out)?;
    }
    Ok(out)
}

/// Parses one file of a directory source as Argo CD's repo server does (`findManifests` in
/// `reposerver/repository/repository.go`): documents are decoded one at a time as Kubernetes
/// objects (a mapping with a `kind`). When one fails (invalid YAML, a list, a scalar, a mapping
/// without `kind`) after objects were read, the file is an error; when nothing was read yet,
/// the file is an error only if it looks like a manifest (it contains `apiVersion:`, `kind:`
/// and `metadata:`), and is otherwise skipped as unrelated YAML: a chart's `values.yaml`, a
/// Helm `index.yaml`, a list of settings. JSON files must hold one object, as in Argo CD.
pub fn parse_directory_file(file: &str, text: &str, json: bool) -> Result<Vec<Object>, ParseError> {
    if json || text.len() > yaml::MAX_FILE_BYTES {
        return parse_objects(file, text, json);
    }
    let (docs, syntax) = yaml::parse_documents_until_error(text);
    let mut decoded = Vec::with_capacity(docs.len());
    // A breached limit (an alias bomb, absurd nesting) is hostile, not unrelated YAML.
    let hostile = matches!(syntax, Some(yaml::YamlError::Limit(_)));
    let mut failure: Option<ParseError> = syntax.map(|e| ParseError::Syntax {
        file: file.into(),
        format: "YAML",
        message: e.to_string(),
    });
    for (i, doc) in docs.into_iter().enumerate() {
        let origin = Origin {
            file: file.to_string(),
            doc: i + 1,
        };
        match doc.get("kind") {
            Some(Value::String(k)) if !k.is_empty() => decoded.push((doc, origin)),
            _ => {
                failure = Some(ParseError::Manifest(if doc.is_object() {
                    ManifestError::MissingField {
                        origin,
                        field: "kind",
                    }
                } else {
                    ManifestError::NotAnObject { origin }
                }));
                break;
            }
        }
    }
    if let Some(e) = failure {
        let looks_like_manifest =
            text.contains("apiVersion:") && text.contains("kind:") && text.contains("metadata:");
        if !decoded.is_empty() || looks_like_manifest || hostile {
            return Err(e);
        }
        return Ok(Vec::new());
    }
    let mut out = Vec::with_capacity(decoded.len());
    for (doc, origin) in decoded {
        push_document(doc, origin, &mut out)?;
    }
    Ok(out)
}

/// Adds one document's objects: a `List` is flattened into its items.
fn push_document(doc: Value, origin: Origin, out: &mut Vec<Object>) -> Result<(), ParseError> {
    if is_list(&doc) {
        let items = match doc.get("items") {
            Some(Value::Array(items)) => items.clone(),
            _ => Vec::new(), // `items: null` lists are dropped, as Argo CD does
        };
        for item in items {
            out.push(Object::from_value(item, origin.clone())?);
        }
    } else {
        out.push(Object::from_value(doc, origin)?);
    }
    Ok(())
}

/// `v1/List` and every `*List` kind of the form kubectl accepts (`ConfigMapList`...).
fn is_list(doc: &Value) -> bool {
    let kind = doc.get("kind").and_then(Value::as_str).unwrap_or_default();
    kind.ends_with("List") && doc.get("items").is_some() && doc.pointer("/metadata/name").is_none()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn multi_document_yaml_and_lists_are_flattened() {
        let text = "apiVersion: v1\nkind: ConfigMap\nmetadata: {name: a}\n---\napiVersion: v1\nkind: List\nitems:\n- {apiVersion: v1, kind: ConfigMap, metadata: {name: b}}\n- {apiVersion: v1, kind: Secret, metadata: {name: c}}\n---\napiVersion: v1\nkind: List\nitems: null\n";
        let objs = parse_objects("x.yaml", text, false).unwrap();
        let names: Vec<_> = objs
            .iter()
            .map(|o| (o.name.as_str(), o.origin.doc))
            .collect();
        assert_eq!(names, [("a", 1), ("b", 2), ("c", 2)]);
    }

    #[test]
    fn json_files_hold_one_object() {
        let objs = parse_objects(
            "x.json",
            r#"{"apiVersion":"v1","kind":"ConfigMap","metadata":{"name":"j"}}"#,
            true,
        )
        .unwrap();
        assert_eq!(objs[0].name, "j");
        let err = parse_objects("x.json", "{oops", true)
            .unwrap_err()
            .to_string();
        assert!(err.starts_with("x.json: invalid JSON: "), "{err}");
    }

    #[test]
    fn directory_files_that_are_not_manifests_are_skipped_as_argo_cd_skips_them() {
        let skipped = [
            "replicaCount: 1\nimage: {repository: nginx}\n",
            "apiVersion: v1\nentries:\n  web:\n  - version: 1.0.0\ngenerated: now\n",
            "- a\n- b\n",
            "just a string\n",
            "a: [1\n",
        ];
        for text in skipped {
            assert!(
                parse_directory_file("x.yaml", text, false)
                    .unwrap()
                    .is_empty(),
                "{text}"
            );
        }
        let mut bomb = String::from("a0: &a0 [x, x]\n");
        for i in 1..40 {
            bomb.push_str(&format!("a{i}: &a{i} [*a{}, *a{}]\n", i - 1, i - 1));
        }
        let err = parse_directory_file("bomb.yaml", &bomb, false)
            .unwrap_err()
            .to_string();
        assert!(
            err.contains("alias"),
            "a breached limit is never skipped: {err}"
        );
        // Empty documents are not failures: the manifest after them is read.
        let objs = parse_directory_file(
            "x.yaml",
            "---\n---\napiVersion: v1\nkind: ConfigMap\nmetadata: {name: a}\n",
            false,
        )
        .unwrap();
        assert_eq!(objs.len(), 1);
    }

    #[test]
    fn directory_files_that_look_like_manifests_still_fail() {
        // A manifest with a syntax error.
        let err = parse_directory_file(
            "bad.yaml",
            "apiVersion: v1\nkind: ConfigMap\nmetadata: {name: a\n",
            false,
        )
        .unwrap_err()
        .to_string();
        assert!(err.starts_with("bad.yaml: invalid YAML"), "{err}");
        // A failure after objects were read.
        let err = parse_directory_file(
            "two.yaml",
            "apiVersion: v1\nkind: ConfigMap\nmetadata: {name: a}\n---\nfoo: bar\n",
            false,
        )
        .unwrap_err()
        .to_string();
        assert_eq!(err, "two.yaml (document 2): missing required field kind");
        // A mapping with kind but no name is a manifest with an error, not unrelated YAML.
        let err = parse_directory_file("n.yaml", "apiVersion: v1\nkind: ConfigMap\n", false)
            .unwrap_err()
            .to_string();
        assert!(err.contains("metadata.name"), "{err}");
    }

    #[test]
    fn syntax_and_field_errors_name_the_file_and_document() {
        let err = parse_objects("apps/bad.yaml", "a: [1\n", false)
            .unwrap_err()
            .to_string();
        assert!(err.starts_with("apps/bad.yaml: invalid YAML: "), "{err}");
        let text = "apiVersion: v1\nkind: ConfigMap\nmetadata: {name: ok}\n---\napiVersion: v1\nmetadata: {name: nokind}\n";
        let err = parse_objects("apps/two.yaml", text, false)
            .unwrap_err()
            .to_string();
        assert_eq!(
            err,
            "apps/two.yaml (document 2): missing required field kind"
        );
    }
}
