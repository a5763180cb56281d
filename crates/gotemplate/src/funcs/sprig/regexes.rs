//! Sprig's `regex*` functions on Go's RE2 syntax. The regex crate reads the same syntax with
//! three differences that change matches, fixed before compiling: Go's `\d`, `\w`, `\s`, `\b`
//! are ASCII-only, Go reads `\Q...\E` as literal text, and Go takes a `{` that starts no
//! repetition literally. Matching all and splitting follow Go's rules for empty matches.

use regex::Regex;

use super::{int, s};
use crate::funcs::{Call, Func, FuncError, FuncMap, Param};
use crate::value::Value;

use Param::{Int, Str};

/// Rewrites Go regexp syntax into the regex crate's equivalent.
pub(crate) fn translate(go: &str) -> String {
    let chars: Vec<char> = go.chars().collect();
    let mut out = String::with_capacity(go.len() + 16);
    let mut i = 0;
    let mut in_class = false;
    while i < chars.len() {
        let c = chars[i];
        if c == '\\' && i + 1 < chars.len() {
            let e = chars[i + 1];
            i += 2;
            let class = match e {
                'd' => Some(("0-9", false)),
                'D' => Some(("0-9", true)),
                'w' => Some(("0-9A-Za-z_", false)),
                'W' => Some(("0-9A-Za-z_", true)),
                's' => Some(("\\t\\n\\f\\r ", false)),
                'S' => Some(("\\t\\n\\f\\r ", true)),
                _ => None,
            };
            if let Some((set, negated)) = class {
                let neg = if negated { "^" } else { "" };
                if in_class && !negated {
                    out.push_str(set);
                } else {
                    out.push_str(&format!("[{neg}{set}]"));
                }
                continue;
            }
            match e {
                'b' if !in_class => out.push_str("(?-u:\\b)"),
                'B' if !in_class => out.push_str("(?-u:\\B)"),
                'Q' => {
                    // Literal text up to \E (or the end).
                    while i < chars.len() {
                        if chars[i] == '\\' && chars.get(i + 1) == Some(&'E') {
                            i += 2;
                            break;
                        }
                        out.push_str(&regex::escape(&chars[i].to_string()));
                        i += 1;
                    }
                }
                _ => {
                    out.push('\\');
                    out.push(e);
                }
            }
            continue;
        }
        if in_class {
            if c == ']' {
                in_class = false;
            }
            out.push(c);
            i += 1;
            continue;
        }
        match c {
            '[' => {
                in_class = true;
                out.push('[');
                i += 1;
                // A leading `^` and a `]` right after the bracket are part of the class.
                if chars.get(i) == Some(&'^') {
                    out.push('^');
                    i += 1;
                }
                if chars.get(i) == Some(&']') {
                    out.push_str("\\]");
                    i += 1;
                }
            }
            '{' => {
                let rest: String = chars[i..].iter().collect();
                if is_repetition(&rest) {
                    out.push('{');
                } else {
                    out.push_str("\\{");
                }
                i += 1;
            }
            c => {
                out.push(c);
                i += 1;
            }
        }
    }
    out
}

/// Whether text starting at `{` is a counted repetition `{n}`, `{n,}` or `{n,m}`.
fn is_repetition(s: &str) -> bool {
    let Some(end) = s.find('}') else {
        return false;
    };
    let body = &s[1..end];
    let (a, b) = match body.split_once(',') {
        Some((a, b)) => (a, Some(b)),
        None => (body, None),
    };
    !a.is_empty()
        && a.bytes().all(|c| c.is_ascii_digit())
        && b.is_none_or(|b| b.bytes().all(|c| c.is_ascii_digit()))
}

/// Go's `regexp.Compile` error text (`error parsing regexp: ...`), from the regex crate's.
fn compile_error(pattern: &str, e: &regex::Error) -> String {
    let detail = match e {
        regex::Error::Syntax(s) => s
            .lines()
            .rev()
            .find(|l| l.starts_with("error:"))
            .map(|l| l.trim_start_matches("error:").trim().to_string())
            .unwrap_or_else(|| s.clone()),
        other => other.to_string(),
    };
    format!("error parsing regexp: {detail}: {}", backquote(pattern))
}

/// Go's `regexp` quoting of a pattern in messages.
fn backquote(s: &str) -> String {
    if !s.contains('`') && s.chars().all(|c| c == '\t' || !c.is_control()) {
        format!("`{s}`")
    } else {
        crate::value::go_quote(s)
    }
}

/// Compiles a Go pattern; the error is Go's `regexp.Compile` error.
pub(crate) fn compile(c: &Call<'_>, pattern: &str) -> Result<Regex, String> {
    // Compiling costs time in proportion to the pattern.
    let _ = c.spend(pattern.len() as u64);
    regex::RegexBuilder::new(&translate(pattern))
        .size_limit(1 << 20)
        .build()
        .map_err(|e| compile_error(pattern, &e))
}

/// `regexp.MustCompile`: a bad pattern panics, which Go reports with this message.
fn must_compile(c: &Call<'_>, pattern: &str) -> Result<Regex, FuncError> {
    compile(c, pattern)
        .map_err(|e| FuncError::new(format!("regexp: Compile({}): {e}", backquote(pattern))))
}

/// Go's `FindAllStringIndex(s, n)`: successive non-overlapping matches, ignoring an empty
/// match that abuts the previous match. Stops after `cap` matches (callers check the count
/// against the list limit, so a huge input is not scanned to the end first).
fn find_all(re: &Regex, text: &str, n: i64, cap: usize) -> Vec<(usize, usize)> {
    let mut out = Vec::new();
    if n == 0 {
        return out;
    }
    let mut pos = 0;
    let mut prev_end: Option<usize> = None;
    while pos <= text.len() {
        let Some(m) = re.find_at(text, pos) else {
            break;
        };
        let (start, end) = (m.start(), m.end());
        let accept = !(start == end && prev_end == Some(start));
        if accept {
            out.push((start, end));
            if (n > 0 && out.len() as i64 >= n) || out.len() >= cap {
                break;
            }
        }
        prev_end = Some(end);
        pos = if end > start {
            end
        } else {
            // Step over one character after an empty match.
            match text[end..].chars().next() {
                Some(ch) => end + ch.len_utf8(),
                None => break,
            }
        };
    }
    out
}

/// Go's `Regexp.Split(s, n)`.
fn split(re: &Regex, text: &str, n: i64, cap: usize) -> Vec<String> {
    if n == 0 {
        return Vec::new();
    }
    if !re.as_str().is_empty() && text.is_empty() {
        return vec![String::new()];
    }
    let matches = find_all(re, text, -1, cap);
    let mut out = Vec::new();
    let (mut beg, mut end) = (0, 0);
    for (ms, me) in matches {
        if n > 0 && out.len() as i64 == n - 1 {
            break;
        }
        end = ms;
        if me != 0 {
            out.push(text[beg..end].to_string());
        }
        beg = me;
    }
    if end != text.len() {
        out.push(text[beg..].to_string());
    }
    out
}

/// Go's `ReplaceAllString` / `ReplaceAllLiteralString`, capped at the string limit.
fn replace_all(
    c: &Call<'_>,
    re: &Regex,
    text: &str,
    repl: &str,
    literal: bool,
) -> Result<String, FuncError> {
    let mut out = c.sink();
    let mut last = 0;
    for (start, end) in find_all(re, text, -1, usize::MAX) {
        // Each match costs a step, so replacing in a long text stays within the budget.
        c.spend(1)?;
        c.capped(out.push_str(&text[last..start]))?;
        if literal {
            c.capped(out.push_str(repl))?;
        } else if let Some(caps) = re.captures_at(text, start) {
            let mut expanded = String::new();
            caps.expand(repl, &mut expanded);
            c.capped(out.push_str(&expanded))?;
        }
        last = end;
    }
    c.capped(out.push_str(&text[last..]))?;
    Ok(out.into_string())
}

pub(super) fn register(m: &mut FuncMap) {
    m.insert(
        "regexMatch",
        Func::new(&[Str, Str], None, |c, a| {
            Ok(Value::Bool(
                compile(c, s(&a[0])).is_ok_and(|r| r.is_match(s(&a[1]))),
            ))
        }),
    );
    m.insert(
        "mustRegexMatch",
        Func::new(&[Str, Str], None, |c, a| {
            let r = compile(c, s(&a[0]))?;
            Ok(Value::Bool(r.is_match(s(&a[1]))))
        }),
    );
    for (name, must) in [("regexFindAll", false), ("mustRegexFindAll", true)] {
        m.insert(
            name,
            Func::new(&[Str, Str, Int], None, move |c, a| {
                let r = if must {
                    compile(c, s(&a[0]))?
                } else {
                    must_compile(c, s(&a[0]))?
                };
                let text = s(&a[1]);
                let found = find_all(&r, text, int(&a[2]), c.limits().max_list + 1);
                c.check_list(found.len())?;
                Ok(Value::str_list(
                    found.into_iter().map(|(b, e)| text[b..e].to_string()),
                ))
            }),
        );
    }
    for (name, must) in [("regexFind", false), ("mustRegexFind", true)] {
        m.insert(
            name,
            Func::new(&[Str, Str], None, move |c, a| {
                let r = if must {
                    compile(c, s(&a[0]))?
                } else {
                    must_compile(c, s(&a[0]))?
                };
                Ok(Value::str(r.find(s(&a[1])).map_or("", |m| m.as_str())))
            }),
        );
    }
    for (name, must, literal) in [
        ("regexReplaceAll", false, false),
        ("mustRegexReplaceAll", true, false),
        ("regexReplaceAllLiteral", false, true),
        ("mustRegexReplaceAllLiteral", true, true),
    ] {
        m.insert(
            name,
            Func::new(&[Str, Str, Str], None, move |c, a| {
                let r = if must {
                    compile(c, s(&a[0]))?
                } else {
                    must_compile(c, s(&a[0]))?
                };
                Ok(Value::str(replace_all(c, &r, s(&a[1]), s(&a[2]), literal)?))
            }),
        );
    }
    for (name, must) in [("regexSplit", false), ("mustRegexSplit", true)] {
        m.insert(
            name,
            Func::new(&[Str, Str, Int], None, move |c, a| {
                let r = if must {
                    compile(c, s(&a[0]))?
                } else {
                    must_compile(c, s(&a[0]))?
                };
                let parts = split(&r, s(&a[1]), int(&a[2]), c.limits().max_list + 1);
                c.check_list(parts.len())?;
                Ok(Value::str_list(parts))
            }),
        );
    }
    m.insert(
        "regexQuoteMeta",
        Func::new(&[Str], None, |_, a| Ok(Value::str(quote_meta(s(&a[0]))))),
    );
}

/// Go's `regexp.QuoteMeta`: a backslash before each of `\.+*?()|[]{}^$`.
fn quote_meta(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for c in s.chars() {
        if "\\.+*?()|[]{}^$".contains(c) {
            out.push('\\');
        }
        out.push(c);
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn go_classes_are_ascii() {
        let r = Regex::new(&translate(r"^\d+$")).unwrap();
        assert!(r.is_match("123"));
        assert!(!r.is_match("١٢٣"));
        assert_eq!(translate(r"[\d.]"), "[0-9.]");
        assert_eq!(translate(r"a{"), r"a\{");
        assert_eq!(translate(r"a{2}"), "a{2}");
        assert_eq!(translate(r"\Qa.b\E"), r"a\.b");
    }

    #[test]
    fn empty_matches_follow_go() {
        let r = Regex::new("a*").unwrap();
        let found: Vec<&str> = find_all(&r, "baaac", -1, usize::MAX)
            .into_iter()
            .map(|(b, e)| &"baaac"[b..e])
            .collect();
        assert_eq!(found, ["", "aaa", ""]);
        let r = Regex::new("").unwrap();
        assert_eq!(split(&r, "abc", -1, usize::MAX), ["a", "b", "c"]);
    }
}
