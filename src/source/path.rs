//! `RepoPath`: the only way a manifest-supplied path reaches the file readers, so it can't escape.

use std::fmt;
use std::path::{Path, PathBuf};
use std::str::FromStr;

use super::error::{Result, SourceError};

/// A normalised, `/`-separated path relative to the repository root; the root is empty.
#[derive(Clone, Default, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct RepoPath(String);

impl RepoPath {
    /// The repository root (`.` or `""` in manifests).
    pub fn root() -> RepoPath {
        RepoPath(String::new())
    }

    /// Normalises a manifest path; absolute paths and `..` past the root are refused.
    pub fn new(path: &str) -> Result<RepoPath> {
        RepoPath::root().join(path)
    }

    /// Resolves `rel` against this directory, refusing anything that leaves the repository.
    pub fn join(&self, rel: &str) -> Result<RepoPath> {
        let refuse = |reason| SourceError::InvalidPath {
            path: rel.to_owned(),
            reason,
        };
        if rel.starts_with('/') {
            return Err(refuse(
                "absolute paths must be relative to the repository root",
            ));
        }
        if rel.contains('\0') {
            return Err(refuse("contains a NUL byte"));
        }
        let mut parts: Vec<&str> = self.components().collect();
        for part in rel.split('/') {
            match part {
                "" | "." => {}
                ".." => {
                    if parts.pop().is_none() {
                        return Err(refuse("leaves the repository (`..` past the root)"));
                    }
                }
                name => parts.push(name),
            }
        }
        Ok(RepoPath(parts.join("/")))
    }

    /// Appends one name taken from a directory listing, which never contains `/`, `.` or `..`.
    pub(crate) fn child(&self, name: &str) -> RepoPath {
        debug_assert!(!name.contains('/') && name != "." && name != ".." && !name.is_empty());
        if self.0.is_empty() {
            RepoPath(name.to_owned())
        } else {
            RepoPath(format!("{}/{}", self.0, name))
        }
    }

    /// The path as stored: `/`-separated, no leading `./`, empty for the root.
    pub fn as_str(&self) -> &str {
        &self.0
    }

    /// True for the repository root.
    pub fn is_root(&self) -> bool {
        self.0.is_empty()
    }

    /// The names from the root down; empty for the root.
    pub fn components(&self) -> impl Iterator<Item = &str> {
        self.0.split('/').filter(|c| !c.is_empty())
    }

    /// The containing directory, or `None` for the root.
    pub fn parent(&self) -> Option<RepoPath> {
        if self.0.is_empty() {
            return None;
        }
        Some(match self.0.rfind('/') {
            Some(i) => RepoPath(self.0[..i].to_owned()),
            None => RepoPath::root(),
        })
    }

    /// The last component, or `None` for the root.
    pub fn file_name(&self) -> Option<&str> {
        if self.0.is_empty() {
            return None;
        }
        Some(self.0.rsplit('/').next().unwrap_or(&self.0))
    }

    /// The part of the file name after its last `.`, if any.
    pub fn extension(&self) -> Option<&str> {
        let name = self.file_name()?;
        match name.rfind('.') {
            Some(0) | None => None,
            Some(i) => Some(&name[i + 1..]),
        }
    }

    /// True when `base` is this path or one of its ancestors (whole components only).
    pub fn starts_with(&self, base: &RepoPath) -> bool {
        self.strip_prefix(base).is_some()
    }

    /// The remainder below `base` (empty when equal), or `None` when not under `base`.
    pub fn strip_prefix(&self, base: &RepoPath) -> Option<&str> {
        if base.0.is_empty() {
            return Some(&self.0);
        }
        let rest = self.0.strip_prefix(&base.0)?;
        if rest.is_empty() {
            Some(rest)
        } else {
            rest.strip_prefix('/')
        }
    }

    /// The location of this path below a directory on disk.
    pub fn to_fs_path(&self, root: &Path) -> PathBuf {
        let mut out = root.to_path_buf();
        out.extend(self.components());
        out
    }
}

impl fmt::Display for RepoPath {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if self.0.is_empty() {
            f.write_str(".")
        } else {
            f.write_str(&self.0)
        }
    }
}

impl fmt::Debug for RepoPath {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "RepoPath({:?})", self.0)
    }
}

impl FromStr for RepoPath {
    type Err = SourceError;

    fn from_str(s: &str) -> Result<RepoPath> {
        RepoPath::new(s)
    }
}

impl serde::Serialize for RepoPath {
    fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.serialize_str(&self.0)
    }
}

/// Read back through `RepoPath::new`, so a stored path is checked like any other.
impl<'de> serde::Deserialize<'de> for RepoPath {
    fn deserialize<D: serde::Deserializer<'de>>(deserializer: D) -> Result<RepoPath, D::Error> {
        let s = String::deserialize(deserializer)?;
        RepoPath::new(&s).map_err(serde::de::Error::custom)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn p(s: &str) -> String {
        RepoPath::new(s).unwrap().as_str().to_owned()
    }

    #[test]
    fn normalises_dots_slashes_and_root() {
        assert_eq!(p(""), "");
        assert_eq!(p("."), "");
        assert_eq!(p("./"), "");
        assert_eq!(p("apps"), "apps");
        assert_eq!(p("./apps//guestbook/"), "apps/guestbook");
        assert_eq!(p("a/./b/../c"), "a/c");
        assert_eq!(p("a/.."), "");
        assert!(RepoPath::new(".").unwrap().is_root());
        assert_eq!(RepoPath::root().to_string(), ".");
    }

    #[test]
    fn refuses_escapes_and_absolute_paths_naming_them() {
        for bad in ["..", "../x", "a/../../b", "/etc/passwd", "/", "a/\0"] {
            match RepoPath::new(bad) {
                Err(SourceError::InvalidPath { path, .. }) => assert_eq!(path, bad),
                other => panic!("{bad:?} gave {other:?}"),
            }
        }
        let err = RepoPath::new("a/../../b").unwrap_err().to_string();
        assert!(
            err.contains("a/../../b") && err.contains("leaves the repository"),
            "{err}"
        );
    }

    #[test]
    fn join_is_relative_to_base_and_stays_inside() {
        let base = RepoPath::new("apps/guestbook").unwrap();
        assert_eq!(base.join("../base").unwrap().as_str(), "apps/base");
        assert_eq!(base.join("../../x").unwrap().as_str(), "x");
        assert!(base.join("../../../x").is_err());
        assert!(base.join("/abs").is_err());
    }

    #[test]
    fn parent_name_extension_prefix() {
        let path = RepoPath::new("a/b/c.yaml").unwrap();
        assert_eq!(path.parent().unwrap().as_str(), "a/b");
        assert_eq!(RepoPath::new("a").unwrap().parent(), Some(RepoPath::root()));
        assert_eq!(RepoPath::root().parent(), None);
        assert_eq!(path.file_name(), Some("c.yaml"));
        assert_eq!(path.extension(), Some("yaml"));
        assert_eq!(RepoPath::new(".hidden").unwrap().extension(), None);
        let a = RepoPath::new("a").unwrap();
        assert!(path.starts_with(&a));
        assert!(path.starts_with(&RepoPath::root()));
        assert!(!RepoPath::new("ab/c").unwrap().starts_with(&a));
        assert_eq!(path.strip_prefix(&a), Some("b/c.yaml"));
        assert_eq!(a.strip_prefix(&a), Some(""));
        assert_eq!(
            path.to_fs_path(Path::new("/r")),
            PathBuf::from("/r/a/b/c.yaml")
        );
        assert_eq!(
            RepoPath::root().to_fs_path(Path::new("/r")),
            PathBuf::from("/r")
        );
    }
}
