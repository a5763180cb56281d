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
    /// The text breaks a limit (nesting, size, aliases): hostile or broken input, never
    /// mistaken for unrelated YAML.
    #[error("{0}")]
    Limit(String),
}

/// A parser error as a [`YamlError`]: budget breaches are [`YamlError::Limit`].
fn read_error(e: &serde_saphyr::Error, document: Option<usize>) -> YamlError {
    let mut inner = e;
    while let serde_saphyr::Error::AliasError { error, .. }
    | serde_saphyr::Error::WithSnippet { error, .. } = inner
    {
        inner = error;
    }
    let message = user_terms(e, document);
    if matches!(inner, serde_saphyr::Error::Budget { .. }) {
        YamlError::Limit(message)
    } else {
        YamlError::Parse(message)
    }
}

/// The most a manifest file may weigh. Kubernetes stores objects of at most 1.5 MB, and the
/// largest real manifest files (CRD bundles) are a few megabytes; a repository under review
/// must not make the tool read gigabytes.
pub const MAX_FILE_BYTES: usize = 32 * 1024 * 1024;

/// Nesting deeper than this is refused; kubectl reads 64-deep documents, real ones stay far
/// below, and unbounded nesting would exhaust the stack.
const MAX_DEPTH: usize = 256;

/// Nodes (maps, lists, scalars) in one document: a 2 MB file of 400 ConfigMaps has a few
/// thousand per document; the largest CRDs tens of thousands.
const MAX_NODES_PER_DOCUMENT: usize = 2_000_000;

fn read_options() -> serde_saphyr::Options {
    serde_saphyr::options! {
        legacy_octal_numbers: true,
        with_snippet: false,
        budget: serde_saphyr::budget! {
            max_depth: MAX_DEPTH,
            flow_nesting_limit: MAX_DEPTH,
            max_nodes: MAX_NODES_PER_DOCUMENT,
            max_events: 2 * MAX_NODES_PER_DOCUMENT,
            max_reader_input_bytes: Some(MAX_FILE_BYTES * 8),
            // Anchors are rare in manifests and small when used; an alias bomb is caught early.
            max_recorded_anchor_events: 200_000,
        },
    }
}

/// Parses a (possibly multi-document) YAML text; empty documents are skipped, like kubectl does.
/// Budgets (depth, nodes, aliases) apply per document, so a long stream of small documents
/// (a chart's output) is fine while one document cannot explode.
pub fn parse_documents(text: &str) -> Result<Vec<Value>, YamlError> {
    let mut bytes = text.as_bytes();
    let mut out = Vec::new();
    for (i, doc) in
        serde_saphyr::read_with_options::<_, Value>(&mut bytes, read_options()).enumerate()
    {
        out.push(doc.map_err(|e| YamlError::Parse(user_terms(&e, Some(i + 1))))?);
    }
    Ok(out)
}

/// Parses documents up to the first one that fails: the documents read before it, and its
/// error. Argo CD's repo server decodes a directory source's files a document at a time and
/// decides what a failure means from what came before it (see `render::manifest`).
pub fn parse_documents_until_error(text: &str) -> (Vec<Value>, Option<YamlError>) {
    let mut bytes = text.as_bytes();
    let mut out = Vec::new();
    for (i, doc) in
        serde_saphyr::read_with_options::<_, Value>(&mut bytes, read_options()).enumerate()
    {
        match doc {
            Ok(v) => out.push(v),
            Err(e) => return (out, Some(read_error(&e, Some(i + 1)))),
        }
    }
    (out, None)
}

/// The parser's error in the user's terms: budget breaches name the limit, duplicate keys do
/// not mention the library's options.
fn user_terms(e: &serde_saphyr::Error, document: Option<usize>) -> String {
    use serde_saphyr::budget::BudgetBreach as B;
    let at = e
        .location()
        .map(|l| format!(" at line {} column {}", l.line(), l.column()))
        .unwrap_or_default();
    let doc = document
        .map(|d| format!("document {d}: "))
        .unwrap_or_default();
    // Errors met while replaying an alias (or with a snippet) wrap the original one.
    let mut inner = e;
    while let serde_saphyr::Error::AliasError { error, .. }
    | serde_saphyr::Error::WithSnippet { error, .. } = inner
    {
        inner = error;
    }
    if let serde_saphyr::Error::Budget { breach, .. } = inner {
        let what = match breach {
            B::Depth { .. } => format!("nesting is deeper than the limit of {MAX_DEPTH} levels"),
            B::Nodes { .. } | B::Events { .. } => {
                format!(
                    "more than {MAX_NODES_PER_DOCUMENT} values (limit {MAX_NODES_PER_DOCUMENT})"
                )
            }
            B::Aliases { .. }
            | B::Anchors { .. }
            | B::AliasAnchorRatio { .. }
            | B::RecordedAnchorEvents { .. }
            | B::RecordedAnchorBytes { .. } => {
                "too many aliases or anchors (an alias bomb?)".to_string()
            }
            B::ScalarBytes { .. } => "strings too large (limit 64 MiB per document)".to_string(),
            other => format!("too large ({other:?})"),
        };
        return format!("{doc}{what}{at}");
    }
    let message = one_line(&e.to_string());
    let message = match message.split_once(", set DuplicateKeyPolicy") {
        Some((head, _)) => head.to_string(),
        None => message,
    };
    format!("{doc}{message}")
}

/// Parses a single YAML document into any deserialisable type (kubeconfig-like files, values).
pub fn parse_one<T: serde::de::DeserializeOwned>(text: &str) -> Result<T, YamlError> {
    if text.len() > MAX_FILE_BYTES {
        return Err(YamlError::Parse(format!(
            "file too large (limit {} MiB)",
            MAX_FILE_BYTES / (1024 * 1024)
        )));
    }
    serde_saphyr::from_str_with_options::<T>(text, read_options())
        .map_err(|e| YamlError::Parse(user_terms(&e, None)))
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
    fn deep_and_wide_real_manifests_pass() {
        // 64 levels of nesting, as kubectl accepts.
        let mut deep = String::from("apiVersion: v1\nkind: ConfigMap\nmetadata: {name: d}\nx:\n");
        for i in 0..64 {
            deep.push_str(&"  ".repeat(i + 1));
            deep.push_str("a:\n");
        }
        deep.push_str(&"  ".repeat(66));
        deep.push_str("b: 1\n");
        assert_eq!(parse_documents(&deep).unwrap().len(), 1);
        // 400 ConfigMaps of 5 KB each in one 2 MB stream.
        let value = "x".repeat(5000);
        let doc = format!(
            "apiVersion: v1\nkind: ConfigMap\nmetadata: {{name: c}}\ndata: {{v: {value}}}\n---\n"
        );
        let stream = doc.repeat(400);
        assert!(stream.len() > 2_000_000);
        assert_eq!(parse_documents(&stream).unwrap().len(), 400);
    }

    #[test]
    fn hostile_yaml_gets_a_clear_error() {
        let mut deep = String::new();
        for _ in 0..300 {
            deep.push('[');
        }
        let e = parse_documents(&deep).unwrap_err().to_string();
        assert!(e.contains("limit"), "{e}");
        // The billion laughs: each alias doubles the document.
        let mut bomb = String::from("a0: &a0 [x, x]\n");
        for i in 1..40 {
            bomb.push_str(&format!("a{i}: &a{i} [*a{}, *a{}]\n", i - 1, i - 1));
        }
        let e = parse_documents(&bomb).unwrap_err().to_string();
        assert!(e.contains("limit") || e.contains("alias"), "{e}");
        let e = parse_documents("a: 1\na: 2\n").unwrap_err().to_string();
        assert!(
            e.contains("duplicate") && !e.contains("DuplicateKeyPolicy"),
            "{e}"
        );
    }

    #[test]
    fn control_characters_are_written_escaped() {
        let v = json!({"a": "x\u{1b}[2Jy\u{9b}z\u{7f}"});
        let text = to_string(&v).unwrap();
        assert!(
            !text.chars().any(|c| c.is_control() && c != '\n'),
            "{text:?}"
        );
        assert_eq!(one(&text), v);
    }

    #[test]
    fn documents_are_separated() {
        let text = to_documents(&[json!({"a": 1}), json!({"b": 2})]).unwrap();
        assert_eq!(text, "a: 1\n---\nb: 2\n");
    }
}
