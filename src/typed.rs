//! Typed structs read out of manifests, with errors in the author's terms: the field path and
//! what it must be (`spec.source.repoURL must be a string, not a number`), never serde's
//! `invalid type: integer `5`, expected a string` with no field named.
//!
//! serde_json reports where it failed only as a line and column of text, so the value is
//! written out one field per line, with the path of every line recorded, and read back from
//! that text: the failing line names the field.

use serde::de::DeserializeOwned;
use serde_json::Value;

/// Why a manifest is not of the expected type.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{}{message}", if path.is_empty() { String::new() } else { format!("{path} ") })]
pub struct TypeError {
    /// The field (`spec.source.repoURL`, `spec.sources[1].path`); empty for the whole document.
    pub path: String,
    /// What is wrong with it (`must be a string, not a number`).
    pub message: String,
}

/// Reads `T` out of `value`; on failure, names the field and says what it must be.
pub fn from_value<T: DeserializeOwned>(value: &Value) -> Result<T, TypeError> {
    let (text, paths) = lines_with_paths(value);
    serde_json::from_str(&text).map_err(|e| {
        let path = e
            .line()
            .checked_sub(1)
            .and_then(|l| paths.get(l))
            .cloned()
            .unwrap_or_default();
        let raw = e.to_string();
        let raw = raw.split(" at line ").next().unwrap_or_default();
        TypeError {
            message: in_user_terms(raw, &path),
            path: match raw.strip_prefix("missing field ") {
                Some(_) => String::new(),
                None => path,
            },
        }
    })
}

/// `value` as JSON with one field or item per line, and the field path of each line.
fn lines_with_paths(value: &Value) -> (String, Vec<String>) {
    fn write(v: &Value, path: &str, text: &mut String, paths: &mut Vec<String>) {
        match v {
            Value::Object(map) => {
                text.push('{');
                for (i, (k, child)) in map.iter().enumerate() {
                    let child_path = if path.is_empty() {
                        k.clone()
                    } else {
                        format!("{path}.{k}")
                    };
                    text.push_str(if i == 0 { "\n" } else { ",\n" });
                    paths.push(child_path.clone());
                    text.push_str(&Value::String(k.clone()).to_string());
                    text.push(':');
                    write(child, &child_path, text, paths);
                }
                text.push('\n');
                paths.push(path.to_string());
                text.push('}');
            }
            Value::Array(items) => {
                text.push('[');
                for (i, child) in items.iter().enumerate() {
                    let child_path = format!("{path}[{i}]");
                    text.push_str(if i == 0 { "\n" } else { ",\n" });
                    paths.push(child_path.clone());
                    write(child, &child_path, text, paths);
                }
                text.push('\n');
                paths.push(path.to_string());
                text.push(']');
            }
            scalar => text.push_str(&scalar.to_string()),
        }
    }
    let mut text = String::new();
    // Line 1 holds the opening of the document.
    let mut paths = vec![String::new()];
    write(value, "", &mut text, &mut paths);
    (text, paths)
}

/// serde's wording, turned into the author's.
fn in_user_terms(raw: &str, path: &str) -> String {
    if let Some(rest) = raw.strip_prefix("invalid type: ")
        && let Some((found, expected)) = rest.split_once(", expected ")
    {
        return format!(
            "must be {}, not {}",
            expected_word(expected),
            found_word(found)
        );
    }
    if let Some(field) = raw.strip_prefix("missing field ") {
        let field = field.trim_matches('`');
        let full = if path.is_empty() {
            field.to_string()
        } else {
            format!("{path}.{field}")
        };
        return format!("{full} is required");
    }
    raw.to_string()
}

fn found_word(found: &str) -> String {
    let kind = found.split_once(' ').map_or(found, |(k, _)| k);
    match kind {
        "boolean" => "a boolean".into(),
        "integer" | "floating" => "a number".into(),
        "string" => "a string".into(),
        "sequence" => "a list".into(),
        "map" => "a mapping".into(),
        "unit" | "null" => "null".into(),
        _ => found.to_string(),
    }
}

fn expected_word(expected: &str) -> String {
    match expected {
        "a sequence" => "a list".into(),
        "a map" => "a mapping".into(),
        e if e.starts_with("struct ") => "a mapping".into(),
        "a boolean" => "a boolean (true or false)".into(),
        e if matches!(
            e,
            "i8" | "i16" | "i32" | "i64" | "u8" | "u16" | "u32" | "u64" | "f32" | "f64"
        ) || e.starts_with("an integer")
            || e.starts_with("a number") =>
        {
            "a number".into()
        }
        e => e.to_string(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde::Deserialize;
    use serde_json::json;

    #[derive(Debug, Deserialize)]
    #[allow(dead_code)]
    struct Doc {
        metadata: Meta,
        #[serde(default)]
        spec: Spec,
    }

    #[derive(Debug, Deserialize)]
    #[allow(dead_code)]
    struct Meta {
        name: String,
    }

    #[derive(Debug, Default, Deserialize)]
    #[allow(dead_code)]
    struct Spec {
        #[serde(default)]
        sources: Vec<Source>,
        #[serde(default)]
        wave: Option<i64>,
    }

    #[derive(Debug, Default, Deserialize)]
    #[allow(dead_code)]
    struct Source {
        #[serde(rename = "repoURL", default)]
        repo_url: String,
        #[serde(default)]
        path: Option<String>,
    }

    fn err(v: Value) -> String {
        from_value::<Doc>(&v).unwrap_err().to_string()
    }

    #[test]
    fn the_failing_field_is_named_with_what_it_must_be() {
        assert_eq!(
            err(json!({"metadata": {"name": "a"}, "spec": {"sources": [{}, {"repoURL": 5}]}})),
            "spec.sources[1].repoURL must be a string, not a number"
        );
        assert_eq!(
            err(json!({"metadata": {"name": "a"}, "spec": {"sources": [{"path": ["x"]}]}})),
            "spec.sources[0].path must be a string, not a list"
        );
        assert_eq!(
            err(json!({"metadata": "str"})),
            "metadata must be a mapping, not a string"
        );
        assert_eq!(
            err(json!({"metadata": {"name": "a"}, "spec": {"wave": "one"}})),
            "spec.wave must be a number, not a string"
        );
        assert_eq!(
            err(json!({"metadata": {"name": "a"}, "spec": {"sources": {"repoURL": "x"}}})),
            "spec.sources must be a list, not a mapping"
        );
    }

    #[test]
    fn a_missing_required_field_is_named_once() {
        assert_eq!(err(json!({"spec": {}})), "metadata is required");
        assert_eq!(err(json!({"metadata": {}})), "metadata.name is required");
    }

    #[test]
    fn keys_that_need_escaping_still_read_back() {
        let v = json!({"metadata": {"name": "a\"b\nc"}});
        assert_eq!(from_value::<Doc>(&v).unwrap().metadata.name, "a\"b\nc");
    }
}
