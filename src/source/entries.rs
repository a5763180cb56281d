//! Directories kept in the cache under a key, next to the commit trees: Helm charts pulled from
//! chart repositories (`charts/`) and the dependencies `helm dependency build` fetched for a
//! chart (`helm-deps/`).
//!
//! The same rules as for commit trees apply: the cache directory is per-user, `0700` and
//! owner-checked ([`CacheDir`]); an entry is filled in a temporary sibling and renamed into
//! place, so a directory under its final name is always complete and concurrent runs never see
//! half an entry; entries are read-only once published. Entry directory names are a hash of the
//! key (no chosen key can collide with another's entry or name a path), and each entry records
//! its full key in `.key`.

use std::path::{Path, PathBuf};
use std::sync::Arc;

use super::cache::{CacheDir, entry_name, publish, unique_temp};
use super::error::{Result, SourceError};

/// The file in each entry that holds its key.
const KEY_FILE: &str = ".key";

/// One kind of keyed entry in the cache (`charts`, `helm-deps`).
pub struct CacheEntries {
    cache: Arc<CacheDir>,
    kind: &'static str,
}

impl CacheEntries {
    /// The entries of kind `kind` (a subdirectory of the cache).
    pub fn new(cache: Arc<CacheDir>, kind: &'static str) -> CacheEntries {
        CacheEntries { cache, kind }
    }

    /// The directory of the entry for `key`, if one was published.
    pub fn get(&self, key: &str) -> Result<Option<PathBuf>> {
        let dir = self.cache.subdir(self.kind)?.join(entry_name(key));
        // An entry whose key file disagrees is not this key's (it cannot happen short of a
        // hash collision or tampering; either way it is not used).
        match std::fs::read_to_string(dir.join(KEY_FILE)) {
            Ok(stored) if stored == key && dir.is_dir() => {
                super::cache::touch(&dir);
                Ok(Some(dir))
            }
            Ok(_) => Ok(None),
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(None),
            Err(source) => Err(SourceError::Io {
                op: "read",
                path: dir.join(KEY_FILE),
                source,
            }),
        }
    }

    /// Publishes a new entry for `key`: `fill` writes its content into an empty directory, which
    /// is then moved into place. When another run published the same key first, theirs is kept
    /// (same key, same content). Returns the entry's directory.
    pub fn insert<E: From<SourceError>>(
        &self,
        key: &str,
        fill: impl FnOnce(&Path) -> std::result::Result<(), E>,
    ) -> std::result::Result<PathBuf, E> {
        let staging = self.stage()?;
        fill(staging.path())?;
        Ok(staging.publish(key)?)
    }

    /// An empty directory on the cache's file system for an entry whose key is known only once
    /// it is filled (a chart's exact version, after `helm pull` resolved a constraint). It is
    /// removed unless published.
    pub fn stage(&self) -> Result<Staging> {
        let base = self.cache.subdir(self.kind)?;
        let dir = unique_temp(&base, self.kind);
        std::fs::create_dir(&dir).map_err(|source| SourceError::Io {
            op: "create directory",
            path: dir.clone(),
            source,
        })?;
        Ok(Staging {
            dir,
            base,
            published: false,
        })
    }

    /// Every published entry: its key and directory (entries being written are skipped).
    pub fn list(&self) -> Result<Vec<(String, PathBuf)>> {
        let base = self.cache.subdir(self.kind)?;
        let read = std::fs::read_dir(&base).map_err(|source| SourceError::Io {
            op: "list",
            path: base.clone(),
            source,
        })?;
        let mut out = Vec::new();
        for entry in read.flatten() {
            let name = entry.file_name();
            if name.to_string_lossy().starts_with('.') {
                continue;
            }
            let dir = entry.path();
            if let Ok(key) = std::fs::read_to_string(dir.join(KEY_FILE)) {
                out.push((key, dir));
            }
        }
        out.sort();
        Ok(out)
    }
}

/// A directory being filled for a cache entry (see [`CacheEntries::stage`]).
pub struct Staging {
    dir: PathBuf,
    base: PathBuf,
    published: bool,
}

impl Staging {
    /// The directory to fill.
    pub fn path(&self) -> &Path {
        &self.dir
    }

    /// Records `key` and moves the directory into place as that key's entry; when another run
    /// got there first, theirs is kept and this copy removed. Returns the entry's directory.
    pub fn publish(mut self, key: &str) -> Result<PathBuf> {
        let key_file = self.dir.join(KEY_FILE);
        std::fs::write(&key_file, key).map_err(|source| SourceError::Io {
            op: "write",
            path: key_file,
            source,
        })?;
        let final_dir = self.base.join(entry_name(key));
        self.published = true;
        publish(&self.dir, &final_dir)?;
        Ok(final_dir)
    }
}

impl Drop for Staging {
    fn drop(&mut self) {
        if !self.published {
            let _ = std::fs::remove_dir_all(&self.dir);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn entries_are_published_whole_and_found_by_key() {
        let dir = tempfile::tempdir().unwrap();
        let entries = CacheEntries::new(CacheDir::at(dir.path().join("c")), "charts");
        assert!(entries.get("a").unwrap().is_none());
        let made = entries
            .insert::<SourceError>("a", |d| {
                std::fs::write(d.join("f"), "x").unwrap();
                Ok(())
            })
            .unwrap();
        assert_eq!(entries.get("a").unwrap(), Some(made.clone()));
        assert_eq!(std::fs::read_to_string(made.join("f")).unwrap(), "x");
        // A second insert of the same key keeps the first.
        let again = entries
            .insert::<SourceError>("a", |d| {
                std::fs::write(d.join("f"), "y").unwrap();
                Ok(())
            })
            .unwrap();
        assert_eq!(again, made);
        assert_eq!(std::fs::read_to_string(made.join("f")).unwrap(), "x");
        // A failed fill leaves nothing behind.
        let failed = entries.insert::<SourceError>("b", |_| {
            Err(SourceError::CacheDirNotADirectory {
                path: PathBuf::from("x"),
            })
        });
        assert!(failed.is_err());
        assert!(entries.get("b").unwrap().is_none());
        let keys: Vec<String> = entries
            .list()
            .unwrap()
            .into_iter()
            .map(|(k, _)| k)
            .collect();
        assert_eq!(keys, ["a"]);
    }
}
