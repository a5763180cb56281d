//! Go's `text/template` builtins: `and`, `or`, `not`, `len`, `index`, `slice`, `call`, the
//! comparisons with Go's basic-kind rules, `print`/`printf`/`println`, and the `html`, `js`
//! and `urlquery` escapers.

use super::{Call, Func, FuncError, FuncMap, FuncResult, Param, Special};
use crate::printf;
use crate::value::{Elem, Value};

use Param::{Any, Reflect, Str};

pub(super) fn register(m: &mut FuncMap) {
    // `and`/`or` short-circuit inside the executor; these bodies never run.
    m.insert(
        "and",
        Func::new(&[Reflect], Some(Reflect), unreachable_lazy).special(Special::And),
    );
    m.insert(
        "or",
        Func::new(&[Reflect], Some(Reflect), unreachable_lazy).special(Special::Or),
    );
    m.insert(
        "call",
        Func::new(&[Reflect], Some(Reflect), go_call).special(Special::Call),
    );
    m.insert(
        "not",
        Func::new(&[Reflect], None, |_, a| Ok(Value::Bool(!a[0].truth()))),
    );
    m.insert("len", Func::new(&[Reflect], None, go_len));
    m.insert("index", Func::new(&[Reflect], Some(Reflect), go_index));
    m.insert("slice", Func::new(&[Reflect], Some(Reflect), go_slice));
    m.insert("eq", Func::new(&[Reflect], Some(Reflect), go_eq));
    m.insert(
        "ne",
        Func::new(&[Reflect, Reflect], None, |_, a| {
            Ok(Value::Bool(!compare_eq(&a[0], &a[1])?))
        }),
    );
    m.insert(
        "lt",
        Func::new(&[Reflect, Reflect], None, |_, a| {
            Ok(Value::Bool(compare_lt(&a[0], &a[1])?))
        }),
    );
    m.insert(
        "le",
        Func::new(&[Reflect, Reflect], None, |_, a| {
            Ok(Value::Bool(
                compare_lt(&a[0], &a[1])? || compare_eq(&a[0], &a[1])?,
            ))
        }),
    );
    m.insert(
        "gt",
        Func::new(&[Reflect, Reflect], None, |_, a| {
            Ok(Value::Bool(
                !(compare_lt(&a[0], &a[1])? || compare_eq(&a[0], &a[1])?),
            ))
        }),
    );
    m.insert(
        "ge",
        Func::new(&[Reflect, Reflect], None, |_, a| {
            Ok(Value::Bool(!compare_lt(&a[0], &a[1])?))
        }),
    );
    m.insert(
        "print",
        Func::new(&[], Some(Any), |c, a| {
            let s = printf::sprint(&a, c.limits().max_string);
            Ok(Value::str(c.capped(s)?))
        }),
    );
    m.insert(
        "println",
        Func::new(&[], Some(Any), |c, a| {
            let s = printf::sprintln(&a, c.limits().max_string);
            Ok(Value::str(c.capped(s)?))
        }),
    );
    m.insert(
        "printf",
        Func::new(&[Str], Some(Any), |c, a| {
            let format = a[0].as_str().unwrap_or("");
            Ok(Value::str(printf::sprintf(format, &a[1..], c.limits())?))
        }),
    );
    m.insert(
        "html",
        Func::new(&[], Some(Any), |c, a| {
            let s = eval_args(c, &a)?;
            Ok(Value::str(html_escape(&s)))
        }),
    );
    m.insert(
        "js",
        Func::new(&[], Some(Any), |c, a| {
            let s = eval_args(c, &a)?;
            Ok(Value::str(js_escape(&s)))
        }),
    );
    m.insert(
        "urlquery",
        Func::new(&[], Some(Any), |c, a| {
            let s = eval_args(c, &a)?;
            Ok(Value::str(query_escape(&s)))
        }),
    );
}

fn unreachable_lazy(_: &mut Call<'_>, _: Vec<Value>) -> FuncResult {
    Err(FuncError::new("internal error: and/or evaluated eagerly"))
}

/// Go's `evalArgs`: one string as it is, anything else through `fmt.Sprint`.
fn eval_args(c: &Call<'_>, a: &[Value]) -> Result<String, FuncError> {
    if let [Value::Str(s)] = a {
        return Ok(s.to_string());
    }
    let printable: Vec<Value> = a
        .iter()
        .map(|v| match v {
            Value::Missing | Value::Nil => Value::str("<no value>"),
            other => other.clone(),
        })
        .collect();
    c.capped(printf::sprint(&printable, c.limits().max_string))
}

/// Go's `call`: the callee is never a function here, because template data holds none.
fn go_call(_: &mut Call<'_>, a: Vec<Value>) -> FuncResult {
    let name = a[0].as_str().unwrap_or("").to_string();
    match &a[1] {
        Value::Missing | Value::Nil => Err(FuncError::new("call of nil")),
        other => Err(FuncError::new(format!(
            "non-function {name} of type {}",
            other.type_name()
        ))),
    }
}

/// Go's `HTMLEscapeString`.
pub(crate) fn html_escape(s: &str) -> String {
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

/// Go's `JSEscapeString`.
pub(crate) fn js_escape(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for c in s.chars() {
        match c {
            '\\' => out.push_str("\\\\"),
            '\'' => out.push_str("\\'"),
            '"' => out.push_str("\\\""),
            '<' => out.push_str("\\u003C"),
            '>' => out.push_str("\\u003E"),
            '&' => out.push_str("\\u0026"),
            '=' => out.push_str("\\u003D"),
            c if (c as u32) < 0x20 => out.push_str(&format!("\\u00{:02X}", c as u32)),
            c if (c as u32) < 0x80 => out.push(c),
            c if crate::value::is_go_printable(c) => out.push(c),
            c => out.push_str(&format!("\\u{:04X}", c as u32)),
        }
    }
    out
}

/// Go's `url.QueryEscape`.
pub(crate) fn query_escape(s: &str) -> String {
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

/// Go's `len`.
fn go_len(_: &mut Call<'_>, a: Vec<Value>) -> FuncResult {
    match &a[0] {
        Value::Str(st) => Ok(Value::Int(st.len() as i64)),
        Value::List(l) => Ok(Value::Int(l.items.len() as i64)),
        Value::Map(m) => Ok(Value::Int(m.borrow().entries.len() as i64)),
        // Go's `length` asks the type of a missing value, which panics.
        Value::Missing => Err(FuncError::new(
            "reflect: call of reflect.Value.Type on zero Value",
        )),
        Value::Nil => Err(FuncError::new("len of nil pointer")),
        other => Err(FuncError::new(format!("len of type {}", other.type_name()))),
    }
}

/// Go's `indexArg`.
fn index_arg(idx: &Value, cap: usize) -> Result<usize, FuncError> {
    let i = match idx {
        Value::Int(i) | Value::Int64(i) => *i,
        Value::Uint8(u) => i64::from(*u),
        Value::Uint64(u) => *u as i64,
        Value::Missing | Value::Nil => {
            return Err(FuncError::new("cannot index slice/array with nil"));
        }
        other => {
            return Err(FuncError::new(format!(
                "cannot index slice/array with type {}",
                other.type_name()
            )));
        }
    };
    if i < 0 || i as u64 > cap as u64 {
        return Err(FuncError::new(format!("index out of range: {i}")));
    }
    Ok(i as usize)
}

/// Go's `index`: a missing map key gives the element type's zero value.
fn go_index(_: &mut Call<'_>, a: Vec<Value>) -> FuncResult {
    let mut item = a[0].clone();
    if item.is_nil() {
        return Err(FuncError::new("index of untyped nil"));
    }
    for idx in &a[1..] {
        item = match &item {
            Value::List(l) => {
                let i = index_arg(idx, l.items.len())?;
                match l.items.get(i) {
                    Some(v) => v.clone(),
                    None => return Err(FuncError::new("reflect: slice index out of range")),
                }
            }
            Value::Str(st) => {
                let i = index_arg(idx, st.len())?;
                match st.as_bytes().get(i) {
                    Some(b) => Value::Uint8(*b),
                    None => return Err(FuncError::new("reflect: string index out of range")),
                }
            }
            Value::Map(m) => {
                let key = match idx {
                    Value::Str(k) => k.clone(),
                    Value::Missing | Value::Nil => {
                        return Err(FuncError::new("value is nil; should be of type string"));
                    }
                    other => {
                        return Err(FuncError::new(format!(
                            "value has type {}; should be string",
                            other.type_name()
                        )));
                    }
                };
                let m = m.borrow();
                match m.entries.get(&*key) {
                    Some(v) => v.clone(),
                    None => match m.elem {
                        Elem::Any => Value::Nil,
                        Elem::Str => Value::str(""),
                        Elem::Int => Value::Int(0),
                    },
                }
            }
            Value::Nil | Value::Missing => return Err(FuncError::new("index of nil pointer")),
            other => {
                return Err(FuncError::new(format!(
                    "can't index item of type {}",
                    other.type_name()
                )));
            }
        };
    }
    Ok(item)
}

/// Go's builtin `slice` (Sprig's replaces it in [`FuncMap::new`]).
fn go_slice(_: &mut Call<'_>, a: Vec<Value>) -> FuncResult {
    let item = &a[0];
    let idx = &a[1..];
    if item.is_nil() {
        return Err(FuncError::new("slice of untyped nil"));
    }
    if idx.len() > 3 {
        return Err(FuncError::new(format!(
            "too many slice indexes: {}",
            idx.len()
        )));
    }
    let len = match item {
        Value::Str(s) => {
            if idx.len() == 3 {
                return Err(FuncError::new("cannot 3-index slice a string"));
            }
            s.len()
        }
        Value::List(l) => l.items.len(),
        other => {
            return Err(FuncError::new(format!(
                "can't slice item of type {}",
                other.type_name()
            )));
        }
    };
    let mut bounds = [0, len, len];
    for (i, v) in idx.iter().enumerate() {
        bounds[i] = index_arg(v, len)?;
    }
    if bounds[0] > bounds[1] {
        return Err(FuncError::new(format!(
            "invalid slice index: {} > {}",
            bounds[0], bounds[1]
        )));
    }
    if idx.len() == 3 && bounds[1] > bounds[2] {
        return Err(FuncError::new(format!(
            "invalid slice index: {} > {}",
            bounds[1], bounds[2]
        )));
    }
    Ok(match item {
        Value::List(l) => Value::typed_list(l.elem, l.items[bounds[0]..bounds[1]].to_vec()),
        Value::Str(s) => Value::str(String::from_utf8_lossy(&s.as_bytes()[bounds[0]..bounds[1]])),
        _ => Value::Missing,
    })
}

#[derive(PartialEq, Eq, Clone, Copy)]
enum Basic {
    Invalid,
    Bool,
    Int,
    Uint,
    Float,
    Str,
}

fn basic(v: &Value) -> Basic {
    match v {
        Value::Bool(_) => Basic::Bool,
        Value::Int(_) | Value::Int64(_) => Basic::Int,
        Value::Uint8(_) | Value::Uint64(_) => Basic::Uint,
        Value::Float(_) => Basic::Float,
        Value::Str(_) => Basic::Str,
        _ => Basic::Invalid,
    }
}

fn as_u64(v: &Value) -> u64 {
    match v {
        Value::Uint8(u) => u64::from(*u),
        Value::Uint64(u) => *u,
        _ => 0,
    }
}

fn incompatible(a: &Value, b: &Value) -> FuncError {
    FuncError::new(format!(
        "incompatible types for comparison: {} and {}",
        a.type_name(),
        b.type_name()
    ))
}

fn fmt_short(v: &Value) -> String {
    v.fmt_v(4096).unwrap_or_else(|_| "...".to_string())
}

/// Go's `==` for `eq`: basic kinds must match (an int literal never equals a float64 from
/// JSON: Go reports incompatible types), signed and unsigned integers compare by value.
pub(crate) fn compare_eq(a: &Value, b: &Value) -> Result<bool, FuncError> {
    let (ka, kb) = (basic(a), basic(b));
    if ka != kb {
        return match (ka, kb) {
            (Basic::Int, Basic::Uint) => {
                Ok(a.as_i64().is_some_and(|i| i >= 0 && i as u64 == as_u64(b)))
            }
            (Basic::Uint, Basic::Int) => {
                Ok(b.as_i64().is_some_and(|i| i >= 0 && as_u64(a) == i as u64))
            }
            _ if !a.is_nil() && !b.is_nil() => Err(incompatible(a, b)),
            _ => Ok(false),
        };
    }
    Ok(match (a, b) {
        (Value::Bool(x), Value::Bool(y)) => x == y,
        (Value::Float(x), Value::Float(y)) => x == y,
        (Value::Str(x), Value::Str(y)) => x == y,
        _ if ka == Basic::Int => a.as_i64() == b.as_i64(),
        _ if ka == Basic::Uint => as_u64(a) == as_u64(b),
        // Neither is a basic kind: nil, slices, maps, times, versions.
        _ => {
            let same_kind =
                std::mem::discriminant(a) == std::mem::discriminant(b) || a.is_nil() || b.is_nil();
            if !same_kind {
                return Err(FuncError::new(format!(
                    "non-comparable types {}: {}, {}: {}",
                    fmt_short(a),
                    a.type_name(),
                    b.type_name(),
                    fmt_short(b)
                )));
            }
            if a.is_nil() || b.is_nil() {
                a.is_nil() == b.is_nil()
            } else {
                match (a, b) {
                    (Value::Time(x), Value::Time(y)) => x == y,
                    (Value::Semver(x), Value::Semver(y)) => std::rc::Rc::ptr_eq(x, y),
                    _ => {
                        return Err(FuncError::new(format!(
                            "non-comparable type {}: {}",
                            fmt_short(b),
                            b.type_name()
                        )));
                    }
                }
            }
        }
    })
}

/// Go's `eq`: true if the first operand equals any of the others.
fn go_eq(_: &mut Call<'_>, a: Vec<Value>) -> FuncResult {
    if a.len() < 2 {
        return Err(FuncError::new("missing argument for comparison"));
    }
    for other in &a[1..] {
        if compare_eq(&a[0], other)? {
            return Ok(Value::Bool(true));
        }
    }
    Ok(Value::Bool(false))
}

/// Go's `lt` on two operands of basic kinds.
pub(crate) fn compare_lt(a: &Value, b: &Value) -> Result<bool, FuncError> {
    let (ka, kb) = (basic(a), basic(b));
    if ka == Basic::Invalid || kb == Basic::Invalid {
        return Err(FuncError::new("invalid type for comparison"));
    }
    if ka != kb {
        return match (ka, kb) {
            (Basic::Int, Basic::Uint) => {
                Ok(a.as_i64().is_some_and(|i| i < 0 || (i as u64) < as_u64(b)))
            }
            (Basic::Uint, Basic::Int) => {
                Ok(b.as_i64().is_some_and(|i| i >= 0 && as_u64(a) < i as u64))
            }
            _ => Err(incompatible(a, b)),
        };
    }
    match (a, b) {
        (Value::Float(x), Value::Float(y)) => Ok(x < y),
        (Value::Str(x), Value::Str(y)) => Ok(x < y),
        _ if ka == Basic::Int => Ok(a.as_i64() < b.as_i64()),
        _ if ka == Basic::Uint => Ok(as_u64(a) < as_u64(b)),
        _ => Err(FuncError::new("invalid type for comparison")),
    }
}
