//! Loading a tree: from a ROOT on the command line (or the conventional roots) to the resolved
//! app tree, with the revision, caches and renderer settings every command shares.

use std::path::{Component, Path, PathBuf};

use super::appset::ClusterInfo;
use super::{AppTree, Resolver, Root};
use crate::render::{
    BuildOptions, Capabilities, Charts, DependencyCache, OptionsOrigin, Scopes,
    normalize_kube_version,
};
use crate::source::{
    CacheDir, Repo, RepoMapping, RepoPath, RepoResolver, Snapshot, SourceError, TreeCache,
};

/// Where a tree comes from, as the command line says it.
#[derive(Debug, Clone, Default)]
pub struct TreeSpec {
    /// A file or folder of Application/ApplicationSet manifests; None: the conventional roots.
    pub root: Option<PathBuf>,
    /// A commit to read; None: the work tree.
    pub revision: Option<String>,
    /// Read each app at its own targetRevision, even apps of this repository.
    pub respect_target_revision: bool,
    /// `URL=PATH` mappings to local repositories.
    pub repo_map: Vec<String>,
    /// Never fetch.
    pub offline: bool,
    /// Kubernetes version Helm charts see, instead of the cluster's.
    pub kube_version: Option<String>,
    /// API versions Helm charts see, added to the cluster's.
    pub api_versions: Vec<String>,
    /// OCI registries reached over plain HTTP.
    pub plain_http_registry: Vec<String>,
    /// Options for every `kustomize build`.
    pub kustomize_build_options: Option<String>,
    /// How objects are tied to their app; None: what the tree's own argocd-cm says.
    pub tracking: Option<crate::plan::tracking::TrackingMethod>,
    /// `--app`: only these apps, their ancestors and their descendants are rendered, and the
    /// problems of the others are warnings; empty: every app.
    pub apps: Vec<String>,
}

/// What the kubeconfig (and, when it answers, the cluster) tells the tree walk. Rendering needs
/// no cluster: every fact has an offline default (see `crate::plan::facts` to gather them).
#[derive(Debug, Clone)]
pub struct TreeFacts {
    /// Which kinds are namespaced.
    pub scopes: Scopes,
    /// The namespace for objects and apps that name none.
    pub namespace: String,
    /// The kubeconfig's clusters: the current context's first (Argo CD's in-cluster, no
    /// labels), then one per other server.
    pub clusters: Vec<ClusterInfo>,
    /// Argo CD's cluster secrets (from `--clusters FILE` or the cluster's Argo CD namespace),
    /// for the cluster generator; None: the kubeconfig's clusters stand for them.
    pub argocd_clusters: Option<Vec<ClusterInfo>>,
    /// The current context's cluster as Helm charts see it, when it answered.
    pub capabilities: Option<Capabilities>,
    /// What gathering the facts noticed, for the tree's warnings.
    pub warnings: Vec<String>,
}

impl Default for TreeFacts {
    fn default() -> Self {
        TreeFacts {
            scopes: Scopes::builtin(),
            namespace: "default".into(),
            clusters: vec![ClusterInfo {
                name: "in-cluster".into(),
                server: "https://kubernetes.default.svc".into(),
                ..Default::default()
            }],
            argocd_clusters: None,
            capabilities: None,
            warnings: Vec::new(),
        }
    }
}

impl TreeFacts {
    /// The clusters the ApplicationSet cluster generator sees: Argo CD's cluster secrets when
    /// known, else the kubeconfig's clusters, each but the local one labelled as a cluster
    /// secret is (`argocd.argoproj.io/secret-type: cluster`), so selectors on that label match.
    pub fn generator_clusters(&self) -> Vec<ClusterInfo> {
        if let Some(secrets) = &self.argocd_clusters {
            return secrets.clone();
        }
        self.clusters
            .iter()
            .enumerate()
            .map(|(i, c)| {
                let mut c = c.clone();
                if i > 0 || !c.is_implicit_local() {
                    c.labels.insert(
                        super::appset::SECRET_TYPE_LABEL.into(),
                        super::appset::SECRET_TYPE_CLUSTER.into(),
                    );
                }
                c
            })
            .collect()
    }
}

/// Why a tree could not be loaded at all (problems inside it are the tree's own errors).
#[derive(Debug, thiserror::Error)]
pub enum LoadError {
    /// The current directory is unreadable.
    #[error("cannot read the current directory: {0}")]
    CurrentDir(#[source] std::io::Error),
    /// ROOT (or the current directory) is not in a Git repository.
    #[error(
        "{source} (a ROOT folder must be inside a Git repository; a ROOT file of Applications may be anywhere)"
    )]
    NotInRepository {
        /// Why discovery failed.
        source: SourceError,
    },
    /// Reading the repository failed.
    #[error(transparent)]
    Source(#[from] SourceError),
    /// No ROOT given, and none of the conventional ones exists.
    #[error(
        "no ROOT given and none of {} exists at the top of {}; pass ROOT",
        CONVENTIONAL_ROOTS.join(", "),
        repo.display()
    )]
    NoRoot {
        /// The repository.
        repo: PathBuf,
    },
    /// None of the conventional roots holds Applications.
    #[error(
        "no ROOT given, and none of the conventional roots at the top of {} holds Applications ({}); pass ROOT",
        repo.display(),
        tried.join("; ")
    )]
    NoAppsInRoots {
        /// The repository.
        repo: PathBuf,
        /// Each root tried, with why it was passed over.
        tried: Vec<String>,
    },
    /// A root file outside any repository cannot be read.
    #[error("ROOT {}: {message}", path.display())]
    RootFile {
        /// The file.
        path: PathBuf,
        /// Why.
        message: String,
    },
    /// ROOT is outside the repository it was looked up from.
    #[error("ROOT {} is not inside the repository {}", root.display(), repo.display())]
    RootOutside {
        /// ROOT.
        root: PathBuf,
        /// The repository.
        repo: PathBuf,
    },
    /// The repository has no work tree to find ROOT in.
    #[error("{} is a bare repository; pass ROOT inside a work tree", repo.display())]
    BareRepository {
        /// The repository.
        repo: PathBuf,
    },
    /// A command-line option has a value that cannot be used.
    #[error("{option}: {message}")]
    Option {
        /// The option.
        option: &'static str,
        /// What is wrong with its value.
        message: String,
    },
}

/// Files and folders tried, in order, when no ROOT is given (relative to the repo root).
pub const CONVENTIONAL_ROOTS: &[&str] = &[
    "root.yaml",
    "root-app.yaml",
    "app-of-apps.yaml",
    "bootstrap",
    "applications",
    "apps",
];

/// A loaded tree, with what later stages need to know about where it came from.
pub struct LoadedTree {
    /// The tree.
    pub tree: AppTree,
    /// Which tree this is, for app records: the repository (its first remote, normalised, or
    /// its path) and the root inside it; `file:PATH` for a root file outside any repository.
    pub tree_id: String,
    /// The commit read, or None for the work tree.
    pub revision: Option<crate::source::Sha>,
    /// The repository's work tree, if it has one.
    pub workdir: Option<PathBuf>,
    /// The repository the root is in; for a root file outside any repository, the current
    /// directory's (None when it is in none).
    pub repo: Option<Repo>,
    /// The root.
    pub root: Root,
}

/// Loads the tree at a given revision, whatever the spec says (for `diff --from/--to`).
pub fn load_at(
    spec: &TreeSpec,
    facts: &TreeFacts,
    revision: &str,
) -> Result<LoadedTree, LoadError> {
    let mut spec = spec.clone();
    spec.revision = Some(revision.to_string());
    load(&spec, facts)
}

/// Finds the repository and the root, picks the revision, and resolves the app tree.
pub fn load(args: &TreeSpec, facts: &TreeFacts) -> Result<LoadedTree, LoadError> {
    let cwd = std::env::current_dir().map_err(LoadError::CurrentDir)?;
    let root_arg = args.root.as_ref().map(|r| absolute(&cwd, r));
    let located = locate(&cwd, root_arg.as_deref())?;
    let repo = located.repo().cloned();
    let mut warnings = Vec::new();
    let snapshot = match (&args.revision, &repo) {
        (Some(rev), Some(repo)) => Snapshot::Commit(repo.resolve(rev)?),
        (None, _) => Snapshot::WorkTree,
        // Nothing to read a commit of: every app is read at its own targetRevision. (Sync
        // asks for HEAD whatever the root; only a revision named by the user is worth a word.)
        (Some(rev), None) => {
            if rev != "HEAD" {
                warnings.push(format!(
                    "--revision {rev}: neither ROOT nor the current directory is in a Git repository, so every app is read at its own targetRevision"
                ));
            }
            Snapshot::WorkTree
        }
    };
    let mappings = args
        .repo_map
        .iter()
        .map(|m| m.parse::<RepoMapping>())
        .collect::<Result<Vec<_>, _>>()?;
    // Per-user and checked, or (without XDG_CACHE_HOME and HOME) private to this run.
    let cache = CacheDir::from_env();
    let repos = RepoResolver::new(
        repo.clone(),
        mappings,
        std::sync::Arc::clone(&cache),
        args.offline,
    );
    let trees = TreeCache::new(std::sync::Arc::clone(&cache));
    let plain_http = plain_http_registries(&args.plain_http_registry)?;
    let charts = Charts::new(
        std::sync::Arc::clone(&cache),
        args.offline,
        plain_http.clone(),
    );
    let helm_deps = DependencyCache::new(cache, args.offline, plain_http);
    // The command line stands in for the cluster, or adds to what it said.
    let kube_version = match &args.kube_version {
        Some(v) => Some(normalize_kube_version(v).ok_or_else(|| LoadError::Option {
            option: "--kube-version",
            message: format!("{v:?} is not a Kubernetes version (e.g. 1.33 or v1.33.2)"),
        })?),
        None => None,
    };
    for v in &args.api_versions {
        crate::names::helm_api_version(v).map_err(|e| LoadError::Option {
            option: "--api-versions",
            message: e.to_string(),
        })?;
    }
    let other_capabilities =
        Capabilities::default().overridden(kube_version.as_deref(), &args.api_versions);
    let capabilities = facts
        .capabilities
        .clone()
        .unwrap_or_default()
        .overridden(kube_version.as_deref(), &args.api_versions);
    let kustomize_build_options = match &args.kustomize_build_options {
        Some(text) => Some(
            BuildOptions::parse(text, OptionsOrigin::CommandLine).map_err(|e| {
                LoadError::Option {
                    option: "--kustomize-build-options",
                    message: e.to_string(),
                }
            })?,
        ),
        None => None,
    };
    let resolver = Resolver {
        local: repo.as_ref(),
        snapshot,
        respect_target_revision: args.respect_target_revision,
        repos: &repos,
        trees: &trees,
        scopes: facts.scopes.clone(),
        fallback_namespace: Some(facts.namespace.clone()),
        clusters: facts.clusters.clone(),
        generator_clusters: facts.generator_clusters(),
        charts: &charts,
        helm_deps: &helm_deps,
        offline: args.offline,
        capabilities,
        other_capabilities,
        kustomize_build_options,
        scope: args.apps.clone(),
    };
    let root = match located {
        Located::InRepo {
            root: Some(root), ..
        } => Root::Repo(root),
        Located::InRepo { repo, root: None } => {
            Root::Repo(conventional_root(&resolver, &repo, snapshot)?)
        }
        Located::File { path, text, .. } => Root::File { path, text },
    };
    let mut tree = resolver.resolve(&root);
    if let Some(m) = args.tracking {
        tree.tracking = m;
    }
    let mut facts_warnings = facts.warnings.clone();
    facts_warnings.extend(warnings);
    tree.warnings.splice(0..0, facts_warnings);
    let tree_id = match (&root, &repo) {
        (Root::File { path, .. }, _) => format!("file:{}", path.display()),
        (Root::Repo(rel), Some(repo)) => {
            let mut remotes: Vec<String> = repo
                .remote_urls()
                .iter()
                .map(|u| crate::source::normalize_repo_url(u))
                .collect();
            remotes.sort();
            let repo_id = remotes
                .into_iter()
                .next()
                .unwrap_or_else(|| repo.path().display().to_string());
            format!("{repo_id}//{rel}")
        }
        (Root::Repo(rel), None) => rel.to_string(),
    };
    Ok(LoadedTree {
        tree,
        tree_id,
        revision: snapshot.sha(),
        workdir: repo
            .as_ref()
            .and_then(|r| r.workdir().map(Path::to_path_buf)),
        repo,
        root,
    })
}

/// Where ROOT is: in a repository (None: the conventional roots of the current directory's),
/// or a file outside any repository.
enum Located {
    InRepo {
        repo: Repo,
        root: Option<RepoPath>,
    },
    File {
        /// The current directory's repository, for apps that name it.
        repo: Option<Repo>,
        path: PathBuf,
        text: String,
    },
}

impl Located {
    fn repo(&self) -> Option<&Repo> {
        match self {
            Located::InRepo { repo, .. } => Some(repo),
            Located::File { repo, .. } => repo.as_ref(),
        }
    }
}

fn locate(cwd: &Path, root_arg: Option<&Path>) -> Result<Located, LoadError> {
    let Some(r) = root_arg else {
        let repo = Repo::discover(cwd).map_err(|source| LoadError::NotInRepository { source })?;
        return Ok(Located::InRepo { repo, root: None });
    };
    // Discovery starts from a directory: a ROOT that is a file is looked up from its folder.
    let existing = nearest_existing(r);
    let start = match existing.parent() {
        Some(parent) if !existing.is_dir() => parent.to_path_buf(),
        _ => existing,
    };
    // An Application file written outside any repository (by `argocd app create` or
    // Terraform) is read from disk; its apps' repoURLs resolve like any other app's.
    let loose = |repo_error: LoadError| -> Result<Located, LoadError> {
        if !r.is_file() {
            return Err(repo_error);
        }
        let text = read_root_file(r)?;
        Ok(Located::File {
            repo: Repo::discover(cwd).ok(),
            path: r.to_path_buf(),
            text,
        })
    };
    match Repo::discover(&start) {
        Ok(repo) => match repo_relative(&repo, r) {
            Ok(rel) => Ok(Located::InRepo {
                repo,
                root: Some(rel),
            }),
            Err(e) => loose(e),
        },
        Err(source) => loose(LoadError::NotInRepository { source }),
    }
}

/// A root file from disk, bounded like every manifest file.
fn read_root_file(path: &Path) -> Result<String, LoadError> {
    let too_large = |size: u64| LoadError::RootFile {
        path: path.to_path_buf(),
        message: format!(
            "{size} bytes is too large (limit {} MiB)",
            crate::yaml::MAX_FILE_BYTES / (1024 * 1024)
        ),
    };
    let meta = std::fs::metadata(path).map_err(|e| LoadError::RootFile {
        path: path.to_path_buf(),
        message: e.to_string(),
    })?;
    if meta.len() > crate::yaml::MAX_FILE_BYTES as u64 {
        return Err(too_large(meta.len()));
    }
    std::fs::read_to_string(path).map_err(|e| LoadError::RootFile {
        path: path.to_path_buf(),
        message: e.to_string(),
    })
}

/// The first of [`CONVENTIONAL_ROOTS`] that holds (or renders) Applications: a folder of other
/// things (workloads under `apps/`) is passed over for the next.
fn conventional_root(
    resolver: &Resolver,
    repo: &Repo,
    snapshot: Snapshot,
) -> Result<RepoPath, LoadError> {
    let view = repo.view(snapshot)?;
    let build = resolver.kustomize_build_options.clone().unwrap_or_default();
    let mut tried = Vec::new();
    for candidate in CONVENTIONAL_ROOTS {
        let p = RepoPath::new(candidate)?;
        if !view.exists(&p)? {
            continue;
        }
        match resolver.read_root_objects(&Root::Repo(p.clone()), Some(&view), &build) {
            Ok(_) => return Ok(p),
            Err(why) => tried.push(format!("{candidate}: {why}")),
        }
    }
    if tried.is_empty() {
        return Err(LoadError::NoRoot {
            repo: repo.path().to_path_buf(),
        });
    }
    Err(LoadError::NoAppsInRoots {
        repo: repo.path().to_path_buf(),
        tried,
    })
}

/// `--plain-http-registry` values: `host` or `host:port`, nothing else.
fn plain_http_registries(values: &[String]) -> Result<Vec<String>, LoadError> {
    values
        .iter()
        .map(|v| {
            let ok = !v.is_empty()
                && !v.starts_with(['-', '.', ':'])
                && v.chars()
                    .all(|c| c.is_ascii_alphanumeric() || ".-:[]".contains(c));
            if ok {
                Ok(v.to_ascii_lowercase())
            } else {
                Err(LoadError::Option {
                    option: "--plain-http-registry",
                    message: format!("{v:?} is not HOST or HOST:PORT"),
                })
            }
        })
        .collect()
}

fn absolute(cwd: &Path, p: &Path) -> PathBuf {
    let joined = if p.is_absolute() {
        p.to_path_buf()
    } else {
        cwd.join(p)
    };
    // Lexical normalisation: with --revision the ROOT may no longer exist on disk.
    let mut out = PathBuf::new();
    for c in joined.components() {
        match c {
            Component::ParentDir => {
                out.pop();
            }
            Component::CurDir => {}
            other => out.push(other),
        }
    }
    out
}

fn nearest_existing(p: &Path) -> PathBuf {
    let mut cur = p.to_path_buf();
    while !cur.exists() {
        if !cur.pop() {
            break;
        }
    }
    cur
}

fn repo_relative(repo: &Repo, root: &Path) -> Result<RepoPath, LoadError> {
    let workdir = repo.workdir().ok_or_else(|| LoadError::BareRepository {
        repo: repo.path().to_path_buf(),
    })?;
    let base = workdir
        .canonicalize()
        .unwrap_or_else(|_| workdir.to_path_buf());
    let existing = nearest_existing(root);
    let canon = existing.canonicalize().unwrap_or(existing.clone());
    let rest = root.strip_prefix(&existing).unwrap_or(Path::new(""));
    let full = canon.join(rest);
    let rel = full
        .strip_prefix(&base)
        .map_err(|_| LoadError::RootOutside {
            root: root.to_path_buf(),
            repo: base.clone(),
        })?;
    Ok(RepoPath::new(&rel.to_string_lossy())?)
}
