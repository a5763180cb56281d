//! All YAML reading and writing, with Kubernetes' scalar rules.
//!
//! Kubernetes reads manifests with a YAML 1.1 resolver (sigs.k8s.io/yaml over go-yaml v2):
//! `0644` is the octal number 420, unquoted `yes`/`on`/`y` are booleans, anchors and merge keys
//! apply. serde-saphyr does the same once `legacy_octal_numbers` is on, and its writer quotes every
//! string that a YAML 1.1 reader would take for something else. Keeping every YAML call in this
//! module means that rule is set once.

use serde::Serialize;
use serde_json::Value;

/// A YAML text that could not be read or a value that could not be written.
#[derive(Debug, thiserror::Error)]
pub enum YamlError {
    /// The text is not valid YAML (the message carries line and column).
    #[error("{0}")]
    Parse(String),
    /// A value could not be written as YAML.
    #[error("cannot write YAML: {0}")]
    Write(String),
}

fn read_options() -> serde_saphyr::Options {
    serde_saphyr::options! {
        legacy_octal_numbers: true,
        with_snippet: false,
    }
}

/// Parses a (possibly multi-document) YAML text; empty documents are skipped, like kubectl does.
pub fn parse_documents(text: &str) -> Result<Vec<Value>, YamlError> {
    serde_saphyr::from_multiple_with_options::<Value>(text, read_options())
        .map_err(|e| YamlError::Parse(one_line(&e.to_string())))
}

/// Parses a single YAML document into any deserialisable type (kubeconfig-like files, values).
pub fn parse_one<T: serde::de::DeserializeOwned>(text: &str) -> Result<T, YamlError> {
    serde_saphyr::from_str_with_options::<T>(text, read_options())
        .map_err(|e| YamlError::Parse(one_line(&e.to_string())))
}

/// Writes one value as a YAML document (no leading `---`).
pub fn to_string<T: Serialize>(value: &T) -> Result<String, YamlError> {
    serde_saphyr::to_string(value).map_err(|e| YamlError::Write(e.to_string()))
}

/// Writes values as a multi-document stream, `---` between documents, as `kubectl get -o yaml` does
/// for lists flattened into documents.
pub fn to_documents(values: &[Value]) -> Result<String, YamlError> {
    let mut out = String::new();
    for (i, v) in values.iter().enumerate() {
        if i > 0 {
            out.push_str("---\n");
        }
        let doc = to_string(v)?;
        out.push_str(&doc);
        if !doc.ends_with('\n') {
            out.push('\n');
        }
    }
    Ok(out)
}

/// Error texts from the parser may span lines; one line keeps our error reports greppable.
fn one_line(s: &str) -> String {
    s.split_whitespace().collect::<Vec<_>>().join(" ")
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn one(text: &str) -> Value {
        let mut docs = parse_documents(text).unwrap();
        assert_eq!(docs.len(), 1, "{text}");
        docs.remove(0)
    }

    #[test]
    fn legacy_octal_file_mode_is_a_number() {
        assert_eq!(one("defaultMode: 0644")["defaultMode"], json!(420));
        assert_eq!(one("m: 0755")["m"], json!(493));
    }

    #[test]
    fn yaml11_booleans_unquoted_but_strings_when_quoted() {
        let v = one("a: yes\nb: no\nc: on\nd: off\ne: 'yes'\nf: \"on\"\ng: y\nh: True");
        assert_eq!(v["a"], json!(true));
        assert_eq!(v["b"], json!(false));
        assert_eq!(v["c"], json!(true));
        assert_eq!(v["d"], json!(false));
        assert_eq!(v["e"], json!("yes"));
        assert_eq!(v["f"], json!("on"));
        assert_eq!(v["g"], json!(true));
        assert_eq!(v["h"], json!(true));
    }

    #[test]
    fn anchors_aliases_and_merge_keys_apply() {
        let v = one("base: &b {cpu: 1, mem: 2}\nlimits:\n  <<: *b\n  mem: 3\ncopy: *b\n");
        assert_eq!(v["limits"], json!({"cpu": 1, "mem": 3}));
        assert_eq!(v["copy"], json!({"cpu": 1, "mem": 2}));
    }

    #[test]
    fn empty_documents_are_skipped() {
        let docs = parse_documents("---\na: 1\n---\n---\nb: 2\n---\n").unwrap();
        assert_eq!(docs, vec![json!({"a": 1}), json!({"b": 2})]);
    }

    #[test]
    fn malformed_yaml_reports_a_location() {
        let err = parse_documents("a: [1, 2\nb: c\n").unwrap_err().to_string();
        assert!(err.contains("line"), "{err}");
    }

    #[test]
    fn written_strings_read_back_as_the_same_strings() {
        let tricky = [
            "yes",
            "no",
            "on",
            "off",
            "y",
            "n",
            "Y",
            "NO",
            "true",
            "null",
            "~",
            "",
            "0644",
            "0x1F",
            "1e3",
            "1_000",
            "12:30",
            ".5",
            "08",
            "+1",
            "1.0",
            "-",
            "- a",
            "a: b",
            "#x",
            "*a",
            "&a",
            "!t",
            "%x",
            "@x",
            "`x",
            ".inf",
            "NaN",
            "<<",
            "  lead",
            "multi\nline\n",
            "no-newline\nx",
        ];
        let v = json!({ "data": tricky.to_vec() });
        let text = to_string(&v).unwrap();
        assert_eq!(one(&text), v, "written as:\n{text}");
    }

    #[test]
    fn numbers_and_booleans_stay_unquoted() {
        let text = to_string(&json!({"mode": 420, "on": true, "ratio": 1.5})).unwrap();
        assert!(text.contains("mode: 420"), "{text}");
        assert!(text.contains(": true"), "{text}");
        assert!(text.contains("ratio: 1.5"), "{text}");
    }

    #[test]
    fn documents_are_separated() {
        let text = to_documents(&[json!({"a": 1}), json!({"b": 2})]).unwrap();
        assert_eq!(text, "a: 1\n---\nb: 2\n");
    }
}
