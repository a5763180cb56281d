//! RFC 6901 JSON pointers, as used by `ignoreDifferences[].jsonPointers`: parsed and resolved
//! with `jsonptr`. Removal is ours: jsonptr 0.7's `delete` panics on `/list/-` and on an index
//! one past the end, which a repository may write.

use std::fmt;

use jsonptr::index::Index;
use jsonptr::resolve::ResolveError;
use jsonptr::{Pointer, PointerBuf};
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

/// A pointer that does not fit an object: it goes through a value that is neither a mapping
/// nor a list (or names a list item by something other than an index). A path that is merely
/// absent is not this: Argo CD skips those quietly, and so does [`JsonPointer::remove`].
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{at} is not a mapping or a list it can go into")]
pub struct PointerMisfit {
    /// The part of the pointer that reached the value in the way.
    pub at: String,
}

/// A parsed JSON pointer, with its reference tokens decoded (`~1` is `/`, `~0` is `~`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct JsonPointer {
    pointer: PointerBuf,
    tokens: Vec<String>,
}

impl JsonPointer {
    /// Parses a pointer such as `/metadata/annotations/example.com~1hash`.
    pub fn parse(text: &str) -> Result<Self, PointerError> {
        if text.is_empty() {
            return Err(PointerError::Empty);
        }
        let pointer = PointerBuf::parse(text).map_err(|e| match e.original() {
            jsonptr::ParseError::NoLeadingSlash => PointerError::NoLeadingSlash,
            jsonptr::ParseError::InvalidEncoding { .. } => PointerError::BadEscape,
        })?;
        let tokens = pointer.tokens().map(|t| t.decoded().into_owned()).collect();
        Ok(Self { pointer, tokens })
    }

    /// The decoded reference tokens, outermost first.
    pub fn tokens(&self) -> &[String] {
        &self.tokens
    }

    /// Whether the pointer fits `doc` (see [`PointerMisfit`]); an absent path fits.
    pub fn check(&self, doc: &Value) -> Result<(), PointerMisfit> {
        match self.pointer.resolve(doc) {
            Err(
                e @ (ResolveError::Unreachable { .. } | ResolveError::FailedToParseIndex { .. }),
            ) => Err(self.misfit(e.offset())),
            _ => Ok(()),
        }
    }

    /// Removes the pointed-to value from `doc`; returns whether something was removed. An
    /// absent path removes nothing; a pointer that does not fit `doc` is an error.
    pub fn remove(&self, doc: &mut Value) -> Result<bool, PointerMisfit> {
        let Some((parent, last)) = self.pointer.split_back() else {
            return Ok(false);
        };
        let offset = parent.as_str().len();
        match parent.resolve_mut(doc) {
            Ok(Value::Object(map)) => Ok(map.shift_remove(last.decoded().as_ref()).is_some()),
            Ok(Value::Array(items)) => match last.to_index() {
                Ok(Index::Num(i)) if i < items.len() => {
                    items.remove(i);
                    Ok(true)
                }
                Ok(_) => Ok(false),
                Err(_) => Err(self.misfit(offset)),
            },
            Ok(_) => Err(self.misfit(offset)),
            Err(
                e @ (ResolveError::Unreachable { .. } | ResolveError::FailedToParseIndex { .. }),
            ) => Err(self.misfit(e.offset())),
            Err(_) => Ok(false),
        }
    }

    /// The misfit at the token that starts at `offset` of the pointer's text: the part before
    /// it reached the value in the way.
    fn misfit(&self, offset: usize) -> PointerMisfit {
        let text = self.pointer.as_str();
        let at = Pointer::parse(&text[..offset.min(text.len())])
            .map(|p| p.as_str().to_string())
            .unwrap_or_default();
        PointerMisfit {
            at: if at.is_empty() { "/".into() } else { at },
        }
    }
}

impl fmt::Display for JsonPointer {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.pointer.as_str())
    }
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
        assert_eq!(p.remove(&mut doc), Ok(true));
        assert_eq!(
            JsonPointer::parse("/spec/containers/0")
                .unwrap()
                .remove(&mut doc),
            Ok(true)
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
            "/spec/list/1",
            "/spec/list/-",
        ] {
            assert_eq!(
                JsonPointer::parse(p).unwrap().remove(&mut doc),
                Ok(false),
                "{p}"
            );
            assert_eq!(JsonPointer::parse(p).unwrap().check(&doc), Ok(()), "{p}");
        }
        assert_eq!(doc, before);
    }

    #[test]
    fn pointers_that_do_not_fit_the_object_say_where() {
        let mut doc = json!({"spec": {"replicas": 1, "list": [1]}});
        let before = doc.clone();
        for (p, at) in [
            ("/spec/replicas/x", "/spec/replicas"),
            ("/spec/replicas/x/y", "/spec/replicas"),
            ("/spec/list/01", "/spec/list"),
            ("/spec/list/name", "/spec/list"),
        ] {
            let ptr = JsonPointer::parse(p).unwrap();
            assert_eq!(
                ptr.remove(&mut doc),
                Err(PointerMisfit { at: at.into() }),
                "{p}"
            );
            assert_eq!(ptr.check(&doc), Err(PointerMisfit { at: at.into() }), "{p}");
        }
        assert_eq!(doc, before);
    }

    #[test]
    fn empty_token_names_the_empty_key() {
        let mut doc = json!({"": 1, "a": 2});
        assert_eq!(JsonPointer::parse("/").unwrap().remove(&mut doc), Ok(true));
        assert_eq!(doc, json!({"a": 2}));
    }
}
