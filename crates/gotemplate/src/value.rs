//! Template values as Go's `text/template` sees them when the data came from JSON, plus the
//! Go types Sprig functions return (`int64` from arithmetic, `[]string` from `splitList`,
//! `time.Time` from `now`...). The type matters in Go: it decides `%T`, `typeOf`, whether a
//! typed parameter accepts the value, and how `eq` compares.

use std::cell::RefCell;
use std::collections::BTreeMap;
use std::rc::Rc;

use serde_json::Value as Json;

use crate::time::GoTime;
use masterminds_semver::Version;

/// The element type of a Go slice or map, which Sprig functions make visible.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Elem {
    /// `interface{}`: what JSON data and `list`/`dict` hold.
    Any,
    /// `string` (`splitList`, `toStrings`, `keys`, `split`).
    Str,
    /// `int` (`until`, `untilStep`).
    Int,
}

impl Elem {
    fn go_name(self) -> &'static str {
        match self {
            Elem::Any => "interface {}",
            Elem::Str => "string",
            Elem::Int => "int",
        }
    }
}

/// A Go slice.
#[derive(Debug)]
pub struct List {
    /// Element type.
    pub elem: Elem,
    /// The elements.
    pub items: Vec<Value>,
}

/// A Go map with string keys (ranged over and printed in sorted key order, as Go does).
#[derive(Debug)]
pub struct Map {
    /// Element type.
    pub elem: Elem,
    /// The entries.
    pub entries: BTreeMap<String, Value>,
    /// A nil map (what a missing value becomes as a map parameter): reads like an empty map,
    /// refuses writes.
    pub is_nil: bool,
}

/// A map shared by reference, as Go maps are: Sprig's `set` on `$m` is visible through `$m`.
pub type MapRef = Rc<RefCell<Map>>;

/// One template value.
#[derive(Clone, Debug)]
pub enum Value {
    /// Go's invalid `reflect.Value`: a missing map key with `missingkey=default`; prints
    /// `<no value>`.
    Missing,
    /// A nil `interface{}` (JSON null).
    Nil,
    /// `bool`
    Bool(bool),
    /// `int` (template literals, `len`, `atoi`, `int`).
    Int(i64),
    /// `int64` (Sprig's arithmetic: `add`, `sub`, `mul`, `int64`...).
    Int64(i64),
    /// `uint8` (`index` of a string).
    Uint8(u8),
    /// `uint64` (a semantic version's `Major`, `Minor`, `Patch`).
    Uint64(u64),
    /// `float64`: every number decoded from JSON is one.
    Float(f64),
    /// `string`
    Str(Rc<str>),
    /// A slice.
    List(Rc<List>),
    /// A map.
    Map(MapRef),
    /// `time.Time` (`now`, `toDate`, `dateModify`).
    Time(Rc<GoTime>),
    /// `*semver.Version` (`semver`).
    Semver(Rc<Version>),
}

/// Formatting or converting a value would have gone past a cap.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Overflow {
    /// The text outgrew the [`Sink`]'s capacity.
    Size,
    /// The value nests deeper than [`MAX_VALUE_DEPTH`] (it may contain itself).
    Depth,
}

/// A string buffer with a size cap, so that formatting a huge or self-referencing value stops
/// at the cap instead of exhausting memory.
#[derive(Debug)]
pub struct Sink {
    buf: String,
    limit: usize,
}

impl Sink {
    /// An empty buffer that refuses to grow beyond `limit` bytes.
    pub fn new(limit: usize) -> Sink {
        Sink {
            buf: String::new(),
            limit,
        }
    }

    /// Appends `s`, or fails if that would pass the cap.
    pub fn push_str(&mut self, s: &str) -> Result<(), Overflow> {
        if self.buf.len().saturating_add(s.len()) > self.limit {
            return Err(Overflow::Size);
        }
        self.buf.push_str(s);
        Ok(())
    }

    /// Appends one character.
    pub fn push(&mut self, c: char) -> Result<(), Overflow> {
        let mut tmp = [0u8; 4];
        self.push_str(c.encode_utf8(&mut tmp))
    }

    /// Appends `s` `n` times.
    pub fn repeat(&mut self, s: &str, n: usize) -> Result<(), Overflow> {
        if s.len().saturating_mul(n).saturating_add(self.buf.len()) > self.limit {
            return Err(Overflow::Size);
        }
        for _ in 0..n {
            self.buf.push_str(s);
        }
        Ok(())
    }

    /// Bytes written so far.
    pub fn len(&self) -> usize {
        self.buf.len()
    }

    /// True when nothing was written.
    pub fn is_empty(&self) -> bool {
        self.buf.is_empty()
    }

    /// The text written so far.
    pub fn as_str(&self) -> &str {
        &self.buf
    }

    /// The text.
    pub fn into_string(self) -> String {
        self.buf
    }
}

/// How deep values may nest before printing, comparing or copying them gives up: Sprig's `set`
/// can make a map that contains itself, which would recurse forever.
pub const MAX_VALUE_DEPTH: usize = 100;

impl Value {
    /// A string value.
    pub fn str(s: impl Into<Rc<str>>) -> Value {
        Value::Str(s.into())
    }

    /// A `[]interface{}`.
    pub fn list(items: Vec<Value>) -> Value {
        Value::typed_list(Elem::Any, items)
    }

    /// A slice with the given element type.
    pub fn typed_list(elem: Elem, items: Vec<Value>) -> Value {
        Value::List(Rc::new(List { elem, items }))
    }

    /// A `[]string`.
    pub fn str_list(items: impl IntoIterator<Item = String>) -> Value {
        Value::typed_list(Elem::Str, items.into_iter().map(Value::str).collect())
    }

    /// A `map[string]interface{}`.
    pub fn map(entries: BTreeMap<String, Value>) -> Value {
        Value::typed_map(Elem::Any, entries)
    }

    /// A map with the given element type.
    pub fn typed_map(elem: Elem, entries: BTreeMap<String, Value>) -> Value {
        Value::Map(Rc::new(RefCell::new(Map {
            elem,
            entries,
            is_nil: false,
        })))
    }

    /// A nil `map[string]interface{}`.
    pub fn nil_map() -> Value {
        Value::Map(Rc::new(RefCell::new(Map {
            elem: Elem::Any,
            entries: BTreeMap::new(),
            is_nil: true,
        })))
    }

    /// Converts decoded JSON the way `json.Unmarshal` into `interface{}` does: numbers become
    /// float64, so `{{.replicas}}` of 1000000 prints `1e+06`, as in Go.
    pub fn from_json(v: &Json) -> Value {
        match v {
            Json::Null => Value::Nil,
            Json::Bool(b) => Value::Bool(*b),
            Json::Number(n) => Value::Float(n.as_f64().unwrap_or(0.0)),
            Json::String(s) => Value::str(s.as_str()),
            // serde_json's parser refuses input nested deeper than 128 levels, so this
            // recursion is bounded by whoever built the JSON value.
            Json::Array(a) => Value::list(a.iter().map(Value::from_json).collect()),
            Json::Object(o) => Value::map(
                o.iter()
                    .map(|(k, x)| (k.clone(), Value::from_json(x)))
                    .collect(),
            ),
        }
    }

    /// Converts to JSON as `json.Marshal` then `json.Unmarshal` would see it: integral floats
    /// become integers (so YAML written from them has no `.0`), times and versions strings.
    /// Fails on values nested deeper than [`MAX_VALUE_DEPTH`] (a map containing itself).
    pub fn to_json(&self) -> Result<Json, Overflow> {
        self.to_json_depth(0)
    }

    fn to_json_depth(&self, depth: usize) -> Result<Json, Overflow> {
        if depth > MAX_VALUE_DEPTH {
            return Err(Overflow::Depth);
        }
        Ok(match self {
            Value::Missing | Value::Nil => Json::Null,
            Value::Bool(b) => Json::Bool(*b),
            Value::Int(i) | Value::Int64(i) => Json::from(*i),
            Value::Uint8(i) => Json::from(*i),
            Value::Uint64(i) => Json::from(*i),
            Value::Float(f) => float_to_json(*f),
            Value::Str(s) => Json::String(s.to_string()),
            Value::Time(t) => Json::String(t.rfc3339_nano()),
            Value::Semver(v) => Json::String(v.canonical()),
            Value::List(l) => Json::Array(
                l.items
                    .iter()
                    .map(|x| x.to_json_depth(depth + 1))
                    .collect::<Result<_, _>>()?,
            ),
            Value::Map(m) => {
                let m = m.borrow();
                let mut out = serde_json::Map::with_capacity(m.entries.len());
                for (k, x) in &m.entries {
                    out.insert(k.clone(), x.to_json_depth(depth + 1)?);
                }
                Json::Object(out)
            }
        })
    }

    /// The Go type as `%T` and Sprig's `typeOf` print it (`<nil>` for nil).
    pub fn go_type(&self) -> String {
        match self {
            Value::Missing | Value::Nil => "<nil>".to_string(),
            other => other.type_name().to_string(),
        }
    }

    /// The Go type used in reflection error messages (a nil interface is `interface {}`).
    pub fn type_name(&self) -> std::borrow::Cow<'static, str> {
        use std::borrow::Cow;
        match self {
            Value::Missing => Cow::Borrowed("<nil>"),
            Value::Nil => Cow::Borrowed("interface {}"),
            Value::Bool(_) => Cow::Borrowed("bool"),
            Value::Int(_) => Cow::Borrowed("int"),
            Value::Int64(_) => Cow::Borrowed("int64"),
            Value::Uint8(_) => Cow::Borrowed("uint8"),
            Value::Uint64(_) => Cow::Borrowed("uint64"),
            Value::Float(_) => Cow::Borrowed("float64"),
            Value::Str(_) => Cow::Borrowed("string"),
            Value::List(l) => Cow::Owned(format!("[]{}", l.elem.go_name())),
            Value::Map(m) => Cow::Owned(format!("map[string]{}", m.borrow().elem.go_name())),
            Value::Time(_) => Cow::Borrowed("time.Time"),
            Value::Semver(_) => Cow::Borrowed("*semver.Version"),
        }
    }

    /// Go's `reflect.Kind` name, as Sprig's `kindOf` prints it.
    pub fn kind_name(&self) -> &'static str {
        match self {
            Value::Missing | Value::Nil => "invalid",
            Value::Bool(_) => "bool",
            Value::Int(_) => "int",
            Value::Int64(_) => "int64",
            Value::Uint8(_) => "uint8",
            Value::Uint64(_) => "uint64",
            Value::Float(_) => "float64",
            Value::Str(_) => "string",
            Value::List(_) => "slice",
            Value::Map(_) => "map",
            Value::Time(_) => "struct",
            Value::Semver(_) => "ptr",
        }
    }

    /// Go's `isTrue`: empty strings, slices and maps, zero numbers, false and nil are false;
    /// structs and non-nil pointers are true.
    pub fn truth(&self) -> bool {
        match self {
            Value::Missing | Value::Nil => false,
            Value::Bool(b) => *b,
            Value::Int(i) | Value::Int64(i) => *i != 0,
            Value::Uint8(i) => *i != 0,
            Value::Uint64(i) => *i != 0,
            Value::Float(f) => *f != 0.0,
            Value::Str(s) => !s.is_empty(),
            Value::List(l) => !l.items.is_empty(),
            Value::Map(m) => !m.borrow().entries.is_empty(),
            Value::Time(_) | Value::Semver(_) => true,
        }
    }

    /// True for a nil or missing value.
    pub fn is_nil(&self) -> bool {
        matches!(self, Value::Missing | Value::Nil)
    }

    /// The string inside, if this is a string.
    pub fn as_str(&self) -> Option<&str> {
        match self {
            Value::Str(s) => Some(s),
            _ => None,
        }
    }

    /// The integer inside any of the integer types.
    pub fn as_i64(&self) -> Option<i64> {
        match self {
            Value::Int(i) | Value::Int64(i) => Some(*i),
            Value::Uint8(i) => Some(i64::from(*i)),
            Value::Uint64(i) => i64::try_from(*i).ok(),
            _ => None,
        }
    }

    /// The elements, if this is a slice.
    pub fn as_list(&self) -> Option<&[Value]> {
        match self {
            Value::List(l) => Some(&l.items),
            _ => None,
        }
    }

    /// `fmt.Sprint(v)` into `out`.
    pub fn write_v(&self, out: &mut Sink) -> Result<(), Overflow> {
        self.write_v_depth(out, 0)
    }

    /// `fmt.Sprint(v)`, capped at `limit` bytes.
    pub fn fmt_v(&self, limit: usize) -> Result<String, Overflow> {
        let mut out = Sink::new(limit);
        self.write_v(&mut out)?;
        Ok(out.into_string())
    }

    fn write_v_depth(&self, out: &mut Sink, depth: usize) -> Result<(), Overflow> {
        if depth > MAX_VALUE_DEPTH {
            return Err(Overflow::Depth);
        }
        match self {
            Value::Missing | Value::Nil => out.push_str("<nil>"),
            Value::Bool(b) => out.push_str(if *b { "true" } else { "false" }),
            Value::Int(i) | Value::Int64(i) => out.push_str(&i.to_string()),
            Value::Uint8(i) => out.push_str(&i.to_string()),
            Value::Uint64(i) => out.push_str(&i.to_string()),
            Value::Float(f) => out.push_str(&format_float_g(*f)),
            Value::Str(s) => out.push_str(s),
            Value::Time(t) => out.push_str(&t.go_string()),
            Value::Semver(v) => out.push_str(&v.canonical()),
            Value::List(l) => {
                out.push('[')?;
                for (i, x) in l.items.iter().enumerate() {
                    if i > 0 {
                        out.push(' ')?;
                    }
                    x.write_v_depth(out, depth + 1)?;
                }
                out.push(']')
            }
            Value::Map(m) => {
                out.push_str("map[")?;
                for (i, (k, x)) in m.borrow().entries.iter().enumerate() {
                    if i > 0 {
                        out.push(' ')?;
                    }
                    out.push_str(k)?;
                    out.push(':')?;
                    x.write_v_depth(out, depth + 1)?;
                }
                out.push(']')
            }
        }
    }

    /// Go's `reflect.DeepEqual`: same type and same contents (used by `deepEqual`, `has`, `uniq`,
    /// `without`). Values nested deeper than [`MAX_VALUE_DEPTH`] compare unequal.
    pub fn deep_equal(&self, other: &Value) -> bool {
        self.deep_equal_depth(other, 0)
    }

    fn deep_equal_depth(&self, other: &Value, depth: usize) -> bool {
        if depth > MAX_VALUE_DEPTH {
            return false;
        }
        match (self, other) {
            (Value::Missing | Value::Nil, Value::Missing | Value::Nil) => true,
            (Value::Bool(a), Value::Bool(b)) => a == b,
            (Value::Int(a), Value::Int(b)) | (Value::Int64(a), Value::Int64(b)) => a == b,
            (Value::Uint8(a), Value::Uint8(b)) => a == b,
            (Value::Uint64(a), Value::Uint64(b)) => a == b,
            (Value::Float(a), Value::Float(b)) => a == b,
            (Value::Str(a), Value::Str(b)) => a == b,
            (Value::Time(a), Value::Time(b)) => a == b,
            // reflect.DeepEqual compares every field; the fields follow from the text parsed.
            (Value::Semver(a), Value::Semver(b)) => a.original() == b.original(),
            (Value::List(a), Value::List(b)) => {
                a.elem == b.elem
                    && a.items.len() == b.items.len()
                    && a.items
                        .iter()
                        .zip(b.items.iter())
                        .all(|(x, y)| x.deep_equal_depth(y, depth + 1))
            }
            (Value::Map(a), Value::Map(b)) => {
                if Rc::ptr_eq(a, b) {
                    return true;
                }
                let (a, b) = (a.borrow(), b.borrow());
                a.elem == b.elem
                    && a.entries.len() == b.entries.len()
                    && a.entries
                        .iter()
                        .zip(b.entries.iter())
                        .all(|((ka, va), (kb, vb))| ka == kb && va.deep_equal_depth(vb, depth + 1))
            }
            _ => false,
        }
    }

    /// A copy sharing nothing mutable with `self` (Sprig's `deepCopy`).
    pub fn deep_copy(&self) -> Result<Value, Overflow> {
        self.deep_copy_depth(0)
    }

    fn deep_copy_depth(&self, depth: usize) -> Result<Value, Overflow> {
        if depth > MAX_VALUE_DEPTH {
            return Err(Overflow::Depth);
        }
        Ok(match self {
            Value::List(l) => Value::typed_list(
                l.elem,
                l.items
                    .iter()
                    .map(|x| x.deep_copy_depth(depth + 1))
                    .collect::<Result<_, _>>()?,
            ),
            Value::Map(m) => {
                let m = m.borrow();
                let mut entries = BTreeMap::new();
                for (k, x) in &m.entries {
                    entries.insert(k.clone(), x.deep_copy_depth(depth + 1)?);
                }
                Value::typed_map(m.elem, entries)
            }
            other => other.clone(),
        })
    }
}

impl From<&str> for Value {
    fn from(s: &str) -> Value {
        Value::str(s)
    }
}

impl From<String> for Value {
    fn from(s: String) -> Value {
        Value::str(s)
    }
}

impl From<bool> for Value {
    fn from(b: bool) -> Value {
        Value::Bool(b)
    }
}

impl From<&Json> for Value {
    fn from(j: &Json) -> Value {
        Value::from_json(j)
    }
}

/// `json.Marshal` writes integral float64 values without a fraction; keep that for YAML output.
fn float_to_json(f: f64) -> Json {
    if f.is_finite() && f.fract() == 0.0 && f.abs() < 9.007_199_254_740_992e15 {
        // The range check keeps the value exactly representable as i64.
        Json::from(f as i64)
    } else {
        serde_json::Number::from_f64(f)
            .map(Json::Number)
            .unwrap_or(Json::Null)
    }
}

/// The shortest decimal digits of |f| and the decimal point position, as strconv computes them:
/// `f = 0.d1d2d3... × 10^dp`.
pub(crate) fn shortest_digits(f: f64) -> (String, i32) {
    let s = format!("{:e}", f.abs());
    let (mant, exp) = s.split_once('e').unwrap_or((s.as_str(), "0"));
    let digits: String = mant.chars().filter(|c| c.is_ascii_digit()).collect();
    let exp: i32 = exp.parse().unwrap_or(0);
    if digits.chars().all(|c| c == '0') {
        return ("0".to_string(), 1);
    }
    (digits, exp + 1)
}

/// `NaN`, `+Inf`, `-Inf` as Go prints them.
pub(crate) fn special_float(f: f64) -> Option<&'static str> {
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
pub(crate) fn layout_e(neg: bool, digits: &str, dp: i32, frac_digits: usize) -> String {
    let mut out = String::new();
    if neg {
        out.push('-');
    }
    let mut chars = digits.chars();
    out.push(chars.next().unwrap_or('0'));
    if frac_digits > 0 {
        out.push('.');
        let rest: Vec<char> = chars.collect();
        for i in 0..frac_digits {
            out.push(rest.get(i).copied().unwrap_or('0'));
        }
    }
    let exp = if digits == "0" { 0 } else { dp - 1 };
    out.push('e');
    out.push(if exp < 0 { '-' } else { '+' });
    out.push_str(&format!("{:02}", exp.abs()));
    out
}

/// strconv's `%f` layout from digits with `frac_digits` decimals.
pub(crate) fn layout_f(neg: bool, digits: &str, dp: i32, frac_digits: usize) -> String {
    let mut out = String::new();
    if neg {
        out.push('-');
    }
    let d: Vec<char> = digits.chars().collect();
    if dp > 0 {
        for i in 0..dp as usize {
            out.push(d.get(i).copied().unwrap_or('0'));
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
                d.get(idx as usize).copied().unwrap_or('0')
            };
            out.push(c);
        }
    }
    out
}

/// Go's `%v` for float64 (`strconv.FormatFloat(f, 'g', -1, 64)`): the exponent form when the
/// decimal exponent is below -4 or at least 6 — `1e+06`, `123456`, `1.5`, `1e-05`.
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
    // encoding/json writes negative zero as -0.
    let neg = f.is_sign_negative();
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

/// `strconv.Quote`: a Go double-quoted string literal.
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
            '\u{FFFD}' => out.push('\u{FFFD}'),
            c if is_go_printable(c) => out.push(c),
            c if (c as u32) < 0x80 => out.push_str(&format!("\\x{:02x}", c as u32)),
            c if (c as u32) < 0x10000 => out.push_str(&format!("\\u{:04x}", c as u32)),
            c => out.push_str(&format!("\\U{:08x}", c as u32)),
        }
    }
    out.push('"');
    out
}

/// Approximates `unicode.IsPrint`: graphic characters and the ASCII space only.
pub(crate) fn is_go_printable(c: char) -> bool {
    if c == ' ' {
        return true;
    }
    if c.is_control() || c.is_whitespace() {
        return false;
    }
    // Format characters (zero-width joiners, BOM, bidi marks) and private use are not
    // printable in Go.
    !matches!(c as u32, 0xad | 0x600..=0x605 | 0x200b..=0x200f | 0x2028..=0x202e
        | 0x2060..=0x206f | 0xe000..=0xf8ff | 0xfeff | 0xfff9..=0xfffb)
}

/// Go's `encoding/json` string escaping; `html` also escapes `<`, `>`, `&` as `json.Marshal`
/// does by default.
pub fn json_quote(s: &str, html: bool, out: &mut Sink) -> Result<(), Overflow> {
    out.push('"')?;
    for c in s.chars() {
        match c {
            '"' => out.push_str("\\\"")?,
            '\\' => out.push_str("\\\\")?,
            '\n' => out.push_str("\\n")?,
            '\r' => out.push_str("\\r")?,
            '\t' => out.push_str("\\t")?,
            '\u{8}' => out.push_str("\\b")?,
            '\u{c}' => out.push_str("\\f")?,
            '<' | '>' | '&' if html => out.push_str(&format!("\\u{:04x}", c as u32))?,
            '\u{2028}' | '\u{2029}' => out.push_str(&format!("\\u{:04x}", c as u32))?,
            c if (c as u32) < 0x20 => out.push_str(&format!("\\u{:04x}", c as u32))?,
            c => out.push(c)?,
        }
    }
    out.push('"')
}

/// Why `json.Marshal` failed.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum JsonError {
    /// NaN or an infinity (Go's message: `json: unsupported value: NaN`).
    Unsupported(String),
    /// The output cap was reached, or the value nests too deeply.
    Overflow(Overflow),
}

impl From<Overflow> for JsonError {
    fn from(o: Overflow) -> JsonError {
        JsonError::Overflow(o)
    }
}

/// `json.Marshal` / `json.MarshalIndent(v, "", indent)`: sorted keys, Go's number layout.
pub fn go_json(
    v: &Value,
    html: bool,
    indent: Option<&str>,
    limit: usize,
) -> Result<String, JsonError> {
    let mut out = Sink::new(limit);
    write_json(v, html, indent, 0, &mut out)?;
    Ok(out.into_string())
}

fn newline_indent(out: &mut Sink, indent: Option<&str>, level: usize) -> Result<(), Overflow> {
    if let Some(ind) = indent {
        out.push('\n')?;
        out.repeat(ind, level)?;
    }
    Ok(())
}

fn write_json(
    v: &Value,
    html: bool,
    indent: Option<&str>,
    level: usize,
    out: &mut Sink,
) -> Result<(), JsonError> {
    if level > MAX_VALUE_DEPTH {
        return Err(JsonError::Overflow(Overflow::Depth));
    }
    match v {
        Value::Missing | Value::Nil => out.push_str("null")?,
        Value::Bool(b) => out.push_str(if *b { "true" } else { "false" })?,
        Value::Int(i) | Value::Int64(i) => out.push_str(&i.to_string())?,
        Value::Uint8(i) => out.push_str(&i.to_string())?,
        Value::Uint64(i) => out.push_str(&i.to_string())?,
        Value::Float(f) => {
            if !f.is_finite() {
                return Err(JsonError::Unsupported(format_float_g(*f)));
            }
            out.push_str(&format_float_json(*f))?;
        }
        Value::Str(s) => json_quote(s, html, out)?,
        Value::Time(t) => json_quote(&t.rfc3339_nano(), html, out)?,
        Value::Semver(s) => json_quote(&s.canonical(), html, out)?,
        Value::List(l) => {
            if l.items.is_empty() {
                out.push_str("[]")?;
                return Ok(());
            }
            out.push('[')?;
            for (i, item) in l.items.iter().enumerate() {
                if i > 0 {
                    out.push(',')?;
                }
                newline_indent(out, indent, level + 1)?;
                write_json(item, html, indent, level + 1, out)?;
            }
            newline_indent(out, indent, level)?;
            out.push(']')?;
        }
        Value::Map(m) => {
            let m = m.borrow();
            if m.is_nil {
                out.push_str("null")?;
                return Ok(());
            }
            if m.entries.is_empty() {
                out.push_str("{}")?;
                return Ok(());
            }
            out.push('{')?;
            for (i, (k, item)) in m.entries.iter().enumerate() {
                if i > 0 {
                    out.push(',')?;
                }
                newline_indent(out, indent, level + 1)?;
                json_quote(k, html, out)?;
                out.push(':')?;
                if indent.is_some() {
                    out.push(' ')?;
                }
                write_json(item, html, indent, level + 1, out)?;
            }
            newline_indent(out, indent, level)?;
            out.push('}')?;
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    const BIG: usize = 1 << 20;

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
        let v = Value::from_json(&json!({"b": [1, "x", null], "a": true}));
        assert_eq!(v.fmt_v(BIG).unwrap(), "map[a:true b:[1 x <nil>]]");
        assert_eq!(v.type_name(), "map[string]interface {}");
    }

    #[test]
    fn a_map_containing_itself_cannot_print_forever() {
        let v = Value::map(BTreeMap::new());
        if let Value::Map(m) = &v {
            m.borrow_mut().entries.insert("self".into(), v.clone());
        }
        assert_eq!(v.fmt_v(BIG), Err(Overflow::Depth));
        assert!(v.to_json().is_err());
        assert!(!v.deep_equal(&v.deep_copy().unwrap_or(Value::Nil)));
        if let Value::Map(m) = &v {
            // Break the cycle so the test does not leak.
            m.borrow_mut().entries.clear();
        }
    }

    #[test]
    fn json_is_sorted_and_html_escaped() {
        let v = Value::from_json(&json!({"z": "<a&b>", "a": [1.5, 2]}));
        assert_eq!(
            go_json(&v, true, None, BIG).unwrap(),
            r#"{"a":[1.5,2],"z":"\u003ca\u0026b\u003e"}"#
        );
        assert_eq!(
            go_json(&v, false, Some("  "), BIG).unwrap(),
            "{\n  \"a\": [\n    1.5,\n    2\n  ],\n  \"z\": \"<a&b>\"\n}"
        );
        assert_eq!(
            go_json(&v, true, None, 10),
            Err(JsonError::Overflow(Overflow::Size))
        );
    }

    #[test]
    fn quote_escapes_like_strconv() {
        assert_eq!(go_quote("a\"b\n\u{1}é"), "\"a\\\"b\\n\\x01é\"");
    }
}
