//! Semantic versions and version constraints with the rules of Go's
//! [Masterminds/semver](https://github.com/Masterminds/semver) v3.4.0, the library Helm, Argo CD
//! and Sprig use, so that a version or a range means here what it means to them.
//!
//! ```
//! use masterminds_semver::{Constraints, Version};
//!
//! let v = Version::parse("v1.2")?;
//! assert_eq!((v.to_string(), v.canonical()), ("v1.2".to_string(), "1.2.0".to_string()));
//! let c = Constraints::parse(">=1.0, <2.0 || ^3.1")?;
//! assert!(c.check(&v));
//! assert!(!c.check(&Version::parse("1.5.0-rc.1")?), "a prerelease needs a prerelease bound");
//! # Ok::<(), Box<dyn std::error::Error>>(())
//! ```
//!
//! What Masterminds does, and so what this crate does:
//!
//! - **Versions** ([`Version::parse`], Go's `NewVersion` with its default `CoerceNewVersion`):
//!   an optional `v`, then one to three numbers (`1` is `1.0.0`, `1.2` is `1.2.0`, leading zeros
//!   allowed: `01.2.3`), an optional prerelease after `-` and build metadata after `+`, each a
//!   dot-separated list of non-empty `[0-9A-Za-z-]` identifiers; a numeric prerelease identifier
//!   may not start with 0. Nothing else: no spaces, no fourth number.
//! - **Order** ([`Ord`]): major, minor and patch numerically; a prerelease sorts before its
//!   release; prereleases compare identifier by identifier, numbers numerically and below words,
//!   words as bytes, a shorter list first when one is a prefix of the other. Build metadata does
//!   not count, so `1.2.3+a == 1.2.3+b`.
//! - **Constraints** ([`Constraints::parse`], Go's `NewConstraint`): comparisons joined by `,` or
//!   spaces (all must hold) and groups joined by `||` (one must hold). The operators are `=`
//!   (or none), `!=`, `>`, `<`, `>=` (`=>`), `<=` (`=<`), `~` (`~>`: same minor, or same major
//!   when only the major is given) and `^` (same major, or same minor below 1.0, or same patch
//!   below 0.1); `x`, `X` or `*` (or a missing part) in a version make it a wildcard range;
//!   `1.2 - 1.4` is `>= 1.2, <= 1.4`.
//! - **Prereleases in constraints**: a prerelease version satisfies a group only when one of the
//!   group's comparisons names a prerelease (`>=1.0.0-0 <2.0.0` admits `1.5.0-rc.1`, `>=1.0`
//!   does not).
//!
//! Masterminds v3.5.0 differs from v3.4.0 only in refusing versions over 256 bytes and
//! constraints over 512 bytes or 32 groups, and in quoting the texts in its messages; the
//! messages here are v3.4.0's (what Sprig in Argo CD prints).

#![warn(missing_docs)]

mod constraints;
mod version;

pub use constraints::{ConstraintError, Constraints};
pub use version::{Version, VersionError};
