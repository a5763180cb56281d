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

/// `fmt.Sprintf` for the verbs v s q d f F e E g G x X o b t c %.
pub fn sprintf(format: &str, args: &[TValue]) -> String {
    let mut out = String::new();
    let mut next_arg = 0;
    let mut chars = format.chars().peekable();
    while let Some(c) = chars.next() {
        if c != '%' {
            out.push(c);
            continue;
        }
        let mut spec = Spec::default();
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
        spec.width = read_num(&mut chars);
        if chars.peek() == Some(&'.') {
            chars.next();
            spec.prec = Some(read_num(&mut chars).unwrap_or(0));
        }
        let Some(verb) = chars.next() else {
            out.push_str("%!(NOVERB)");
            break;
        };
        if verb == '%' {
            out.push('%');
            continue;
        }
        let Some(arg) = args.get(next_arg) else {
            out.push_str(&format!("%!{verb}(MISSING)"));
            continue;
        };
        next_arg += 1;
        let body = format_one(verb, arg, &spec);
        out.push_str(&pad(body, &spec, verb, arg));
    }
    if next_arg < args.len() {
        let extra: Vec<String> = args[next_arg..]
            .iter()
            .map(|a| format!("{}={}", a.type_name(), a.fmt_v()))
            .collect();
        out.push_str(&format!("%!(EXTRA {})", extra.join(", ")));
    }
    out
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
        ('s', TValue::List(l)) => {
            let parts: Vec<String> = l.iter().map(|x| format_one('s', x, spec)).collect();
            format!("[{}]", parts.join(" "))
        }
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
}
