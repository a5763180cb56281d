//! Go's `text/template` builtins that need more than a line: `len`, `index`, `slice`, the
//! comparisons with Go's basic-kind rules, and the `html`/`urlquery` escapers.

use super::funcs::FnCtx;
use super::printf::sprintf;
use super::value::TValue;

/// Go's `html` builtin (`template.HTMLEscapeString`).
pub(super) fn html_escape(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for c in s.chars() {
        match c {
            '"' => out.push_str("&#34;"),
            '\'' => out.push_str("&#39;"),
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '\0' => out.push('\u{FFFD}'),
            c => out.push(c),
        }
    }
    out
}

/// Go's `url.QueryEscape`.
pub(super) fn query_escape(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for b in s.bytes() {
        match b {
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'_' | b'.' | b'~' => {
                out.push(b as char);
            }
            b' ' => out.push('+'),
            b => out.push_str(&format!("%{b:02X}")),
        }
    }
    out
}

/// Go's `len` builtin.
pub(super) fn go_len(_: &mut FnCtx, a: Vec<TValue>) -> Result<TValue, String> {
    match &a[0] {
        TValue::Str(st) => Ok(TValue::Int(st.len() as i64)),
        TValue::List(l) => Ok(TValue::Int(l.len() as i64)),
        TValue::Map(m) => Ok(TValue::Int(m.borrow().len() as i64)),
        TValue::Missing | TValue::Nil => Err("len of nil pointer".to_string()),
        other => Err(format!("len of type {}", other.type_name())),
    }
}

fn index_int(idx: &TValue, len: usize) -> Result<usize, String> {
    let i = match idx {
        TValue::Int(i) => *i,
        TValue::Missing | TValue::Nil => {
            return Err("cannot index slice/array with nil".to_string());
        }
        other => {
            return Err(format!(
                "cannot index slice/array with type {}",
                other.type_name()
            ));
        }
    };
    if i < 0 || i as usize >= len {
        return Err(format!("index out of range: {i}"));
    }
    Ok(i as usize)
}

/// Go's `index` builtin: a missing map key gives nil, an out-of-range index fails.
pub(super) fn go_index(_: &mut FnCtx, a: Vec<TValue>) -> Result<TValue, String> {
    let mut item = a[0].clone();
    if item.is_nil() {
        return Err("index of untyped nil".to_string());
    }
    for idx in &a[1..] {
        item = match &item {
            TValue::List(l) => l[index_int(idx, l.len())?].clone(),
            TValue::Str(st) => TValue::Int(i64::from(st.as_bytes()[index_int(idx, st.len())?])),
            TValue::Map(m) => {
                let key = idx.as_str().ok_or_else(|| {
                    format!("value has type {}; should be string", idx.type_name())
                })?;
                m.borrow().get(key).cloned().unwrap_or(TValue::Nil)
            }
            TValue::Nil | TValue::Missing => return Err("index of nil pointer".to_string()),
            other => return Err(format!("can't index item of type {}", other.type_name())),
        };
    }
    Ok(item)
}

/// Go's `slice` builtin for lists and strings.
pub(super) fn go_slice(_: &mut FnCtx, a: Vec<TValue>) -> Result<TValue, String> {
    let item = &a[0];
    let len = match item {
        TValue::List(l) => l.len(),
        TValue::Str(st) => st.len(),
        TValue::Missing | TValue::Nil => return Err("slice of untyped nil".to_string()),
        other => return Err(format!("can't slice item of type {}", other.type_name())),
    };
    if a.len() > 3 {
        return Err(format!("too many slice indexes: {}", a.len() - 1));
    }
    let bound = |i: usize, default: usize| -> Result<usize, String> {
        match a.get(i) {
            None => Ok(default),
            Some(TValue::Int(n)) if *n >= 0 && (*n as usize) <= len => Ok(*n as usize),
            Some(TValue::Int(n)) => Err(format!("index out of range: {n}")),
            Some(other) => Err(format!(
                "cannot index slice/array with type {}",
                other.type_name()
            )),
        }
    };
    let (from, to) = (bound(1, 0)?, bound(2, len)?);
    if from > to {
        return Err(format!("invalid slice index: {from} > {to}"));
    }
    Ok(match item {
        TValue::List(l) => TValue::list(l[from..to].to_vec()),
        TValue::Str(st) => {
            TValue::str(String::from_utf8_lossy(&st.as_bytes()[from..to]).into_owned())
        }
        _ => TValue::Missing,
    })
}

#[derive(PartialEq, Eq, Clone, Copy)]
enum Basic {
    Invalid,
    Bool,
    Int,
    Float,
    Str,
    Other,
}

fn basic(v: &TValue) -> Basic {
    match v {
        TValue::Missing | TValue::Nil => Basic::Invalid,
        TValue::Bool(_) => Basic::Bool,
        TValue::Int(_) => Basic::Int,
        TValue::Float(_) => Basic::Float,
        TValue::Str(_) => Basic::Str,
        TValue::List(_) | TValue::Map(_) => Basic::Other,
    }
}

/// Go's `eq` for two operands: basic kinds must match (an int literal never equals a float64
/// from JSON: that is an "incompatible types" error in Go as well).
pub(super) fn compare_eq(a: &TValue, b: &TValue) -> Result<bool, String> {
    let (ka, kb) = (basic(a), basic(b));
    if ka != kb {
        if ka != Basic::Invalid && kb != Basic::Invalid {
            return Err(incompatible(a, b));
        }
        return Ok(false);
    }
    Ok(match (a, b) {
        (TValue::Bool(x), TValue::Bool(y)) => x == y,
        (TValue::Int(x), TValue::Int(y)) => x == y,
        (TValue::Float(x), TValue::Float(y)) => x == y,
        (TValue::Str(x), TValue::Str(y)) => x == y,
        _ if ka == Basic::Invalid => true,
        // Two lists or two maps: Go's `==` cannot compare them.
        (TValue::List(_), TValue::List(_)) | (TValue::Map(_), TValue::Map(_)) => {
            return Err(format!(
                "non-comparable type {}: {}",
                sprintf("%s", std::slice::from_ref(b)),
                b.type_name()
            ));
        }
        _ => {
            return Err(format!(
                "non-comparable types {}: {}, {}: {}",
                sprintf("%s", std::slice::from_ref(a)),
                a.type_name(),
                b.type_name(),
                b.fmt_v()
            ));
        }
    })
}

/// Go's error for operands of different basic kinds (Go 1.25 names both types).
fn incompatible(a: &TValue, b: &TValue) -> String {
    format!(
        "incompatible types for comparison: {} and {}",
        a.type_name(),
        b.type_name()
    )
}

/// Go's `eq`: true if the first operand equals any of the others.
pub(super) fn go_eq(_: &mut FnCtx, a: Vec<TValue>) -> Result<TValue, String> {
    if a.len() < 2 {
        return Err("missing argument for comparison".to_string());
    }
    for other in &a[1..] {
        if compare_eq(&a[0], other)? {
            return Ok(TValue::Bool(true));
        }
    }
    Ok(TValue::Bool(false))
}

/// Go's `lt` on two operands of the same basic kind.
pub(super) fn compare_lt(a: &TValue, b: &TValue) -> Result<bool, String> {
    let (ka, kb) = (basic(a), basic(b));
    for k in [ka, kb] {
        if matches!(k, Basic::Invalid | Basic::Other) {
            return Err("invalid type for comparison".to_string());
        }
    }
    if ka != kb {
        return Err(incompatible(a, b));
    }
    match (a, b) {
        (TValue::Int(x), TValue::Int(y)) => Ok(x < y),
        (TValue::Float(x), TValue::Float(y)) => Ok(x < y),
        (TValue::Str(x), TValue::Str(y)) => Ok(x < y),
        _ => Err("invalid type for comparison".to_string()),
    }
}
