//! The rest of Sprig: defaults and flow (`default`, `empty`, `coalesce`, `ternary`...),
//! reflection (`typeOf`, `kindIs`, `deepEqual`), paths, URLs, semantic versions, and the
//! methods templates may call on the times and versions those functions return.

use std::collections::BTreeMap;
use std::rc::Rc;

use super::{empty, int, s};
use crate::funcs::{Call, Func, FuncError, FuncMap, Param};
use crate::time::GoTime;
use crate::value::{Value, go_quote};
use masterminds_semver::{Constraints, Version};

use Param::{Any, Bool, Int, Map, Str};

pub(super) fn register(m: &mut FuncMap) {
    m.insert(
        "default",
        Func::new(&[Any], Some(Any), |_, a| {
            Ok(match a.get(1) {
                Some(v) if !empty(v) => v.clone(),
                _ => a[0].clone(),
            })
        }),
    );
    m.insert(
        "empty",
        Func::new(&[Any], None, |_, a| Ok(Value::Bool(empty(&a[0])))),
    );
    m.insert(
        "coalesce",
        Func::new(&[], Some(Any), |_, a| {
            Ok(a.iter().find(|v| !empty(v)).cloned().unwrap_or(Value::Nil))
        }),
    );
    m.insert(
        "all",
        Func::new(&[], Some(Any), |_, a| {
            Ok(Value::Bool(a.iter().all(|v| !empty(v))))
        }),
    );
    m.insert(
        "any",
        Func::new(&[], Some(Any), |_, a| {
            Ok(Value::Bool(a.iter().any(|v| !empty(v))))
        }),
    );
    m.insert(
        "ternary",
        Func::new(&[Any, Any, Bool], None, |_, a| {
            Ok(if matches!(a[2], Value::Bool(true)) {
                a[0].clone()
            } else {
                a[1].clone()
            })
        }),
    );
    m.insert(
        "typeOf",
        Func::new(&[Any], None, |_, a| Ok(Value::str(a[0].go_type()))),
    );
    m.insert(
        "typeIs",
        Func::new(&[Str, Any], None, |_, a| {
            Ok(Value::Bool(s(&a[0]) == a[1].go_type()))
        }),
    );
    m.insert(
        "typeIsLike",
        Func::new(&[Str, Any], None, |_, a| {
            let t = a[1].go_type();
            let target = s(&a[0]);
            Ok(Value::Bool(target == t || format!("*{target}") == t))
        }),
    );
    m.insert(
        "kindOf",
        Func::new(&[Any], None, |_, a| Ok(Value::str(a[0].kind_name()))),
    );
    m.insert(
        "kindIs",
        Func::new(&[Str, Any], None, |_, a| {
            Ok(Value::Bool(s(&a[0]) == a[1].kind_name()))
        }),
    );
    m.insert(
        "deepEqual",
        Func::new(&[Any, Any], None, |_, a| {
            Ok(Value::Bool(a[0].deep_equal(&a[1])))
        }),
    );
    for (name, f) in [
        ("base", path_base as fn(&str) -> String),
        ("osBase", path_base),
        ("dir", path_dir),
        ("osDir", path_dir),
        ("clean", path_clean),
        ("osClean", path_clean),
        ("ext", |p: &str| path_ext(p).to_string()),
        ("osExt", |p: &str| path_ext(p).to_string()),
    ] {
        m.insert(
            name,
            Func::new(&[Str], None, move |_, a| Ok(Value::str(f(s(&a[0]))))),
        );
    }
    for name in ["isAbs", "osIsAbs"] {
        m.insert(
            name,
            Func::new(&[Str], None, |_, a| {
                Ok(Value::Bool(s(&a[0]).starts_with('/')))
            }),
        );
    }
    m.insert("urlParse", Func::new(&[Str], None, url_parse));
    m.insert("urlJoin", Func::new(&[Map], None, url_join));
    m.insert(
        "semver",
        Func::new(&[Str], None, |_, a| {
            Ok(Value::Semver(Rc::new(
                Version::parse(s(&a[0])).map_err(|e| FuncError::new(e.to_string()))?,
            )))
        }),
    );
    m.insert(
        "semverCompare",
        Func::new(&[Str, Str], None, |_, a| {
            let c = Constraints::parse(s(&a[0])).map_err(|e| FuncError::new(e.to_string()))?;
            let v = Version::parse(s(&a[1])).map_err(|e| FuncError::new(e.to_string()))?;
            Ok(Value::Bool(c.check(&v)))
        }),
    );
}

/// Go's `path.Clean`.
pub(crate) fn path_clean(p: &str) -> String {
    if p.is_empty() {
        return ".".to_string();
    }
    let rooted = p.starts_with('/');
    let mut parts: Vec<&str> = Vec::new();
    for seg in p.split('/') {
        match seg {
            "" | "." => {}
            ".." => {
                if parts.last().is_some_and(|l| *l != "..") {
                    parts.pop();
                } else if !rooted {
                    parts.push("..");
                }
            }
            s => parts.push(s),
        }
    }
    let body = parts.join("/");
    match (rooted, body.is_empty()) {
        (true, _) => format!("/{body}"),
        (false, true) => ".".to_string(),
        (false, false) => body,
    }
}

/// Go's `path.Base`.
fn path_base(p: &str) -> String {
    if p.is_empty() {
        return ".".to_string();
    }
    let trimmed = p.trim_end_matches('/');
    if trimmed.is_empty() {
        return "/".to_string();
    }
    trimmed.rsplit('/').next().unwrap_or(trimmed).to_string()
}

/// Go's `path.Dir`.
fn path_dir(p: &str) -> String {
    let dir = match p.rfind('/') {
        Some(i) => &p[..=i],
        None => "",
    };
    path_clean(dir)
}

/// Go's `path.Ext`.
fn path_ext(p: &str) -> &str {
    for (i, c) in p.char_indices().rev() {
        match c {
            '/' => return "",
            '.' => return &p[i..],
            _ => {}
        }
    }
    ""
}

#[derive(Clone, Copy, PartialEq, Eq)]
enum Enc {
    Path,
    Host,
    UserPassword,
    Fragment,
}

/// Go's `url.shouldEscape`.
fn should_escape(c: u8, mode: Enc) -> bool {
    if c.is_ascii_alphanumeric() {
        return false;
    }
    if mode == Enc::Host
        && matches!(
            c,
            b'!' | b'$'
                | b'&'
                | b'\''
                | b'('
                | b')'
                | b'*'
                | b'+'
                | b','
                | b';'
                | b'='
                | b':'
                | b'['
                | b']'
                | b'<'
                | b'>'
                | b'"'
        )
    {
        return false;
    }
    match c {
        b'-' | b'_' | b'.' | b'~' => return false,
        b'$' | b'&' | b'+' | b',' | b'/' | b':' | b';' | b'=' | b'?' | b'@' => {
            return match mode {
                Enc::Path => c == b'?',
                Enc::UserPassword => matches!(c, b'@' | b'/' | b'?' | b':'),
                Enc::Fragment => false,
                Enc::Host => true,
            };
        }
        _ => {}
    }
    if mode == Enc::Fragment && matches!(c, b'!' | b'(' | b')' | b'*') {
        return false;
    }
    true
}

/// Go's `url.escape` (never in query mode, so spaces become `%20`).
fn escape(s: &str, mode: Enc) -> String {
    let mut out = String::with_capacity(s.len());
    for b in s.bytes() {
        if should_escape(b, mode) {
            out.push_str(&format!("%{b:02X}"));
        } else {
            out.push(b as char);
        }
    }
    out
}

/// Go's `url.unescape` (percent-decoding; `+` stays `+` outside queries).
fn unescape(s: &str) -> Result<String, String> {
    let b = s.as_bytes();
    let mut out = Vec::with_capacity(b.len());
    let mut i = 0;
    while i < b.len() {
        if b[i] == b'%' {
            let hex = s
                .get(i + 1..i + 3)
                .filter(|h| h.bytes().all(|c| c.is_ascii_hexdigit()));
            let Some(hex) = hex else {
                let bad: String = s[i..].chars().take(3).collect();
                return Err(format!("invalid URL escape {}", go_quote(&bad)));
            };
            out.push(u8::from_str_radix(hex, 16).map_err(|e| e.to_string())?);
            i += 3;
        } else {
            out.push(b[i]);
            i += 1;
        }
    }
    Ok(String::from_utf8_lossy(&out).into_owned())
}

/// The parts of a URL that `urlParse` reports.
#[derive(Default)]
struct Url {
    scheme: String,
    opaque: String,
    user: Option<(String, Option<String>)>,
    host: String,
    path: String,
    raw_query: String,
    fragment: String,
}

/// Go's `url.Parse`, for the parts Sprig reads.
fn parse_url(raw: &str) -> Result<Url, String> {
    let wrap = |e: String| format!("parse {}: {e}", go_quote(raw));
    if raw.bytes().any(|b| b < 0x20 || b == 0x7f) {
        return Err(wrap("net/url: invalid control character in URL".into()));
    }
    let (main, frag) = match raw.split_once('#') {
        Some((m, f)) => (m, Some(f)),
        None => (raw, None),
    };
    let mut u = Url::default();
    let mut rest = main;
    // The scheme: letters, then letters, digits, `+`, `-`, `.`, before a colon.
    for (i, c) in main.bytes().enumerate() {
        match c {
            b'a'..=b'z' | b'A'..=b'Z' => {}
            b'0'..=b'9' | b'+' | b'-' | b'.' if i > 0 => {}
            b':' => {
                if i == 0 {
                    return Err(wrap("missing protocol scheme".into()));
                }
                u.scheme = main[..i].to_ascii_lowercase();
                rest = &main[i + 1..];
                break;
            }
            _ => break,
        }
    }
    if rest.ends_with('?') && rest.matches('?').count() == 1 {
        rest = &rest[..rest.len() - 1];
    } else if let Some((r, q)) = rest.split_once('?') {
        u.raw_query = q.to_string();
        rest = r;
    }
    if !rest.starts_with('/') {
        if !u.scheme.is_empty() {
            u.opaque = rest.to_string();
            if let Some(f) = frag {
                u.fragment = unescape(f).map_err(wrap)?;
            }
            return Ok(u);
        }
        if rest.split('/').next().unwrap_or("").contains(':') {
            return Err(wrap(
                "first path segment in URL cannot contain colon".into(),
            ));
        }
    }
    if (!u.scheme.is_empty() || !rest.starts_with("///")) && rest.starts_with("//") {
        let authority_and_path = &rest[2..];
        let (authority, path) = match authority_and_path.find('/') {
            Some(i) => (&authority_and_path[..i], &authority_and_path[i..]),
            None => (authority_and_path, ""),
        };
        let (userinfo, host) = match authority.rfind('@') {
            Some(i) => (Some(&authority[..i]), &authority[i + 1..]),
            None => (None, authority),
        };
        let valid_userinfo = |s: &str| {
            s.chars()
                .all(|c| c.is_ascii_alphanumeric() || "-._:~!$&'()*+,;=%@".contains(c))
        };
        if userinfo.is_some_and(|u| !valid_userinfo(u)) {
            return Err(wrap("net/url: invalid userinfo".into()));
        }
        u.host = unescape(host).map_err(wrap)?;
        if let Some(ui) = userinfo {
            u.user = Some(match ui.split_once(':') {
                Some((name, pass)) => (
                    unescape(name).map_err(wrap)?,
                    Some(unescape(pass).map_err(wrap)?),
                ),
                None => (unescape(ui).map_err(wrap)?, None),
            });
        }
        rest = path;
    }
    u.path = unescape(rest).map_err(wrap)?;
    if let Some(f) = frag {
        u.fragment = unescape(f).map_err(wrap)?;
    }
    Ok(u)
}

/// `URL.Hostname()`: the host without a port, IPv6 brackets removed.
fn hostname(host: &str) -> String {
    let mut h = host;
    if let Some(colon) = host.rfind(':') {
        let port = &host[colon + 1..];
        if port.bytes().all(|b| b.is_ascii_digit()) {
            h = &host[..colon];
        }
    }
    if h.starts_with('[') && h.ends_with(']') {
        h = &h[1..h.len() - 1];
    }
    h.to_string()
}

fn user_string(user: &(String, Option<String>)) -> String {
    let mut s = escape(&user.0, Enc::UserPassword);
    if let Some(p) = &user.1 {
        s.push(':');
        s.push_str(&escape(p, Enc::UserPassword));
    }
    s
}

/// Sprig's `urlParse`.
fn url_parse(_: &mut Call<'_>, a: Vec<Value>) -> Result<Value, FuncError> {
    let u = parse_url(s(&a[0])).map_err(|e| FuncError::new(format!("unable to parse url: {e}")))?;
    let mut m = BTreeMap::new();
    m.insert("scheme".to_string(), Value::str(u.scheme));
    m.insert("host".to_string(), Value::str(u.host.as_str()));
    m.insert("hostname".to_string(), Value::str(hostname(&u.host)));
    m.insert("path".to_string(), Value::str(u.path));
    m.insert("query".to_string(), Value::str(u.raw_query));
    m.insert("opaque".to_string(), Value::str(u.opaque));
    m.insert("fragment".to_string(), Value::str(u.fragment));
    m.insert(
        "userinfo".to_string(),
        Value::str(u.user.as_ref().map(user_string).unwrap_or_default()),
    );
    Ok(Value::map(m))
}

/// Sprig's `urlJoin`: `url.URL{...}.String()` from a dict of parts.
fn url_join(_: &mut Call<'_>, a: Vec<Value>) -> Result<Value, FuncError> {
    let Value::Map(d) = &a[0] else {
        return Ok(Value::str(""));
    };
    let d = d.borrow();
    let get = |key: &str| -> Result<String, FuncError> {
        match d.entries.get(key) {
            None => Ok(String::new()),
            Some(Value::Str(s)) => Ok(s.to_string()),
            Some(Value::Missing | Value::Nil) => Err(FuncError::new(super::NIL_DEREF)),
            Some(other) => Err(FuncError::new(format!(
                "unable to parse {key} key, must be of type string, but {} found",
                other.kind_name()
            ))),
        }
    };
    let scheme = get("scheme")?;
    let host = get("host")?;
    let path = get("path")?;
    let query = get("query")?;
    let opaque = get("opaque")?;
    let fragment = get("fragment")?;
    let userinfo = get("userinfo")?;
    let user = if userinfo.is_empty() {
        None
    } else {
        let probe = format!("proto://{userinfo}@host");
        let u = parse_url(&probe)
            .map_err(|e| FuncError::new(format!("unable to parse userinfo in dict: {e}")))?;
        u.user
    };
    let mut out = String::new();
    if !scheme.is_empty() {
        out.push_str(&scheme);
        out.push(':');
    }
    if !opaque.is_empty() {
        out.push_str(&opaque);
    } else {
        if !scheme.is_empty() || !host.is_empty() || user.is_some() {
            if !host.is_empty() || !path.is_empty() || user.is_some() {
                out.push_str("//");
            }
            if let Some(u) = &user {
                out.push_str(&user_string(u));
                out.push('@');
            }
            out.push_str(&escape(&host, Enc::Host));
        }
        let escaped = if path == "*" {
            path.clone()
        } else {
            escape(&path, Enc::Path)
        };
        if !escaped.is_empty() && !escaped.starts_with('/') && !host.is_empty() {
            out.push('/');
        }
        if out.is_empty() && escaped.split('/').next().unwrap_or("").contains(':') {
            out.push_str("./");
        }
        out.push_str(&escaped);
    }
    if !query.is_empty() {
        out.push('?');
        out.push_str(&query);
    }
    if !fragment.is_empty() {
        out.push('#');
        out.push_str(&escape(&fragment, Enc::Fragment));
    }
    Ok(Value::str(out))
}

/// The methods a template may call on a value Sprig returned: `.Year` or `.Format "..."` on
/// a time, `.Major` or `.LessThan $v` on a version. `None` when there is no such method.
pub(crate) fn method(receiver: &Value, name: &str) -> Option<Func> {
    match receiver {
        Value::Time(t) => time_method(t.clone(), name),
        Value::Semver(v) => semver_method(v.clone(), name),
        _ => None,
    }
}

fn time_method(t: Rc<GoTime>, name: &str) -> Option<Func> {
    let (day, hour, min, sec, yday) = t.clock();
    let int_value = |v: i64| Func::new(&[], None, move |_, _| Ok(Value::Int(v)));
    Some(match name {
        "Year" => int_value(t.year()),
        "Day" => int_value(i64::from(day)),
        "Hour" => int_value(i64::from(hour)),
        "Minute" => int_value(i64::from(min)),
        "Second" => int_value(i64::from(sec)),
        "Nanosecond" => int_value(i64::from(t.nanos)),
        "YearDay" => int_value(i64::from(yday)),
        "Month" => {
            let n = t.month_name();
            Func::new(&[], None, move |_, _| Ok(Value::str(n)))
        }
        "Weekday" => {
            let n = t.weekday_name();
            Func::new(&[], None, move |_, _| Ok(Value::str(n)))
        }
        "Unix" => {
            let v = t.secs;
            Func::new(&[], None, move |_, _| Ok(Value::Int64(v)))
        }
        "UnixMilli" => {
            let v = t.secs * 1000 + i64::from(t.nanos / 1_000_000);
            Func::new(&[], None, move |_, _| Ok(Value::Int64(v)))
        }
        "UnixNano" => {
            let v = t
                .secs
                .wrapping_mul(1_000_000_000)
                .wrapping_add(i64::from(t.nanos));
            Func::new(&[], None, move |_, _| Ok(Value::Int64(v)))
        }
        "IsZero" => {
            let z = t.is_zero();
            Func::new(&[], None, move |_, _| Ok(Value::Bool(z)))
        }
        "String" => {
            let s = t.go_string();
            Func::new(&[], None, move |_, _| Ok(Value::str(s.as_str())))
        }
        "UTC" | "Local" => {
            let u = t.in_zone("UTC").unwrap_or_else(|| (*t).clone());
            Func::new(&[], None, move |_, _| Ok(Value::Time(Rc::new(u.clone()))))
        }
        "Format" => {
            let t = (*t).clone();
            Func::new(&[Str], None, move |_, a| Ok(Value::str(t.format(s(&a[0])))))
        }
        "AddDate" => {
            let t = (*t).clone();
            Func::new(&[Int, Int, Int], None, move |_, a| {
                Ok(Value::Time(Rc::new(add_date(
                    &t,
                    int(&a[0]),
                    int(&a[1]),
                    int(&a[2]),
                ))))
            })
        }
        _ => return None,
    })
}

/// `t.AddDate(years, months, days)`: civil arithmetic, normalised as Go's `time.Date` does.
fn add_date(t: &GoTime, years: i64, months: i64, days: i64) -> GoTime {
    let local = t.secs + i64::from(t.offset);
    let day_secs = local.rem_euclid(86_400);
    let (y, m, d) = crate::time::civil_from_days(local.div_euclid(86_400));
    let total_months = y * 12 + i64::from(m) - 1 + years * 12 + months;
    let (ny, nm) = (total_months.div_euclid(12), total_months.rem_euclid(12) + 1);
    let base = crate::time::days_from_civil(ny, nm as u32, 1) + i64::from(d) - 1 + days;
    GoTime {
        secs: base * 86_400 + day_secs - i64::from(t.offset),
        ..t.clone()
    }
}

fn semver_method(v: Rc<Version>, name: &str) -> Option<Func> {
    let uint = |x: u64| Func::new(&[], None, move |_, _| Ok(Value::Uint64(x)));
    let text = |x: String| Func::new(&[], None, move |_, _| Ok(Value::str(x.as_str())));
    let compare = |v: Rc<Version>, f: fn(std::cmp::Ordering) -> Value| {
        let v = (*v).clone();
        Func::new(&[Any], None, move |_, a| match &a[0] {
            Value::Semver(o) => Ok(f(v.cmp(o))),
            other => Err(FuncError::new(format!(
                "wrong type for value; expected *semver.Version; got {}",
                other.type_name()
            ))),
        })
    };
    use std::cmp::Ordering::{Equal, Greater, Less};
    Some(match name {
        "Major" => uint(v.major()),
        "Minor" => uint(v.minor()),
        "Patch" => uint(v.patch()),
        "Prerelease" => text(v.prerelease().to_string()),
        "Metadata" => text(v.metadata().to_string()),
        "Original" => text(v.original().to_string()),
        "String" => text(v.canonical()),
        "LessThan" => compare(v, |o| Value::Bool(o == Less)),
        "LessThanEqual" => compare(v, |o| Value::Bool(o != Greater)),
        "GreaterThan" => compare(v, |o| Value::Bool(o == Greater)),
        "GreaterThanEqual" => compare(v, |o| Value::Bool(o != Less)),
        "Equal" => compare(v, |o| Value::Bool(o == Equal)),
        "Compare" => compare(v, |o| {
            Value::Int(match o {
                Less => -1,
                Equal => 0,
                Greater => 1,
            })
        }),
        _ => return None,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn paths_follow_go_path_package() {
        assert_eq!(path_clean("a//b/../c/."), "a/c");
        assert_eq!(path_clean("/../x"), "/x");
        assert_eq!(path_base("/a/b/"), "b");
        assert_eq!(path_dir("/a/b/c"), "/a/b");
        assert_eq!(path_dir("c"), ".");
        assert_eq!(path_ext("x/y.tar.gz"), ".gz");
    }

    #[test]
    fn urls_parse_like_net_url() {
        let u = parse_url("https://user:pw@example.com:8443/a%20b?x=1#frag").unwrap();
        assert_eq!(u.scheme, "https");
        assert_eq!(u.host, "example.com:8443");
        assert_eq!(hostname(&u.host), "example.com");
        assert_eq!(u.path, "/a b");
        assert_eq!(u.raw_query, "x=1");
        assert_eq!(u.fragment, "frag");
        assert_eq!(u.user.as_ref().map(user_string).unwrap(), "user:pw");
        assert!(parse_url("1http://x").is_err());
    }
}
