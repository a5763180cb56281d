//! Sprig v3's generic function map (`sprig.GenericFuncMap()`), function by function with the
//! Go implementations' edge cases: byte-based `trunc`, `cast`'s string parsing, mergo's merge
//! rules, panics turned into errors with Go's runtime messages. Left out: `env`, `expandenv`
//! and `getHostByName` (they expose the machine), and the functions listed as unimplemented in
//! [`super::UNIMPLEMENTED`].

mod crypto;
mod dates;
mod dicts;
mod encoding;
mod lists;
mod math;
mod misc;
mod regexes;
mod strings;

use std::cell::Cell;

use super::{Call, FuncError, FuncMap};
use crate::value::Value;

pub(crate) use misc::method;

pub(super) fn register(m: &mut FuncMap) {
    strings::register(m);
    lists::register(m);
    dicts::register(m);
    math::register(m);
    encoding::register(m);
    regexes::register(m);
    dates::register(m);
    misc::register(m);
    crypto::register(m);
}

/// The string inside a value the signature declared as `string`.
pub(crate) fn s(v: &Value) -> &str {
    v.as_str().unwrap_or("")
}

/// The integer inside a value the signature declared as `int`.
pub(crate) fn int(v: &Value) -> i64 {
    v.as_i64().unwrap_or(0)
}

/// Go's message when Sprig calls `reflect.TypeOf(nil).Kind()`.
pub(crate) const NIL_DEREF: &str =
    "runtime error: invalid memory address or nil pointer dereference";

/// Sprig's `strval`: strings as they are, types with a `String` method through it, anything
/// else with `%v`.
pub(crate) fn strval(c: &Call<'_>, v: &Value) -> Result<String, FuncError> {
    match v {
        Value::Str(s) => Ok(s.to_string()),
        other => c.fmt_v(other),
    }
}

/// Sprig's `strslice`: a list's non-nil items as strings, nil as no strings, anything else as
/// one string.
pub(crate) fn strslice(c: &Call<'_>, v: &Value) -> Result<Vec<String>, FuncError> {
    match v {
        Value::List(l) => l
            .items
            .iter()
            .filter(|x| !x.is_nil())
            .map(|x| strval(c, x))
            .collect(),
        Value::Missing | Value::Nil => Ok(Vec::new()),
        other => Ok(vec![strval(c, other)?]),
    }
}

/// Sprig's `empty`: zero values, empty collections and nil are empty; structs never are.
pub(crate) fn empty(v: &Value) -> bool {
    !v.truth()
}

/// `cast.ToInt64` as Sprig uses it: floats truncate, strings parse (`0x10`, `1.0`), bools are
/// 0 or 1, anything else 0.
pub(crate) fn to_int64(v: &Value) -> i64 {
    match v {
        Value::Int(i) | Value::Int64(i) => *i,
        Value::Uint8(u) => i64::from(*u),
        Value::Uint64(u) => *u as i64,
        Value::Float(f) => go_float_to_int(*f),
        Value::Bool(b) => i64::from(*b),
        Value::Str(st) => parse_go_int_base0(trim_zero_decimal(st)).unwrap_or(0),
        _ => 0,
    }
}

/// Go's `int64(f)` on amd64: truncation, and the "integer indefinite" value out of range.
pub(crate) fn go_float_to_int(f: f64) -> i64 {
    // 2^63, exactly representable.
    const LIMIT: f64 = 9_223_372_036_854_775_808.0;
    if f.is_nan() || !(-LIMIT..LIMIT).contains(&f) {
        i64::MIN
    } else {
        f as i64
    }
}

/// `strconv.ParseInt(s, 0, 64)`.
pub(crate) fn parse_go_int_base0(s: &str) -> Option<i64> {
    let (neg, body) = match s.as_bytes().first() {
        Some(b'-') => (true, &s[1..]),
        Some(b'+') => (false, &s[1..]),
        _ => (false, s),
    };
    let lower = body.to_ascii_lowercase();
    let (radix, digits, prefixed) = if let Some(d) = lower.strip_prefix("0x") {
        (16, d, true)
    } else if let Some(d) = lower.strip_prefix("0o") {
        (8, d, true)
    } else if let Some(d) = lower.strip_prefix("0b") {
        (2, d, true)
    } else if lower.len() > 1 && lower.starts_with('0') {
        (8, &lower[1..], true)
    } else {
        (10, lower.as_str(), false)
    };
    // Base 0 allows underscores between digits (and after a prefix).
    if digits.contains('_') {
        let ok_shape = !digits.ends_with('_')
            && !digits.contains("__")
            && (prefixed || !digits.starts_with('_'));
        if !ok_shape {
            return None;
        }
    }
    let clean: String = digits.chars().filter(|c| *c != '_').collect();
    if clean.is_empty() || !clean.chars().all(|c| c.is_digit(radix)) {
        return None;
    }
    let v = i128::from_str_radix(&clean, radix).ok()?;
    let v = if neg { -v } else { v };
    i64::try_from(v).ok()
}

/// cast's `trimZeroDecimal`: `"1.0"` → `"1"`, `"1.5"` unchanged.
fn trim_zero_decimal(s: &str) -> &str {
    let b = s.as_bytes();
    let mut found_zero = false;
    for i in (1..=b.len()).rev() {
        match b[i - 1] {
            b'.' => {
                if found_zero {
                    return &s[..i - 1];
                }
            }
            b'0' => found_zero = true,
            _ => return s,
        }
    }
    s
}

/// `cast.ToFloat64`: numbers, numeric strings (as `strconv.ParseFloat` reads them) and bools.
pub(crate) fn to_float64(v: &Value) -> f64 {
    match v {
        Value::Int(i) | Value::Int64(i) => *i as f64,
        Value::Uint8(u) => f64::from(*u),
        Value::Uint64(u) => *u as f64,
        Value::Float(f) => *f,
        Value::Bool(b) => f64::from(u8::from(*b)),
        Value::Str(st) => parse_go_float(st).unwrap_or(0.0),
        _ => 0.0,
    }
}

/// `strconv.ParseFloat(s, 64)` for the forms templates meet (decimal, exponent, inf, nan).
pub(crate) fn parse_go_float(s: &str) -> Option<f64> {
    let lower = s.to_ascii_lowercase();
    let body = lower.trim_start_matches(['+', '-']);
    match body {
        "inf" | "infinity" => {
            return Some(if lower.starts_with('-') {
                f64::NEG_INFINITY
            } else {
                f64::INFINITY
            });
        }
        "nan" if lower == "nan" => return Some(f64::NAN),
        _ => {}
    }
    if body.is_empty()
        || !body
            .chars()
            .all(|c| c.is_ascii_digit() || matches!(c, '.' | 'e' | '+' | '-'))
    {
        return None;
    }
    lower.parse::<f64>().ok()
}

/// A small non-cryptographic generator for Sprig's random functions, seeded per thread from
/// the OS-seeded hasher and the clock. Templates that ask for randomness get output that
/// changes on every render anyway; nothing here is meant to be secret.
pub(crate) fn random_u64() -> u64 {
    thread_local! {
        static STATE: Cell<u64> = Cell::new({
            use std::hash::{BuildHasher, Hasher};
            let mut h = std::collections::hash_map::RandomState::new().build_hasher();
            h.write_u128(
                std::time::SystemTime::now()
                    .duration_since(std::time::UNIX_EPOCH)
                    .map(|d| d.as_nanos())
                    .unwrap_or(0),
            );
            h.finish()
        });
    }
    STATE.with(|st| {
        // SplitMix64.
        let mut z = st.get().wrapping_add(0x9E37_79B9_7F4A_7C15);
        st.set(z);
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^ (z >> 31)
    })
}

/// A random number in `0..n` (`n` > 0).
pub(crate) fn random_below(n: u64) -> u64 {
    random_u64() % n.max(1)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn cast_to_int_handles_strings_and_floats() {
        assert_eq!(to_int64(&Value::str("42")), 42);
        assert_eq!(to_int64(&Value::str("1.0")), 1);
        assert_eq!(to_int64(&Value::str("0x10")), 16);
        assert_eq!(to_int64(&Value::str("010")), 8);
        assert_eq!(to_int64(&Value::str("abc")), 0);
        assert_eq!(to_int64(&Value::str("1.5")), 0);
        assert_eq!(to_int64(&Value::Float(3.9)), 3);
    }

    #[test]
    fn cast_to_float_reads_go_float_syntax() {
        assert_eq!(to_float64(&Value::str("1e3")), 1000.0);
        assert_eq!(to_float64(&Value::str("x")), 0.0);
        assert!(to_float64(&Value::str("NaN")).is_nan());
    }
}
