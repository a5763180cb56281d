//! One version: parsing (Go's `NewVersion`), its parts and its precedence.

use std::cmp::Ordering;
use std::fmt;
use std::sync::OnceLock;

use regex::Regex;

/// A semantic version as Masterminds parses it.
///
/// Equality and order are by precedence (Go's `Compare`): build metadata and the way the
/// version was written do not count, so `v1.2 == 1.2.0`. [`Display`](fmt::Display) prints the
/// text it was parsed from; [`Version::canonical`] is Go's `String()`.
#[derive(Debug, Clone)]
pub struct Version {
    major: u64,
    minor: u64,
    patch: u64,
    pre: String,
    metadata: String,
    original: String,
}

/// Why a text is not a version; the messages are Masterminds' own.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum VersionError {
    /// Not of the form `v?N(.N)?(.N)?(-pre)?(+meta)?`.
    #[error("invalid semantic version")]
    Invalid,
    /// A number does not fit in 64 bits. Go's message quotes the digits with `strconv.Quote`,
    /// which leaves digits as they are, so plain quotes give the same text.
    #[error(
        "error parsing version segment: strconv.ParseUint: parsing \"{0}\": value out of range"
    )]
    OutOfRange(String),
    /// A numeric prerelease identifier has a leading zero (`1.0.0-01`).
    #[error("version segment starts with 0")]
    LeadingZero,
}

/// Go's `looseSemVerRegex`, anchored. Its identifier classes already refuse empty and
/// non-`[0-9A-Za-z-]` identifiers, so of the checks `NewVersion` makes after matching only the
/// number range and the prerelease leading zero can still fail.
fn version_re() -> &'static Regex {
    static RE: OnceLock<Regex> = OnceLock::new();
    RE.get_or_init(|| {
        let ident = r"[0-9A-Za-z\-]+(?:\.[0-9A-Za-z\-]+)*";
        let pattern =
            format!(r"^v?([0-9]+)(?:\.([0-9]+))?(?:\.([0-9]+))?(?:-({ident}))?(?:\+({ident}))?$");
        // Invariant: a constant pattern, compiled by every test that parses a version.
        Regex::new(&pattern).expect("the version pattern compiles")
    })
}

fn number(digits: &str) -> Result<u64, VersionError> {
    // The pattern admits only ASCII digits here, so the one possible failure is the range.
    digits
        .parse()
        .map_err(|_| VersionError::OutOfRange(digits.to_string()))
}

impl Version {
    /// Parses a version as Go's `NewVersion` does (see the crate documentation for the form).
    pub fn parse(text: &str) -> Result<Version, VersionError> {
        let caps = version_re().captures(text).ok_or(VersionError::Invalid)?;
        let part = |i: usize| caps.get(i).map_or("", |m| m.as_str());
        let optional = |i: usize| match part(i) {
            "" => Ok(0),
            digits => number(digits),
        };
        let version = Version {
            major: number(part(1))?,
            minor: optional(2)?,
            patch: optional(3)?,
            pre: part(4).to_string(),
            metadata: part(5).to_string(),
            original: text.to_string(),
        };
        let leading_zero = |id: &str| id.len() > 1 && id.starts_with('0') && is_numeric(id);
        if version.pre.split('.').any(leading_zero) {
            return Err(VersionError::LeadingZero);
        }
        Ok(version)
    }

    /// The major number.
    pub fn major(&self) -> u64 {
        self.major
    }

    /// The minor number (0 when the text had none).
    pub fn minor(&self) -> u64 {
        self.minor
    }

    /// The patch number (0 when the text had none).
    pub fn patch(&self) -> u64 {
        self.patch
    }

    /// The prerelease, without its `-` (empty when there is none).
    pub fn prerelease(&self) -> &str {
        &self.pre
    }

    /// Whether this is a prerelease (`1.0.0-rc.1`).
    pub fn is_prerelease(&self) -> bool {
        !self.pre.is_empty()
    }

    /// The build metadata, without its `+` (empty when there is none).
    pub fn metadata(&self) -> &str {
        &self.metadata
    }

    /// The text the version was parsed from (Go's `Original()`).
    pub fn original(&self) -> &str {
        &self.original
    }

    /// `MAJOR.MINOR.PATCH[-PRE][+META]` with every part written out and no `v` (Go's `String()`).
    pub fn canonical(&self) -> String {
        let mut s = format!("{}.{}.{}", self.major, self.minor, self.patch);
        if !self.pre.is_empty() {
            s.push('-');
            s.push_str(&self.pre);
        }
        if !self.metadata.is_empty() {
            s.push('+');
            s.push_str(&self.metadata);
        }
        s
    }

    fn core(&self) -> (u64, u64, u64) {
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
        self.core().cmp(&other.core()).then_with(|| {
            match (self.pre.is_empty(), other.pre.is_empty()) {
                (true, true) => Ordering::Equal,
                // A release sorts after its prereleases.
                (true, false) => Ordering::Greater,
                (false, true) => Ordering::Less,
                (false, false) => compare_prerelease(&self.pre, &other.pre),
            }
        })
    }
}

impl PartialOrd for Version {
    fn partial_cmp(&self, other: &Self) -> Option<Ordering> {
        Some(self.cmp(other))
    }
}

impl PartialEq for Version {
    fn eq(&self, other: &Self) -> bool {
        self.cmp(other) == Ordering::Equal
    }
}

impl Eq for Version {}

fn is_numeric(id: &str) -> bool {
    !id.is_empty() && id.bytes().all(|b| b.is_ascii_digit())
}

/// Go's `comparePrerelease`: identifier by identifier, a missing identifier first.
pub(crate) fn compare_prerelease(a: &str, b: &str) -> Ordering {
    let mut a = a.split('.');
    let mut b = b.split('.');
    loop {
        let o = match (a.next(), b.next()) {
            (None, None) => return Ordering::Equal,
            (None, Some(_)) => Ordering::Less,
            (Some(_), None) => Ordering::Greater,
            (Some(x), Some(y)) => compare_identifier(x, y),
        };
        if o != Ordering::Equal {
            return o;
        }
    }
}

/// Go's `comparePrePart`: numbers numerically and below words, words as bytes. A number too
/// large for 64 bits fails Go's `ParseUint` and so counts as a word.
fn compare_identifier(x: &str, y: &str) -> Ordering {
    let as_number = |s: &str| s.parse::<u64>().ok().filter(|_| is_numeric(s));
    match (as_number(x), as_number(y)) {
        (Some(m), Some(n)) => m.cmp(&n),
        (Some(_), None) => Ordering::Less,
        (None, Some(_)) => Ordering::Greater,
        (None, None) => x.cmp(y),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn v(s: &str) -> Version {
        Version::parse(s).unwrap()
    }

    #[test]
    fn versions_parse_leniently() {
        for good in [
            "1.2.3",
            "v1.2.3",
            "1.2",
            "1",
            "01.2.3",
            "1.0.0-rc.1",
            "1.0.0+build.5",
            "0.0.1-alpha-2",
        ] {
            assert!(Version::parse(good).is_ok(), "{good}");
        }
        for bad in [
            "", "1.2.3.4", "a.b", "x", "1.*", ">=1", "1.2.3-", "1..2", "--x", "1.2.3 ", "V1.2.3",
        ] {
            assert_eq!(Version::parse(bad), Err(VersionError::Invalid), "{bad}");
        }
        assert_eq!(
            Version::parse("1.2.3-01").unwrap_err().to_string(),
            "version segment starts with 0"
        );
        assert_eq!(
            Version::parse("1.2.99999999999999999999")
                .unwrap_err()
                .to_string(),
            "error parsing version segment: strconv.ParseUint: parsing \"99999999999999999999\": \
             value out of range"
        );
    }

    #[test]
    fn parts_and_texts() {
        let x = v("v1.2.3-beta.1+b5");
        assert_eq!((x.major(), x.minor(), x.patch()), (1, 2, 3));
        assert_eq!((x.prerelease(), x.metadata()), ("beta.1", "b5"));
        assert!(x.is_prerelease());
        assert_eq!(x.to_string(), "v1.2.3-beta.1+b5");
        assert_eq!(x.original(), "v1.2.3-beta.1+b5");
        assert_eq!(x.canonical(), "1.2.3-beta.1+b5");
        assert_eq!(v("v1.2").canonical(), "1.2.0");
        assert!(!v("1.2.3+b5").is_prerelease());
    }

    #[test]
    fn precedence() {
        assert!(v("1.2.3") > v("1.2.3-rc.1"));
        assert!(v("1.2.3-rc.10") > v("1.2.3-rc.2"));
        assert!(v("1.2.3-rc.1") > v("1.2.3-rc"));
        assert!(v("1.2.3-rc") > v("1.2.3-1"), "words sort above numbers");
        assert!(v("1.2.3-beta") > v("1.2.3-alpha.9"));
        assert!(
            v("1.2.3-99999999999999999999") > v("1.2.3-9"),
            "too large for a number: a word"
        );
        assert!(v("1.10.0") > v("1.9.9"));
        assert_eq!(v("1.2").cmp(&v("1.2.0")), Ordering::Equal);
        assert_eq!(v("1.2.3+a"), v("v1.2.3+b"));
    }
}
