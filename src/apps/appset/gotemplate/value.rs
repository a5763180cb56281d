//! Values as Go's `text/template` sees the parameters Argo CD decoded from JSON, and the Go
//! formatting rules (`fmt` `%v`, `strconv.Quote`, `encoding/json`) that decide the rendered text.

use std::cell::RefCell;
use std::collections::BTreeMap;
use std::fmt::Write as _;
use std::rc::Rc;

use serde_json::Value as Json;

/// A Go map shared by reference, as Go maps are: sprig's `set` on `$m` is visible through `$m`.
pub type MapRef = Rc<RefCell<BTreeMap<String, TValue>>>;

/// One template value. Maps are `map[string]interface{}`, lists `[]interface{}`.
#[derive(Clone, Debug)]
pub enum TValue {
    /// Go's invalid `reflect.Value`: what a missing map key evaluates to; prints `<no value>`.
    Missing,
    /// A nil `interface{}` (JSON null).
    Nil,
    /// A Go bool.
    Bool(bool),
    /// A Go int (template literals, `len`, sprig arithmetic).
    Int(i64),
    /// A Go float64: every number decoded from JSON or YAML by Argo CD is one.
    Float(f64),
    /// A Go string.
    Str(Rc<str>),
    /// A Go slice.
    List(Rc<Vec<TValue>>),
    /// A Go map with string keys (iterated in sorted key order, as templates do).
    Map(MapRef),
}

impl TValue {
    /// A string value.
    pub fn str(s: impl Into<Rc<str>>) -> TValue {
        TValue::Str(s.into())
    }

    /// A list value.
    pub fn list(items: Vec<TValue>) -> TValue {
        TValue::List(Rc::new(items))
    }

    /// A map value.
    pub fn map(entries: BTreeMap<String, TValue>) -> TValue {
        TValue::Map(Rc::new(RefCell::new(entries)))
    }

    /// Converts decoded JSON the way `json.Unmarshal` into `interface{}` does: numbers become
    /// float64 (so `{{.replicas}}` of 1000000 prints `1e+06`, as in Argo CD).
    pub fn from_json(v: &Json) -> TValue {
        match v {
            Json::Null => TValue::Nil,
            Json::Bool(b) => TValue::Bool(*b),
            Json::Number(n) => TValue::Float(n.as_f64().unwrap_or(0.0)),
            Json::String(s) => TValue::str(s.as_str()),
            Json::Array(a) => TValue::list(a.iter().map(TValue::from_json).collect()),
            Json::Object(o) => TValue::map(
                o.iter()
                    .map(|(k, v)| (k.clone(), TValue::from_json(v)))
                    .collect(),
            ),
        }
    }

    /// Converts back to JSON as `json.Marshal` would write it (integral floats have no fraction).
    pub fn to_json(&self) -> Json {
        match self {
            TValue::Missing | TValue::Nil => Json::Null,
            TValue::Bool(b) => Json::Bool(*b),
            TValue::Int(i) => Json::from(*i),
            TValue::Float(f) => float_to_json(*f),
            TValue::Str(s) => Json::String(s.to_string()),
            TValue::List(l) => Json::Array(l.iter().map(TValue::to_json).collect()),
            TValue::Map(m) => Json::Object(
                m.borrow()
                    .iter()
                    .map(|(k, v)| (k.clone(), v.to_json()))
                    .collect(),
            ),
        }
    }

    /// The Go type name used in error messages.
    pub fn type_name(&self) -> &'static str {
        match self {
            TValue::Missing => "<nil>",
            TValue::Nil => "interface {}",
            TValue::Bool(_) => "bool",
            TValue::Int(_) => "int",
            TValue::Float(_) => "float64",
            TValue::Str(_) => "string",
            TValue::List(_) => "[]interface {}",
            TValue::Map(_) => "map[string]interface {}",
        }
    }

    /// Go's `isTrue`: empty strings, lists and maps, zero numbers, false and nil are false.
    pub fn truth(&self) -> bool {
        match self {
            TValue::Missing | TValue::Nil => false,
            TValue::Bool(b) => *b,
            TValue::Int(i) => *i != 0,
            TValue::Float(f) => *f != 0.0,
            TValue::Str(s) => !s.is_empty(),
            TValue::List(l) => !l.is_empty(),
            TValue::Map(m) => !m.borrow().is_empty(),
        }
    }

    /// True for a nil or missing value.
    pub fn is_nil(&self) -> bool {
        matches!(self, TValue::Missing | TValue::Nil)
    }

    /// The string inside, if this is a string.
    pub fn as_str(&self) -> Option<&str> {
        match self {
            TValue::Str(s) => Some(s),
            _ => None,
        }
    }

    /// `fmt.Sprint("%v", v)`.
    pub fn fmt_v(&self) -> String {
        let mut out = String::new();
        self.write_v(&mut out, 0);
        out
    }

    /// What `{{ pipeline }}` writes: nil and missing values print `<no value>`.
    pub fn print_output(&self) -> String {
        if self.is_nil() {
            "<no value>".to_string()
        } else {
            self.fmt_v()
        }
    }

    /// Sprig's `strval`/`toString`: strings as they are, everything else with `%v`.
    pub fn strval(&self) -> String {
        match self {
            TValue::Str(s) => s.to_string(),
            _ => self.fmt_v(),
        }
    }

    fn write_v(&self, out: &mut String, depth: usize) {
        // A map that holds itself (possible through sprig's `set`) would recurse forever in Go
        // too; stop instead of overflowing the stack.
        if depth > 64 {
            out.push_str("...");
            return;
        }
        match self {
            TValue::Missing | TValue::Nil => out.push_str("<nil>"),
            TValue::Bool(b) => out.push_str(if *b { "true" } else { "false" }),
            TValue::Int(i) => {
                let _ = write!(out, "{i}");
            }
            TValue::Float(f) => out.push_str(&format_float_g(*f)),
            TValue::Str(s) => out.push_str(s),
            TValue::List(l) => {
                out.push('[');
                for (i, v) in l.iter().enumerate() {
                    if i > 0 {
                        out.push(' ');
                    }
                    v.write_v(out, depth + 1);
                }
                out.push(']');
            }
            TValue::Map(m) => {
                out.push_str("map[");
                for (i, (k, v)) in m.borrow().iter().enumerate() {
                    if i > 0 {
                        out.push(' ');
                    }
                    out.push_str(k);
                    out.push(':');
                    v.write_v(out, depth + 1);
                }
                out.push(']');
            }
        }
    }

    /// Go's `reflect.DeepEqual` over these values (used by sprig's `has`, `uniq`, `without`).
    pub fn deep_equal(&self, other: &TValue) -> bool {
        match (self, other) {
            (TValue::Missing | TValue::Nil, TValue::Missing | TValue::Nil) => true,
            (TValue::Bool(a), TValue::Bool(b)) => a == b,
            (TValue::Int(a), TValue::Int(b)) => a == b,
            (TValue::Float(a), TValue::Float(b)) => a == b,
            (TValue::Str(a), TValue::Str(b)) => a == b,
            (TValue::List(a), TValue::List(b)) => {
                a.len() == b.len() && a.iter().zip(b.iter()).all(|(x, y)| x.deep_equal(y))
            }
            (TValue::Map(a), TValue::Map(b)) => {
                if Rc::ptr_eq(a, b) {
                    return true;
                }
                let (a, b) = (a.borrow(), b.borrow());
                a.len() == b.len()
                    && a.iter()
                        .zip(b.iter())
                        .all(|((ka, va), (kb, vb))| ka == kb && va.deep_equal(vb))
            }
            _ => false,
        }
    }
}

/// `json.Marshal` writes integral float64 values without a fraction; keep that for YAML output.
fn float_to_json(f: f64) -> Json {
    if f.is_finite() && f.fract() == 0.0 && f.abs() < 9.007_199_254_740_992e15 {
        // Invariant: the range check above keeps the value exactly representable as i64.
        Json::from(f as i64)
    } else {
        serde_json::Number::from_f64(f)
            .map(Json::Number)
            .unwrap_or(Json::Null)
    }
}

/// The shortest decimal digits of |f| and the decimal point position, as strconv computes them:
/// `f = 0.d1d2d3... × 10^dp`.
fn shortest_digits(f: f64) -> (String, i32) {
    let s = format!("{:e}", f.abs());
    let (mant, exp) = s.split_once('e').unwrap_or((s.as_str(), "0"));
    let digits: String = mant.chars().filter(|c| c.is_ascii_digit()).collect();
    let exp: i32 = exp.parse().unwrap_or(0);
    if digits.chars().all(|c| c == '0') {
        return ("0".to_string(), 1);
    }
    (digits, exp + 1)
}

fn special_float(f: f64) -> Option<&'static str> {
    if f.is_nan() {
        Some("NaN")
    } else if f == f64::INFINITY {
        Some("+Inf")
    } else if f == f64::NEG_INFINITY {
        Some("-Inf")
    } else {
        None
    }
}

/// strconv's `%e` layout from digits: `d.ddde±XX`, at least two exponent digits.
fn layout_e(neg: bool, digits: &str, dp: i32, frac_digits: usize) -> String {
    let mut out = String::new();
    if neg {
        out.push('-');
    }
    let mut chars = digits.chars();
    out.push(chars.next().unwrap_or('0'));
    if frac_digits > 0 {
        out.push('.');
        let rest: String = chars.collect();
        for i in 0..frac_digits {
            out.push(rest.chars().nth(i).unwrap_or('0'));
        }
    }
    let exp = if digits == "0" { 0 } else { dp - 1 };
    out.push('e');
    out.push(if exp < 0 { '-' } else { '+' });
    let _ = write!(out, "{:02}", exp.abs());
    out
}

/// strconv's `%f` layout from digits with `frac_digits` decimals.
fn layout_f(neg: bool, digits: &str, dp: i32, frac_digits: usize) -> String {
    let mut out = String::new();
    if neg {
        out.push('-');
    }
    let d: Vec<char> = digits.chars().collect();
    if dp > 0 {
        for i in 0..dp as usize {
            out.push(*d.get(i).unwrap_or(&'0'));
        }
    } else {
        out.push('0');
    }
    if frac_digits > 0 {
        out.push('.');
        for i in 0..frac_digits as i32 {
            let idx = dp + i;
            let c = if idx < 0 {
                '0'
            } else {
                *d.get(idx as usize).unwrap_or(&'0')
            };
            out.push(c);
        }
    }
    out
}

/// Go's `%v` for float64 (`strconv.FormatFloat(f, 'g', -1, 64)`): exponent form when the
/// exponent is below -4 or at least 6 for shortest output — `1e+06`, `123456`, `1.5`.
pub fn format_float_g(f: f64) -> String {
    if let Some(s) = special_float(f) {
        return s.to_string();
    }
    let neg = f.is_sign_negative();
    let (digits, dp) = shortest_digits(f);
    let nd = digits.len();
    let exp = dp - 1;
    if digits != "0" && !(-4..6).contains(&exp) {
        layout_e(neg, &digits, dp, nd - 1)
    } else {
        layout_f(neg, &digits, dp, (nd as i32 - dp).max(0) as usize)
    }
}

/// How `encoding/json` writes a float64: plain decimals between 1e-6 and 1e21, else `1e+21`,
/// `1e-7` (exponent without a leading zero).
pub fn format_float_json(f: f64) -> String {
    if let Some(s) = special_float(f) {
        return s.to_string();
    }
    let neg = f.is_sign_negative() && f != 0.0;
    let abs = f.abs();
    let (digits, dp) = shortest_digits(f);
    let nd = digits.len();
    if abs != 0.0 && !(1e-6..1e21).contains(&abs) {
        let s = layout_e(neg, &digits, dp, nd - 1);
        // json.Marshal cleans e-09 to e-9.
        if let Some(pos) = s.find("e-0") {
            return format!("{}e-{}", &s[..pos], &s[pos + 3..]);
        }
        s
    } else {
        layout_f(neg, &digits, dp, (nd as i32 - dp).max(0) as usize)
    }
}

/// `strconv.Quote`: Go-syntax double-quoted string.
pub fn go_quote(s: &str) -> String {
    let mut out = String::with_capacity(s.len() + 2);
    out.push('"');
    for c in s.chars() {
        match c {
            '"' => out.push_str("\\\""),
            '\\' => out.push_str("\\\\"),
            '\u{7}' => out.push_str("\\a"),
            '\u{8}' => out.push_str("\\b"),
            '\u{c}' => out.push_str("\\f"),
            '\n' => out.push_str("\\n"),
            '\r' => out.push_str("\\r"),
            '\t' => out.push_str("\\t"),
            '\u{b}' => out.push_str("\\v"),
            c if is_go_printable(c) => out.push(c),
            c if (c as u32) < 0x80 => {
                let _ = write!(out, "\\x{:02x}", c as u32);
            }
            c if (c as u32) < 0x10000 => {
                let _ = write!(out, "\\u{:04x}", c as u32);
            }
            c => {
                let _ = write!(out, "\\U{:08x}", c as u32);
            }
        }
    }
    out.push('"');
    out
}

/// Approximates `unicode.IsPrint`: graphic characters and the ASCII space only.
fn is_go_printable(c: char) -> bool {
    if c == ' ' {
        return true;
    }
    if c.is_control() || c.is_whitespace() {
        return false;
    }
    // Format characters (zero-width joiners, BOM, bidi marks) are not printable in Go.
    !matches!(c as u32, 0xad | 0x200b..=0x200f | 0x2028..=0x202e | 0x2060..=0x2064 | 0xfeff)
}

/// Go's `encoding/json` string escaping; `html` also escapes `<`, `>`, `&` as `json.Marshal` does.
pub fn json_quote(s: &str, html: bool, out: &mut String) {
    out.push('"');
    for c in s.chars() {
        match c {
            '"' => out.push_str("\\\""),
            '\\' => out.push_str("\\\\"),
            '\n' => out.push_str("\\n"),
            '\r' => out.push_str("\\r"),
            '\t' => out.push_str("\\t"),
            '\u{8}' => out.push_str("\\b"),
            '\u{c}' => out.push_str("\\f"),
            '<' | '>' | '&' if html => {
                let _ = write!(out, "\\u{:04x}", c as u32);
            }
            '\u{2028}' | '\u{2029}' => {
                let _ = write!(out, "\\u{:04x}", c as u32);
            }
            c if (c as u32) < 0x20 => {
                let _ = write!(out, "\\u{:04x}", c as u32);
            }
            c => out.push(c),
        }
    }
    out.push('"');
}

/// `json.Marshal` / `json.MarshalIndent(v, "", indent)`: sorted keys, Go number layout.
pub fn go_json(v: &TValue, html: bool, indent: Option<&str>) -> Result<String, String> {
    let mut out = String::new();
    write_json(v, html, indent, 0, &mut out)?;
    Ok(out)
}

fn newline_indent(out: &mut String, indent: Option<&str>, level: usize) {
    if let Some(ind) = indent {
        out.push('\n');
        for _ in 0..level {
            out.push_str(ind);
        }
    }
}

fn write_json(
    v: &TValue,
    html: bool,
    indent: Option<&str>,
    level: usize,
    out: &mut String,
) -> Result<(), String> {
    if level > 64 {
        return Err("json: unsupported value: encountered a cycle".to_string());
    }
    match v {
        TValue::Missing | TValue::Nil => out.push_str("null"),
        TValue::Bool(b) => out.push_str(if *b { "true" } else { "false" }),
        TValue::Int(i) => {
            let _ = write!(out, "{i}");
        }
        TValue::Float(f) => {
            if !f.is_finite() {
                return Err(format!("json: unsupported value: {}", format_float_g(*f)));
            }
            out.push_str(&format_float_json(*f));
        }
        TValue::Str(s) => json_quote(s, html, out),
        TValue::List(l) => {
            if l.is_empty() {
                out.push_str("[]");
                return Ok(());
            }
            out.push('[');
            for (i, item) in l.iter().enumerate() {
                if i > 0 {
                    out.push(',');
                }
                newline_indent(out, indent, level + 1);
                write_json(item, html, indent, level + 1, out)?;
            }
            newline_indent(out, indent, level);
            out.push(']');
        }
        TValue::Map(m) => {
            let m = m.borrow();
            if m.is_empty() {
                out.push_str("{}");
                return Ok(());
            }
            out.push('{');
            for (i, (k, item)) in m.iter().enumerate() {
                if i > 0 {
                    out.push(',');
                }
                newline_indent(out, indent, level + 1);
                json_quote(k, html, out);
                out.push(':');
                if indent.is_some() {
                    out.push(' ');
                }
                write_json(item, html, indent, level + 1, out)?;
            }
            newline_indent(out, indent, level);
            out.push('}');
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn floats_print_like_go_percent_v() {
        assert_eq!(format_float_g(1.0), "1");
        assert_eq!(format_float_g(0.5), "0.5");
        assert_eq!(format_float_g(123456.0), "123456");
        assert_eq!(format_float_g(1_000_000.0), "1e+06");
        assert_eq!(format_float_g(1_234_567.0), "1.234567e+06");
        assert_eq!(format_float_g(0.0001), "0.0001");
        assert_eq!(format_float_g(0.00001), "1e-05");
        assert_eq!(format_float_g(-2.5), "-2.5");
        assert_eq!(format_float_g(0.0), "0");
    }

    #[test]
    fn floats_marshal_like_encoding_json() {
        assert_eq!(format_float_json(1_000_000.0), "1000000");
        assert_eq!(format_float_json(1e21), "1e+21");
        assert_eq!(format_float_json(1e-7), "1e-7");
        assert_eq!(format_float_json(0.25), "0.25");
    }

    #[test]
    fn maps_and_lists_print_like_go() {
        let v = TValue::from_json(&json!({"b": [1, "x", null], "a": true}));
        assert_eq!(v.fmt_v(), "map[a:true b:[1 x <nil>]]");
        assert_eq!(TValue::Missing.print_output(), "<no value>");
    }

    #[test]
    fn json_is_sorted_and_html_escaped() {
        let v = TValue::from_json(&json!({"z": "<a&b>", "a": [1.5, 2]}));
        assert_eq!(
            go_json(&v, true, None).unwrap(),
            r#"{"a":[1.5,2],"z":"\u003ca\u0026b\u003e"}"#
        );
        assert_eq!(
            go_json(&v, false, Some("  ")).unwrap(),
            "{\n  \"a\": [\n    1.5,\n    2\n  ],\n  \"z\": \"<a&b>\"\n}"
        );
    }

    #[test]
    fn quote_escapes_like_strconv() {
        assert_eq!(go_quote("a\"b\n\u{1}é"), "\"a\\\"b\\n\\x01é\"");
    }
}
