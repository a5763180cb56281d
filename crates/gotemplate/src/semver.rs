//! Semantic versions and constraints with the rules of `Masterminds/semver/v3` (which Sprig's
//! `semver` and `semverCompare` use): lenient version parsing (`v1.2`, `1`), prerelease
//! ordering, and constraints with `=`, `!=`, `>`, `<`, `>=`, `<=`, `~`, `^`, wildcards,
//! hyphen ranges, `,`/space for "and" and `||` for "or".

use std::cmp::Ordering;
use std::fmt;
use std::sync::OnceLock;

use regex::Regex;

/// A parsed version.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Version {
    /// Major number.
    pub major: u64,
    /// Minor number.
    pub minor: u64,
    /// Patch number.
    pub patch: u64,
    /// Prerelease (after `-`).
    pub pre: String,
    /// Build metadata (after `+`).
    pub metadata: String,
    /// The text it was parsed from.
    pub original: String,
}

impl fmt::Display for Version {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}.{}.{}", self.major, self.minor, self.patch)?;
        if !self.pre.is_empty() {
            write!(f, "-{}", self.pre)?;
        }
        if !self.metadata.is_empty() {
            write!(f, "+{}", self.metadata)?;
        }
        Ok(())
    }
}

const NUM: &str = "0123456789";

fn only(s: &str, set: &str) -> bool {
    s.chars().all(|c| set.contains(c))
}

fn allowed(s: &str) -> bool {
    s.chars().all(|c| c.is_ascii_alphanumeric() || c == '-')
}

fn loose_version_re() -> &'static Regex {
    static RE: OnceLock<Regex> = OnceLock::new();
    RE.get_or_init(|| {
        // v?MAJOR(.MINOR)?(.PATCH)?(-PRE)?(+META)? with any digits, checked further below.
        let ident = r"[0-9A-Za-z\-]+(?:\.[0-9A-Za-z\-]+)*";
        // Invariant: a constant pattern, compiled by every test in this module.
        Regex::new(&format!(
            r"^v?([0-9]+)(\.[0-9]+)?(\.[0-9]+)?(?:-({ident}))?(?:\+({ident}))?$"
        ))
        .expect("constant version pattern compiles")
    })
}

fn parse_segment(s: &str) -> Result<u64, String> {
    s.parse::<u64>().map_err(|_| {
        format!(
            "error parsing version segment: strconv.ParseUint: parsing {}: value out of range",
            crate::value::go_quote(s)
        )
    })
}

fn validate_prerelease(p: &str) -> Result<(), String> {
    for part in p.split('.') {
        if part.is_empty() {
            return Err("invalid prerelease string".into());
        } else if only(part, NUM) {
            if part.len() > 1 && part.starts_with('0') {
                return Err("version segment starts with 0".into());
            }
        } else if !allowed(part) {
            return Err("invalid prerelease string".into());
        }
    }
    Ok(())
}

fn validate_metadata(m: &str) -> Result<(), String> {
    for part in m.split('.') {
        if part.is_empty() || !allowed(part) {
            return Err("invalid metadata string".into());
        }
    }
    Ok(())
}

impl Version {
    /// `semver.NewVersion` with its default lenient parsing.
    pub fn parse(v: &str) -> Result<Version, String> {
        let caps = loose_version_re()
            .captures(v)
            .ok_or_else(|| "invalid semantic version".to_string())?;
        let get = |i: usize| caps.get(i).map_or("", |m| m.as_str());
        let major = parse_segment(get(1))?;
        let minor = match get(2) {
            "" => 0,
            s => parse_segment(&s[1..])?,
        };
        let patch = match get(3) {
            "" => 0,
            s => parse_segment(&s[1..])?,
        };
        let pre = get(4).to_string();
        let metadata = get(5).to_string();
        if !pre.is_empty() {
            validate_prerelease(&pre)?;
        }
        if !metadata.is_empty() {
            validate_metadata(&metadata)?;
        }
        Ok(Version {
            major,
            minor,
            patch,
            pre,
            metadata,
            original: v.to_string(),
        })
    }

    /// Precedence order (metadata ignored).
    pub fn compare(&self, o: &Version) -> Ordering {
        self.major
            .cmp(&o.major)
            .then(self.minor.cmp(&o.minor))
            .then(self.patch.cmp(&o.patch))
            .then_with(|| match (self.pre.is_empty(), o.pre.is_empty()) {
                (true, true) => Ordering::Equal,
                (true, false) => Ordering::Greater,
                (false, true) => Ordering::Less,
                (false, false) => compare_prerelease(&self.pre, &o.pre),
            })
    }
}

fn compare_prerelease(a: &str, b: &str) -> Ordering {
    let ap: Vec<&str> = a.split('.').collect();
    let bp: Vec<&str> = b.split('.').collect();
    for i in 0..ap.len().max(bp.len()) {
        let x = ap.get(i).copied().unwrap_or("");
        let y = bp.get(i).copied().unwrap_or("");
        let d = compare_pre_part(x, y);
        if d != Ordering::Equal {
            return d;
        }
    }
    Ordering::Equal
}

fn compare_pre_part(s: &str, o: &str) -> Ordering {
    if s == o {
        return Ordering::Equal;
    }
    if s.is_empty() {
        return Ordering::Less;
    }
    if o.is_empty() {
        return Ordering::Greater;
    }
    match (s.parse::<u64>(), o.parse::<u64>()) {
        (Err(_), Err(_)) => {
            if s > o {
                Ordering::Greater
            } else {
                Ordering::Less
            }
        }
        (Err(_), Ok(_)) => Ordering::Greater,
        (Ok(_), Err(_)) => Ordering::Less,
        (Ok(si), Ok(oi)) => {
            if si > oi {
                Ordering::Greater
            } else {
                Ordering::Less
            }
        }
    }
}

/// One comparison of a constraint.
#[derive(Debug, Clone)]
struct Constraint {
    op: String,
    con: Version,
    dirty: bool,
    minor_dirty: bool,
    patch_dirty: bool,
}

/// A parsed constraint: alternatives (`||`) of conjunctions.
#[derive(Debug, Clone)]
pub struct Constraints {
    ors: Vec<Vec<Constraint>>,
    contains_pre: Vec<bool>,
}

const OPS: &str = r"=||!=|>|<|>=|=>|<=|=<|~|~>|\^";
const CV: &str = r"v?([0-9|x|X|\*]+)(\.[0-9|x|X|\*]+)?(\.[0-9|x|X|\*]+)?(-([0-9A-Za-z\-]+(\.[0-9A-Za-z\-]+)*))?(\+([0-9A-Za-z\-]+(\.[0-9A-Za-z\-]+)*))?";

struct ConstraintRes {
    one: Regex,
    range: Regex,
    find: Regex,
    valid: Regex,
}

fn constraint_res() -> &'static ConstraintRes {
    static RES: OnceLock<ConstraintRes> = OnceLock::new();
    RES.get_or_init(|| {
        // Invariant: constant patterns, compiled by `constraints_follow_masterminds`.
        let mk = |p: String| Regex::new(&p).expect("constant constraint pattern compiles");
        ConstraintRes {
            one: mk(format!(r"^\s*({OPS})\s*({CV})\s*$")),
            range: mk(format!(r"\s*({CV})\s+-\s+({CV})\s*")),
            find: mk(format!(r"({OPS})\s*({CV})")),
            valid: mk(format!(
                r"^(\s*({OPS})\s*({CV})\s*)((?:\s+|,\s*)({OPS})\s*({CV})\s*)*$"
            )),
        }
    })
}

fn is_x(s: &str) -> bool {
    matches!(s, "x" | "X" | "*")
}

impl Constraints {
    /// `semver.NewConstraint`.
    pub fn parse(c: &str) -> Result<Constraints, String> {
        let res = constraint_res();
        let c = rewrite_range(c, res);
        let mut ors = Vec::new();
        let mut contains_pre = Vec::new();
        for part in c.split("||") {
            if !res.valid.is_match(part) {
                return Err(format!("improper constraint: {part}"));
            }
            let mut found: Vec<&str> = res.find.find_iter(part).map(|m| m.as_str()).collect();
            if found.is_empty() {
                found.push(part);
            }
            let mut and = Vec::new();
            let mut pre = false;
            for s in found {
                let con = parse_constraint(s, res)?;
                if !con.con.pre.is_empty() {
                    pre = true;
                }
                and.push(con);
            }
            ors.push(and);
            contains_pre.push(pre);
        }
        Ok(Constraints { ors, contains_pre })
    }

    /// `Constraints.Check`.
    pub fn check(&self, v: &Version) -> bool {
        self.ors
            .iter()
            .zip(&self.contains_pre)
            .any(|(and, pre)| and.iter().all(|c| c.check(v, *pre)))
    }
}

fn rewrite_range(c: &str, res: &ConstraintRes) -> String {
    let mut out = c.to_string();
    for caps in res.range.captures_iter(c) {
        let (Some(all), Some(a), Some(b)) = (caps.get(0), caps.get(1), caps.get(11)) else {
            continue;
        };
        let t = format!(">= {}, <= {} ", a.as_str(), b.as_str());
        out = out.replacen(all.as_str(), &t, 1);
    }
    out
}

fn parse_constraint(s: &str, res: &ConstraintRes) -> Result<Constraint, String> {
    if s.is_empty() {
        return Ok(Constraint {
            op: String::new(),
            con: Version::parse("0.0.0")?,
            dirty: true,
            minor_dirty: false,
            patch_dirty: false,
        });
    }
    let caps = res
        .one
        .captures(s)
        .ok_or_else(|| format!("improper constraint: {s}"))?;
    let get = |i: usize| caps.get(i).map_or("", |m| m.as_str());
    let (m3, m4, m5, m6) = (get(3), get(4), get(5), get(6));
    let mut ver = get(2).to_string();
    let (mut dirty, mut minor_dirty, mut patch_dirty) = (false, false, false);
    if is_x(m3) || m3.is_empty() {
        ver = format!("0.0.0{m6}");
        dirty = true;
    } else if is_x(m4.trim_start_matches('.')) || m4.is_empty() {
        minor_dirty = true;
        dirty = true;
        ver = format!("{m3}.0.0{m6}");
    } else if is_x(m5.trim_start_matches('.')) || m5.is_empty() {
        dirty = true;
        patch_dirty = true;
        ver = format!("{m3}{m4}.0{m6}");
    }
    let con = Version::parse(&ver).map_err(|_| "constraint parser error".to_string())?;
    Ok(Constraint {
        op: get(1).to_string(),
        con,
        dirty,
        minor_dirty,
        patch_dirty,
    })
}

impl Constraint {
    fn check(&self, v: &Version, include_pre: bool) -> bool {
        if !v.pre.is_empty() && !include_pre {
            return false;
        }
        let c = &self.con;
        let cmp = v.compare(c);
        match self.op.as_str() {
            "" | "=" => {
                if self.dirty {
                    self.tilde(v)
                } else {
                    cmp == Ordering::Equal
                }
            }
            "!=" => {
                if self.dirty {
                    if c.major != v.major {
                        return true;
                    }
                    if c.minor != v.minor && !self.minor_dirty {
                        return true;
                    } else if self.minor_dirty {
                        return false;
                    } else if c.patch != v.patch && !self.patch_dirty {
                        return true;
                    } else if self.patch_dirty {
                        if !v.pre.is_empty() || !c.pre.is_empty() {
                            return compare_prerelease(&v.pre, &c.pre) != Ordering::Equal;
                        }
                        return false;
                    }
                }
                cmp != Ordering::Equal
            }
            ">" => {
                if !self.dirty {
                    return cmp == Ordering::Greater;
                }
                if v.major > c.major {
                    true
                } else if v.major < c.major || self.minor_dirty {
                    false
                } else if self.patch_dirty {
                    v.minor > c.minor
                } else {
                    cmp == Ordering::Greater
                }
            }
            "<" => cmp == Ordering::Less,
            ">=" | "=>" => cmp != Ordering::Less,
            "<=" | "=<" => {
                if !self.dirty {
                    return cmp != Ordering::Greater;
                }
                !(v.major > c.major
                    || (v.major == c.major && v.minor > c.minor && !self.minor_dirty))
            }
            "~" | "~>" => self.tilde(v),
            "^" => {
                if cmp == Ordering::Less {
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
                c.patch == v.patch
            }
            _ => false,
        }
    }

    fn tilde(&self, v: &Version) -> bool {
        let c = &self.con;
        if v.compare(c) == Ordering::Less {
            return false;
        }
        if c.major == 0 && c.minor == 0 && c.patch == 0 && !self.minor_dirty && !self.patch_dirty {
            return true;
        }
        if v.major != c.major {
            return false;
        }
        if v.minor != c.minor && !self.minor_dirty {
            return false;
        }
        true
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
    fn versions_parse_leniently() {
        assert_eq!(Version::parse("v1.2").unwrap().to_string(), "1.2.0");
        assert_eq!(
            Version::parse("1.2.3-beta.1+b5").unwrap().to_string(),
            "1.2.3-beta.1+b5"
        );
        assert_eq!(Version::parse("x").unwrap_err(), "invalid semantic version");
        assert_eq!(
            Version::parse("1.2.3-01").unwrap_err(),
            "version segment starts with 0"
        );
    }

    #[test]
    fn constraints_follow_masterminds() {
        assert!(check(">=1.19-0", "1.21.3"));
        assert!(check("^1.2.3", "1.9.0"));
        assert!(!check("^1.2.3", "2.0.0"));
        assert!(check("~1.2", "1.2.9"));
        assert!(!check("~1.2", "1.3.0"));
        assert!(check("1.2 - 1.4.5", "1.4.5"));
        assert!(check(">1.0 <2.0 || =3.0.0", "3.0.0"));
        assert!(!check(">=1.0", "1.5.0-beta"));
        assert!(check("1.x", "1.7.0"));
        assert!(check("!=1.2.3", "1.2.4"));
        assert!(Constraints::parse("foo").is_err());
    }
}
