//! `Sha`: a resolved commit id, so a revision that was checked can't be mixed up with a raw string.

use std::fmt;
use std::str::FromStr;

use super::error::{Result, SourceError};

/// A full commit SHA-1: 40 lowercase hex digits.
#[derive(Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct Sha([u8; 40]);

impl Sha {
    /// Parses 40 hex digits (either case); anything else is `InvalidSha`.
    pub fn parse(value: &str) -> Result<Sha> {
        let bytes = value.as_bytes();
        if bytes.len() != 40 || !bytes.iter().all(u8::is_ascii_hexdigit) {
            return Err(SourceError::InvalidSha {
                value: value.to_owned(),
            });
        }
        let mut out = [0u8; 40];
        for (dst, src) in out.iter_mut().zip(bytes) {
            *dst = src.to_ascii_lowercase();
        }
        Ok(Sha(out))
    }

    /// The 40-digit lowercase hex form.
    pub fn as_str(&self) -> &str {
        // Invariant: `parse` only stores ASCII hex digits, which are valid UTF-8.
        std::str::from_utf8(&self.0).expect("Sha holds ASCII hex only")
    }

    /// The 7-digit abbreviation used in human output.
    pub fn short(&self) -> &str {
        &self.as_str()[..7]
    }

    /// [`Sha::short`] of a revision kept as text: a full SHA is abbreviated, anything else (a
    /// chart version, `worktree`) is returned as it is.
    pub fn short_of(revision: &str) -> &str {
        match Sha::parse(revision) {
            Ok(_) => &revision[..7],
            Err(_) => revision,
        }
    }

    /// Converts a gix id; only SHA-1 ids fit, which is all the repositories gix opens here.
    pub(crate) fn from_object_id(id: gix::ObjectId) -> Result<Sha> {
        Sha::parse(&id.to_hex().to_string())
    }

    /// The gix id for object lookups.
    pub(crate) fn to_object_id(self) -> gix::ObjectId {
        // Invariant: 40 hex digits always decode to a SHA-1 object id.
        gix::ObjectId::from_hex(&self.0).expect("Sha holds 40 hex digits")
    }
}

impl fmt::Display for Sha {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl fmt::Debug for Sha {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "Sha({})", self.as_str())
    }
}

impl FromStr for Sha {
    type Err = SourceError;

    fn from_str(s: &str) -> Result<Sha> {
        Sha::parse(s)
    }
}

impl serde::Serialize for Sha {
    fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.serialize_str(self.as_str())
    }
}

impl<'de> serde::Deserialize<'de> for Sha {
    fn deserialize<D: serde::Deserializer<'de>>(deserializer: D) -> Result<Sha, D::Error> {
        let s = String::deserialize(deserializer)?;
        Sha::parse(&s).map_err(serde::de::Error::custom)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const FULL: &str = "0123456789abcdef0123456789abcdef01234567";

    #[test]
    fn parses_and_lowercases() {
        let sha = Sha::parse(&FULL.to_uppercase()).unwrap();
        assert_eq!(sha.as_str(), FULL);
        assert_eq!(sha.to_string(), FULL);
        assert_eq!(sha.short(), "0123456");
    }

    #[test]
    fn rejects_short_long_and_non_hex() {
        for bad in [
            "",
            "abc",
            &FULL[..39],
            &format!("{FULL}0"),
            &FULL.replace('a', "g"),
        ] {
            let err = Sha::parse(bad).unwrap_err();
            assert!(matches!(err, SourceError::InvalidSha { ref value } if value == bad));
        }
    }

    #[test]
    fn round_trips_through_object_id_and_serde() {
        let sha = Sha::parse(FULL).unwrap();
        assert_eq!(Sha::from_object_id(sha.to_object_id()).unwrap(), sha);
        let json = serde_json::to_string(&sha).unwrap();
        assert_eq!(json, format!("\"{FULL}\""));
        let back: Sha = serde_json::from_str(&json).unwrap();
        assert_eq!(back, sha);
    }
}
