//! Version constraints: parsing (Go's `NewConstraint`), checking (`Check`) and choosing the best
//! version of a list.

use std::cmp::Ordering;
use std::sync::OnceLock;

use regex::Regex;

use crate::version::{Version, VersionError, compare_prerelease};

/// A parsed constraint: groups joined by `||`, each a list of comparisons that must all hold.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Constraints {
    groups: Vec<Group>,
}

#[derive(Debug, Clone, PartialEq, Eq)]
struct Group {
    comparisons: Vec<Comparison>,
    /// One of the comparisons names a prerelease, which lets prereleases satisfy the group.
    has_prerelease: bool,
}

/// One comparison, as Masterminds' `constraint` struct holds it.
#[derive(Debug, Clone, PartialEq, Eq)]
struct Comparison {
    op: Op,
    /// The version with wildcards and missing parts read as 0.
    version: Version,
    /// Some part was a wildcard or missing.
    dirty: bool,
    /// The minor was a wildcard or missing (`1`, `1.x`).
    minor_dirty: bool,
    /// The patch, and only it, was a wildcard or missing (`1.2`, `1.2.x`).
    patch_dirty: bool,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Op {
    /// `=` or nothing: equal, or in the range of a wildcard.
    Equal,
    NotEqual,
    Greater,
    Less,
    GreaterEqual,
    LessEqual,
    Tilde,
    Caret,
}

/// Why a text is not a constraint; the messages are Masterminds' own.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ConstraintError {
    /// A `||` group is not a list of comparisons.
    #[error("improper constraint: {0}")]
    Improper(String),
    /// The version of a comparison has the form of a version but is not one (a number out of
    /// range, a leading zero in the prerelease, digits mixed with `x`).
    #[error("constraint parser error")]
    Version(#[source] VersionError),
}

/// Masterminds' constraint patterns, built from the same pieces.
struct Patterns {
    /// One comparison: operator, then the version with its parts captured.
    one: Regex,
    /// A hyphen range `A - B`, rewritten to `>= A, <= B` before anything else.
    range: Regex,
    /// Each comparison of a group.
    find: Regex,
    /// A whole group.
    valid: Regex,
}

/// Go's `\s` is ASCII whitespace without `\v`; the regex crate's `\s` is Unicode's, which
/// would admit more than Masterminds does.
const WS: &str = r"[\t\n\f\r ]";
/// The operators in Masterminds' order (the empty one second); the regex crate, like Go's,
/// prefers the earliest alternative that leads to a match, so the order picks the same split.
const OPS: &str = r"=||!=|>|<|>=|=>|<=|=<|~|~>|\^";
/// A version in a constraint. The classes keep Masterminds' stray `|`, so `1|2` has the form
/// (and then fails as a version), as it does in Go. Groups: 1 major, 2 `.minor`, 3 `.patch`,
/// 4 `-pre`, 7 `+meta` (5, 6, 8 and 9 are inside those).
const CV: &str = r"v?([0-9|x|X|\*]+)(\.[0-9|x|X|\*]+)?(\.[0-9|x|X|\*]+)?(-([0-9A-Za-z\-]+(\.[0-9A-Za-z\-]+)*))?(\+([0-9A-Za-z\-]+(\.[0-9A-Za-z\-]+)*))?";

fn patterns() -> &'static Patterns {
    static PATTERNS: OnceLock<Patterns> = OnceLock::new();
    PATTERNS.get_or_init(|| {
        // Invariant: constant patterns, compiled by every test that parses a constraint.
        let re = |p: String| Regex::new(&p).expect("the constraint patterns compile");
        Patterns {
            one: re(format!(r"^{WS}*({OPS}){WS}*({CV}){WS}*$")),
            range: re(format!(r"{WS}*({CV}){WS}+-{WS}+({CV}){WS}*")),
            find: re(format!(r"({OPS}){WS}*({CV})")),
            valid: re(format!(
                r"^({WS}*({OPS}){WS}*({CV}){WS}*)((?:{WS}+|,{WS}*)({OPS}){WS}*({CV}){WS}*)*$"
            )),
        }
    })
}

impl Constraints {
    /// Parses a constraint as Go's `NewConstraint` does (see the crate documentation).
    pub fn parse(text: &str) -> Result<Constraints, ConstraintError> {
        let p = patterns();
        let text = rewrite_ranges(text, p);
        let mut groups = Vec::new();
        for group in text.split("||") {
            if !p.valid.is_match(group) {
                return Err(ConstraintError::Improper(group.to_string()));
            }
            // `valid` matched an operator and a version, so `find` finds at least one (Go's
            // fallback to the whole group when it finds none cannot happen).
            let comparisons = p
                .find
                .find_iter(group)
                .map(|m| parse_comparison(m.as_str(), p))
                .collect::<Result<Vec<_>, _>>()?;
            let has_prerelease = comparisons.iter().any(|c| c.version.is_prerelease());
            groups.push(Group {
                comparisons,
                has_prerelease,
            });
        }
        Ok(Constraints { groups })
    }

    /// Whether `v` satisfies the constraint (Go's `Check`).
    pub fn check(&self, v: &Version) -> bool {
        self.groups.iter().any(|g| {
            // A prerelease is admitted only by a group that asks for prereleases.
            (g.has_prerelease || !v.is_prerelease()) && g.comparisons.iter().all(|c| c.check(v))
        })
    }

    /// The highest of `candidates` whose version satisfies the constraint, `version` telling
    /// each candidate's version; the last one listed among equals (`1.2.0`, `v1.2.0`).
    pub fn best<T>(
        &self,
        candidates: impl IntoIterator<Item = T>,
        version: impl Fn(&T) -> &Version,
    ) -> Option<T> {
        candidates
            .into_iter()
            .filter(|c| self.check(version(c)))
            .max_by(|a, b| version(a).cmp(version(b)))
    }
}

/// Go's `rewriteRange`: each `A - B` becomes `>= A, <= B `, replacing the first occurrence of
/// the matched text each time, as `strings.Replace(o, m, t, 1)` does.
fn rewrite_ranges(text: &str, p: &Patterns) -> String {
    let mut out = text.to_string();
    for caps in p.range.captures_iter(text) {
        // Group 1 is the first version; the second starts after the first's nine groups.
        if let (Some(all), Some(from), Some(to)) = (caps.get(0), caps.get(1), caps.get(11)) {
            let bounds = format!(">= {}, <= {} ", from.as_str(), to.as_str());
            out = out.replacen(all.as_str(), &bounds, 1);
        }
    }
    out
}

fn is_wildcard(part: &str) -> bool {
    matches!(part, "x" | "X" | "*")
}

/// Go's `parseConstraint` for a text `find` returned (never empty: a version has a digit or
/// wildcard).
fn parse_comparison(text: &str, p: &Patterns) -> Result<Comparison, ConstraintError> {
    let caps = p
        .one
        .captures(text)
        .ok_or_else(|| ConstraintError::Improper(text.to_string()))?;
    let part = |i: usize| caps.get(i).map_or("", |m| m.as_str());
    let op = match part(1) {
        "" | "=" => Op::Equal,
        "!=" => Op::NotEqual,
        ">" => Op::Greater,
        "<" => Op::Less,
        ">=" | "=>" => Op::GreaterEqual,
        "<=" | "=<" => Op::LessEqual,
        "~" | "~>" => Op::Tilde,
        "^" => Op::Caret,
        // The pattern admits no other operator.
        _ => return Err(ConstraintError::Improper(text.to_string())),
    };
    let (major, minor, patch, pre) = (part(3), part(4), part(5), part(6));
    let wild = |dotted: &str| dotted.is_empty() || is_wildcard(dotted.trim_start_matches('.'));
    // The first wildcard or missing part decides; build metadata is dropped with it.
    let (text, dirty, minor_dirty, patch_dirty) = if major.is_empty() || is_wildcard(major) {
        (format!("0.0.0{pre}"), true, false, false)
    } else if wild(minor) {
        (format!("{major}.0.0{pre}"), true, true, false)
    } else if wild(patch) {
        (format!("{major}{minor}.0{pre}"), true, false, true)
    } else {
        (part(2).to_string(), false, false, false)
    };
    Ok(Comparison {
        op,
        version: Version::parse(&text).map_err(ConstraintError::Version)?,
        dirty,
        minor_dirty,
        patch_dirty,
    })
}

impl Comparison {
    /// Masterminds' `constraint.check` once the group admitted `v` (prereleases included).
    fn check(&self, v: &Version) -> bool {
        let c = &self.version;
        match self.op {
            Op::Equal if self.dirty => self.tilde(v),
            Op::Equal => v == c,
            Op::NotEqual => self.not_equal(v),
            Op::Greater if !self.dirty => v > c,
            Op::Greater => {
                if v.major() != c.major() {
                    v.major() > c.major()
                } else if self.minor_dirty {
                    // `>1` asks for 2 or more.
                    false
                } else if self.patch_dirty {
                    // `>1.2` asks for 1.3 or more.
                    v.minor() > c.minor()
                } else {
                    // `>*` (all parts read as 0): anything above 0.0.0.
                    v > c
                }
            }
            Op::Less => v < c,
            Op::GreaterEqual => v >= c,
            Op::LessEqual if !self.dirty => v <= c,
            Op::LessEqual => {
                v.major() < c.major()
                    || (v.major() == c.major() && (self.minor_dirty || v.minor() <= c.minor()))
            }
            Op::Tilde => self.tilde(v),
            Op::Caret => self.caret(v),
        }
    }

    /// `~1.2.3` is `>=1.2.3, <1.3.0`; `~1` is `>=1.0.0, <2.0.0`; `~0.0.0` and `~*` are anything.
    fn tilde(&self, v: &Version) -> bool {
        let c = &self.version;
        if v < c {
            return false;
        }
        if (c.major(), c.minor(), c.patch()) == (0, 0, 0) && !self.minor_dirty && !self.patch_dirty
        {
            return true;
        }
        v.major() == c.major() && (self.minor_dirty || v.minor() == c.minor())
    }

    /// `^1.2.3` is `>=1.2.3, <2.0.0`; `^0.2.3` is `>=0.2.3, <0.3.0`; `^0.0.3` is `=0.0.3`;
    /// `^0` is `<1.0.0` and `^0.0` is `<0.1.0`.
    fn caret(&self, v: &Version) -> bool {
        let c = &self.version;
        if v < c {
            return false;
        }
        if c.major() > 0 || self.minor_dirty {
            return v.major() == c.major();
        }
        if v.major() > 0 {
            return false;
        }
        if c.minor() > 0 || self.patch_dirty {
            return v.minor() == c.minor();
        }
        v.minor() == 0 && v.patch() == c.patch()
    }

    /// Go's `constraintNotEqual`: outside the wildcard range, or not the version.
    fn not_equal(&self, v: &Version) -> bool {
        let c = &self.version;
        if self.dirty {
            if v.major() != c.major() {
                return true;
            }
            if self.minor_dirty {
                return false;
            }
            if v.minor() != c.minor() {
                return true;
            }
            if self.patch_dirty {
                return (v.is_prerelease() || c.is_prerelease())
                    && compare_prerelease(v.prerelease(), c.prerelease()) != Ordering::Equal;
            }
            // `!=*`: all parts read as 0 but none is dirty in itself; Go falls through to the
            // patch test and then to equality.
            if v.patch() != c.patch() {
                return true;
            }
        }
        v != c
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn check(c: &str, v: &str) -> bool {
        Constraints::parse(c)
            .unwrap()
            .check(&Version::parse(v).unwrap())
    }

    #[test]
    fn operators() {
        assert!(check("1.2.3", "1.2.3"));
        assert!(!check("1.2.3", "1.2.4"));
        assert!(check("!=1.2.3", "1.2.4"));
        assert!(check(">=1.0 <2.0", "1.5.0"));
        assert!(check(">= 1.0, < 2.0", "1.5.0"));
        assert!(!check(">=1.0 <2.0", "2.0.0"));
        assert!(check(">=1.19-0", "1.21.3"));
        assert!(check("^1.2.3", "1.9.0"));
        assert!(!check("^1.2.3", "2.0.0"));
        assert!(check("^1.2", "1.9.0"));
        assert!(!check("^1.2", "2.0.0"));
        assert!(check("^0.2.3", "0.2.9"));
        assert!(!check("^0.2.3", "0.3.0"));
        assert!(check("~1.2", "1.2.9"));
        assert!(!check("~1.2", "1.3.0"));
        assert!(check("~1.2.3", "1.2.9"));
        assert!(!check("~1.2.3", "1.3.0"));
        assert!(check("~1", "1.9.0"));
        assert!(check("~0.0.0", "3.1.0"), "~0.0.0 is >=0.0.0");
    }

    #[test]
    fn wildcards_and_ranges() {
        assert!(check("1.x", "1.7.0"));
        assert!(check("1.x", "1.9.0"));
        assert!(check("1.2.*", "1.2.9"));
        assert!(!check("1.2.*", "1.3.0"));
        assert!(check("*", "0.0.1"));
        assert!(
            check("x.2.3", "4.0.0"),
            "a wildcard major makes the rest wildcards"
        );
        assert!(check(">*", "0.0.1"));
        assert!(!check(">*", "0.0.0"));
        assert!(!check("<=*", "1.0.0"));
        assert!(check("!=*", "1.0.0"));
        assert!(!check("!=*", "0.0.0"));
        assert!(check("1.2 - 1.4.5", "1.4.5"));
        assert!(check("1.2 - 1.4", "1.3.5"));
        assert!(
            check("1.2 - 1.4", "1.4.1"),
            "a short upper bound is a wildcard"
        );
        assert!(!check("1.2 - 1.4.0", "1.4.1"));
        assert!(check(">1.0 <2.0 || =3.0.0", "3.0.0"));
        assert!(check("<1.0 || >=2.0", "2.1.0"));
        assert!(!check("<1.0 || >=2.0", "1.1.0"));
    }

    #[test]
    fn prereleases_need_a_prerelease_in_the_group() {
        assert!(!check(">=1.0", "1.5.0-beta"));
        assert!(!check("*", "1.0.0-rc.1"));
        assert!(check(">=1.0.0-0", "1.0.0-rc.1"));
        assert!(
            check(">=1.0.0-0 <2.0.0", "1.5.0-rc.1"),
            "one bound is enough"
        );
        assert!(
            !check(">=1.0.0-0 <2.0.0 || >3.0.0", "3.5.0-rc.1"),
            "not across ||"
        );
    }

    #[test]
    fn junk_is_refused() {
        for bad in [
            "",
            "   ",
            "foo",
            "latest",
            "1.2; rm -rf",
            "$(x)",
            ">=",
            "1.2 -",
            "--version=1",
            "> = 1.0",
            ",1.0",
            "1.0 ||",
        ] {
            assert!(
                matches!(Constraints::parse(bad), Err(ConstraintError::Improper(_))),
                "{bad}"
            );
        }
        assert_eq!(
            Constraints::parse("foo").unwrap_err().to_string(),
            "improper constraint: foo"
        );
        assert_eq!(
            Constraints::parse(">=1.2.3-01").unwrap_err(),
            ConstraintError::Version(VersionError::LeadingZero)
        );
        assert!(
            Constraints::parse(">=1.0\u{a0}<2.0").is_err(),
            "only Go's ASCII spaces separate"
        );
    }

    #[test]
    fn best_is_the_highest_match() {
        let c = Constraints::parse("1.*").unwrap();
        let all: Vec<Version> = ["0.9.0", "1.0.0", "1.4.0", "1.5.0-rc.1", "2.0.0"]
            .iter()
            .map(|s| Version::parse(s).unwrap())
            .collect();
        let best = c.best(&all, |v| v);
        assert_eq!(best.map(Version::to_string), Some("1.4.0".into()));
        let tied: Vec<Version> = ["1.2.0", "v1.2.0"]
            .iter()
            .map(|s| Version::parse(s).unwrap())
            .collect();
        assert_eq!(c.best(&tied, |v| v).map(Version::original), Some("v1.2.0"));
    }
}
