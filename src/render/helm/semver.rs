//! Chart versions and version constraints as Argo CD and Helm read them (Masterminds semver v3).
//!
//! An Application's `targetRevision` for a chart is either a version (`1.2.3`, `v1.2`, what
//! Masterminds' `NewVersion` accepts: Argo CD's `IsVersion`) or a constraint (`1.2.*`,
//! `>=1.0 <2.0`, `^1.2 || ~2.0`). Online, Helm resolves a constraint itself against the
//! repository index or the registry tags (the same library Argo CD uses); this module parses both
//! forms to tell them apart, to validate them before they reach `helm`, and to pick the highest
//! cached version that satisfies a constraint when `--offline` forbids asking the repository.

use std::cmp::Ordering;
use std::fmt;

/// A semantic version as Masterminds parses it: `v` optional, minor and patch default to 0.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Version {
    major: u64,
    minor: u64,
    patch: u64,
    pre: Vec<Ident>,
    original: String,
}

/// One dot-separated prerelease identifier.
#[derive(Debug, Clone, PartialEq, Eq)]
enum Ident {
    Num(u64),
    Alpha(String),
}

impl Version {
    /// Parses a version; `None` when the text is not one (it may be a constraint).
    pub fn parse(text: &str) -> Option<Version> {
        let original = text.to_string();
        let text = text.strip_prefix('v').unwrap_or(text);
        let (core, build) = match text.split_once('+') {
            Some((c, b)) => (c, Some(b)),
            None => (text, None),
        };
        if let Some(b) = build
            && !dotted_idents(b)
        {
            return None;
        }
        let (core, pre) = match core.split_once('-') {
            Some((c, p)) => (c, Some(p)),
            None => (core, None),
        };
        let nums: Vec<&str> = core.split('.').collect();
        if nums.is_empty() || nums.len() > 3 {
            return None;
        }
        let mut parsed = [0u64; 3];
        for (i, n) in nums.iter().enumerate() {
            if n.is_empty() || !n.bytes().all(|b| b.is_ascii_digit()) {
                return None;
            }
            parsed[i] = n.parse().ok()?;
        }
        let pre = match pre {
            None => Vec::new(),
            Some(p) if dotted_idents(p) => p
                .split('.')
                .map(|i| match i.parse::<u64>() {
                    Ok(n) if i.bytes().all(|b| b.is_ascii_digit()) => Ident::Num(n),
                    _ => Ident::Alpha(i.to_string()),
                })
                .collect(),
            Some(_) => return None,
        };
        Some(Version {
            major: parsed[0],
            minor: parsed[1],
            patch: parsed[2],
            pre,
            original,
        })
    }

    /// Whether this is a prerelease (`1.0.0-rc.1`).
    pub fn is_prerelease(&self) -> bool {
        !self.pre.is_empty()
    }

    fn triple(&self) -> (u64, u64, u64) {
        (self.major, self.minor, self.patch)
    }
}

impl fmt::Display for Version {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.original)
    }
}

impl Ord for Version {
    fn cmp(&self, other: &Self) -> Ordering {
        self.triple().cmp(&other.triple()).then_with(|| {
            match (self.pre.is_empty(), other.pre.is_empty()) {
                (true, true) => Ordering::Equal,
                // A release sorts after its prereleases.
                (true, false) => Ordering::Greater,
                (false, true) => Ordering::Less,
                (false, false) => cmp_pre(&self.pre, &other.pre),
            }
        })
    }
}

impl PartialOrd for Version {
    fn partial_cmp(&self, other: &Self) -> Option<Ordering> {
        Some(self.cmp(other))
    }
}

fn cmp_pre(a: &[Ident], b: &[Ident]) -> Ordering {
    for (x, y) in a.iter().zip(b) {
        let o = match (x, y) {
            (Ident::Num(m), Ident::Num(n)) => m.cmp(n),
            (Ident::Num(_), Ident::Alpha(_)) => Ordering::Less,
            (Ident::Alpha(_), Ident::Num(_)) => Ordering::Greater,
            (Ident::Alpha(m), Ident::Alpha(n)) => m.cmp(n),
        };
        if o != Ordering::Equal {
            return o;
        }
    }
    a.len().cmp(&b.len())
}

fn dotted_idents(s: &str) -> bool {
    !s.is_empty()
        && s.split('.')
            .all(|i| !i.is_empty() && i.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'-'))
}

/// A version constraint: groups joined by `||`, each a list of comparisons that must all hold.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Constraint {
    groups: Vec<Vec<Comparison>>,
}

#[derive(Debug, Clone, PartialEq, Eq)]
struct Comparison {
    op: Op,
    /// The version with wildcards read as 0.
    version: Version,
    /// `1.x`: the minor (and so the patch) is a wildcard.
    minor_dirty: bool,
    /// `1.2.x`: the patch is a wildcard.
    patch_dirty: bool,
    /// `*` or `x`: anything.
    any: bool,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Op {
    Eq,
    Ne,
    Gt,
    Lt,
    Ge,
    Le,
    Tilde,
    Caret,
}

/// Why a constraint does not parse.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error(
    "{text:?} is neither a chart version nor a version constraint (examples: 1.2.3, 1.2.*, >=1.0 <2.0, ^1.2)"
)]
pub struct ConstraintError {
    /// The text given.
    pub text: String,
}

impl Constraint {
    /// Parses a constraint as Masterminds' `NewConstraint` does.
    pub fn parse(text: &str) -> Result<Constraint, ConstraintError> {
        let bad = || ConstraintError {
            text: text.to_string(),
        };
        // Only these characters can appear; anything else (quotes, `;`, `$`) is refused before
        // any parsing, so the value is safe to show and to hand to helm.
        if text.trim().is_empty()
            || !text
                .chars()
                .all(|c| c.is_ascii_alphanumeric() || " .,-+*^~<>=!|".contains(c) || c == '\t')
        {
            return Err(bad());
        }
        let mut groups = Vec::new();
        for group in text.split("||") {
            let mut comps = Vec::new();
            let tokens = tokenize(group).ok_or_else(bad)?;
            let mut i = 0;
            while i < tokens.len() {
                // A hyphen range `1.2 - 1.4` is `>= 1.2, <= 1.4`.
                if i + 2 < tokens.len() && tokens[i + 1] == "-" {
                    comps.push(comparison("", &tokens[i]).ok_or_else(bad)?.with_op(Op::Ge));
                    comps.push(
                        comparison("", &tokens[i + 2])
                            .ok_or_else(bad)?
                            .with_op(Op::Le),
                    );
                    i += 3;
                    continue;
                }
                let (op, ver) = split_op(&tokens[i]);
                comps.push(comparison(op, ver).ok_or_else(bad)?);
                i += 1;
            }
            if comps.is_empty() {
                return Err(bad());
            }
            groups.push(comps);
        }
        Ok(Constraint { groups })
    }

    /// Whether `v` satisfies the constraint.
    pub fn matches(&self, v: &Version) -> bool {
        self.groups.iter().any(|g| g.iter().all(|c| c.check(v)))
    }

    /// The highest of `versions` that satisfies the constraint.
    pub fn best<'a>(&self, versions: impl IntoIterator<Item = &'a Version>) -> Option<&'a Version> {
        versions.into_iter().filter(|v| self.matches(v)).max()
    }
}

/// Splits a group into comparisons: commas and spaces separate them, but an operator may be
/// followed by spaces (`>= 1.2`).
fn tokenize(group: &str) -> Option<Vec<String>> {
    let mut out: Vec<String> = Vec::new();
    let mut pending_op = String::new();
    for raw in group.split([',', ' ', '\t']).filter(|t| !t.is_empty()) {
        if raw == "-" {
            out.push(raw.to_string());
            continue;
        }
        if raw.chars().all(|c| "<>=!~^".contains(c)) {
            pending_op.push_str(raw);
            continue;
        }
        out.push(format!("{pending_op}{raw}"));
        pending_op.clear();
    }
    pending_op.is_empty().then_some(out)
}

fn split_op(token: &str) -> (&str, &str) {
    for op in ["!=", ">=", "=>", "<=", "=<", "~>", ">", "<", "=", "~", "^"] {
        if let Some(rest) = token.strip_prefix(op) {
            return (op, rest);
        }
    }
    ("", token)
}

impl Comparison {
    fn with_op(mut self, op: Op) -> Self {
        self.op = op;
        self
    }

    fn check(&self, v: &Version) -> bool {
        // Masterminds: a prerelease only satisfies a comparison that names a prerelease.
        if v.is_prerelease() && !self.version.is_prerelease() {
            return false;
        }
        let c = &self.version;
        if self.any {
            return !matches!(self.op, Op::Ne | Op::Lt | Op::Gt);
        }
        let in_wildcard = || {
            v.major == c.major
                && (self.minor_dirty || v.minor == c.minor)
                && (self.minor_dirty || self.patch_dirty || v.patch == c.patch)
        };
        match self.op {
            Op::Eq if self.minor_dirty || self.patch_dirty => in_wildcard(),
            Op::Eq => v.cmp(c) == Ordering::Equal,
            Op::Ne if self.minor_dirty || self.patch_dirty => !in_wildcard(),
            Op::Ne => v.cmp(c) != Ordering::Equal,
            Op::Gt if self.minor_dirty => v.major > c.major,
            Op::Gt if self.patch_dirty => {
                v.major > c.major || (v.major == c.major && v.minor > c.minor)
            }
            Op::Gt => v > c,
            Op::Lt => v < c,
            Op::Ge => v >= c,
            Op::Le if self.minor_dirty => v.major <= c.major,
            Op::Le if self.patch_dirty => {
                v.major < c.major || (v.major == c.major && v.minor <= c.minor)
            }
            Op::Le => v <= c,
            Op::Tilde => {
                if v < c {
                    return false;
                }
                if c.triple() == (0, 0, 0) && !self.minor_dirty && !self.patch_dirty {
                    return v.major == 0 && v.minor == 0;
                }
                v.major == c.major && (self.minor_dirty || v.minor == c.minor)
            }
            Op::Caret => {
                if v < c {
                    return false;
                }
                if c.major > 0 || self.minor_dirty {
                    return v.major == c.major;
                }
                if v.major > 0 {
                    return false;
                }
                if c.minor > 0 || self.patch_dirty {
                    return v.minor == c.minor;
                }
                if v.minor > 0 {
                    return false;
                }
                v.patch == c.patch
            }
        }
    }
}

/// One comparison from its operator and version text (which may hold `x`, `X` or `*`).
fn comparison(op: &str, ver: &str) -> Option<Comparison> {
    let op = match op {
        "" | "=" => Op::Eq,
        "!=" => Op::Ne,
        ">" => Op::Gt,
        "<" => Op::Lt,
        ">=" | "=>" => Op::Ge,
        "<=" | "=<" => Op::Le,
        "~" | "~>" => Op::Tilde,
        "^" => Op::Caret,
        _ => return None,
    };
    let wild = |s: &str| matches!(s, "x" | "X" | "*");
    let ver = ver.strip_prefix('v').unwrap_or(ver);
    if wild(ver) {
        return Some(Comparison {
            op,
            version: Version::parse("0.0.0")?,
            minor_dirty: true,
            patch_dirty: true,
            any: true,
        });
    }
    // The numeric core may have wildcards or be short; the rest is a normal version suffix.
    let split_at = ver.find(['-', '+']).unwrap_or(ver.len());
    let (core, suffix) = ver.split_at(split_at);
    let parts: Vec<&str> = core.split('.').collect();
    if parts.is_empty() || parts.len() > 3 {
        return None;
    }
    let mut minor_dirty = parts.len() < 2;
    let mut patch_dirty = parts.len() < 3;
    let mut nums = Vec::new();
    for (i, p) in parts.iter().enumerate() {
        if wild(p) {
            match i {
                0 => return None,
                1 => minor_dirty = true,
                _ => patch_dirty = true,
            }
            nums.push("0");
        } else {
            nums.push(p);
        }
    }
    // A missing part reads as a wildcard (`1.2` is `1.2.x`), as in Masterminds.
    while nums.len() < 3 {
        nums.push("0");
    }
    let version = Version::parse(&format!("{}{suffix}", nums.join(".")))?;
    Some(Comparison {
        op,
        version,
        minor_dirty,
        patch_dirty: patch_dirty || minor_dirty,
        any: false,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn v(s: &str) -> Version {
        Version::parse(s).unwrap()
    }

    fn ok(c: &str, s: &str) -> bool {
        Constraint::parse(c).unwrap().matches(&v(s))
    }

    #[test]
    fn versions_parse_as_masterminds_does() {
        for good in [
            "1.2.3",
            "v1.2.3",
            "1.2",
            "1",
            "1.0.0-rc.1",
            "1.0.0+build.5",
            "0.0.1-alpha-2",
        ] {
            assert!(Version::parse(good).is_some(), "{good}");
        }
        for bad in [
            "", "1.2.3.4", "a.b", "1.*", ">=1", "1.2.3-", "1..2", "--x", "1.2.3 ",
        ] {
            assert!(Version::parse(bad).is_none(), "{bad}");
        }
        assert!(v("1.2.3") > v("1.2.3-rc.1"));
        assert!(v("1.2.3-rc.10") > v("1.2.3-rc.2"));
        assert!(v("1.10.0") > v("1.9.9"));
        assert_eq!(v("1.2").cmp(&v("1.2.0")), Ordering::Equal);
    }

    #[test]
    fn constraints_follow_masterminds() {
        assert!(ok("1.2.*", "1.2.9"));
        assert!(!ok("1.2.*", "1.3.0"));
        assert!(ok("1.x", "1.9.0"));
        assert!(ok("*", "0.0.1"));
        assert!(
            !ok("*", "1.0.0-rc.1"),
            "prereleases need a prerelease constraint"
        );
        assert!(ok(">=1.0 <2.0", "1.5.0"));
        assert!(ok(">= 1.0, < 2.0", "1.5.0"));
        assert!(!ok(">=1.0 <2.0", "2.0.0"));
        assert!(ok("^1.2", "1.9.0"));
        assert!(!ok("^1.2", "2.0.0"));
        assert!(ok("^0.2.3", "0.2.9"));
        assert!(!ok("^0.2.3", "0.3.0"));
        assert!(ok("~1.2.3", "1.2.9"));
        assert!(!ok("~1.2.3", "1.3.0"));
        assert!(ok("~1", "1.9.0"));
        assert!(ok("1.2 - 1.4", "1.3.5"));
        assert!(
            ok("1.2 - 1.4", "1.4.1"),
            "a short upper bound is a wildcard"
        );
        assert!(!ok("1.2 - 1.4.0", "1.4.1"));
        assert!(ok("<1.0 || >=2.0", "2.1.0"));
        assert!(!ok("<1.0 || >=2.0", "1.1.0"));
        assert!(ok("!=1.2.3", "1.2.4"));
        assert!(ok(">=1.0.0-0", "1.0.0-rc.1"));
        assert!(ok("1.2.3", "1.2.3"));
        assert!(!ok("1.2.3", "1.2.4"));
        let c = Constraint::parse("1.*").unwrap();
        let all = [v("0.9.0"), v("1.0.0"), v("1.4.0"), v("2.0.0")];
        assert_eq!(c.best(&all).map(|v| v.to_string()), Some("1.4.0".into()));
    }

    #[test]
    fn junk_is_refused() {
        for bad in [
            "",
            "   ",
            "1.2; rm -rf",
            "$(x)",
            "latest",
            ">=",
            "1.2 -",
            "--version=1",
        ] {
            assert!(Constraint::parse(bad).is_err(), "{bad}");
        }
    }
}
