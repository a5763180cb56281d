//! The functions an ApplicationSet goTemplate can call: Go's builtins, the Sprig functions Argo
//! CD users write, and Argo CD's own (`normalize`, `slugify`, `toYaml`, `fromYaml`, `tpl`).
//! Signatures follow the Go ones, because Go checks argument types: `trunc .n .s` fails when
//! `.n` came from JSON (a float64), and so does it here.

use std::collections::BTreeMap;

use base64::Engine as _;
use sha2::Digest as _;

use super::builtins::{
    compare_eq, compare_lt, go_eq, go_index, go_len, go_slice, html_escape, query_escape,
};
use super::exec::ExecOptions;
use super::printf;
use super::sprig::{
    b64_error, compile, first_yaml_doc, go_split, indent, index_map, json_kind, merge_dicts,
    slugify, strslice, substr, title, to_float64, to_int64, to_yaml, tpl, trunc, untitle,
    word_case,
};
use super::value::{TValue, go_json};
use crate::apps::appset::params::sanitize_name;

/// The Go type a parameter is declared with.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Kind {
    /// `interface{}`: anything; a missing value arrives as nil.
    Any,
    /// `reflect.Value` (Go's builtins): anything, missing values included.
    Raw,
    /// `string`
    Str,
    /// `int` / `int64`
    Int,
    /// `bool`
    Bool,
    /// `map[string]interface{}`
    Map,
}

impl Kind {
    /// The Go spelling, for error messages.
    pub fn go_name(self) -> &'static str {
        match self {
            Kind::Any => "interface {}",
            Kind::Raw => "reflect.Value",
            Kind::Str => "string",
            Kind::Int => "int",
            Kind::Bool => "bool",
            Kind::Map => "map[string]interface {}",
        }
    }
}

/// State a function may need: execution options (for `tpl`) and the nesting depth.
pub struct FnCtx<'a> {
    /// Options of the running template.
    pub opts: &'a ExecOptions,
    /// How many `tpl` calls deep this is.
    pub depth: usize,
}

type Imp = fn(&mut FnCtx, Vec<TValue>) -> Result<TValue, String>;

/// A function's Go signature and its implementation.
pub struct FuncDef {
    /// Fixed parameters.
    pub params: &'static [Kind],
    /// Type of the `...` parameter, if variadic.
    pub variadic: Option<Kind>,
    /// The implementation; arguments arrive already checked against the signature.
    pub imp: Imp,
}

use Kind::{Any, Bool, Int, Map, Raw, Str};

const fn f(params: &'static [Kind], variadic: Option<Kind>, imp: Imp) -> FuncDef {
    FuncDef {
        params,
        variadic,
        imp,
    }
}

/// Whether `name` can be called.
pub fn exists(name: &str) -> bool {
    lookup(name).is_some()
}

/// The message for an unknown function, naming Sprig functions this tool leaves out.
pub fn not_defined_message(name: &str) -> String {
    const LEFT_OUT: &[&str] = &[
        "now",
        "date",
        "dateInZone",
        "uuidv4",
        "randAlphaNum",
        "randAlpha",
        "randNumeric",
        "randAscii",
        "sha1sum",
        "adler32sum",
        "camelcase",
        "swapcase",
        "semver",
        "semverCompare",
        "genCA",
        "genPrivateKey",
        "derivePassword",
        "encryptAES",
        "decryptAES",
        "js",
        "call",
    ];
    if LEFT_OUT.contains(&name) {
        format!(
            "function {name:?} not defined (a Sprig/Go function kubectl-gitops does not implement)"
        )
    } else {
        format!("function {name:?} not defined")
    }
}

/// The signature and implementation of `name`.
pub fn lookup(name: &str) -> Option<FuncDef> {
    Some(match name {
        // Go builtins.
        "and" | "or" => f(&[Raw], Some(Raw), builtin_unreachable),
        "not" => f(&[Raw], None, |_, a| Ok(TValue::Bool(!a[0].truth()))),
        "len" => f(&[Raw], None, go_len),
        "index" => f(&[Raw], Some(Raw), go_index),
        "slice" => f(&[Raw], Some(Raw), go_slice),
        "eq" => f(&[Raw], Some(Raw), go_eq),
        "ne" => f(&[Raw, Raw], None, |_, a| {
            Ok(TValue::Bool(!compare_eq(&a[0], &a[1])?))
        }),
        "lt" => f(&[Raw, Raw], None, |_, a| {
            Ok(TValue::Bool(compare_lt(&a[0], &a[1])?))
        }),
        "le" => f(&[Raw, Raw], None, |_, a| {
            Ok(TValue::Bool(
                compare_lt(&a[0], &a[1])? || compare_eq(&a[0], &a[1])?,
            ))
        }),
        "gt" => f(&[Raw, Raw], None, |_, a| {
            Ok(TValue::Bool(
                !(compare_lt(&a[0], &a[1])? || compare_eq(&a[0], &a[1])?),
            ))
        }),
        "ge" => f(&[Raw, Raw], None, |_, a| {
            Ok(TValue::Bool(!compare_lt(&a[0], &a[1])?))
        }),
        "print" => f(&[], Some(Any), |_, a| Ok(TValue::str(printf::sprint(&a)))),
        "println" => f(&[], Some(Any), |_, a| Ok(TValue::str(printf::sprintln(&a)))),
        "printf" => f(&[Str], Some(Any), |_, a| {
            Ok(TValue::str(printf::sprintf(s(&a[0]), &a[1..])))
        }),
        "html" => f(&[], Some(Any), |_, a| {
            Ok(TValue::str(html_escape(&printf::sprint(&a))))
        }),
        "urlquery" => f(&[], Some(Any), |_, a| {
            Ok(TValue::str(query_escape(&printf::sprint(&a))))
        }),

        // Sprig: strings.
        "lower" => f(&[Str], None, |_, a| {
            Ok(TValue::str(s(&a[0]).to_lowercase()))
        }),
        "upper" => f(&[Str], None, |_, a| {
            Ok(TValue::str(s(&a[0]).to_uppercase()))
        }),
        "title" => f(&[Str], None, |_, a| Ok(TValue::str(title(s(&a[0]))))),
        "untitle" => f(&[Str], None, |_, a| Ok(TValue::str(untitle(s(&a[0]))))),
        "trim" => f(&[Str], None, |_, a| Ok(TValue::str(s(&a[0]).trim()))),
        "trimAll" => f(&[Str, Str], None, |_, a| {
            let cut: Vec<char> = s(&a[0]).chars().collect();
            Ok(TValue::str(s(&a[1]).trim_matches(cut.as_slice())))
        }),
        "trimPrefix" => f(&[Str, Str], None, |_, a| {
            let (p, v) = (s(&a[0]), s(&a[1]));
            Ok(TValue::str(v.strip_prefix(p).unwrap_or(v)))
        }),
        "trimSuffix" => f(&[Str, Str], None, |_, a| {
            let (p, v) = (s(&a[0]), s(&a[1]));
            Ok(TValue::str(v.strip_suffix(p).unwrap_or(v)))
        }),
        "nospace" => f(&[Str], None, |_, a| {
            Ok(TValue::str(
                s(&a[0])
                    .chars()
                    .filter(|c| !c.is_whitespace())
                    .collect::<String>(),
            ))
        }),
        "kebabcase" => f(&[Str], None, |_, a| {
            Ok(TValue::str(word_case(s(&a[0]), '-')))
        }),
        "snakecase" => f(&[Str], None, |_, a| {
            Ok(TValue::str(word_case(s(&a[0]), '_')))
        }),
        "contains" => f(&[Str, Str], None, |_, a| {
            Ok(TValue::Bool(s(&a[1]).contains(s(&a[0]))))
        }),
        "hasPrefix" => f(&[Str, Str], None, |_, a| {
            Ok(TValue::Bool(s(&a[1]).starts_with(s(&a[0]))))
        }),
        "hasSuffix" => f(&[Str, Str], None, |_, a| {
            Ok(TValue::Bool(s(&a[1]).ends_with(s(&a[0]))))
        }),
        "replace" => f(&[Str, Str, Str], None, |_, a| {
            Ok(TValue::str(s(&a[2]).replace(s(&a[0]), s(&a[1]))))
        }),
        "repeat" => f(&[Int, Str], None, |_, a| {
            let n = int(&a[0]);
            let v = s(&a[1]);
            if n < 0 {
                return Err("strings: negative Repeat count".to_string());
            }
            if (n as usize).saturating_mul(v.len()) > MAX_BUILT {
                return Err("repeat: result too large".to_string());
            }
            Ok(TValue::str(v.repeat(n as usize)))
        }),
        "substr" => f(&[Int, Int, Str], None, |_, a| {
            Ok(TValue::str(substr(int(&a[0]), int(&a[1]), s(&a[2]))))
        }),
        "trunc" => f(&[Int, Str], None, |_, a| {
            Ok(TValue::str(trunc(int(&a[0]), s(&a[1]))))
        }),
        "indent" => f(&[Int, Str], None, |_, a| {
            Ok(TValue::str(indent(int(&a[0]), s(&a[1]))))
        }),
        "nindent" => f(&[Int, Str], None, |_, a| {
            Ok(TValue::str(format!("\n{}", indent(int(&a[0]), s(&a[1])))))
        }),
        "quote" => f(&[], Some(Any), |_, a| {
            let parts: Vec<String> = a
                .iter()
                .filter(|v| !v.is_nil())
                .map(|v| super::value::go_quote(&v.strval()))
                .collect();
            Ok(TValue::str(parts.join(" ")))
        }),
        "squote" => f(&[], Some(Any), |_, a| {
            let parts: Vec<String> = a
                .iter()
                .filter(|v| !v.is_nil())
                .map(|v| format!("'{}'", v.fmt_v()))
                .collect();
            Ok(TValue::str(parts.join(" ")))
        }),
        "cat" => f(&[], Some(Any), |_, a| {
            let parts: Vec<String> = a
                .iter()
                .filter(|v| !v.is_nil())
                .map(TValue::fmt_v)
                .collect();
            Ok(TValue::str(parts.join(" ")))
        }),
        "split" => f(&[Str, Str], None, |_, a| {
            let parts = go_split(s(&a[1]), s(&a[0]), -1);
            Ok(index_map(parts))
        }),
        "splitn" => f(&[Str, Int, Str], None, |_, a| {
            let parts = go_split(s(&a[2]), s(&a[0]), int(&a[1]));
            Ok(index_map(parts))
        }),
        "splitList" => f(&[Str, Str], None, |_, a| {
            let parts = go_split(s(&a[1]), s(&a[0]), -1);
            Ok(TValue::list(parts.into_iter().map(TValue::str).collect()))
        }),
        "join" => f(&[Str, Any], None, |_, a| {
            Ok(TValue::str(strslice(&a[1]).join(s(&a[0]))))
        }),

        // Sprig: conversions and defaults.
        "toString" => f(&[Any], None, |_, a| Ok(TValue::str(a[0].strval()))),
        "toStrings" => f(&[Any], None, |_, a| {
            Ok(TValue::list(
                strslice(&a[0]).into_iter().map(TValue::str).collect(),
            ))
        }),
        "int" | "int64" => f(&[Any], None, |_, a| Ok(TValue::Int(to_int64(&a[0])))),
        "float64" => f(&[Any], None, |_, a| Ok(TValue::Float(to_float64(&a[0])))),
        "atoi" => f(&[Str], None, |_, a| {
            Ok(TValue::Int(s(&a[0]).parse::<i64>().unwrap_or(0)))
        }),
        "default" => f(&[Any], Some(Any), |_, a| {
            let given = a.get(1);
            Ok(match given {
                Some(v) if v.truth() => v.clone(),
                _ => a[0].clone(),
            })
        }),
        "empty" => f(&[Any], None, |_, a| Ok(TValue::Bool(!a[0].truth()))),
        "coalesce" => f(&[], Some(Any), |_, a| {
            Ok(a.iter().find(|v| v.truth()).cloned().unwrap_or(TValue::Nil))
        }),
        "ternary" => f(&[Any, Any, Bool], None, |_, a| {
            Ok(if matches!(a[2], TValue::Bool(true)) {
                a[0].clone()
            } else {
                a[1].clone()
            })
        }),
        "fail" => f(&[Str], None, |_, a| Err(s(&a[0]).to_string())),

        // Sprig: lists and dicts.
        "list" => f(&[], Some(Any), |_, a| Ok(TValue::list(a))),
        "dict" => f(&[], Some(Any), |_, a| {
            let mut m = BTreeMap::new();
            for pair in a.chunks(2) {
                let value = pair.get(1).cloned().unwrap_or_else(|| TValue::str(""));
                m.insert(pair[0].strval(), value);
            }
            Ok(TValue::map(m))
        }),
        "get" => f(&[Map, Str], None, |_, a| {
            Ok(map_of(&a[0])
                .and_then(|m| m.borrow().get(s(&a[1])).cloned())
                .unwrap_or_else(|| TValue::str("")))
        }),
        "hasKey" => f(&[Map, Str], None, |_, a| {
            Ok(TValue::Bool(
                map_of(&a[0]).is_some_and(|m| m.borrow().contains_key(s(&a[1]))),
            ))
        }),
        "set" => f(&[Map, Str, Any], None, |_, a| {
            if let Some(m) = map_of(&a[0]) {
                m.borrow_mut().insert(s(&a[1]).to_string(), a[2].clone());
            }
            Ok(a[0].clone())
        }),
        "unset" => f(&[Map, Str], None, |_, a| {
            if let Some(m) = map_of(&a[0]) {
                m.borrow_mut().remove(s(&a[1]));
            }
            Ok(a[0].clone())
        }),
        "keys" => f(&[], Some(Map), |_, a| {
            let mut keys = Vec::new();
            for d in &a {
                if let Some(m) = map_of(d) {
                    keys.extend(m.borrow().keys().map(|k| TValue::str(k.as_str())));
                }
            }
            Ok(TValue::list(keys))
        }),
        "values" => f(&[Map], None, |_, a| {
            Ok(TValue::list(
                map_of(&a[0])
                    .map(|m| m.borrow().values().cloned().collect())
                    .unwrap_or_default(),
            ))
        }),
        "pick" => f(&[Map], Some(Str), |_, a| {
            let mut out = BTreeMap::new();
            if let Some(m) = map_of(&a[0]) {
                for k in &a[1..] {
                    if let Some(v) = m.borrow().get(s(k)) {
                        out.insert(s(k).to_string(), v.clone());
                    }
                }
            }
            Ok(TValue::map(out))
        }),
        "omit" => f(&[Map], Some(Str), |_, a| {
            let drop: Vec<&str> = a[1..].iter().map(s).collect();
            let out = map_of(&a[0])
                .map(|m| {
                    m.borrow()
                        .iter()
                        .filter(|(k, _)| !drop.contains(&k.as_str()))
                        .map(|(k, v)| (k.clone(), v.clone()))
                        .collect()
                })
                .unwrap_or_default();
            Ok(TValue::map(out))
        }),
        "merge" => f(&[Map], Some(Map), |_, a| merge_dicts(a, false)),
        "mergeOverwrite" => f(&[Map], Some(Map), |_, a| merge_dicts(a, true)),
        "first" => f(&[Any], None, |_, a| {
            Ok(list_of(&a[0], "first")?
                .first()
                .cloned()
                .unwrap_or(TValue::Nil))
        }),
        "last" => f(&[Any], None, |_, a| {
            Ok(list_of(&a[0], "last")?
                .last()
                .cloned()
                .unwrap_or(TValue::Nil))
        }),
        "rest" => f(&[Any], None, |_, a| {
            let l = list_of(&a[0], "rest")?;
            Ok(TValue::list(l.iter().skip(1).cloned().collect()))
        }),
        "initial" => f(&[Any], None, |_, a| {
            let l = list_of(&a[0], "initial")?;
            let n = l.len().saturating_sub(1);
            Ok(TValue::list(l[..n].to_vec()))
        }),
        "append" | "push" => f(&[Any, Any], None, |_, a| {
            let mut l = list_of(&a[0], "push")?;
            l.push(a[1].clone());
            Ok(TValue::list(l))
        }),
        "prepend" => f(&[Any, Any], None, |_, a| {
            let mut l = list_of(&a[0], "prepend")?;
            l.insert(0, a[1].clone());
            Ok(TValue::list(l))
        }),
        "reverse" => f(&[Any], None, |_, a| {
            let mut l = list_of(&a[0], "reverse")?;
            l.reverse();
            Ok(TValue::list(l))
        }),
        "has" => f(&[Any, Any], None, |_, a| {
            if a[1].is_nil() {
                return Ok(TValue::Bool(false));
            }
            let l = list_of(&a[1], "has")?;
            Ok(TValue::Bool(l.iter().any(|v| v.deep_equal(&a[0]))))
        }),
        "uniq" => f(&[Any], None, |_, a| {
            let mut out: Vec<TValue> = Vec::new();
            for v in list_of(&a[0], "uniq")? {
                if !out.iter().any(|o| o.deep_equal(&v)) {
                    out.push(v);
                }
            }
            Ok(TValue::list(out))
        }),
        "without" => f(&[Any], Some(Any), |_, a| {
            let l = list_of(&a[0], "without")?;
            Ok(TValue::list(
                l.into_iter()
                    .filter(|v| !a[1..].iter().any(|o| o.deep_equal(v)))
                    .collect(),
            ))
        }),
        "compact" => f(&[Any], None, |_, a| {
            let l = list_of(&a[0], "compact")?;
            Ok(TValue::list(l.into_iter().filter(TValue::truth).collect()))
        }),
        "sortAlpha" => f(&[Any], None, |_, a| {
            let mut v = match &a[0] {
                TValue::List(_) => strslice(&a[0]),
                other => vec![other.strval()],
            };
            v.sort();
            Ok(TValue::list(v.into_iter().map(TValue::str).collect()))
        }),
        "until" => f(&[Int], None, |_, a| {
            let n = int(&a[0]);
            if n.unsigned_abs() as usize > MAX_BUILT {
                return Err("until: count too large".to_string());
            }
            let items: Vec<TValue> = if n >= 0 {
                (0..n).map(TValue::Int).collect()
            } else {
                (n + 1..=0).rev().map(TValue::Int).collect()
            };
            Ok(TValue::list(items))
        }),

        // Sprig: encodings.
        "toJson" => f(&[Any], None, |_, a| {
            Ok(TValue::str(go_json(&a[0], true, None).unwrap_or_default()))
        }),
        "toPrettyJson" => f(&[Any], None, |_, a| {
            Ok(TValue::str(
                go_json(&a[0], true, Some("  ")).unwrap_or_default(),
            ))
        }),
        "toRawJson" => f(&[Any], None, |_, a| {
            Ok(TValue::str(go_json(&a[0], false, None).unwrap_or_default()))
        }),
        "fromJson" => f(&[Str], None, |_, a| {
            Ok(serde_json::from_str::<serde_json::Value>(s(&a[0]))
                .map(|j| TValue::from_json(&j))
                .unwrap_or(TValue::Nil))
        }),
        "toYaml" => f(&[Any], None, |_, a| to_yaml(&a[0])),
        "fromYaml" => f(&[Str], None, |_, a| match first_yaml_doc(s(&a[0]))? {
            serde_json::Value::Null => Ok(TValue::map(BTreeMap::new())),
            v @ serde_json::Value::Object(_) => Ok(TValue::from_json(&v)),
            other => Err(format!(
                "error unmarshaling JSON: cannot unmarshal {} into map[string]interface {{}}",
                json_kind(&other)
            )),
        }),
        "fromYamlArray" => f(&[Str], None, |_, a| match first_yaml_doc(s(&a[0]))? {
            serde_json::Value::Null => Ok(TValue::list(Vec::new())),
            v @ serde_json::Value::Array(_) => Ok(TValue::from_json(&v)),
            other => Err(format!(
                "error unmarshaling JSON: cannot unmarshal {} into []interface {{}}",
                json_kind(&other)
            )),
        }),
        "b64enc" => f(&[Str], None, |_, a| {
            Ok(TValue::str(
                base64::engine::general_purpose::STANDARD.encode(s(&a[0])),
            ))
        }),
        "b64dec" => f(&[Str], None, |_, a| {
            // Sprig returns the decoder's error text as the result instead of failing.
            Ok(TValue::str(
                match base64::engine::general_purpose::STANDARD.decode(s(&a[0])) {
                    Ok(bytes) => String::from_utf8_lossy(&bytes).into_owned(),
                    Err(e) => b64_error(&e),
                },
            ))
        }),
        "sha256sum" => f(&[Str], None, |_, a| {
            let digest = sha2::Sha256::digest(s(&a[0]).as_bytes());
            Ok(TValue::str(
                digest
                    .iter()
                    .map(|b| format!("{b:02x}"))
                    .collect::<String>(),
            ))
        }),

        // Sprig: regular expressions (Go's RE2 syntax; the regex crate accepts the same).
        "regexMatch" => f(&[Str, Str], None, |_, a| {
            Ok(TValue::Bool(
                regex::Regex::new(s(&a[0])).is_ok_and(|r| r.is_match(s(&a[1]))),
            ))
        }),
        "regexFind" => f(&[Str, Str], None, |_, a| {
            let r = compile(s(&a[0]))?;
            Ok(TValue::str(r.find(s(&a[1])).map_or("", |m| m.as_str())))
        }),
        "regexFindAll" => f(&[Str, Str, Int], None, |_, a| {
            let r = compile(s(&a[0]))?;
            let n = int(&a[2]);
            let limit = if n < 0 { usize::MAX } else { n as usize };
            Ok(TValue::list(
                r.find_iter(s(&a[1]))
                    .take(limit)
                    .map(|m| TValue::str(m.as_str()))
                    .collect(),
            ))
        }),
        "regexReplaceAll" => f(&[Str, Str, Str], None, |_, a| {
            let r = compile(s(&a[0]))?;
            Ok(TValue::str(r.replace_all(s(&a[1]), s(&a[2])).into_owned()))
        }),
        "regexReplaceAllLiteral" => f(&[Str, Str, Str], None, |_, a| {
            let r = compile(s(&a[0]))?;
            Ok(TValue::str(
                r.replace_all(s(&a[1]), regex::NoExpand(s(&a[2])))
                    .into_owned(),
            ))
        }),
        "regexSplit" => f(&[Str, Str, Int], None, |_, a| {
            let r = compile(s(&a[0]))?;
            let n = int(&a[2]);
            let parts: Vec<TValue> = if n < 0 {
                r.split(s(&a[1])).map(TValue::str).collect()
            } else if n == 0 {
                Vec::new()
            } else {
                r.splitn(s(&a[1]), n as usize).map(TValue::str).collect()
            };
            Ok(TValue::list(parts))
        }),
        "regexQuoteMeta" => f(&[Str], None, |_, a| {
            Ok(TValue::str(regex::escape(s(&a[0]))))
        }),

        // Sprig: integer arithmetic (everything through cast.ToInt64, as Sprig does).
        "add" => f(&[], Some(Any), |_, a| {
            Ok(TValue::Int(
                a.iter().fold(0i64, |acc, v| acc.wrapping_add(to_int64(v))),
            ))
        }),
        "add1" => f(&[Any], None, |_, a| {
            Ok(TValue::Int(to_int64(&a[0]).wrapping_add(1)))
        }),
        "sub" => f(&[Any, Any], None, |_, a| {
            Ok(TValue::Int(to_int64(&a[0]).wrapping_sub(to_int64(&a[1]))))
        }),
        "mul" => f(&[Any], Some(Any), |_, a| {
            Ok(TValue::Int(
                a.iter().fold(1i64, |acc, v| acc.wrapping_mul(to_int64(v))),
            ))
        }),
        "div" => f(&[Any, Any], None, |_, a| {
            let d = to_int64(&a[1]);
            if d == 0 {
                return Err("runtime error: integer divide by zero".to_string());
            }
            Ok(TValue::Int(to_int64(&a[0]).wrapping_div(d)))
        }),
        "mod" => f(&[Any, Any], None, |_, a| {
            let d = to_int64(&a[1]);
            if d == 0 {
                return Err("runtime error: integer divide by zero".to_string());
            }
            Ok(TValue::Int(to_int64(&a[0]).wrapping_rem(d)))
        }),
        "max" => f(&[Any], Some(Any), |_, a| {
            Ok(TValue::Int(a.iter().map(to_int64).max().unwrap_or(0)))
        }),
        "min" => f(&[Any], Some(Any), |_, a| {
            Ok(TValue::Int(a.iter().map(to_int64).min().unwrap_or(0)))
        }),

        // Argo CD's additions.
        "normalize" => f(&[Str], None, |_, a| {
            Ok(TValue::str(sanitize_name(s(&a[0]))))
        }),
        "slugify" => f(&[], Some(Any), slugify),
        "tpl" => f(&[Str, Any], None, tpl),
        _ => return None,
    })
}

/// Upper bound on strings and lists built by `repeat`/`until`, so a typo cannot exhaust memory.
pub(super) const MAX_BUILT: usize = 1 << 20;

fn builtin_unreachable(_: &mut FnCtx, _: Vec<TValue>) -> Result<TValue, String> {
    // `and`/`or` short-circuit inside the executor and never reach here.
    Err("internal: and/or evaluated eagerly".to_string())
}

/// The string inside a value checked to be `Str` by the signature.
pub(super) fn s(v: &TValue) -> &str {
    v.as_str().unwrap_or("")
}

/// The integer inside a value checked to be `Int` by the signature.
pub(super) fn int(v: &TValue) -> i64 {
    match v {
        TValue::Int(i) => *i,
        _ => 0,
    }
}

/// The map inside a value checked to be `Map` by the signature.
pub(super) fn map_of(v: &TValue) -> Option<&super::value::MapRef> {
    match v {
        TValue::Map(m) => Some(m),
        _ => None,
    }
}

fn list_of(v: &TValue, func: &str) -> Result<Vec<TValue>, String> {
    match v {
        TValue::List(l) => Ok(l.as_ref().clone()),
        TValue::Missing | TValue::Nil => Err(format!("Cannot find {func} on type <nil>")),
        other => Err(format!("Cannot find {func} on type {}", other.type_name())),
    }
}
