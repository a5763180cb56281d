//! `ignoreDifferences[].jqPathExpressions`: each expression deletes what it selects, as Argo CD's
//! `del(<expr>)` does.
//!
//! jaq's `del(f)` is `f |= empty`, which differs from jq's: `del(.a[]?)` on an object without
//! `a` writes `a: null`, and the rewrite re-encodes the whole object. So the expression runs as
//! `path(<expr>)` and the paths are deleted here, the way jq's `delpaths` does (paths sorted,
//! deleted last first so array positions stay valid, missing paths skipped). Everything not
//! selected stays byte for byte as it was.

use std::cmp::Ordering;
use std::fmt;

use jaq_core::data::JustLut;
use jaq_core::load::{Arena, File, Loader};
use jaq_core::{Compiler, Ctx, Vars};
use jaq_json::Val;
use serde::Deserialize as _;
use serde_json::Value;

type Filter = jaq_core::Filter<JustLut<Val>>;

/// Why a jq path expression could not be used.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum JqError {
    /// It does not parse or names a function jq does not have.
    #[error("{0}")]
    Compile(String),
    /// It failed on a document (the text may quote the document: not for Secrets).
    #[error("{0}")]
    Run(String),
    /// `path(<expr>)` gave something that is not a path (the text may quote the document).
    #[error("path() returned {path}, not a path")]
    NotAPath {
        /// What it returned, as jq prints it.
        path: String,
    },
    /// A path holds a number that is not an array position.
    #[error("cannot use {index} as an array index")]
    BadIndex {
        /// The number, as jq prints it.
        index: String,
    },
}

/// A compiled jq path expression whose selection gets deleted.
pub struct JqPathExpression {
    expression: String,
    filter: Filter,
}

impl fmt::Debug for JqPathExpression {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_tuple("JqPathExpression")
            .field(&self.expression)
            .finish()
    }
}

/// One step of a selected path, resolved against the document.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum Part {
    /// A map key.
    Key(String),
    /// A list position.
    Index(usize),
}

impl JqPathExpression {
    /// Compiles the expression (as `path(<expr>)`); the error says what the parser expected.
    pub fn compile(expression: &str) -> Result<Self, JqError> {
        let code = format!("path({expression})");
        let arena = Arena::default();
        let defs = jaq_core::defs()
            .chain(jaq_std::defs())
            .chain(jaq_json::defs());
        let modules = Loader::new(defs)
            .load(
                &arena,
                File {
                    code: code.as_str(),
                    path: (),
                },
            )
            .map_err(|errs| {
                JqError::Compile(
                    errs.into_iter()
                        .map(|(_file, e)| load_error(e))
                        .collect::<Vec<_>>()
                        .join("; "),
                )
            })?;
        let funs = jaq_core::funs()
            .chain(jaq_std::funs())
            .chain(jaq_json::funs());
        let filter = Compiler::default()
            .with_funs(funs)
            .compile(modules)
            .map_err(|errs| {
                JqError::Compile(
                    errs.into_iter()
                        .flat_map(|(_file, undefined)| undefined)
                        .map(|(name, what)| format!("undefined {} '{name}'", what.as_str()))
                        .collect::<Vec<_>>()
                        .join("; "),
                )
            })?;
        Ok(Self {
            expression: expression.to_string(),
            filter,
        })
    }

    /// The expression as written in the Application.
    pub fn expression(&self) -> &str {
        &self.expression
    }

    /// Returns `doc` without what the expression selects. The error text may quote parts of
    /// `doc`, so callers must not print it for Secrets.
    pub fn apply(&self, doc: &Value) -> Result<Value, JqError> {
        let paths = self.paths(doc)?;
        let mut out = doc.clone();
        // Last first: deleting `[3]` before `[1]` keeps `[1]` pointing at the same item.
        for path in paths.iter().rev() {
            delete(&mut out, path);
        }
        Ok(out)
    }

    /// The concrete paths the expression selects in `doc`, sorted, without duplicates.
    pub(crate) fn paths(&self, doc: &Value) -> Result<Vec<Vec<Part>>, JqError> {
        let input = Val::deserialize(doc).map_err(|e| JqError::Run(e.to_string()))?;
        let ctx = Ctx::<JustLut<Val>>::new(&self.filter.lut, Vars::new([]));
        let mut paths = Vec::new();
        for output in self.filter.id.run((ctx, input)) {
            let path = match output {
                Ok(v) => v,
                Err(exn) => {
                    return Err(JqError::Run(match exn.get_err() {
                        Ok(err) => err.to_string(),
                        // `halt` must not end our process (jaq's own helper would exit).
                        Err(_) => "the expression halted".into(),
                    }));
                }
            };
            paths.extend(resolve(doc, &path)?);
        }
        paths.sort_by(|a, b| compare_paths(a, b));
        paths.dedup();
        Ok(paths)
    }
}

/// Turns one jq path (an array of keys, indexes and slices) into concrete paths in `doc`.
/// Negative indexes count from the end; a slice stands for each index it covers; a path that
/// leaves the document selects nothing.
fn resolve(doc: &Value, path: &Val) -> Result<Vec<Vec<Part>>, JqError> {
    let Val::Arr(steps) = path else {
        return Err(JqError::NotAPath {
            path: path.to_string(),
        });
    };
    let mut out: Vec<(Vec<Part>, &Value)> = vec![(Vec::new(), doc)];
    for step in steps.iter() {
        let mut next = Vec::new();
        for (prefix, at) in out {
            for (part, child) in select(at, step)? {
                let mut p = prefix.clone();
                p.push(part);
                next.push((p, child));
            }
        }
        out = next;
    }
    Ok(out.into_iter().map(|(p, _)| p).collect())
}

/// The children of `at` that one path step names (none when absent).
fn select<'a>(at: &'a Value, step: &Val) -> Result<Vec<(Part, &'a Value)>, JqError> {
    match (at, step) {
        (Value::Object(map), Val::TStr(key) | Val::BStr(key)) => {
            let key = String::from_utf8_lossy(key).into_owned();
            Ok(map
                .get(&key)
                .map(|v| (Part::Key(key), v))
                .into_iter()
                .collect())
        }
        (Value::Array(items), Val::Num(_)) => {
            let i = index(step, items.len())?;
            Ok(i.and_then(|i| items.get(i).map(|v| (Part::Index(i), v)))
                .into_iter()
                .collect())
        }
        (Value::Array(items), Val::Obj(slice)) => {
            let bound = |name: &str, default: usize| -> Result<usize, JqError> {
                let key = Val::utf8_str(name.as_bytes().to_vec());
                match slice.get(&key) {
                    None | Some(Val::Null) => Ok(default),
                    Some(v) => Ok(index(v, items.len())?.unwrap_or(0).min(items.len())),
                }
            };
            // Both bounds are clamped to the length, so every index below is in range.
            let (start, end) = (bound("start", 0)?, bound("end", items.len())?);
            Ok((start..end.max(start))
                .map(|i| (Part::Index(i), &items[i]))
                .collect())
        }
        // A key into a scalar, or `null` stepping: nothing there to delete.
        _ => Ok(Vec::new()),
    }
}

/// An array position from a jq number: negative counts from the end; before the start is none.
fn index(v: &Val, len: usize) -> Result<Option<usize>, JqError> {
    let text = v.to_string();
    let n: f64 = text.parse().map_err(|_| JqError::BadIndex {
        index: text.clone(),
    })?;
    let n = n.floor();
    let len_f = len as f64;
    let i = if n < 0.0 { len_f + n } else { n };
    Ok((i >= 0.0).then_some(i as usize))
}

/// jq's path order: element by element, indexes before keys, a prefix before its extensions.
fn compare_paths(a: &[Part], b: &[Part]) -> Ordering {
    for (x, y) in a.iter().zip(b) {
        let o = match (x, y) {
            (Part::Index(i), Part::Index(j)) => i.cmp(j),
            (Part::Key(k), Part::Key(l)) => k.cmp(l),
            (Part::Index(_), Part::Key(_)) => Ordering::Less,
            (Part::Key(_), Part::Index(_)) => Ordering::Greater,
        };
        if o != Ordering::Equal {
            return o;
        }
    }
    a.len().cmp(&b.len())
}

/// The value at a path, if there is one.
pub(crate) fn get<'a>(doc: &'a Value, path: &[Part]) -> Option<&'a Value> {
    let mut cur = doc;
    for part in path {
        cur = match (cur, part) {
            (Value::Object(m), Part::Key(k)) => m.get(k)?,
            (Value::Array(a), Part::Index(i)) => a.get(*i)?,
            _ => return None,
        };
    }
    Some(cur)
}

/// The value `parents` lead to; with `create`, missing (or null) maps on the way are made.
fn walk<'a>(doc: &'a mut Value, parents: &[Part], create: bool) -> Option<&'a mut Value> {
    let mut cur = doc;
    for part in parents {
        if create && cur.is_null() {
            *cur = Value::Object(Default::default());
        }
        cur = match (cur, part) {
            (Value::Object(m), Part::Key(k)) => {
                if create {
                    m.entry(k.clone())
                        .or_insert_with(|| Value::Object(Default::default()))
                } else {
                    m.get_mut(k)?
                }
            }
            (Value::Array(a), Part::Index(i)) => a.get_mut(*i)?,
            _ => return None,
        };
    }
    Some(cur)
}

/// Sets the value at a path, creating maps on the way; a list position must exist.
pub(crate) fn set(doc: &mut Value, path: &[Part], value: Value) {
    let Some((last, parents)) = path.split_last() else {
        *doc = value;
        return;
    };
    match (walk(doc, parents, true), last) {
        (Some(Value::Object(m)), Part::Key(k)) => {
            m.insert(k.clone(), value);
        }
        (Some(Value::Array(a)), Part::Index(i)) if *i < a.len() => a[*i] = value,
        _ => {}
    }
}

/// Removes what is at a path (nothing when it is not there).
pub(crate) fn delete(doc: &mut Value, path: &[Part]) {
    let Some((last, parents)) = path.split_last() else {
        // `path(.)` selects the whole object; jq's `del(.)` yields null, which would make the
        // object vanish from the comparison. Deleting nothing is the safe reading.
        return;
    };
    match (walk(doc, parents, false), last) {
        (Some(Value::Object(m)), Part::Key(k)) => {
            m.shift_remove(k);
        }
        (Some(Value::Array(a)), Part::Index(i)) if *i < a.len() => {
            a.remove(*i);
        }
        _ => {}
    }
}

fn load_error(e: jaq_core::load::Error<&str>) -> String {
    use jaq_core::load::Error;
    match e {
        Error::Io(items) => items
            .into_iter()
            .map(|(path, why)| format!("cannot import {path}: {why}"))
            .collect::<Vec<_>>()
            .join("; "),
        // Lexer expectations are printed with Debug: their `as_str` panics on some delimiters.
        Error::Lex(items) => items
            .into_iter()
            .map(|(expect, at)| format!("expected {expect:?} at '{}'", snippet(at)))
            .collect::<Vec<_>>()
            .join("; "),
        Error::Parse(items) => items
            .into_iter()
            .map(|(expect, found)| {
                let found = if found.is_empty() {
                    "end of input"
                } else {
                    found
                };
                format!(
                    "expected {} but found '{}'",
                    expect.as_str(),
                    snippet(found)
                )
            })
            .collect::<Vec<_>>()
            .join("; "),
    }
}

/// The first few characters of the rest of the program, to point at an error.
fn snippet(s: &str) -> String {
    s.chars().take(20).collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn deployment() -> Value {
        json!({
            "apiVersion": "apps/v1", "kind": "Deployment",
            "metadata": {"name": "web", "labels": {"app": "web", "tier": "front"}},
            "spec": {"replicas": 3, "template": {"spec": {"containers": [
                {"name": "web", "image": "nginx:1.27", "ports": [{"containerPort": 80}]},
                {"name": "x", "image": "sidecar:2"},
                {"name": "y", "image": "other:1"}
            ]}}}
        })
    }

    #[test]
    fn deletes_image_of_selected_container() {
        let jq = JqPathExpression::compile(
            r#".spec.template.spec.containers[] | select(.name == "x") | .image"#,
        )
        .unwrap();
        let out = jq.apply(&deployment()).unwrap();
        let containers = &out["spec"]["template"]["spec"]["containers"];
        assert_eq!(containers[1], json!({"name": "x"}));
        assert_eq!(containers[0]["image"], json!("nginx:1.27"));
        assert_eq!(containers[2]["image"], json!("other:1"));
    }

    #[test]
    fn deletes_several_array_items_at_once() {
        let jq = JqPathExpression::compile(
            r#".spec.template.spec.containers[] | select(.name != "web")"#,
        )
        .unwrap();
        let out = jq.apply(&deployment()).unwrap();
        let names: Vec<_> = out["spec"]["template"]["spec"]["containers"]
            .as_array()
            .unwrap()
            .iter()
            .map(|c| c["name"].clone())
            .collect();
        assert_eq!(names, [json!("web")]);
    }

    #[test]
    fn keeps_key_order_and_numbers() {
        let jq = JqPathExpression::compile(".metadata.labels.tier").unwrap();
        let out = jq.apply(&deployment()).unwrap();
        let keys: Vec<_> = out.as_object().unwrap().keys().cloned().collect();
        assert_eq!(keys, ["apiVersion", "kind", "metadata", "spec"]);
        assert_eq!(out["spec"]["replicas"], json!(3));
        assert_eq!(out["metadata"]["labels"], json!({"app": "web"}));
    }

    #[test]
    fn optional_iteration_on_missing_fields_is_a_no_op() {
        let jq = JqPathExpression::compile(".spec.volumes[]?").unwrap();
        assert_eq!(jq.apply(&deployment()).unwrap(), deployment());
    }

    #[test]
    fn negative_indexes_and_slices() {
        let doc = json!({"a": [0, 1, 2, 3, 4]});
        let del = |e: &str| JqPathExpression::compile(e).unwrap().apply(&doc).unwrap();
        assert_eq!(del(".a[-1]"), json!({"a": [0, 1, 2, 3]}));
        assert_eq!(del(".a[1:3]"), json!({"a": [0, 3, 4]}));
        assert_eq!(del(".a[0], .a[2], .a[4]"), json!({"a": [1, 3]}));
        assert_eq!(del(".a[] | select(. >= 3)"), json!({"a": [0, 1, 2]}));
        assert_eq!(del(".b.c"), doc);
        assert_eq!(del("."), doc);
    }

    #[test]
    fn common_library_functions_are_available() {
        let jq = JqPathExpression::compile(
            r#".spec.template.spec.containers[] | select(.name | test("^(x|y)$")) | .image"#,
        )
        .unwrap();
        let out = jq.apply(&deployment()).unwrap();
        let containers = &out["spec"]["template"]["spec"]["containers"];
        assert_eq!(containers[1], json!({"name": "x"}));
        assert_eq!(containers[2], json!({"name": "y"}));
        let jq = JqPathExpression::compile(
            r#".metadata.labels | to_entries[] | select(.key | startswith("ti")) | .key"#,
        );
        // Not a path expression into the object: compiles, fails at run time.
        assert!(jq.unwrap().apply(&deployment()).is_err());
    }

    #[test]
    fn syntax_errors_are_reported() {
        let err = JqPathExpression::compile(".spec | select(").unwrap_err();
        assert!(
            matches!(&err, JqError::Compile(m) if !m.is_empty()),
            "{err}"
        );
        let err = JqPathExpression::compile(".a | nosuchfn").unwrap_err();
        assert!(err.to_string().contains("nosuchfn"), "{err}");
    }

    #[test]
    fn runtime_errors_are_reported_not_panicked() {
        let jq = JqPathExpression::compile(".spec.replicas[]").unwrap();
        assert!(jq.apply(&deployment()).is_err());
        let jq = JqPathExpression::compile("halt").unwrap();
        assert!(jq.apply(&deployment()).is_err());
    }
}
