//! The default ApplicationSet templating (valyala/fasttemplate as Argo CD drives it): `{{ key }}`
//! with surrounding spaces trimmed is replaced by the string parameter `key`; anything else,
//! unknown keys and non-string values included, is written back verbatim.

use serde_json::Value;

use super::error::FastTemplateError;
use super::params::Params;

/// Argo CD only templates strings that its `.*{{.*}}.*` regexp matches; Go's `.` stops at a
/// newline, so `{{` and `}}` must be on one line for anything to happen.
fn looks_templated(s: &str) -> bool {
    s.lines().any(|line| {
        line.find("{{")
            .is_some_and(|open| line[open + 2..].contains("}}"))
    })
}

/// Replaces `{{ key }}` tags in `s`. An opening `{{` without a closing `}}` after a real tag is
/// an error, as `fasttemplate.NewTemplate` reports it.
pub fn render(s: &str, params: &Params) -> Result<String, FastTemplateError> {
    if !looks_templated(s) {
        return Ok(s.to_string());
    }
    let mut out = String::with_capacity(s.len());
    let mut rest = s;
    while let Some(open) = rest.find("{{") {
        out.push_str(&rest[..open]);
        let after = &rest[open + 2..];
        let Some(close) = after.find("}}") else {
            return Err(FastTemplateError::UnclosedTag {
                template: s.to_string(),
            });
        };
        let tag = &after[..close];
        let key = tag.trim();
        match params.get(key) {
            Some(Value::String(v)) if !key.is_empty() => out.push_str(v),
            _ => {
                out.push_str("{{");
                out.push_str(tag);
                out.push_str("}}");
            }
        }
        rest = &after[close + 2..];
    }
    out.push_str(rest);
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::apps::appset::params::from_pairs;
    use serde_json::json;

    #[test]
    fn replaces_known_string_keys_and_keeps_unknown_ones() {
        let mut p = from_pairs([
            ("path.basename", "web".to_string()),
            ("cluster", "prod".to_string()),
        ]);
        p.insert("n".into(), json!(3));
        assert_eq!(
            render("{{path.basename}}-{{ cluster }}-{{nope}}-{{ n }}", &p).unwrap(),
            "web-prod-{{nope}}-{{ n }}"
        );
    }

    #[test]
    fn go_template_syntax_is_left_alone() {
        let p = from_pairs([("cluster", "prod".to_string())]);
        assert_eq!(render("{{.cluster}}", &p).unwrap(), "{{.cluster}}");
    }

    #[test]
    fn tags_split_across_lines_are_not_templated() {
        let p = from_pairs([("a", "x".to_string())]);
        assert_eq!(render("{{a\n}}", &p).unwrap(), "{{a\n}}");
    }

    #[test]
    fn unclosed_tag_after_a_real_one_is_an_error() {
        let p = from_pairs([("a", "x".to_string())]);
        assert!(render("{{a}} {{b", &p).is_err());
    }
}
