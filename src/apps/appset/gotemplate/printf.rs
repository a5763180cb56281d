//! The part of Go's `fmt` that templates reach through `print`, `println` and `printf`:
//! the common verbs, flags, width and precision, and Go's `%!verb(type=value)` error markers.

use super::value::{TValue, format_float_g, go_quote};

/// `fmt.Sprint`: a space between operands when neither side is a string.
pub fn sprint(args: &[TValue]) -> String {
    let mut out = String::new();
    for (i, a) in args.iter().enumerate() {
        let is_str = matches!(a, TValue::Str(_));
        if i > 0 && !is_str && !matches!(args[i - 1], TValue::Str(_)) {
            out.push(' ');
        }
        out.push_str(&a.fmt_v());
    }
    out
}

/// `fmt.Sprintln`: spaces between all operands and a final newline.
pub fn sprintln(args: &[TValue]) -> String {
    let parts: Vec<String> = args.iter().map(TValue::fmt_v).collect();
    format!("{}\n", parts.join(" "))
}

#[derive(Default)]
struct Spec {
    minus: bool,
    plus: bool,
    zero: bool,
    space: bool,
    sharp: bool,
    width: Option<usize>,
    prec: Option<usize>,
}

/// `fmt.Sprintf` for the verbs v s q d f F e E g G x X o b t c %, with explicit argument
/// indexes (`%[1]s`) and `*` widths and precisions.
pub fn sprintf(format: &str, args: &[TValue]) -> String {
    let mut out = String::new();
    let mut st = ArgState {
        next: 0,
        reordered: false,
        good: true,
        nargs: args.len(),
    };
    let mut chars = format.chars().peekable();
    while let Some(c) = chars.next() {
        if c != '%' {
            out.push(c);
            continue;
        }
        let mut spec = Spec::default();
        st.good = true;
        while let Some(&flag) = chars.peek() {
            match flag {
                '-' => spec.minus = true,
                '+' => spec.plus = true,
                '0' => spec.zero = true,
                ' ' => spec.space = true,
                '#' => spec.sharp = true,
                _ => break,
            }
            chars.next();
        }
        let mut after_index = st.arg_index(&mut chars);
        if chars.peek() == Some(&'*') {
            chars.next();
            match st.int_arg(args) {
                Some(w) => {
                    if w < 0 {
                        spec.minus = true;
                        spec.zero = false;
                    }
                    spec.width = Some(w.unsigned_abs() as usize);
                }
                None => out.push_str("%!(BADWIDTH)"),
            }
            after_index = false;
        } else {
            spec.width = read_num(&mut chars);
            if after_index && spec.width.is_some() {
                st.good = false;
            }
        }
        if chars.peek() == Some(&'.') {
            chars.next();
            if after_index {
                st.good = false;
            }
            after_index = st.arg_index(&mut chars);
            if chars.peek() == Some(&'*') {
                chars.next();
                match st.int_arg(args) {
                    Some(p) if p >= 0 => spec.prec = Some(p as usize),
                    _ => out.push_str("%!(BADPREC)"),
                }
                after_index = false;
            } else {
                spec.prec = Some(read_num(&mut chars).unwrap_or(0));
            }
        }
        if !after_index {
            st.arg_index(&mut chars);
        }
        let Some(verb) = chars.next() else {
            out.push_str("%!(NOVERB)");
            break;
        };
        if verb == '%' {
            out.push('%');
            continue;
        }
        if !st.good {
            out.push_str(&format!("%!{verb}(BADINDEX)"));
            continue;
        }
        let Some(arg) = args.get(st.next) else {
            out.push_str(&format!("%!{verb}(MISSING)"));
            continue;
        };
        st.next += 1;
        out.push_str(&format_arg(verb, arg, &spec, 0));
    }
    // Like Go, no complaint about unused arguments once `[n]` reordered them.
    if !st.reordered && st.next < args.len() {
        let extra: Vec<String> = args[st.next..]
            .iter()
            .map(|a| {
                if a.is_nil() {
                    "<nil>".to_string()
                } else {
                    format!("{}={}", a.type_name(), a.fmt_v())
                }
            })
            .collect();
        out.push_str(&format!("%!(EXTRA {})", extra.join(", ")));
    }
    out
}

/// Which argument the next verb formats (Go's `argNum`, `reordered`, `goodArgNum`).
struct ArgState {
    next: usize,
    reordered: bool,
    good: bool,
    nargs: usize,
}

impl ArgState {
    /// Go's `argNumber`: reads an explicit `[n]` index; true if one was well formed.
    fn arg_index(&mut self, chars: &mut std::iter::Peekable<std::str::Chars<'_>>) -> bool {
        if chars.peek() != Some(&'[') {
            return false;
        }
        self.reordered = true;
        let look: Vec<char> = chars.clone().collect();
        let close = if look.len() >= 3 {
            look.iter().skip(1).position(|&c| c == ']').map(|p| p + 1)
        } else {
            None
        };
        let (consumed, index) = match close {
            None => (1, None),
            Some(end) => {
                let digits: String = look[1..end].iter().collect();
                let n = if digits.bytes().all(|b| b.is_ascii_digit()) {
                    digits.parse::<usize>().ok()
                } else {
                    None
                };
                (end + 1, n)
            }
        };
        for _ in 0..consumed {
            chars.next();
        }
        match index {
            Some(n) if n >= 1 && n <= self.nargs => {
                self.next = n - 1;
                true
            }
            Some(_) => {
                self.good = false;
                true
            }
            None => {
                self.good = false;
                false
            }
        }
    }

    /// Go's `intFromArg` for `*`: consumes an argument; `None` unless it is a sane int.
    fn int_arg(&mut self, args: &[TValue]) -> Option<i64> {
        let arg = args.get(self.next)?;
        self.next += 1;
        match arg {
            TValue::Int(n) if n.unsigned_abs() <= 1_000_000 => Some(*n),
            _ => None,
        }
    }
}

/// Formats one operand: Go applies the verb, width and flags to each element of a list or
/// map (`%d` of `[1 2]` is `[1 2]`, `%q` of `[a b]` is `["a" "b"]`).
fn format_arg(verb: char, arg: &TValue, spec: &Spec, depth: usize) -> String {
    if depth > 64 {
        return "...".to_string();
    }
    match arg {
        TValue::List(l) => {
            let parts: Vec<String> = l
                .iter()
                .map(|x| format_arg(verb, x, spec, depth + 1))
                .collect();
            format!("[{}]", parts.join(" "))
        }
        TValue::Map(m) => {
            let parts: Vec<String> = m
                .borrow()
                .iter()
                .map(|(k, v)| {
                    let key = format_arg(verb, &TValue::str(k.as_str()), spec, depth + 1);
                    format!("{key}:{}", format_arg(verb, v, spec, depth + 1))
                })
                .collect();
            format!("map[{}]", parts.join(" "))
        }
        // A nil element inside a list or map prints `<nil>` whatever the verb.
        TValue::Missing | TValue::Nil if depth > 0 => pad("<nil>".to_string(), spec, 's', arg),
        _ => pad(format_one(verb, arg, spec), spec, verb, arg),
    }
}

fn read_num(chars: &mut std::iter::Peekable<std::str::Chars<'_>>) -> Option<usize> {
    let mut n: Option<usize> = None;
    while let Some(d) = chars.peek().and_then(|c| c.to_digit(10)) {
        n = Some(n.unwrap_or(0).saturating_mul(10).saturating_add(d as usize));
        chars.next();
    }
    n
}

fn bad_verb(verb: char, arg: &TValue) -> String {
    if arg.is_nil() {
        return format!("%!{verb}(<nil>)");
    }
    format!("%!{verb}({}={})", arg.type_name(), arg.fmt_v())
}

fn sign(s: String, spec: &Spec, negative: bool) -> String {
    if negative {
        s
    } else if spec.plus {
        format!("+{s}")
    } else if spec.space {
        format!(" {s}")
    } else {
        s
    }
}

fn format_one(verb: char, arg: &TValue, spec: &Spec) -> String {
    match (verb, arg) {
        ('v', _) => arg.fmt_v(),
        ('s', TValue::Str(s)) => truncate_prec(s, spec.prec),
        ('q', TValue::Str(s)) => go_quote(&truncate_prec(s, spec.prec)),
        ('q', TValue::Int(i)) => char::from_u32(*i as u32)
            .map(|c| format!("{c:?}"))
            .unwrap_or_else(|| bad_verb(verb, arg)),
        ('d', TValue::Int(i)) => sign(i.to_string(), spec, *i < 0),
        ('x', TValue::Int(i)) => sign(hex_int(*i, false, spec.sharp), spec, *i < 0),
        ('X', TValue::Int(i)) => sign(hex_int(*i, true, spec.sharp), spec, *i < 0),
        ('x', TValue::Str(s)) => s.bytes().map(|b| format!("{b:02x}")).collect(),
        ('X', TValue::Str(s)) => s.bytes().map(|b| format!("{b:02X}")).collect(),
        ('o', TValue::Int(i)) => sign(
            format!("{}{:o}", if *i < 0 { "-" } else { "" }, i.unsigned_abs()),
            spec,
            *i < 0,
        ),
        ('b', TValue::Int(i)) => sign(
            format!("{}{:b}", if *i < 0 { "-" } else { "" }, i.unsigned_abs()),
            spec,
            *i < 0,
        ),
        ('c', TValue::Int(i)) => char::from_u32(*i as u32)
            .map(String::from)
            .unwrap_or_else(|| "\u{FFFD}".to_string()),
        ('t', TValue::Bool(b)) => b.to_string(),
        ('f' | 'F', TValue::Float(f)) => {
            sign(format!("{:.*}", spec.prec.unwrap_or(6), f), spec, *f < 0.0)
        }
        ('e' | 'E', TValue::Float(f)) => {
            let s = exp_form(*f, spec.prec.unwrap_or(6));
            let s = if verb == 'E' { s.to_uppercase() } else { s };
            sign(s, spec, *f < 0.0)
        }
        ('g' | 'G', TValue::Float(f)) => {
            let s = match spec.prec {
                None => format_float_g(*f),
                Some(p) => g_with_prec(*f, p.max(1)),
            };
            let s = if verb == 'G' { s.to_uppercase() } else { s };
            sign(s, spec, *f < 0.0)
        }
        _ => bad_verb(verb, arg),
    }
}

fn hex_int(i: i64, upper: bool, sharp: bool) -> String {
    let digits = if upper {
        format!("{:X}", i.unsigned_abs())
    } else {
        format!("{:x}", i.unsigned_abs())
    };
    let prefix = match (sharp, upper) {
        (false, _) => "",
        (true, false) => "0x",
        (true, true) => "0X",
    };
    format!("{}{prefix}{digits}", if i < 0 { "-" } else { "" })
}

/// Rust's `{:e}` writes `1.5e3`; Go writes `1.5e+03`.
fn exp_form(f: f64, prec: usize) -> String {
    let s = format!("{f:.prec$e}");
    let (mant, exp) = s.split_once('e').unwrap_or((&s, "0"));
    let exp: i32 = exp.parse().unwrap_or(0);
    format!("{mant}e{}{:02}", if exp < 0 { '-' } else { '+' }, exp.abs())
}

fn g_with_prec(f: f64, prec: usize) -> String {
    if f == 0.0 {
        return "0".to_string();
    }
    let exp = f.abs().log10().floor() as i32;
    if exp < -4 || exp >= prec as i32 {
        let s = exp_form(f, prec - 1);
        let (mant, e) = s.split_once('e').unwrap_or((&s, ""));
        let mant = if mant.contains('.') {
            mant.trim_end_matches('0').trim_end_matches('.')
        } else {
            mant
        };
        format!("{mant}e{e}")
    } else {
        let decimals = (prec as i32 - 1 - exp).max(0) as usize;
        let s = format!("{f:.decimals$}");
        if s.contains('.') {
            s.trim_end_matches('0').trim_end_matches('.').to_string()
        } else {
            s
        }
    }
}

fn truncate_prec(s: &str, prec: Option<usize>) -> String {
    match prec {
        Some(p) => s.chars().take(p).collect(),
        None => s.to_string(),
    }
}

fn pad(body: String, spec: &Spec, verb: char, arg: &TValue) -> String {
    let Some(width) = spec.width else {
        return body;
    };
    let len = body.chars().count();
    if len >= width {
        return body;
    }
    let fill = width - len;
    if spec.minus {
        return format!("{body}{}", " ".repeat(fill));
    }
    let numeric = matches!(arg, TValue::Int(_) | TValue::Float(_))
        && matches!(
            verb,
            'd' | 'f' | 'F' | 'e' | 'E' | 'g' | 'G' | 'x' | 'X' | 'o' | 'b' | 'v'
        );
    if spec.zero && numeric {
        let (sign, digits) = match body.chars().next() {
            Some(c @ ('-' | '+' | ' ')) => (c.to_string(), body[1..].to_string()),
            _ => (String::new(), body),
        };
        return format!("{sign}{}{digits}", "0".repeat(fill));
    }
    format!("{}{body}", " ".repeat(fill))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn printf_covers_common_verbs() {
        let args = vec![
            TValue::str("app"),
            TValue::Int(7),
            TValue::Float(2.5),
            TValue::Bool(true),
            TValue::Float(1e6),
        ];
        assert_eq!(
            sprintf("%s-%03d-%.2f-%t-%v", &args),
            "app-007-2.50-true-1e+06"
        );
        assert_eq!(
            sprintf(
                "%q|%-4d|%5s|%x",
                &[
                    TValue::str("a\"b"),
                    TValue::Int(3),
                    TValue::str("ab"),
                    TValue::Int(255)
                ]
            ),
            "\"a\\\"b\"|3   |   ab|ff"
        );
    }

    #[test]
    fn printf_marks_bad_and_missing_arguments() {
        assert_eq!(sprintf("%d", &[TValue::str("x")]), "%!d(string=x)");
        assert_eq!(sprintf("%s %s", &[TValue::str("x")]), "x %!s(MISSING)");
        assert_eq!(
            sprintf("%s", &[TValue::str("x"), TValue::Int(1)]),
            "x%!(EXTRA int=1)"
        );
    }

    #[test]
    fn sprint_spaces_only_between_non_strings() {
        assert_eq!(
            sprint(&[
                TValue::Int(1),
                TValue::Int(2),
                TValue::str("a"),
                TValue::Int(3)
            ]),
            "1 2a3"
        );
    }

    #[test]
    fn printf_formats_list_and_map_elements_with_the_verb() {
        let list = TValue::list(vec![TValue::str("a"), TValue::str("b")]);
        assert_eq!(sprintf("%q", std::slice::from_ref(&list)), "[\"a\" \"b\"]");
        assert_eq!(
            sprintf("%d", std::slice::from_ref(&list)),
            "[%!d(string=a) %!d(string=b)]"
        );
        assert_eq!(sprintf("%3s", std::slice::from_ref(&list)), "[  a   b]");
        let map = TValue::from_json(&serde_json::json!({"k": 1, "n": null}));
        assert_eq!(sprintf("%s", &[map]), "map[k:%!s(float64=1) n:<nil>]");
    }

    #[test]
    fn printf_supports_argument_indexes_and_star() {
        let a = [TValue::str("a"), TValue::str("b")];
        assert_eq!(sprintf("%[1]s-%[1]s", &a[..1]), "a-a");
        assert_eq!(sprintf("%[2]s %[1]s", &a), "b a");
        assert_eq!(sprintf("%[3]s", &a), "%!s(BADINDEX)");
        let n = [TValue::Int(4), TValue::Int(3)];
        assert_eq!(sprintf("%*d|", &n), "   3|");
        assert_eq!(sprintf("%-*d|", &n), "3   |");
        assert_eq!(
            sprintf("%.*f", &[TValue::Int(1), TValue::Float(2.25)]),
            "2.2"
        );
        assert_eq!(
            sprintf("%*d", &[TValue::Float(4.0), TValue::Int(3)]),
            "%!(BADWIDTH)3"
        );
        assert_eq!(
            sprintf("%s", &[TValue::str("x"), TValue::Nil]),
            "x%!(EXTRA <nil>)"
        );
    }
}
