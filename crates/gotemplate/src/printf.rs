//! The part of Go's `fmt` that templates reach through `print`, `println` and `printf`: the
//! verbs, flags, width and precision, argument indexes, and Go's `%!verb(type=value)` markers.
//! Widths and precisions above the limit are refused before anything is padded.

use crate::funcs::FuncError;
use crate::limits::{LimitError, Limits};
use crate::value::{
    Overflow, Sink, Value, format_float_g, go_quote, is_go_printable, layout_e, layout_f,
};

/// `fmt.Sprint`: a space between operands when neither side is a string.
pub fn sprint(args: &[Value], limit: usize) -> Result<String, Overflow> {
    let mut out = Sink::new(limit);
    for (i, a) in args.iter().enumerate() {
        let is_str = matches!(a, Value::Str(_));
        if i > 0 && !is_str && !matches!(args[i - 1], Value::Str(_)) {
            out.push(' ')?;
        }
        a.write_v(&mut out)?;
    }
    Ok(out.into_string())
}

/// `fmt.Sprintln`: spaces between all operands and a final newline.
pub fn sprintln(args: &[Value], limit: usize) -> Result<String, Overflow> {
    let mut out = Sink::new(limit);
    for (i, a) in args.iter().enumerate() {
        if i > 0 {
            out.push(' ')?;
        }
        a.write_v(&mut out)?;
    }
    out.push('\n')?;
    Ok(out.into_string())
}

#[derive(Default, Clone, Copy)]
struct Spec {
    /// `%#v`: Go syntax.
    sharp_v: bool,
    minus: bool,
    plus: bool,
    zero: bool,
    space: bool,
    sharp: bool,
    width: Option<usize>,
    prec: Option<usize>,
}

/// Go's `tooLarge`: numbers past a million make `fmt` give up on the width.
const GO_MAX_NUM: usize = 1_000_000;

type Chars<'a> = std::iter::Peekable<std::str::CharIndices<'a>>;

/// `fmt.Sprintf`, within the limits: a width or precision above `max_printf_width` is an
/// error, and the result is capped at `max_string` bytes.
pub fn sprintf(format: &str, args: &[Value], limits: &Limits) -> Result<String, FuncError> {
    // A value nested past the depth limit is a different limit than a long result.
    let too_long = |o: Overflow| match o {
        Overflow::Size => FuncError::limit(LimitError::String(limits.max_string)),
        Overflow::Depth => FuncError::limit(LimitError::ValueDepth(crate::value::MAX_VALUE_DEPTH)),
    };
    let mut out = Sink::new(limits.max_string);
    let mut st = ArgState {
        next: 0,
        reordered: false,
        good: true,
        nargs: args.len(),
    };
    let mut chars: Chars = format.char_indices().peekable();
    while let Some((_, c)) = chars.next() {
        if c != '%' {
            out.push(c).map_err(too_long)?;
            continue;
        }
        let mut spec = Spec::default();
        st.good = true;
        while let Some(&(_, flag)) = chars.peek() {
            match flag {
                '-' => {
                    spec.minus = true;
                    spec.zero = false;
                }
                '+' => spec.plus = true,
                '0' => spec.zero = !spec.minus,
                ' ' => spec.space = true,
                '#' => spec.sharp = true,
                _ => break,
            }
            chars.next();
        }
        let mut after_index = st.arg_index(&mut chars, format);
        if chars.peek().map(|p| p.1) == Some('*') {
            chars.next();
            match st.int_arg(args) {
                Some(w) => {
                    if w < 0 {
                        spec.minus = true;
                        spec.zero = false;
                    }
                    spec.width = Some(w.unsigned_abs() as usize);
                }
                None => out.push_str("%!(BADWIDTH)").map_err(too_long)?,
            }
            after_index = false;
        } else {
            match read_num(&mut chars) {
                Num::None => {}
                Num::Some(n) => {
                    spec.width = Some(n);
                    if after_index {
                        st.good = false;
                    }
                }
                Num::TooLarge => {
                    // Go stops reading the format here.
                    out.push_str("%!(NOVERB)").map_err(too_long)?;
                    break;
                }
            }
        }
        if chars.peek().map(|p| p.1) == Some('.') {
            chars.next();
            if after_index {
                st.good = false;
            }
            after_index = st.arg_index(&mut chars, format);
            if chars.peek().map(|p| p.1) == Some('*') {
                chars.next();
                match st.int_arg(args) {
                    Some(p) if p >= 0 => spec.prec = Some(p as usize),
                    Some(_) => spec.prec = None,
                    None => out.push_str("%!(BADPREC)").map_err(too_long)?,
                }
                after_index = false;
            } else {
                match read_num(&mut chars) {
                    Num::None => spec.prec = Some(0),
                    Num::Some(n) => spec.prec = Some(n),
                    Num::TooLarge => {
                        out.push_str("%!(NOVERB)").map_err(too_long)?;
                        break;
                    }
                }
            }
        }
        if !after_index {
            after_index = st.arg_index(&mut chars, format);
        }
        let _ = after_index;
        let Some((_, verb)) = chars.next() else {
            out.push_str("%!(NOVERB)").map_err(too_long)?;
            break;
        };
        if verb == 'v' {
            // With %v, `#` asks for Go syntax and `+` for field names (no sign).
            spec.sharp_v = spec.sharp;
            spec.sharp = false;
            spec.plus = false;
        }
        for n in [spec.width, spec.prec].into_iter().flatten() {
            if n > limits.max_printf_width {
                return Err(FuncError::limit(LimitError::PrintfWidth {
                    got: n as u64,
                    limit: limits.max_printf_width,
                }));
            }
        }
        let r = match verb {
            '%' => out.push('%'),
            _ if !st.good => out.push_str(&format!("%!{verb}(BADINDEX)")),
            _ => match args.get(st.next) {
                None => out.push_str(&format!("%!{verb}(MISSING)")),
                Some(arg) => {
                    st.next += 1;
                    format_arg(&mut out, verb, arg, &spec, 0)
                }
            },
        };
        r.map_err(too_long)?;
    }
    // Like Go, no complaint about unused arguments once `[n]` reordered them.
    if !st.reordered && st.next < args.len() {
        out.push_str("%!(EXTRA ").map_err(too_long)?;
        for (i, a) in args[st.next..].iter().enumerate() {
            let r = (|| {
                if i > 0 {
                    out.push_str(", ")?;
                }
                if a.is_nil() {
                    out.push_str("<nil>")
                } else {
                    out.push_str(&a.type_name())?;
                    out.push('=')?;
                    a.write_v(&mut out)
                }
            })();
            r.map_err(too_long)?;
        }
        out.push(')').map_err(too_long)?;
    }
    Ok(out.into_string())
}

/// Which argument the next verb formats (Go's `argNum`, `reordered`, `goodArgNum`).
struct ArgState {
    next: usize,
    reordered: bool,
    good: bool,
    nargs: usize,
}

impl ArgState {
    /// Go's `argNumber`: reads an explicit `[n]` index; true if one was read.
    fn arg_index(&mut self, chars: &mut Chars, format: &str) -> bool {
        let Some(&(start, '[')) = chars.peek() else {
            return false;
        };
        self.reordered = true;
        let rest = &format[start..];
        // Go looks for the closing bracket; "[]" and an unclosed "[" are bad indexes.
        let close = rest.find(']');
        match close {
            Some(end) if end >= 2 => {
                let digits = &rest[1..end];
                for _ in 0..digits.chars().count() + 2 {
                    chars.next();
                }
                match digits.parse::<usize>() {
                    Ok(n) if digits.bytes().all(|b| b.is_ascii_digit()) => {
                        if n >= 1 && n <= self.nargs {
                            self.next = n - 1;
                        } else {
                            self.good = false;
                        }
                        true
                    }
                    _ => {
                        self.good = false;
                        true
                    }
                }
            }
            _ => {
                chars.next();
                if close == Some(1) {
                    chars.next();
                }
                self.good = false;
                false
            }
        }
    }

    /// Go's `intFromArg` for `*`: consumes an argument; `None` unless it is a sane integer.
    fn int_arg(&mut self, args: &[Value]) -> Option<i64> {
        let arg = args.get(self.next)?;
        self.next += 1;
        match arg.as_i64() {
            Some(n) if n.unsigned_abs() <= GO_MAX_NUM as u64 => Some(n),
            _ => None,
        }
    }
}

enum Num {
    None,
    Some(usize),
    TooLarge,
}

fn read_num(chars: &mut Chars) -> Num {
    let mut n: Option<usize> = None;
    while let Some(d) = chars.peek().and_then(|c| c.1.to_digit(10)) {
        let cur = n.unwrap_or(0);
        if cur > GO_MAX_NUM {
            return Num::TooLarge;
        }
        n = Some(cur * 10 + d as usize);
        chars.next();
    }
    match n {
        None => Num::None,
        Some(v) => Num::Some(v),
    }
}

/// Formats one operand into `out`: Go applies the verb, width and flags to each element of a
/// list or map (`%d` of `[1 2]` is `[1 2]`, `%q` of `[a b]` is `["a" "b"]`).
fn format_arg(
    out: &mut Sink,
    verb: char,
    arg: &Value,
    spec: &Spec,
    depth: usize,
) -> Result<(), Overflow> {
    if depth > crate::value::MAX_VALUE_DEPTH {
        return Err(Overflow::Depth);
    }
    if verb == 'T' {
        return pad(out, &arg.go_type(), spec);
    }
    if spec.sharp_v {
        let mut s = Sink::new(usize::MAX);
        go_syntax(&mut s, arg, depth == 0, depth)?;
        return pad(out, s.as_str(), spec);
    }
    match arg {
        Value::List(l) => {
            out.push('[')?;
            for (i, x) in l.items.iter().enumerate() {
                if i > 0 {
                    out.push(' ')?;
                }
                format_arg(out, verb, x, spec, depth + 1)?;
            }
            out.push(']')
        }
        Value::Map(m) => {
            out.push_str("map[")?;
            for (i, (k, v)) in m.borrow().entries.iter().enumerate() {
                if i > 0 {
                    out.push(' ')?;
                }
                format_arg(out, verb, &Value::str(k.as_str()), spec, depth + 1)?;
                out.push(':')?;
                format_arg(out, verb, v, spec, depth + 1)?;
            }
            out.push(']')
        }
        // A nil element of a list or map prints `<nil>` whatever the verb, unpadded.
        Value::Missing | Value::Nil if depth > 0 => out.push_str("<nil>"),
        Value::Missing | Value::Nil => match verb {
            'v' => pad(out, "<nil>", spec),
            _ => bad_verb(out, verb, arg),
        },
        _ => format_one(out, verb, arg, spec),
    }
}

/// `%#v`: the value as Go source (`[]interface {}{"a", 1}`, `map[string]interface {}{...}`).
fn go_syntax(out: &mut Sink, v: &Value, top: bool, depth: usize) -> Result<(), Overflow> {
    if depth > crate::value::MAX_VALUE_DEPTH {
        return Err(Overflow::Depth);
    }
    match v {
        Value::Missing | Value::Nil if top => out.push_str("<nil>"),
        Value::Missing | Value::Nil => out.push_str("interface {}(nil)"),
        Value::Str(s) => out.push_str(&go_quote(s)),
        Value::Uint8(u) => out.push_str(&format!("0x{u:x}")),
        Value::Uint64(u) => out.push_str(&format!("0x{u:x}")),
        Value::List(l) => {
            out.push_str(&v.type_name())?;
            out.push('{')?;
            for (i, x) in l.items.iter().enumerate() {
                if i > 0 {
                    out.push_str(", ")?;
                }
                go_syntax(out, x, false, depth + 1)?;
            }
            out.push('}')
        }
        Value::Map(m) => {
            out.push_str(&v.type_name())?;
            out.push('{')?;
            for (i, (k, x)) in m.borrow().entries.iter().enumerate() {
                if i > 0 {
                    out.push_str(", ")?;
                }
                out.push_str(&go_quote(k))?;
                out.push(':')?;
                go_syntax(out, x, false, depth + 1)?;
            }
            out.push('}')
        }
        other => other.write_v(out),
    }
}

fn bad_verb(out: &mut Sink, verb: char, arg: &Value) -> Result<(), Overflow> {
    if arg.is_nil() {
        return out.push_str(&format!("%!{verb}(<nil>)"));
    }
    out.push_str(&format!("%!{verb}({}=", arg.type_name()))?;
    arg.write_v(out)?;
    out.push(')')
}

fn format_one(out: &mut Sink, verb: char, arg: &Value, spec: &Spec) -> Result<(), Overflow> {
    match arg {
        Value::Bool(b) => match verb {
            't' | 'v' => pad(out, if *b { "true" } else { "false" }, spec),
            _ => bad_verb(out, verb, arg),
        },
        Value::Int(i) | Value::Int64(i) => format_int(out, verb, *i as u64, *i < 0, spec, arg),
        Value::Uint8(u) => format_int(out, verb, u64::from(*u), false, spec, arg),
        Value::Uint64(u) => format_int(out, verb, *u, false, spec, arg),
        Value::Float(f) => format_float(out, verb, *f, spec, arg),
        Value::Str(s) => format_str(out, verb, s, spec, arg),
        // Types with a String method print through it for the string verbs.
        Value::Time(_) | Value::Semver(_) => match verb {
            'v' | 's' | 'x' | 'X' | 'q' => {
                let s = arg.fmt_v(usize::MAX)?;
                format_str(out, verb, &s, spec, arg)
            }
            _ => bad_verb(out, verb, arg),
        },
        _ => bad_verb(out, verb, arg),
    }
}

/// Pads `body` to the width: spaces (or zeros with the `0` flag) left, or right with `-`.
fn pad(out: &mut Sink, body: &str, spec: &Spec) -> Result<(), Overflow> {
    let Some(width) = spec.width else {
        return out.push_str(body);
    };
    let len = body.chars().count();
    if len >= width {
        return out.push_str(body);
    }
    let fill = if spec.zero { "0" } else { " " };
    if spec.minus {
        out.push_str(body)?;
        out.repeat(" ", width - len)
    } else {
        out.repeat(fill, width - len)?;
        out.push_str(body)
    }
}

/// Go's `fmtInteger`.
fn format_int(
    out: &mut Sink,
    verb: char,
    magnitude_bits: u64,
    negative: bool,
    spec: &Spec,
    arg: &Value,
) -> Result<(), Overflow> {
    let u = if negative {
        (magnitude_bits as i64).unsigned_abs()
    } else {
        magnitude_bits
    };
    let (base, upper) = match verb {
        'd' | 'v' => (10, false),
        'x' => (16, false),
        'X' => (16, true),
        'o' | 'O' => (8, false),
        'b' => (2, false),
        'c' => {
            let c = char::from_u32(u as u32)
                .filter(|_| u <= 0x10FFFF && !negative)
                .unwrap_or('\u{FFFD}');
            return pad(out, &c.to_string(), spec);
        }
        'q' => {
            let c = char::from_u32(u as u32)
                .filter(|_| u <= 0x10FFFF && !negative)
                .unwrap_or('\u{FFFD}');
            return pad(out, &quote_rune(c), spec);
        }
        'U' => {
            let mut s = format!("U+{u:04X}");
            if spec.sharp
                && let Some(c) = char::from_u32(u as u32)
                && is_go_printable(c)
            {
                s.push_str(&format!(" '{c}'"));
            }
            return pad(out, &s, spec);
        }
        _ => return bad_verb(out, verb, arg),
    };
    let mut digits = match base {
        16 if upper => format!("{u:X}"),
        16 => format!("{u:x}"),
        8 => format!("{u:o}"),
        2 => format!("{u:b}"),
        _ => u.to_string(),
    };
    let mut prec = 0;
    if let Some(p) = spec.prec {
        if p == 0 && u == 0 {
            let mut s = *spec;
            s.zero = false;
            return pad(out, "", &s);
        }
        prec = p;
    } else if spec.zero
        && !spec.minus
        && let Some(w) = spec.width
    {
        prec = w;
        if negative || spec.plus || spec.space {
            prec = prec.saturating_sub(1);
        }
    }
    if digits.len() < prec {
        digits = format!("{}{digits}", "0".repeat(prec - digits.len()));
    }
    let mut prefix = String::new();
    if negative {
        prefix.push('-');
    } else if spec.plus {
        prefix.push('+');
    } else if spec.space {
        prefix.push(' ');
    }
    if spec.sharp {
        match base {
            2 => prefix.push_str("0b"),
            8 if !digits.starts_with('0') => prefix.push('0'),
            16 => prefix.push_str(if upper { "0X" } else { "0x" }),
            _ => {}
        }
    }
    if verb == 'O' {
        prefix.push_str("0o");
    }
    let mut s = spec.to_owned();
    s.zero = false;
    pad(out, &format!("{prefix}{digits}"), &s)
}

/// `strconv.QuoteRune`.
fn quote_rune(c: char) -> String {
    match c {
        '\'' => "'\\''".to_string(),
        '"' => "'\"'".to_string(),
        _ => {
            let q = go_quote(&c.to_string());
            format!("'{}'", &q[1..q.len() - 1])
        }
    }
}

/// Go's `fmtFloat`.
fn format_float(
    out: &mut Sink,
    verb: char,
    f: f64,
    spec: &Spec,
    arg: &Value,
) -> Result<(), Overflow> {
    let body = match verb {
        'v' | 'g' | 'G' => {
            let s = match spec.prec {
                None => format_float_g(f.abs()),
                Some(p) => g_with_prec(f.abs(), p.max(1)),
            };
            if verb == 'G' { s.to_uppercase() } else { s }
        }
        'f' | 'F' => {
            if let Some(sp) = crate::value::special_float(f.abs()) {
                sp.trim_start_matches('+').to_string()
            } else {
                format!("{:.*}", spec.prec.unwrap_or(6), f.abs())
            }
        }
        'e' | 'E' => {
            let s = exp_form(f.abs(), spec.prec.unwrap_or(6));
            if verb == 'E' { s.to_uppercase() } else { s }
        }
        'x' | 'X' => {
            let s = hex_float(f.abs(), spec.prec);
            if verb == 'X' { s.to_uppercase() } else { s }
        }
        _ => return bad_verb(out, verb, arg),
    };
    let body = body.trim_start_matches('+').to_string();
    let negative = f.is_sign_negative() && !f.is_nan();
    let sign = if negative {
        "-"
    } else if spec.plus {
        "+"
    } else if spec.space {
        " "
    } else {
        ""
    };
    let special = f.is_nan() || f.is_infinite();
    if f.is_nan() && !spec.plus && !spec.space {
        let mut s = *spec;
        s.zero = false;
        return pad(out, "NaN", &s);
    }
    let full = format!("{sign}{body}");
    if !sign.is_empty()
        && spec.zero
        && !spec.minus
        && !special
        && let Some(w) = spec.width
        && w > full.chars().count()
    {
        out.push_str(sign)?;
        out.repeat("0", w - full.chars().count())?;
        return out.push_str(&body);
    }
    let mut s = *spec;
    if special {
        s.zero = false;
    }
    pad(out, &full, &s)
}

/// Go's `%e`: `1.500000e+03`, at least two exponent digits.
fn exp_form(f: f64, prec: usize) -> String {
    if let Some(sp) = crate::value::special_float(f) {
        return sp.to_string();
    }
    let s = format!("{f:.prec$e}");
    let (mant, exp) = s.split_once('e').unwrap_or((&s, "0"));
    let exp: i32 = exp.parse().unwrap_or(0);
    format!("{mant}e{}{:02}", if exp < 0 { '-' } else { '+' }, exp.abs())
}

/// strconv's `%x` for floats: `0x1.8p+01`, the mantissa's hex digits (all significant ones,
/// or `prec` rounded half to even) and a binary exponent of at least two digits.
fn hex_float(f: f64, prec: Option<usize>) -> String {
    if let Some(sp) = crate::value::special_float(f) {
        return sp.to_string();
    }
    let (mut full, mut exp) = if f == 0.0 {
        (0u64, 0i32)
    } else {
        let bits = f.to_bits();
        let mut exp = ((bits >> 52) & 0x7ff) as i32;
        let mut frac = bits & ((1 << 52) - 1);
        if exp == 0 {
            // Subnormal: normalise so the leading digit is 1.
            let shift = frac.leading_zeros() - 11;
            frac = (frac << shift) & ((1 << 52) - 1);
            exp = 1 - shift as i32;
        }
        ((1 << 52) | frac, exp - 1023)
    };
    let mut digits = 13;
    if let Some(p) = prec
        && p < 13
        && f != 0.0
    {
        let shift = 4 * (13 - p) as u32;
        let rem = full & ((1 << shift) - 1);
        let half = 1u64 << (shift - 1);
        full >>= shift;
        if rem > half || (rem == half && full & 1 == 1) {
            full += 1;
        }
        if full >> (4 * p) >= 2 {
            full >>= 1;
            exp += 1;
        }
        digits = p;
    }
    let lead = full >> (4 * digits);
    let frac = full & ((1u64 << (4 * digits)) - 1);
    let mut frac_hex = if digits == 0 {
        String::new()
    } else {
        format!("{frac:0width$x}", width = digits)
    };
    match prec {
        None => frac_hex = frac_hex.trim_end_matches('0').to_string(),
        Some(p) if p > digits => frac_hex.push_str(&"0".repeat(p - digits)),
        Some(_) => {}
    }
    let dot = if frac_hex.is_empty() { "" } else { "." };
    let sign = if exp < 0 { '-' } else { '+' };
    format!("0x{lead}{dot}{frac_hex}p{sign}{:02}", exp.abs())
}

/// strconv's `%g` with a precision: `prec` significant digits, exponent form when the
/// exponent is below -4 or at least the precision, no trailing zeros.
fn g_with_prec(f: f64, prec: usize) -> String {
    if let Some(sp) = crate::value::special_float(f) {
        return sp.to_string();
    }
    if f == 0.0 {
        return "0".to_string();
    }
    // Round to `prec` significant digits through Rust's exact %e formatting.
    let e = format!("{:.*e}", prec - 1, f);
    let (mant, exp) = e.split_once('e').unwrap_or((&e, "0"));
    let exp: i32 = exp.parse().unwrap_or(0);
    let digits: String = mant.chars().filter(|c| c.is_ascii_digit()).collect();
    let digits = digits.trim_end_matches('0');
    let digits = if digits.is_empty() { "0" } else { digits };
    let nd = digits.len() as i32;
    let dp = exp + 1;
    let mut eprec = prec as i32;
    if eprec > nd && nd >= dp {
        eprec = nd;
    }
    if exp < -4 || exp >= eprec {
        layout_e(false, digits, dp, (nd - 1).max(0) as usize)
    } else {
        layout_f(false, digits, dp, (nd - dp).max(0) as usize)
    }
}

fn format_str(
    out: &mut Sink,
    verb: char,
    s: &str,
    spec: &Spec,
    arg: &Value,
) -> Result<(), Overflow> {
    let truncated = |s: &str| -> String {
        match spec.prec {
            Some(p) => s.chars().take(p).collect(),
            None => s.to_string(),
        }
    };
    match verb {
        'v' | 's' => pad(out, &truncated(s), spec),
        'q' => {
            let t = truncated(s);
            if spec.sharp && !t.contains('`') && t.chars().all(|c| c == '\t' || !c.is_control()) {
                pad(out, &format!("`{t}`"), spec)
            } else if spec.plus {
                pad(out, &quote_ascii(&t), spec)
            } else {
                pad(out, &go_quote(&t), spec)
            }
        }
        'x' | 'X' => {
            let bytes = s.as_bytes();
            let bytes = match spec.prec {
                Some(p) if p < bytes.len() => &bytes[..p],
                _ => bytes,
            };
            let mut body = String::new();
            for (i, b) in bytes.iter().enumerate() {
                if spec.space && i > 0 {
                    body.push(' ');
                }
                if spec.sharp && (spec.space || i == 0) {
                    body.push_str(if verb == 'x' { "0x" } else { "0X" });
                }
                if verb == 'x' {
                    body.push_str(&format!("{b:02x}"));
                } else {
                    body.push_str(&format!("{b:02X}"));
                }
            }
            pad(out, &body, spec)
        }
        _ => bad_verb(out, verb, arg),
    }
}

/// `strconv.QuoteToASCII`.
fn quote_ascii(s: &str) -> String {
    let q = go_quote(s);
    let mut out = String::with_capacity(q.len());
    for c in q.chars() {
        match c as u32 {
            0..=0x7f => out.push(c),
            n if n < 0x10000 => out.push_str(&format!("\\u{n:04x}")),
            n => out.push_str(&format!("\\U{n:08x}")),
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn sp(format: &str, args: &[Value]) -> String {
        sprintf(format, args, &Limits::default()).unwrap()
    }

    #[test]
    fn printf_covers_common_verbs() {
        let args = vec![
            Value::str("app"),
            Value::Int(7),
            Value::Float(2.5),
            Value::Bool(true),
            Value::Float(1e6),
        ];
        assert_eq!(sp("%s-%03d-%.2f-%t-%v", &args), "app-007-2.50-true-1e+06");
        assert_eq!(
            sp(
                "%q|%-4d|%5s|%x",
                &[
                    Value::str("a\"b"),
                    Value::Int(3),
                    Value::str("ab"),
                    Value::Int(255)
                ]
            ),
            "\"a\\\"b\"|3   |   ab|ff"
        );
        assert_eq!(
            sp("%T %T %T", &[Value::Int64(1), Value::Nil, Value::str("")]),
            "int64 <nil> string"
        );
    }

    #[test]
    fn printf_marks_bad_and_missing_arguments() {
        assert_eq!(sp("%d", &[Value::str("x")]), "%!d(string=x)");
        assert_eq!(sp("%s %s", &[Value::str("x")]), "x %!s(MISSING)");
        assert_eq!(
            sp("%s", &[Value::str("x"), Value::Int(1)]),
            "x%!(EXTRA int=1)"
        );
    }

    #[test]
    fn sprint_spaces_only_between_non_strings() {
        let s = sprint(
            &[Value::Int(1), Value::Int(2), Value::str("a"), Value::Int(3)],
            100,
        );
        assert_eq!(s.unwrap(), "1 2a3");
    }

    #[test]
    fn widths_are_bounded() {
        let err = sprintf("%999999d", &[Value::Int(1)], &Limits::default()).unwrap_err();
        assert_eq!(
            err.limit_hit(),
            Some(&LimitError::PrintfWidth {
                got: 999_999,
                limit: 10_000
            })
        );
        // Past a million Go itself gives up on the format.
        assert_eq!(
            sp("%999999999d", &[Value::Int(1)]),
            "%!(NOVERB)%!(EXTRA int=1)"
        );
        assert!(
            sprintf(
                "%.*d",
                &[Value::Int(50_000), Value::Int(1)],
                &Limits::default()
            )
            .is_err()
        );
    }

    #[test]
    fn printf_formats_list_and_map_elements_with_the_verb() {
        let list = Value::list(vec![Value::str("a"), Value::str("b")]);
        assert_eq!(sp("%q", std::slice::from_ref(&list)), "[\"a\" \"b\"]");
        assert_eq!(
            sp("%d", std::slice::from_ref(&list)),
            "[%!d(string=a) %!d(string=b)]"
        );
        assert_eq!(sp("%3s", std::slice::from_ref(&list)), "[  a   b]");
        let map = Value::from_json(&serde_json::json!({"k": 1, "n": null}));
        assert_eq!(sp("%s", &[map]), "map[k:%!s(float64=1) n:<nil>]");
    }

    #[test]
    fn printf_supports_argument_indexes_and_star() {
        let a = [Value::str("a"), Value::str("b")];
        assert_eq!(sp("%[1]s-%[1]s", &a[..1]), "a-a");
        assert_eq!(sp("%[2]s %[1]s", &a), "b a");
        assert_eq!(sp("%[3]s", &a), "%!s(BADINDEX)");
        let n = [Value::Int(4), Value::Int(3)];
        assert_eq!(sp("%*d|", &n), "   3|");
        assert_eq!(sp("%-*d|", &n), "3   |");
        assert_eq!(sp("%.*f", &[Value::Int(1), Value::Float(2.25)]), "2.2");
        assert_eq!(
            sp("%*d", &[Value::Float(4.0), Value::Int(3)]),
            "%!(BADWIDTH)3"
        );
        assert_eq!(sp("%s", &[Value::str("x"), Value::Nil]), "x%!(EXTRA <nil>)");
    }

    #[test]
    fn flags_follow_go() {
        assert_eq!(
            sp(
                "%#08x|%.3d|%+d|% d",
                &[Value::Int(255), Value::Int(7), Value::Int(5), Value::Int(5)]
            ),
            "0x000000ff|007|+5| 5"
        );
        assert_eq!(
            sp(
                "%08.3f|%+.2e|%.3g",
                &[
                    Value::Float(-3.14259),
                    Value::Float(1234.5),
                    Value::Float(1234.5678)
                ]
            ),
            "-003.143|+1.23e+03|1.23e+03"
        );
        assert_eq!(
            sp(
                "%05s|%c|%U|%#U",
                &[
                    Value::str("ab"),
                    Value::Int(65),
                    Value::Int(0x1F600),
                    Value::Int(120)
                ]
            ),
            "000ab|A|U+1F600|U+0078 'x'"
        );
    }
}
