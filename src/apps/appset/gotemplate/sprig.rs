//! Helpers behind the Sprig functions and Argo CD's additions (`slugify`, `toYaml`, `tpl`),
//! following the Go implementations' edge cases (byte-based `trunc`, cast's string parsing).

use std::collections::BTreeMap;
use std::rc::Rc;

use super::funcs::{FnCtx, map_of, s};
use super::value::{MapRef, TValue};
use crate::apps::appset::params::sanitize_name;

/// Sprig's `split` result: a map from `_0`, `_1`, ... to the parts.
pub(super) fn index_map(parts: Vec<String>) -> TValue {
    TValue::map(
        parts
            .into_iter()
            .enumerate()
            .map(|(i, p)| (format!("_{i}"), TValue::str(p)))
            .collect(),
    )
}

/// Go's `strings.SplitN` (n < 0: all; an empty separator splits into characters).
pub(super) fn go_split(s: &str, sep: &str, n: i64) -> Vec<String> {
    if n == 0 {
        return Vec::new();
    }
    if sep.is_empty() {
        let chars: Vec<String> = s.chars().map(String::from).collect();
        if n < 0 || chars.len() <= n as usize {
            return chars;
        }
        let n = n as usize;
        let mut out: Vec<String> = chars[..n - 1].to_vec();
        out.push(chars[n - 1..].concat());
        return out;
    }
    if n < 0 {
        s.split(sep).map(String::from).collect()
    } else {
        s.splitn(n as usize, sep).map(String::from).collect()
    }
}

/// Sprig's `strslice`: a list's non-nil items as strings, any other value as one string.
pub(super) fn strslice(v: &TValue) -> Vec<String> {
    match v {
        TValue::List(l) => l
            .iter()
            .filter(|x| !x.is_nil())
            .map(TValue::strval)
            .collect(),
        TValue::Missing | TValue::Nil => Vec::new(),
        other => vec![other.strval()],
    }
}

/// `cast.ToInt64` as Sprig uses it: floats truncate, strings parse (`0x`, `1.0`), else 0.
pub(super) fn to_int64(v: &TValue) -> i64 {
    match v {
        TValue::Int(i) => *i,
        TValue::Float(f) => *f as i64,
        TValue::Bool(b) => i64::from(*b),
        TValue::Str(st) => {
            let t = trim_zero_decimal(st);
            let (neg, body) = match t.strip_prefix('-') {
                Some(b) => (true, b),
                None => (false, t.strip_prefix('+').unwrap_or(t)),
            };
            let lower = body.to_ascii_lowercase();
            let parsed = if let Some(h) = lower.strip_prefix("0x") {
                i64::from_str_radix(h, 16).ok()
            } else if let Some(b) = lower.strip_prefix("0b") {
                i64::from_str_radix(b, 2).ok()
            } else if let Some(o) = lower.strip_prefix("0o") {
                i64::from_str_radix(o, 8).ok()
            } else if lower.len() > 1 && lower.starts_with('0') {
                i64::from_str_radix(&lower[1..], 8).ok()
            } else {
                lower.parse::<i64>().ok()
            };
            parsed.map_or(0, |p| if neg { -p } else { p })
        }
        _ => 0,
    }
}

fn trim_zero_decimal(s: &str) -> &str {
    let bytes = s.as_bytes();
    let mut found_zero = false;
    for i in (1..=bytes.len()).rev() {
        match bytes[i - 1] {
            b'.' => {
                if found_zero {
                    return &s[..i - 1];
                }
                return s;
            }
            b'0' => found_zero = true,
            _ => return s,
        }
    }
    s
}

/// `cast.ToFloat64`: numbers, numeric strings and bools; anything else is 0.
pub(super) fn to_float64(v: &TValue) -> f64 {
    match v {
        TValue::Int(i) => *i as f64,
        TValue::Float(f) => *f,
        TValue::Bool(b) => f64::from(u8::from(*b)),
        TValue::Str(st) => st.parse::<f64>().unwrap_or(0.0),
        _ => 0.0,
    }
}

/// Go's `strings.Title`: upper-cases the first letter of each word.
pub(super) fn title(s: &str) -> String {
    let is_sep = |c: char| {
        if c.is_ascii() {
            !(c.is_ascii_alphanumeric() || c == '_')
        } else if c.is_alphanumeric() {
            false
        } else {
            c.is_whitespace()
        }
    };
    let mut prev = ' ';
    let mut out = String::with_capacity(s.len());
    for c in s.chars() {
        if is_sep(prev) {
            out.extend(c.to_uppercase());
        } else {
            out.push(c);
        }
        prev = c;
    }
    out
}

/// Sprig's `untitle`: lower-cases the first letter of each word.
pub(super) fn untitle(s: &str) -> String {
    let mut in_word = false;
    let mut out = String::with_capacity(s.len());
    for c in s.chars() {
        if c.is_whitespace() {
            in_word = false;
            out.push(c);
        } else if !in_word {
            out.extend(c.to_lowercase());
            in_word = true;
        } else {
            out.push(c);
        }
    }
    out
}

/// Approximates xstrings' ToKebabCase/ToSnakeCase: words split at separators, lower→upper
/// steps and acronym ends (`HTTPServer` → `http-server`), joined lower-case.
pub(super) fn word_case(s: &str, sep: char) -> String {
    let chars: Vec<char> = s.chars().collect();
    let mut words: Vec<String> = Vec::new();
    let mut cur = String::new();
    for (i, &c) in chars.iter().enumerate() {
        if !c.is_alphanumeric() {
            if !cur.is_empty() {
                words.push(std::mem::take(&mut cur));
            }
            continue;
        }
        if c.is_uppercase() && !cur.is_empty() {
            let prev = chars[i - 1];
            let next_lower = chars.get(i + 1).is_some_and(|n| n.is_lowercase());
            if prev.is_lowercase() || prev.is_ascii_digit() || (prev.is_uppercase() && next_lower) {
                words.push(std::mem::take(&mut cur));
            }
        }
        cur.extend(c.to_lowercase());
    }
    if !cur.is_empty() {
        words.push(cur);
    }
    words.join(&sep.to_string())
}

/// Sprig's `substr` on bytes, as Go slices strings.
pub(super) fn substr(start: i64, end: i64, s: &str) -> String {
    let b = s.as_bytes();
    let len = b.len() as i64;
    let (from, to) = if start < 0 {
        (0, end.clamp(0, len))
    } else if end < 0 || end > len {
        (start.min(len), len)
    } else {
        (start.min(end), end)
    };
    String::from_utf8_lossy(&b[from as usize..to as usize]).into_owned()
}

/// Sprig's `trunc`: keep the first c bytes, or the last -c bytes for negative c.
pub(super) fn trunc(c: i64, s: &str) -> String {
    let b = s.as_bytes();
    let len = b.len() as i64;
    if c < 0 && len + c > 0 {
        return String::from_utf8_lossy(&b[(len + c) as usize..]).into_owned();
    }
    if c >= 0 && len > c {
        return String::from_utf8_lossy(&b[..c as usize]).into_owned();
    }
    s.to_string()
}

/// Sprig's `indent`: pads the first line and every line after a newline.
pub(super) fn indent(n: i64, s: &str) -> String {
    let pad = " ".repeat(n.max(0) as usize);
    format!("{pad}{}", s.replace('\n', &format!("\n{pad}")))
}

/// Compiles a regex, failing the call as Go's `regexp.MustCompile` would.
pub(super) fn compile(re: &str) -> Result<regex::Regex, String> {
    regex::Regex::new(re).map_err(|e| format!("regexp: Compile({re:?}): {e}"))
}

/// The text of Go's base64 decoding error, which Sprig's `b64dec` returns as its result.
pub(super) fn b64_error(e: &base64::DecodeError) -> String {
    let at = match e {
        base64::DecodeError::InvalidByte(i, _) | base64::DecodeError::InvalidLastSymbol(i, _) => *i,
        base64::DecodeError::InvalidLength(n) => *n,
        base64::DecodeError::InvalidPadding => 0,
    };
    format!("illegal base64 data at input byte {at}")
}

/// Sprig's `merge`/`mergeOverwrite`: merges later dicts into the first one, in place.
pub(super) fn merge_dicts(a: Vec<TValue>, overwrite: bool) -> Result<TValue, String> {
    let Some(dst) = map_of(&a[0]) else {
        return Ok(a[0].clone());
    };
    for src in &a[1..] {
        if let Some(src) = map_of(src) {
            if Rc::ptr_eq(dst, src) {
                continue;
            }
            merge_into(dst, &src.borrow(), overwrite);
        }
    }
    Ok(a[0].clone())
}

/// mergo's merge of maps: nested maps merge key by key; other values fill empty slots, or
/// replace existing ones when overwriting.
pub(super) fn merge_into(dst: &MapRef, src: &BTreeMap<String, TValue>, overwrite: bool) {
    for (k, v) in src {
        let existing = dst.borrow().get(k).cloned();
        match (existing, v) {
            (Some(TValue::Map(d)), TValue::Map(sm)) if !Rc::ptr_eq(&d, sm) => {
                merge_into(&d, &sm.borrow(), overwrite);
            }
            (Some(cur), _) if cur.truth() && !overwrite => {}
            _ => {
                dst.borrow_mut().insert(k.clone(), v.clone());
            }
        }
    }
}

/// The first document of a YAML text (null when there is none).
pub(super) fn first_yaml_doc(text: &str) -> Result<serde_json::Value, String> {
    let docs = crate::yaml::parse_documents(text).map_err(|e| e.to_string())?;
    Ok(docs.into_iter().next().unwrap_or(serde_json::Value::Null))
}

/// The JSON type name used in Go's unmarshalling errors.
pub(super) fn json_kind(v: &serde_json::Value) -> &'static str {
    match v {
        serde_json::Value::Null => "null",
        serde_json::Value::Bool(_) => "bool",
        serde_json::Value::Number(_) => "number",
        serde_json::Value::String(_) => "string",
        serde_json::Value::Array(_) => "array",
        serde_json::Value::Object(_) => "object",
    }
}

/// Argo CD's `toYaml`: the value marshalled as YAML without the trailing newline.
pub(super) fn to_yaml(v: &TValue) -> Result<TValue, String> {
    let json = v.to_json();
    if json.is_null() {
        return Ok(TValue::str("null"));
    }
    let text = crate::yaml::to_string(&json).map_err(|e| e.to_string())?;
    Ok(TValue::str(text.strip_suffix('\n').unwrap_or(&text)))
}

/// Argo CD's `slugify [maxSize] [smartTruncate] name`: `normalize`, then gosimple/slug.
pub(super) fn slugify(_: &mut FnCtx, a: Vec<TValue>) -> Result<TValue, String> {
    let mut max_len: i64 = 50;
    let mut smart = true;
    let mut name = String::new();
    let last = a.len().saturating_sub(1);
    for (i, arg) in a.iter().enumerate() {
        if i == last {
            name = arg
                .as_str()
                .ok_or_else(|| {
                    format!(
                        "interface conversion: interface {{}} is {}, not string",
                        arg.type_name()
                    )
                })?
                .to_string();
        } else if i == 0 {
            let TValue::Int(n) = arg else {
                return Err(format!(
                    "interface conversion: interface {{}} is {}, not int",
                    arg.type_name()
                ));
            };
            max_len = *n;
        } else if i == 1 {
            let TValue::Bool(b) = arg else {
                return Err(format!(
                    "interface conversion: interface {{}} is {}, not bool",
                    arg.type_name()
                ));
            };
            smart = *b;
        }
    }
    let mut slug = sanitize_name(&name);
    let max = max_len.max(0) as usize;
    if !smart && slug.len() >= max {
        slug.truncate(max);
    }
    let mut cleaned = String::with_capacity(slug.len());
    for c in slug.chars() {
        let c = if c.is_ascii_alphanumeric() || c == '-' || c == '_' {
            c
        } else {
            '-'
        };
        if c == '-' && cleaned.ends_with('-') {
            continue;
        }
        cleaned.push(c);
    }
    let mut slug = cleaned.trim_matches(['-', '_']).to_string();
    if max > 0 && smart && slug.len() > max {
        let cut = slug.as_bytes()[..=max].iter().rposition(|b| *b == b'-');
        slug.truncate(cut.unwrap_or(max));
    }
    Ok(TValue::str(slug))
}

/// Argo CD's `tpl`: renders a string as a template; `<no value>` becomes empty.
pub(super) fn tpl(ctx: &mut FnCtx, a: Vec<TValue>) -> Result<TValue, String> {
    if ctx.depth > 16 {
        return Err("tpl: nested too deeply".to_string());
    }
    let text = s(&a[0]);
    let tmpl =
        super::Template::parse(text).map_err(|e| format!("cannot parse template {text:?}: {e}"))?;
    let out = tmpl
        .execute_nested(&a[1], ctx.opts, ctx.depth + 1)
        .map_err(|e| format!("error during tpl function execution for {text:?}: {e}"))?;
    Ok(TValue::str(out.replace("<no value>", "")))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn kebabcase_splits_words_and_acronyms() {
        assert_eq!(word_case("FirstName", '-'), "first-name");
        assert_eq!(word_case("HTTPServer", '-'), "http-server");
        assert_eq!(word_case("foo_bar baz", '_'), "foo_bar_baz");
    }

    #[test]
    fn title_capitalises_each_word() {
        assert_eq!(title("hello wide-world_x"), "Hello Wide-World_x");
    }

    #[test]
    fn cast_to_int_handles_strings_and_floats() {
        assert_eq!(to_int64(&TValue::str("42")), 42);
        assert_eq!(to_int64(&TValue::str("1.0")), 1);
        assert_eq!(to_int64(&TValue::str("0x10")), 16);
        assert_eq!(to_int64(&TValue::str("abc")), 0);
        assert_eq!(to_int64(&TValue::Float(3.9)), 3);
    }

    #[test]
    fn trunc_and_substr_follow_sprig() {
        assert_eq!(trunc(3, "abcdef"), "abc");
        assert_eq!(trunc(-2, "abcdef"), "ef");
        assert_eq!(trunc(10, "abc"), "abc");
        assert_eq!(substr(1, 3, "abcdef"), "bc");
        assert_eq!(substr(-1, 2, "abcdef"), "ab");
        assert_eq!(substr(2, -1, "abcdef"), "cdef");
    }
}
