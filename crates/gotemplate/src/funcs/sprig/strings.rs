//! Sprig's string functions. Several Go implementations work on bytes, not characters
//! (`trunc`, `substr`, `abbrev`, `initials`, `nospace`, `wrap`); they do here too, and a cut
//! through a multi-byte character becomes U+FFFD where Go would keep the invalid bytes.

use std::collections::BTreeMap;

use super::{int, random_below, s, strslice, strval};
use crate::funcs::{Call, Func, FuncError, FuncMap, Param};
use crate::value::{Elem, Value, go_quote};

use Param::{Any, Int, Str};

/// Go's `unicode.IsSpace`.
pub(crate) fn go_is_space(c: char) -> bool {
    matches!(
        c,
        '\t' | '\n' | '\u{b}' | '\u{c}' | '\r' | ' ' | '\u{85}' | '\u{a0}'
    ) || (c as u32 > 0xff && c.is_whitespace())
}

/// Go's `unicode.ToUpper` (one character to one character; no special expansions).
pub(crate) fn go_upper(c: char) -> char {
    let mut up = c.to_uppercase();
    match (up.next(), up.next()) {
        (Some(u), None) => u,
        _ => c,
    }
}

/// Go's `unicode.ToLower`.
pub(crate) fn go_lower(c: char) -> char {
    // The one character whose full lowercase mapping is longer than its simple one.
    if c == 'İ' {
        return 'i';
    }
    let mut low = c.to_lowercase();
    match (low.next(), low.next()) {
        (Some(l), None) => l,
        _ => c,
    }
}

/// Go's `unicode.ToTitle`: title case for the digraphs that have one, else upper case.
fn go_title(c: char) -> char {
    match c {
        'Ǆ' | 'ǅ' | 'ǆ' => 'ǅ',
        'Ǉ' | 'ǈ' | 'ǉ' => 'ǈ',
        'Ǌ' | 'ǋ' | 'ǌ' => 'ǋ',
        'Ǳ' | 'ǲ' | 'ǳ' => 'ǲ',
        c => go_upper(c),
    }
}

/// A Go slice of a string's bytes, as text.
fn bytes_str(b: &[u8]) -> String {
    String::from_utf8_lossy(b).into_owned()
}

/// Go's runtime message for an out-of-range `s[a:b]`, or the slice.
fn go_slice_str(s: &str, a: Option<i64>, b: Option<i64>) -> Result<String, FuncError> {
    let len = s.len() as i64;
    let err = |m: String| {
        Err(FuncError::new(format!(
            "runtime error: slice bounds out of range {m}"
        )))
    };
    let hi = b.unwrap_or(len);
    if let Some(b) = b {
        if b < 0 {
            return err(format!("[:{b}]"));
        }
        if b > len {
            return err(format!("[:{b}] with length {len}"));
        }
    }
    let lo = a.unwrap_or(0);
    if lo < 0 {
        return err(format!("[{lo}:]"));
    }
    if lo > hi {
        return err(format!("[{lo}:{hi}]"));
    }
    Ok(bytes_str(&s.as_bytes()[lo as usize..hi as usize]))
}

pub(super) fn register(m: &mut FuncMap) {
    m.insert(
        "hello",
        Func::new(&[], None, |_, _| Ok(Value::str("Hello!"))),
    );
    m.insert(
        "trim",
        Func::new(&[Str], None, |_, a| {
            Ok(Value::str(s(&a[0]).trim_matches(go_is_space)))
        }),
    );
    m.insert(
        "upper",
        Func::new(&[Str], None, |_, a| {
            Ok(Value::str(
                s(&a[0]).chars().map(go_upper).collect::<String>(),
            ))
        }),
    );
    m.insert(
        "lower",
        Func::new(&[Str], None, |_, a| {
            Ok(Value::str(
                s(&a[0]).chars().map(go_lower).collect::<String>(),
            ))
        }),
    );
    m.insert(
        "title",
        Func::new(&[Str], None, |_, a| Ok(Value::str(title(s(&a[0]))))),
    );
    m.insert(
        "untitle",
        Func::new(&[Str], None, |_, a| Ok(Value::str(untitle(s(&a[0]))))),
    );
    m.insert(
        "substr",
        Func::new(&[Int, Int, Str], None, |_, a| {
            let (start, end, st) = (int(&a[0]), int(&a[1]), s(&a[2]));
            let r = if start < 0 {
                go_slice_str(st, None, Some(end))
            } else if end < 0 || end > st.len() as i64 {
                go_slice_str(st, Some(start), None)
            } else {
                go_slice_str(st, Some(start), Some(end))
            };
            Ok(Value::str(r?))
        }),
    );
    m.insert(
        "trunc",
        Func::new(&[Int, Str], None, |_, a| {
            let (n, st) = (int(&a[0]), s(&a[1]));
            let b = st.as_bytes();
            let len = b.len() as i64;
            Ok(Value::str(if n < 0 && len + n > 0 {
                bytes_str(&b[(len + n) as usize..])
            } else if n >= 0 && len > n {
                bytes_str(&b[..n as usize])
            } else {
                st.to_string()
            }))
        }),
    );
    m.insert(
        "repeat",
        Func::new(&[Int, Str], None, |c, a| {
            let (n, st) = (int(&a[0]), s(&a[1]));
            if n < 0 {
                return Err(FuncError::new("strings: negative Repeat count"));
            }
            let mut out = c.sink();
            c.capped(out.repeat(st, n as usize))?;
            Ok(Value::str(out.into_string()))
        }),
    );
    for name in ["trimall", "trimAll"] {
        m.insert(
            name,
            Func::new(&[Str, Str], None, |_, a| {
                let cut: Vec<char> = s(&a[0]).chars().collect();
                Ok(Value::str(s(&a[1]).trim_matches(cut.as_slice())))
            }),
        );
    }
    m.insert(
        "trimSuffix",
        Func::new(&[Str, Str], None, |_, a| {
            let (suffix, v) = (s(&a[0]), s(&a[1]));
            Ok(Value::str(v.strip_suffix(suffix).unwrap_or(v)))
        }),
    );
    m.insert(
        "trimPrefix",
        Func::new(&[Str, Str], None, |_, a| {
            let (prefix, v) = (s(&a[0]), s(&a[1]));
            Ok(Value::str(v.strip_prefix(prefix).unwrap_or(v)))
        }),
    );
    m.insert(
        "nospace",
        Func::new(&[Str], None, |_, a| Ok(Value::str(nospace(s(&a[0]))))),
    );
    m.insert(
        "initials",
        Func::new(&[Str], None, |_, a| Ok(Value::str(initials(s(&a[0]))))),
    );
    m.insert("randAlphaNum", random_string(|c| c.is_ascii_alphanumeric()));
    m.insert("randAlpha", random_string(|c| c.is_ascii_alphabetic()));
    m.insert("randNumeric", random_string(|c| c.is_ascii_digit()));
    m.insert("randAscii", random_string(|c| (' '..='~').contains(&c)));
    m.insert(
        "swapcase",
        Func::new(&[Str], None, |_, a| Ok(Value::str(swapcase(s(&a[0]))))),
    );
    m.insert(
        "shuffle",
        Func::new(&[Str], None, |_, a| {
            let mut chars: Vec<char> = s(&a[0]).chars().collect();
            for i in (1..chars.len()).rev() {
                let j = random_below(i as u64 + 1) as usize;
                chars.swap(i, j);
            }
            Ok(Value::str(chars.into_iter().collect::<String>()))
        }),
    );
    m.insert(
        "snakecase",
        Func::new(&[Str], None, |_, a| {
            Ok(Value::str(camel_to_lower(s(&a[0]), '_')))
        }),
    );
    m.insert(
        "kebabcase",
        Func::new(&[Str], None, |_, a| {
            Ok(Value::str(camel_to_lower(s(&a[0]), '-')))
        }),
    );
    m.insert(
        "camelcase",
        Func::new(&[Str], None, |_, a| Ok(Value::str(pascal_case(s(&a[0]))))),
    );
    m.insert(
        "wrap",
        Func::new(&[Int, Str], None, |c, a| {
            Ok(Value::str(wrap_custom(
                c,
                s(&a[1]),
                int(&a[0]),
                "\n",
                false,
            )?))
        }),
    );
    m.insert(
        "wrapWith",
        Func::new(&[Int, Str, Str], None, |c, a| {
            let sep = match s(&a[1]) {
                "" => "\n",
                other => other,
            };
            Ok(Value::str(wrap_custom(c, s(&a[2]), int(&a[0]), sep, true)?))
        }),
    );
    m.insert(
        "contains",
        Func::new(&[Str, Str], None, |_, a| {
            Ok(Value::Bool(s(&a[1]).contains(s(&a[0]))))
        }),
    );
    m.insert(
        "hasPrefix",
        Func::new(&[Str, Str], None, |_, a| {
            Ok(Value::Bool(s(&a[1]).starts_with(s(&a[0]))))
        }),
    );
    m.insert(
        "hasSuffix",
        Func::new(&[Str, Str], None, |_, a| {
            Ok(Value::Bool(s(&a[1]).ends_with(s(&a[0]))))
        }),
    );
    m.insert(
        "quote",
        Func::new(&[], Some(Any), |c, a| {
            let mut out = c.sink();
            let mut first = true;
            for v in a.iter().filter(|v| !v.is_nil()) {
                if !first {
                    c.capped(out.push(' '))?;
                }
                first = false;
                c.capped(out.push_str(&go_quote(&strval(c, v)?)))?;
            }
            Ok(Value::str(out.into_string()))
        }),
    );
    m.insert(
        "squote",
        Func::new(&[], Some(Any), |c, a| {
            let mut out = c.sink();
            let mut first = true;
            for v in a.iter().filter(|v| !v.is_nil()) {
                if !first {
                    c.capped(out.push(' '))?;
                }
                first = false;
                c.capped(out.push('\''))?;
                c.capped(v.write_v(&mut out))?;
                c.capped(out.push('\''))?;
            }
            Ok(Value::str(out.into_string()))
        }),
    );
    m.insert(
        "cat",
        Func::new(&[], Some(Any), |c, a| {
            let mut out = c.sink();
            for (i, v) in a.iter().filter(|v| !v.is_nil()).enumerate() {
                if i > 0 {
                    c.capped(out.push(' '))?;
                }
                c.capped(v.write_v(&mut out))?;
            }
            Ok(Value::str(out.into_string()))
        }),
    );
    m.insert(
        "indent",
        Func::new(&[Int, Str], None, |c, a| {
            Ok(Value::str(indent(c, int(&a[0]), s(&a[1]))?))
        }),
    );
    m.insert(
        "nindent",
        Func::new(&[Int, Str], None, |c, a| {
            let body = indent(c, int(&a[0]), s(&a[1]))?;
            if body.len() + 1 > c.limits().max_string {
                return Err(c.too_long());
            }
            Ok(Value::str(format!("\n{body}")))
        }),
    );
    m.insert(
        "replace",
        Func::new(&[Str, Str, Str], None, |c, a| {
            let (old, new, src) = (s(&a[0]), s(&a[1]), s(&a[2]));
            let count = if old.is_empty() {
                src.chars().count() + 1
            } else {
                src.matches(old).count()
            };
            let size = (src.len() + count * new.len()).saturating_sub(count * old.len());
            if size > c.limits().max_string {
                return Err(c.too_long());
            }
            Ok(Value::str(src.replace(old, new)))
        }),
    );
    m.insert(
        "plural",
        Func::new(&[Str, Str, Int], None, |_, a| {
            Ok(if int(&a[2]) == 1 {
                a[0].clone()
            } else {
                a[1].clone()
            })
        }),
    );
    m.insert(
        "toString",
        Func::new(&[Any], None, |c, a| Ok(Value::str(strval(c, &a[0])?))),
    );
    m.insert(
        "toStrings",
        Func::new(&[Any], None, |c, a| {
            Ok(Value::str_list(strslice(c, &a[0])?))
        }),
    );
    m.insert(
        "join",
        Func::new(&[Str, Any], None, |c, a| {
            let sep = s(&a[0]);
            let mut out = c.sink();
            for (i, part) in strslice(c, &a[1])?.iter().enumerate() {
                if i > 0 {
                    c.capped(out.push_str(sep))?;
                }
                c.capped(out.push_str(part))?;
            }
            Ok(Value::str(out.into_string()))
        }),
    );
    m.insert(
        "sortAlpha",
        Func::new(&[Any], None, |c, a| {
            let mut v = match &a[0] {
                Value::List(l) => {
                    c.spend(l.items.len() as u64 * 8)?;
                    strslice(c, &a[0])?
                }
                Value::Missing | Value::Nil => vec!["<nil>".to_string()],
                other => vec![strval(c, other)?],
            };
            v.sort();
            Ok(Value::str_list(v))
        }),
    );
    m.insert(
        "split",
        Func::new(&[Str, Str], None, |c, a| {
            let parts = go_split_n(c, s(&a[1]), s(&a[0]), -1)?;
            Ok(index_map(parts))
        }),
    );
    m.insert(
        "splitn",
        Func::new(&[Str, Int, Str], None, |c, a| {
            let parts = go_split_n(c, s(&a[2]), s(&a[0]), int(&a[1]))?;
            Ok(index_map(parts))
        }),
    );
    m.insert(
        "splitList",
        Func::new(&[Str, Str], None, |c, a| {
            Ok(Value::str_list(go_split_n(c, s(&a[1]), s(&a[0]), -1)?))
        }),
    );
    m.insert(
        "abbrev",
        Func::new(&[Int, Str], None, |_, a| {
            let (width, st) = (int(&a[0]), s(&a[1]));
            if width < 4 {
                return Ok(Value::str(st));
            }
            Ok(Value::str(abbreviate(st, 0, width).unwrap_or_default()))
        }),
    );
    m.insert(
        "abbrevboth",
        Func::new(&[Int, Int, Str], None, |_, a| {
            let (left, right, st) = (int(&a[0]), int(&a[1]), s(&a[2]));
            if right < 4 || left > 0 && right < 7 {
                return Ok(Value::str(st));
            }
            Ok(Value::str(abbreviate(st, left, right).unwrap_or_default()))
        }),
    );
    m.insert(
        "fail",
        Func::new(&[Str], None, |_, a| Err(FuncError::new(s(&a[0])))),
    );
}

/// Sprig's `split`/`splitn` result: a `map[string]string` from `_0`, `_1`, ... to the parts.
fn index_map(parts: Vec<String>) -> Value {
    let entries: BTreeMap<String, Value> = parts
        .into_iter()
        .enumerate()
        .map(|(i, p)| (format!("_{i}"), Value::str(p)))
        .collect();
    Value::typed_map(Elem::Str, entries)
}

/// Go's `strings.SplitN` (n < 0: all; an empty separator splits into characters), with the
/// number of parts checked against the list limit before any is made.
pub(crate) fn go_split_n(
    c: &Call<'_>,
    st: &str,
    sep: &str,
    n: i64,
) -> Result<Vec<String>, FuncError> {
    if n == 0 {
        return Ok(Vec::new());
    }
    let total = if sep.is_empty() {
        st.chars().count()
    } else {
        st.matches(sep).count() + 1
    };
    let count = if n < 0 { total } else { total.min(n as usize) };
    c.check_list(count)?;
    if sep.is_empty() {
        let chars: Vec<String> = st.chars().map(String::from).collect();
        if n < 0 || chars.len() <= n as usize {
            return Ok(chars);
        }
        let n = n as usize;
        let mut out: Vec<String> = chars[..n - 1].to_vec();
        out.push(chars[n - 1..].concat());
        return Ok(out);
    }
    Ok(if n < 0 {
        st.split(sep).map(String::from).collect()
    } else {
        st.splitn(n as usize, sep).map(String::from).collect()
    })
}

/// Go's `strings.Title`.
fn title(st: &str) -> String {
    let is_sep = |c: char| {
        if c.is_ascii() {
            !(c.is_ascii_alphanumeric() || c == '_')
        } else if c.is_alphabetic() || c.is_numeric() {
            false
        } else {
            go_is_space(c)
        }
    };
    let mut prev = ' ';
    let mut out = String::with_capacity(st.len());
    for c in st.chars() {
        out.push(if is_sep(prev) { go_title(c) } else { c });
        prev = c;
    }
    out
}

/// goutils' `Uncapitalize`: lower-cases the first letter of each space-separated word.
fn untitle(st: &str) -> String {
    let mut next = true;
    st.chars()
        .map(|c| {
            if go_is_space(c) {
                next = true;
                c
            } else if next {
                next = false;
                go_lower(c)
            } else {
                c
            }
        })
        .collect()
}

/// goutils' `SwapCase`.
fn swapcase(st: &str) -> String {
    let mut whitespace = true;
    st.chars()
        .map(|c| {
            if c.is_uppercase() {
                whitespace = false;
                go_lower(c)
            } else if c.is_lowercase() {
                if whitespace {
                    whitespace = false;
                    go_title(c)
                } else {
                    go_upper(c)
                }
            } else {
                whitespace = go_is_space(c);
                c
            }
        })
        .collect()
}

/// goutils' `DeleteWhiteSpace`, which looks at bytes: when it removes anything, every other
/// byte is written back as the character with that code.
fn nospace(st: &str) -> String {
    let is_space = |b: u8| matches!(b, 9..=13 | 32 | 0x85 | 0xa0);
    if !st.bytes().any(is_space) {
        return st.to_string();
    }
    st.bytes()
        .filter(|b| !is_space(*b))
        .map(char::from)
        .collect()
}

/// goutils' `Initials`, byte by byte.
fn initials(st: &str) -> String {
    let is_space = |b: u8| matches!(b, 9..=13 | 32 | 0x85 | 0xa0);
    let mut out = String::new();
    let mut gap = true;
    for b in st.bytes() {
        if is_space(b) {
            gap = true;
        } else if gap {
            out.push(char::from(b));
            gap = false;
        }
    }
    out
}

/// `randAlphaNum` and friends: `count` random characters of one class (a negative count
/// gives "", as Sprig ignores the error).
fn random_string(class: fn(char) -> bool) -> Func {
    Func::new(&[Int], None, move |c, a| {
        let n = int(&a[0]);
        if n <= 0 {
            return Ok(Value::str(""));
        }
        if n as u64 > c.limits().max_string as u64 {
            return Err(c.too_long());
        }
        let alphabet: Vec<char> = (' '..='z')
            .filter(|ch| class(*ch))
            .chain(('{'..='~').filter(|ch| class(*ch)))
            .collect();
        let out: String = (0..n)
            .map(|_| alphabet[random_below(alphabet.len() as u64) as usize])
            .collect();
        Ok(Value::str(out))
    })
}

/// Sprig's `indent`: the pad before the first line and after every newline.
fn indent(c: &Call<'_>, n: i64, st: &str) -> Result<String, FuncError> {
    if n < 0 {
        return Err(FuncError::new("strings: negative Repeat count"));
    }
    let lines = st.matches('\n').count() + 1;
    if (n as u64).saturating_mul(lines as u64) + st.len() as u64 > c.limits().max_string as u64 {
        return Err(c.too_long());
    }
    let pad = " ".repeat(n as usize);
    Ok(format!("{pad}{}", st.replace('\n', &format!("\n{pad}"))))
}

/// goutils' `AbbreviateFull` on bytes.
fn abbreviate(st: &str, offset: i64, max: i64) -> Option<String> {
    let b = st.as_bytes();
    let len = b.len() as i64;
    if st.is_empty() {
        return Some(String::new());
    }
    if max < 4 {
        return None;
    }
    if len <= max {
        return Some(st.to_string());
    }
    let mut offset = offset.min(len);
    if len - offset < max - 3 {
        offset = len - (max - 3);
    }
    if offset <= 4 {
        return Some(format!("{}...", bytes_str(&b[..(max - 3) as usize])));
    }
    if max < 7 {
        return None;
    }
    if offset + max - 3 < len {
        let rest = bytes_str(&b[offset as usize..]);
        return Some(format!("...{}", abbreviate(&rest, 0, max - 3)?));
    }
    Some(format!(
        "...{}",
        bytes_str(&b[(len - (max - 3)) as usize..])
    ))
}

/// goutils' `WrapCustom`, on bytes.
fn wrap_custom(
    c: &Call<'_>,
    st: &str,
    width: i64,
    newline: &str,
    wrap_long: bool,
) -> Result<String, FuncError> {
    if st.is_empty() {
        return Ok(String::new());
    }
    let width = width.max(1) as usize;
    let b = st.as_bytes();
    let len = b.len();
    let mut offset = 0;
    let mut out: Vec<u8> = Vec::new();
    let push = |out: &mut Vec<u8>, part: &[u8]| -> Result<(), FuncError> {
        if out.len() + part.len() > c.limits().max_string {
            return Err(c.too_long());
        }
        out.extend_from_slice(part);
        Ok(())
    };
    while len - offset > width {
        if b[offset] == b' ' {
            offset += 1;
            continue;
        }
        let end = (width + offset + 1).min(len);
        let space = b[offset..end].iter().rposition(|x| *x == b' ');
        if let Some(sp) = space.map(|p| p + offset) {
            push(&mut out, &b[offset..sp])?;
            push(&mut out, newline.as_bytes())?;
            offset = sp + 1;
        } else if wrap_long {
            let end = width + offset;
            push(&mut out, &b[offset..end])?;
            push(&mut out, newline.as_bytes())?;
            offset += width;
        } else {
            let end = width + offset;
            match b[end..].iter().position(|x| *x == b' ') {
                None => {
                    push(&mut out, &b[offset..])?;
                    offset = len;
                }
                Some(i) => {
                    let sp = i + end;
                    push(&mut out, &b[offset..sp])?;
                    push(&mut out, newline.as_bytes())?;
                    offset = sp + 1;
                }
            }
        }
    }
    push(&mut out, &b[offset..])?;
    Ok(String::from_utf8_lossy(&out).into_owned())
}

fn is_connector(c: char) -> bool {
    c == '-' || c == '_' || go_is_space(c)
}

/// xstrings' `isAlphabet`: letters, except CJK ideographs.
fn is_alphabet(c: char) -> bool {
    c.is_alphabetic() && !matches!(c as u32, 0x3400..=0x4dbf | 0x4e00..=0x9fff | 0x20000..=0x2ffff)
}

fn is_punct(c: char) -> bool {
    c.is_ascii_punctuation()
        && !is_connector(c)
        && !matches!(c, '$' | '+' | '<' | '=' | '>' | '^' | '`' | '|' | '~')
        || (!c.is_ascii() && !c.is_alphanumeric() && !c.is_whitespace() && !c.is_control())
}

#[derive(Clone, Copy, PartialEq, Eq, Debug)]
enum Word {
    Invalid,
    Number,
    Upper,
    Alphabet,
    Connector,
    Punct,
    Other,
}

/// xstrings' `nextWord`: the kind of the next word, the word and the rest.
fn next_word(st: &str) -> (Word, &str, &str) {
    let mut chars = st.char_indices().peekable();
    let Some((_, first)) = chars.next() else {
        return (Word::Invalid, "", "");
    };
    let end_at = |i: usize| (&st[..i], &st[i..]);
    let scan = |pred: &dyn Fn(char) -> bool| -> usize {
        st.char_indices()
            .skip(1)
            .find(|(_, c)| !pred(*c))
            .map_or(st.len(), |(i, _)| i)
    };
    let (kind, len) = if is_connector(first) {
        (Word::Connector, scan(&is_connector))
    } else if is_punct(first) {
        (Word::Punct, scan(&is_punct))
    } else if first.is_uppercase() {
        match chars.peek().map(|p| p.1) {
            None => (Word::Upper, st.len()),
            Some(second) if second.is_uppercase() => {
                // "HTTPStatus": the run of capitals minus the one starting the next word.
                let mut idx: Vec<(usize, char)> = st.char_indices().collect();
                idx.push((st.len(), ' '));
                let mut j = 1;
                while j < idx.len() - 1 && idx[j].1.is_uppercase() {
                    j += 1;
                }
                let next_is_alpha = j < idx.len() - 1 && is_alphabet(idx[j].1);
                let cut = if next_is_alpha {
                    idx[j - 1].0
                } else {
                    idx[j].0
                };
                (Word::Upper, cut)
            }
            Some(second) if is_alphabet(second) => {
                let mut end = st.len();
                for (i, ch) in st.char_indices().skip(1) {
                    if !is_alphabet(ch) || ch.is_uppercase() {
                        end = i;
                        break;
                    }
                }
                (Word::Upper, end)
            }
            Some(_) => (Word::Upper, first.len_utf8()),
        }
    } else if is_alphabet(first) {
        let mut end = st.len();
        for (i, ch) in st.char_indices().skip(1) {
            if !is_alphabet(ch) || ch.is_uppercase() {
                end = i;
                break;
            }
        }
        (Word::Alphabet, end)
    } else if first.is_numeric() {
        (Word::Number, scan(&|c: char| c.is_numeric()))
    } else {
        let mut end = st.len();
        for (i, ch) in st.char_indices().skip(1) {
            if is_connector(ch) || is_alphabet(ch) || ch.is_numeric() || is_punct(ch) {
                end = i;
                break;
            }
        }
        (Word::Other, end)
    };
    let (w, rest) = end_at(len);
    (kind, w, rest)
}

fn to_lower_word(out: &mut String, kind: Word, w: &str, connector: char) {
    if kind != Word::Upper && kind != Word::Connector {
        out.push_str(w);
        return;
    }
    for c in w.chars() {
        if is_connector(c) {
            out.push(connector);
        } else if c.is_uppercase() {
            out.push(go_lower(c));
        } else {
            out.push(c);
        }
    }
}

/// xstrings' `camelCaseToLowerCase` behind `snakecase` and `kebabcase`.
fn camel_to_lower(st: &str, connector: char) -> String {
    if st.is_empty() {
        return String::new();
    }
    let mut out = String::with_capacity(st.len() + 8);
    let (mut wt, mut word, mut rest) = next_word(st);
    while !rest.is_empty() {
        if wt != Word::Connector {
            to_lower_word(&mut out, wt, word, connector);
        }
        let prev = wt;
        let last = word;
        (wt, word, rest) = next_word(rest);
        match prev {
            Word::Number => {
                while wt == Word::Alphabet || wt == Word::Number {
                    to_lower_word(&mut out, wt, word, connector);
                    (wt, word, rest) = next_word(rest);
                }
                if !matches!(wt, Word::Invalid | Word::Punct | Word::Connector) {
                    out.push(connector);
                }
            }
            Word::Connector => to_lower_word(&mut out, prev, last, connector),
            Word::Punct => {}
            _ => {
                if wt != Word::Number {
                    if wt != Word::Connector && wt != Word::Punct {
                        out.push(connector);
                    }
                    continue;
                }
                if rest.is_empty() {
                    continue;
                }
                let num = word;
                (wt, word, rest) = next_word(rest);
                if wt != Word::Alphabet {
                    to_lower_word(&mut out, Word::Number, num, connector);
                    if wt != Word::Connector && wt != Word::Punct {
                        out.push(connector);
                    }
                    continue;
                }
                out.push(connector);
                to_lower_word(&mut out, Word::Number, num, connector);
                while wt == Word::Alphabet || wt == Word::Number {
                    to_lower_word(&mut out, wt, word, connector);
                    (wt, word, rest) = next_word(rest);
                }
                if !matches!(wt, Word::Invalid | Word::Connector | Word::Punct) {
                    out.push(connector);
                }
            }
        }
    }
    to_lower_word(&mut out, wt, word, connector);
    out
}

/// xstrings' `ToPascalCase` (Sprig's `camelcase`).
fn pascal_case(st: &str) -> String {
    let mut out = String::with_capacity(st.len());
    let mut chars = st.chars();
    let mut first_upper = false;
    let mut r0 = '\0';
    let mut got = false;
    for c in chars.by_ref() {
        if !is_connector(c) {
            first_upper = c.is_uppercase();
            r0 = go_upper(c);
            got = true;
            break;
        }
        out.push(c);
    }
    let rest: Vec<char> = chars.collect();
    if rest.is_empty() {
        if got {
            out.push(r0);
        }
        return out;
    }
    for c in rest {
        let r1 = r0;
        r0 = c;
        if is_connector(r0) && is_connector(r1) {
            out.push(r1);
            continue;
        }
        if is_connector(r1) {
            first_upper = r0.is_uppercase();
            r0 = go_upper(r0);
        } else {
            if first_upper {
                if r0.is_uppercase() {
                    r0 = go_lower(r0);
                } else {
                    first_upper = false;
                }
            }
            out.push(r1);
        }
    }
    out.push(r0);
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn case_conversions_follow_xstrings() {
        assert_eq!(camel_to_lower("FirstName", '-'), "first-name");
        assert_eq!(camel_to_lower("HTTPServer", '-'), "http-server");
        assert_eq!(camel_to_lower("foo_bar baz", '_'), "foo_bar_baz");
        assert_eq!(camel_to_lower("Bld4Floor", '_'), "bld4_floor");
        assert_eq!(pascal_case("http_server"), "HttpServer");
        assert_eq!(pascal_case("foo-bar_baz"), "FooBarBaz");
    }

    #[test]
    fn title_capitalises_each_word() {
        assert_eq!(title("hello wide-world_x"), "Hello Wide-World_x");
        assert_eq!(swapcase("Hello World"), "hELLO wORLD");
    }

    #[test]
    fn byte_based_helpers_follow_goutils() {
        assert_eq!(initials("John Doe Foo"), "JDF");
        assert_eq!(nospace(" a b "), "ab");
        assert_eq!(abbreviate("hello world", 0, 8).unwrap(), "hello...");
    }
}
