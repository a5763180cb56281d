//! Value files and file parameters of an app's `helm:` block, resolved as Argo CD's repo server
//! resolves them (`reposerver/repository` `ResolveValueFiles`, `util/io/path`
//! `ResolveValueFilePathOrUrl`):
//!
//! - a relative path is relative to the chart; an absolute one (`/envs/prod.yaml`) to the root
//!   of the source (the repository, or the chart itself for a chart from a repository);
//! - `$name/path` is relative to the root of the source that has `ref: name`;
//! - `http(s)://` URLs are handed to Helm, which downloads them;
//! - `$ARGOCD_APP_*` variables are substituted (after the `$ref` prefix is taken off);
//! - a path with `*`, `?` or `[` is a glob (`**` crosses directories, `*` does not): its matches
//!   come in lexical order, a file also listed by name is left to that entry's position, and a
//!   file is never passed twice;
//! - a missing file (or a glob matching nothing) is an error unless `ignoreMissingValueFiles`.
//!
//! Paths never leave their root: `..` past it is refused, and the roots on disk hold no symlink
//! leading out (see `TreeCache`).

use std::collections::{HashMap, HashSet};
use std::path::PathBuf;

use super::HelmError;
use crate::render::RenderError;
use crate::source::RepoPath;

/// A root that value files are read from: a repository at a revision, or a pulled chart.
pub trait ValueRoot {
    /// The file at `rel` on disk, or `None` when there is no regular file there.
    fn file(&self, rel: &RepoPath) -> Result<Option<PathBuf>, RenderError>;
    /// Every regular file at or below `dir` (none when `dir` is not a directory).
    fn files_under(&self, dir: &RepoPath) -> Result<Vec<RepoPath>, RenderError>;
    /// How the root is named in messages (repository URL and revision, or chart).
    fn label(&self) -> String;
}

/// A directory on disk as a value root: a chart pulled from a chart repository, whose own
/// files are its value files (Argo CD uses the chart as both the app path and the root).
pub struct DiskRoot {
    /// The directory.
    pub dir: PathBuf,
    /// How it is named in messages.
    pub label: String,
}

impl ValueRoot for DiskRoot {
    fn file(&self, rel: &RepoPath) -> Result<Option<PathBuf>, RenderError> {
        let p = rel.to_fs_path(&self.dir);
        // Not followed: a pulled chart holds regular files only.
        Ok(std::fs::symlink_metadata(&p)
            .is_ok_and(|m| m.is_file())
            .then_some(p))
    }

    fn files_under(&self, dir: &RepoPath) -> Result<Vec<RepoPath>, RenderError> {
        let mut out = Vec::new();
        let mut stack = vec![dir.clone()];
        while let Some(d) = stack.pop() {
            let Ok(read) = std::fs::read_dir(d.to_fs_path(&self.dir)) else {
                continue;
            };
            for e in read.flatten() {
                let (Ok(t), Some(name)) = (e.file_type(), e.file_name().to_str().map(String::from))
                else {
                    continue;
                };
                let child = d.join(&name)?;
                if t.is_dir() {
                    stack.push(child);
                } else if t.is_file() {
                    out.push(child);
                }
            }
        }
        out.sort();
        Ok(out)
    }

    fn label(&self) -> String {
        self.label.clone()
    }
}

/// One `--values` argument.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ValueFile {
    /// A file on disk.
    Local(PathBuf),
    /// A URL Helm downloads.
    Remote(String),
}

/// Argo CD's build environment (`$ARGOCD_APP_NAME`...), substituted in parameters and paths.
#[derive(Debug, Clone, Default)]
pub struct BuildEnv {
    vars: HashMap<&'static str, String>,
}

impl BuildEnv {
    /// The variables Argo CD's `newEnv` sets for one source.
    pub fn new(
        app: &str,
        namespace: &str,
        project: &str,
        revision: &str,
        repo_url: &str,
        path: &str,
        target_revision: &str,
    ) -> BuildEnv {
        let short = |n: usize| revision.chars().take(n).collect::<String>();
        let vars = HashMap::from([
            ("ARGOCD_APP_NAME", app.to_string()),
            ("ARGOCD_APP_NAMESPACE", namespace.to_string()),
            ("ARGOCD_APP_PROJECT_NAME", project.to_string()),
            ("ARGOCD_APP_REVISION", revision.to_string()),
            ("ARGOCD_APP_REVISION_SHORT", short(7)),
            ("ARGOCD_APP_REVISION_SHORT_8", short(8)),
            ("ARGOCD_APP_SOURCE_REPO_URL", repo_url.to_string()),
            ("ARGOCD_APP_SOURCE_PATH", path.to_string()),
            (
                "ARGOCD_APP_SOURCE_TARGET_REVISION",
                target_revision.to_string(),
            ),
        ]);
        BuildEnv { vars }
    }

    /// Whether `name` is one of the variables.
    pub fn has(&self, name: &str) -> bool {
        self.vars.contains_key(name)
    }

    /// Argo CD's `Env.Envsubst` (Go's `os.Expand`): `$VAR` and `${VAR}` become the variable's
    /// value, an unknown variable becomes empty, and `$$` is a literal `$`.
    pub fn substitute(&self, s: &str) -> String {
        let b = s.as_bytes();
        let mut out = String::with_capacity(s.len());
        let mut last = 0;
        let mut j = 0;
        while j < b.len() {
            if b[j] == b'$' && j + 1 < b.len() {
                out.push_str(&s[last..j]);
                let (name, width) = shell_name(&s[j + 1..]);
                match name {
                    None if width > 0 => {}
                    None => out.push('$'),
                    Some("$") => out.push('$'),
                    Some(n) => out.push_str(self.vars.get(n).map_or("", String::as_str)),
                }
                j += width;
                last = j + 1;
            }
            j += 1;
        }
        out.push_str(&s[last.min(s.len())..]);
        out
    }
}

/// Go's `getShellName`: the variable name after a `$` and how many bytes it takes; `None` with
/// a width is bad syntax that is eaten, `None` with no width leaves the `$` alone.
fn shell_name(s: &str) -> (Option<&str>, usize) {
    let b = s.as_bytes();
    let special = |c: u8| b"*#$@!?-".contains(&c) || c.is_ascii_digit();
    if b[0] == b'{' {
        if b.len() > 2 && special(b[1]) && b[2] == b'}' {
            return (Some(&s[1..2]), 3);
        }
        for (i, &c) in b.iter().enumerate().skip(1) {
            if c == b'}' {
                if i == 1 {
                    return (None, 2);
                }
                return (Some(&s[1..i]), i + 1);
            }
        }
        return (None, 1);
    }
    if special(b[0]) {
        return (Some(&s[0..1]), 1);
    }
    let n = b
        .iter()
        .take_while(|c| c.is_ascii_alphanumeric() || **c == b'_')
        .count();
    if n == 0 {
        (None, 0)
    } else {
        (Some(&s[..n]), n)
    }
}

/// Whether a path is a glob for Argo CD (doublestar metacharacters).
pub fn is_glob(path: &str) -> bool {
    path.contains(['*', '?', '['])
}

/// Resolves the value files and file parameters of one source.
pub struct ValueFiles<'a> {
    /// The source's own root (the repository, or the pulled chart).
    pub main: &'a dyn ValueRoot,
    /// The chart's directory inside `main`.
    pub chart: RepoPath,
    /// The roots of the app's `ref` sources, by ref name.
    pub refs: &'a HashMap<String, &'a dyn ValueRoot>,
    /// Variables to substitute.
    pub env: &'a BuildEnv,
    /// Whether URLs may be handed to Helm (they cannot with `--offline`).
    pub offline: bool,
}

/// Where one entry points.
enum Target<'a> {
    Remote(String),
    Local {
        root: &'a dyn ValueRoot,
        path: RepoPath,
    },
}

impl<'a> ValueFiles<'a> {
    fn target(&self, raw: &str) -> Result<Target<'a>, RenderError> {
        // `$name/...` names a ref source when one has that name; otherwise the `$` starts a
        // variable (`$ARGOCD_APP_NAME/values.yaml`), and anything else is a mistake worth
        // naming rather than a path that silently loses its first part.
        if let Some(rest) = raw.strip_prefix('$') {
            let (name, rel) = rest.split_once('/').unwrap_or((rest, ""));
            let Some(root) = self.refs.get(name) else {
                if shell_name(rest).0.is_some_and(|v| self.env.has(v)) || rest.starts_with('$') {
                    return self.target_path(raw);
                }
                return Err(HelmError::UnknownRef {
                    file: raw.to_string(),
                    name: name.to_string(),
                }
                .into());
            };
            let rel = self.env.substitute(rel);
            if rel.trim_matches('/').is_empty() {
                return Err(HelmError::ValueFile {
                    file: raw.to_string(),
                    reason: "names no file after the ref".into(),
                }
                .into());
            }
            let path = RepoPath::new(rel.trim_start_matches('/'))?;
            return Ok(Target::Local { root: *root, path });
        }
        self.target_path(raw)
    }

    /// An entry that is not a `$ref`: substituted, then a URL or a path.
    fn target_path(&self, raw: &str) -> Result<Target<'a>, RenderError> {
        let s = self.env.substitute(raw);
        let lower = s.to_ascii_lowercase();
        if lower.starts_with("https://") || lower.starts_with("http://") {
            if s.chars().any(|c| c.is_whitespace() || c.is_control()) {
                return Err(HelmError::ValueFile {
                    file: crate::source::redact_url(&s),
                    reason: "is not a valid URL".into(),
                }
                .into());
            }
            if self.offline {
                return Err(HelmError::Offline {
                    what: format!("value file {}", crate::source::redact_url(&s)),
                }
                .into());
            }
            return Ok(Target::Remote(s));
        }
        if lower.contains("://") {
            return Err(HelmError::ValueFile {
                file: crate::source::redact_url(&s),
                reason: "uses a URL scheme other than http and https".into(),
            }
            .into());
        }
        let path = match s.strip_prefix('/') {
            Some(abs) => RepoPath::new(abs.trim_start_matches('/'))?,
            None => self.chart.join(&s)?,
        };
        Ok(Target::Local {
            root: self.main,
            path,
        })
    }

    /// `valueFiles` in Argo CD's order, as `--values` arguments.
    pub fn value_files(
        &self,
        raw: &[String],
        ignore_missing: bool,
    ) -> Result<Vec<ValueFile>, RenderError> {
        // Files listed by name keep their own position even when a glob also matches them.
        let mut explicit: HashSet<PathBuf> = HashSet::new();
        for r in raw {
            if let Ok(Target::Local { root, path }) = self.target(r)
                && !is_glob(path.as_str())
                && let Ok(Some(p)) = root.file(&path)
            {
                explicit.insert(p);
            }
        }
        let mut out = Vec::new();
        let mut seen: HashSet<ValueFile> = HashSet::new();
        let mut push = |f: ValueFile, out: &mut Vec<ValueFile>| {
            if seen.insert(f.clone()) {
                out.push(f);
            }
        };
        for r in raw {
            match self.target(r)? {
                Target::Remote(url) => push(ValueFile::Remote(url), &mut out),
                Target::Local { root, path } if is_glob(path.as_str()) => {
                    let matches = glob(root, &path)?;
                    if matches.is_empty() {
                        if ignore_missing {
                            continue;
                        }
                        return Err(HelmError::GlobNoMatch {
                            pattern: r.clone(),
                            root: root.label(),
                        }
                        .into());
                    }
                    for m in matches {
                        if !explicit.contains(&m) {
                            push(ValueFile::Local(m), &mut out);
                        }
                    }
                }
                Target::Local { root, path } => match root.file(&path)? {
                    Some(p) => push(ValueFile::Local(p), &mut out),
                    None if ignore_missing => {}
                    None => {
                        return Err(HelmError::MissingValueFile {
                            file: r.clone(),
                            root: root.label(),
                        }
                        .into());
                    }
                },
            }
        }
        Ok(out)
    }

    /// A `fileParameters` path: one local file that must exist (Helm reads `--set-file` from
    /// disk only).
    pub fn file_parameter(&self, raw: &str) -> Result<PathBuf, RenderError> {
        match self.target(raw)? {
            Target::Remote(url) => Err(HelmError::ValueFile {
                file: crate::source::redact_url(&url),
                reason: "is a URL; helm reads fileParameters from files only".into(),
            }
            .into()),
            Target::Local { root, path } => root.file(&path)?.ok_or_else(|| {
                HelmError::MissingValueFile {
                    file: raw.to_string(),
                    root: root.label(),
                }
                .into()
            }),
        }
    }
}

impl std::hash::Hash for ValueFile {
    fn hash<H: std::hash::Hasher>(&self, state: &mut H) {
        match self {
            ValueFile::Local(p) => p.hash(state),
            ValueFile::Remote(u) => u.hash(state),
        }
    }
}

/// The files of `root` matching the glob `pattern`, in lexical order, as paths on disk.
fn glob(root: &dyn ValueRoot, pattern: &RepoPath) -> Result<Vec<PathBuf>, RenderError> {
    let matcher = globset::GlobBuilder::new(pattern.as_str())
        .literal_separator(true)
        .backslash_escape(true)
        .build()
        .map_err(|e| HelmError::ValueFile {
            file: pattern.to_string(),
            reason: format!("is not a valid glob: {e}"),
        })?
        .compile_matcher();
    // Only the directories below the pattern's literal prefix can match.
    let literal: Vec<&str> = pattern
        .components()
        .take_while(|c| !is_glob(c) && !c.contains('{'))
        .collect();
    let prefix = RepoPath::new(&literal.join("/"))?;
    let mut names: Vec<RepoPath> = root
        .files_under(&prefix)?
        .into_iter()
        .filter(|f| matcher.is_match(f.as_str()))
        .collect();
    names.sort();
    let mut out = Vec::with_capacity(names.len());
    for n in names {
        if let Some(p) = root.file(&n)? {
            out.push(p);
        }
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn substitution_follows_go_os_expand() {
        let env = BuildEnv::new(
            "web",
            "shop",
            "default",
            "abcdef0123456789",
            "u",
            "p",
            "main",
        );
        assert_eq!(env.substitute("$ARGOCD_APP_NAME-x"), "web-x");
        assert_eq!(env.substitute("${ARGOCD_APP_NAMESPACE}/v"), "shop/v");
        assert_eq!(env.substitute("r=$ARGOCD_APP_REVISION_SHORT"), "r=abcdef0");
        assert_eq!(
            env.substitute("r=$ARGOCD_APP_REVISION_SHORT_8"),
            "r=abcdef01"
        );
        assert_eq!(env.substitute("pa$$word"), "pa$word");
        assert_eq!(env.substitute("$UNKNOWN!"), "!");
        assert_eq!(env.substitute("cost: 5$"), "cost: 5$");
        assert_eq!(env.substitute("a $ b"), "a $ b");
        assert_eq!(env.substitute("${}x"), "x");
        assert_eq!(env.substitute("plain"), "plain");
    }

    struct Mem(Vec<&'static str>);
    impl ValueRoot for Mem {
        fn file(&self, rel: &RepoPath) -> Result<Option<PathBuf>, RenderError> {
            Ok(self
                .0
                .contains(&rel.as_str())
                .then(|| PathBuf::from("/r").join(rel.as_str())))
        }
        fn files_under(&self, dir: &RepoPath) -> Result<Vec<RepoPath>, RenderError> {
            Ok(self
                .0
                .iter()
                .map(|f| RepoPath::new(f).unwrap())
                .filter(|f| f.starts_with(dir))
                .collect())
        }
        fn label(&self) -> String {
            "mem".into()
        }
    }

    fn resolve(files: &[&str], ignore: bool) -> Result<Vec<ValueFile>, RenderError> {
        let root = Mem(vec![
            "c/values.yaml",
            "c/envs/a.yaml",
            "c/envs/b.yaml",
            "c/envs/deep/c.yaml",
            "shared/x.yaml",
        ]);
        let refs = HashMap::new();
        let env = BuildEnv::default();
        let v = ValueFiles {
            main: &root,
            chart: RepoPath::new("c").unwrap(),
            refs: &refs,
            env: &env,
            offline: false,
        };
        v.value_files(
            &files.iter().map(|s| s.to_string()).collect::<Vec<_>>(),
            ignore,
        )
    }

    fn local(p: &str) -> ValueFile {
        ValueFile::Local(PathBuf::from("/r").join(p))
    }

    #[test]
    fn globs_expand_in_order_without_duplicates() {
        assert_eq!(
            resolve(&["envs/*.yaml", "envs/a.yaml"], false).unwrap(),
            [local("c/envs/b.yaml"), local("c/envs/a.yaml")],
            "a file listed by name keeps its own position"
        );
        assert_eq!(
            resolve(&["envs/**/*.yaml"], false).unwrap(),
            [
                local("c/envs/a.yaml"),
                local("c/envs/b.yaml"),
                local("c/envs/deep/c.yaml")
            ]
        );
        assert_eq!(
            resolve(&["/shared/*.yaml", "../shared/x.yaml"], false).unwrap(),
            [local("shared/x.yaml")]
        );
        assert!(resolve(&["none/*.yaml"], false).is_err());
        assert!(
            resolve(&["none/*.yaml", "missing.yaml"], true)
                .unwrap()
                .is_empty()
        );
        assert!(resolve(&["missing.yaml"], false).is_err());
        assert!(
            resolve(&["../../x.yaml"], false).is_err(),
            "leaves the repository"
        );
        assert_eq!(
            resolve(&["https://example.com/v.yaml"], false).unwrap(),
            [ValueFile::Remote("https://example.com/v.yaml".into())]
        );
        assert!(resolve(&["$nope/x.yaml"], false).is_err());
    }
}
