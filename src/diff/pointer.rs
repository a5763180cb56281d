//! RFC 6901 JSON pointers, as used by `ignoreDifferences[].jsonPointers`.

use std::fmt;

use serde_json::Value;

/// Why a JSON pointer text was rejected.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum PointerError {
    /// The empty pointer names the whole object, which cannot be removed.
    #[error("the empty pointer names the whole object")]
    Empty,
    /// A non-empty pointer must start with `/`.
    #[error("a JSON pointer must start with '/'")]
    NoLeadingSlash,
    /// `~` must be followed by `0` (for `~`) or `1` (for `/`).
    #[error("'~' must be followed by 0 or 1 (write '~0' for '~' and '~1' for '/')")]
    BadEscape,
}

/// A parsed JSON pointer: reference tokens with `~1` and `~0` already decoded.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct JsonPointer {
    text: String,
    tokens: Vec<String>,
}

impl JsonPointer {
    /// Parses a pointer such as `/metadata/annotations/example.com~1hash`.
    pub fn parse(text: &str) -> Result<Self, PointerError> {
        if text.is_empty() {
            return Err(PointerError::Empty);
        }
        let Some(rest) = text.strip_prefix('/') else {
            return Err(PointerError::NoLeadingSlash);
        };
        let tokens = rest
            .split('/')
            .map(decode_token)
            .collect::<Result<Vec<_>, _>>()?;
        Ok(Self {
            text: text.to_string(),
            tokens,
        })
    }

    /// The decoded reference tokens, outermost first.
    pub fn tokens(&self) -> &[String] {
        &self.tokens
    }

    /// Removes the pointed-to value from `doc`; returns whether something was removed.
    ///
    /// A missing path is not an error: Argo CD skips such a patch quietly too.
    pub fn remove(&self, doc: &mut Value) -> bool {
        let Some((last, parents)) = self.tokens.split_last() else {
            return false;
        };
        let mut cur = doc;
        for token in parents {
            let next = match cur {
                Value::Object(map) => map.get_mut(token),
                Value::Array(items) => array_index(token).and_then(|i| items.get_mut(i)),
                _ => None,
            };
            match next {
                Some(v) => cur = v,
                None => return false,
            }
        }
        match cur {
            Value::Object(map) => map.shift_remove(last).is_some(),
            Value::Array(items) => match array_index(last) {
                Some(i) if i < items.len() => {
                    items.remove(i);
                    true
                }
                _ => false,
            },
            _ => false,
        }
    }
}

impl fmt::Display for JsonPointer {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.text)
    }
}

/// Decodes `~1` to `/` and `~0` to `~` in one pass, so `~01` becomes `~1` (RFC 6901 §4).
fn decode_token(raw: &str) -> Result<String, PointerError> {
    let mut out = String::with_capacity(raw.len());
    let mut chars = raw.chars();
    while let Some(c) = chars.next() {
        if c == '~' {
            match chars.next() {
                Some('0') => out.push('~'),
                Some('1') => out.push('/'),
                _ => return Err(PointerError::BadEscape),
            }
        } else {
            out.push(c);
        }
    }
    Ok(out)
}

/// An array index token: decimal digits without leading zeros (`-` never names an element).
fn array_index(token: &str) -> Option<usize> {
    let digits_only = !token.is_empty() && token.bytes().all(|b| b.is_ascii_digit());
    if !digits_only || (token.len() > 1 && token.starts_with('0')) {
        return None;
    }
    token.parse().ok()
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn decodes_escapes() {
        let p = JsonPointer::parse("/metadata/annotations/example.com~1hash").unwrap();
        assert_eq!(p.tokens(), ["metadata", "annotations", "example.com/hash"]);
        let p = JsonPointer::parse("/a~0b/~01").unwrap();
        assert_eq!(p.tokens(), ["a~b", "~1"]);
        assert_eq!(p.to_string(), "/a~0b/~01");
    }

    #[test]
    fn rejects_bad_pointers() {
        assert_eq!(JsonPointer::parse(""), Err(PointerError::Empty));
        assert_eq!(
            JsonPointer::parse("spec/replicas"),
            Err(PointerError::NoLeadingSlash)
        );
        assert_eq!(JsonPointer::parse("/a~2"), Err(PointerError::BadEscape));
        assert_eq!(JsonPointer::parse("/a~"), Err(PointerError::BadEscape));
    }

    #[test]
    fn removes_keys_with_slashes_and_array_items() {
        let mut doc = json!({
            "metadata": {"annotations": {"example.com/hash": "abc", "keep": "x"}},
            "spec": {"containers": [{"name": "a"}, {"name": "b"}]}
        });
        let p = JsonPointer::parse("/metadata/annotations/example.com~1hash").unwrap();
        assert!(p.remove(&mut doc));
        assert!(
            JsonPointer::parse("/spec/containers/0")
                .unwrap()
                .remove(&mut doc)
        );
        assert_eq!(
            doc,
            json!({"metadata": {"annotations": {"keep": "x"}},
                   "spec": {"containers": [{"name": "b"}]}})
        );
    }

    #[test]
    fn missing_paths_are_no_ops() {
        let mut doc = json!({"spec": {"replicas": 1, "list": [1]}});
        let before = doc.clone();
        for p in [
            "/spec/missing",
            "/nope/deeper",
            "/spec/list/5",
            "/spec/list/-",
            "/spec/list/01",
            "/spec/replicas/x",
        ] {
            assert!(!JsonPointer::parse(p).unwrap().remove(&mut doc), "{p}");
        }
        assert_eq!(doc, before);
    }

    #[test]
    fn empty_token_names_the_empty_key() {
        let mut doc = json!({"": 1, "a": 2});
        assert!(JsonPointer::parse("/").unwrap().remove(&mut doc));
        assert_eq!(doc, json!({"a": 2}));
    }
}
