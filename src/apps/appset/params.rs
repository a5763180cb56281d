//! Parameter sets: what generators produce and templates consume, plus the value formatting Argo
//! CD applies when it flattens them (`fmt.Sprintf("%v")` of JSON-decoded values).

use std::collections::BTreeMap;

use serde_json::Value;

/// One parameter set. In fasttemplate mode values are strings under flattened keys
/// (`path.basename`); in goTemplate mode they are nested maps (`.path.basename`).
pub type Params = serde_json::Map<String, Value>;

/// Argo CD's `normalize` / `SanitizeName`: lower case, characters outside `[-a-z0-9.]` become
/// `-`, at most 253 bytes, no leading or trailing `-` or `.`.
pub fn sanitize_name(name: &str) -> String {
    let mapped: String = name
        .to_lowercase()
        .chars()
        .map(|c| {
            if c.is_ascii_lowercase() || c.is_ascii_digit() || c == '-' || c == '.' {
                c
            } else {
                '-'
            }
        })
        .collect();
    let cut = if mapped.len() > 253 {
        &mapped[..253]
    } else {
        &mapped
    };
    cut.trim_matches(['-', '.']).to_string()
}

/// `fmt.Sprintf("%v", v)` of a JSON-decoded value (numbers are float64 in Go: `1e+06`).
pub fn go_sprint(v: &Value) -> String {
    // Parameters come from files already in memory; their printed form is not capped.
    gotemplate::Value::from_json(v)
        .fmt_v(usize::MAX)
        .unwrap_or_default()
}

/// jeremywohl/flatten with dot style, values formatted with `%v`: nested maps and lists become
/// `a.b` / `a.0` keys; empty maps and lists vanish, as there.
pub fn flatten(v: &Params) -> BTreeMap<String, String> {
    let mut out = BTreeMap::new();
    for (k, v) in v {
        flatten_into(k, v, &mut out);
    }
    out
}

fn flatten_into(prefix: &str, v: &Value, out: &mut BTreeMap<String, String>) {
    match v {
        Value::Object(m) => {
            for (k, v) in m {
                flatten_into(&format!("{prefix}.{k}"), v, out);
            }
        }
        Value::Array(a) => {
            for (i, v) in a.iter().enumerate() {
                flatten_into(&format!("{prefix}.{i}"), v, out);
            }
        }
        other => {
            out.insert(prefix.to_string(), go_sprint(other));
        }
    }
}

/// Builds a parameter set from string pairs.
#[cfg(test)]
pub fn from_pairs<'a>(pairs: impl IntoIterator<Item = (&'a str, String)>) -> Params {
    pairs
        .into_iter()
        .map(|(k, v)| (k.to_string(), Value::String(v)))
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn sanitize_matches_argo_normalize() {
        assert_eq!(sanitize_name("My_Cluster.Prod!"), "my-cluster.prod");
        assert_eq!(sanitize_name("--a--"), "a");
        assert_eq!(sanitize_name(&"x".repeat(300)).len(), 253);
    }

    #[test]
    fn flatten_uses_dots_and_go_number_format() {
        let p = json!({"a": {"b": 1, "c": [true, "x"]}, "big": 2000000, "e": {}})
            .as_object()
            .cloned()
            .unwrap();
        let flat = flatten(&p);
        assert_eq!(flat["a.b"], "1");
        assert_eq!(flat["a.c.0"], "true");
        assert_eq!(flat["a.c.1"], "x");
        assert_eq!(flat["big"], "2e+06");
        assert!(!flat.contains_key("e"));
    }
}
