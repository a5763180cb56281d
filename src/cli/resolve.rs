//! The shared first step of `tree`, `render` (and later `diff`): find the repo and the root,
//! pick the revision, and resolve the app tree.

use std::io::IsTerminal;
use std::path::{Component, Path, PathBuf};

use super::CliError;
use super::args::TreeArgs;
use crate::apps::appset::ClusterInfo;
use crate::apps::{AppTree, Resolver};
use crate::cluster::{Catalog, Connection, KubeTarget, connect, load_kubeconfig};
use crate::render::{
    BuildOptions, Capabilities, Charts, DependencyCache, OptionsOrigin, Scopes,
    normalize_kube_version,
};
use crate::source::{CacheDir, Repo, RepoMapping, RepoPath, RepoResolver, Snapshot, TreeCache};

/// Files and folders tried, in order, when no ROOT is given (relative to the repo root).
pub const CONVENTIONAL_ROOTS: &[&str] = &[
    "root.yaml",
    "root-app.yaml",
    "app-of-apps.yaml",
    "bootstrap",
    "applications",
    "apps",
];

/// A resolved tree.
pub struct Resolved {
    /// The tree.
    pub tree: AppTree,
    /// Which tree this is, for app records: the repository (its first remote, normalised, or
    /// its path) and the root inside it.
    pub tree_id: String,
    /// The commit read, or None for the work tree.
    pub revision: Option<crate::source::Sha>,
    /// The repository's work tree, if it has one.
    pub workdir: Option<PathBuf>,
}

/// Resolves the tree at a given revision, whatever `--revision` says (for `diff --from/--to`).
pub fn resolve_at(
    args: &TreeArgs,
    facts: &ClusterFacts,
    revision: &str,
) -> Result<Resolved, CliError> {
    let mut args = args.clone();
    args.revision = Some(revision.to_string());
    resolve(&args, facts)
}

/// Resolves the tree that the arguments name.
pub fn resolve(args: &TreeArgs, facts: &ClusterFacts) -> Result<Resolved, CliError> {
    let cwd = std::env::current_dir()
        .map_err(|e| CliError(format!("cannot read the current directory: {e}")))?;
    let root_arg = args.root.as_ref().map(|r| absolute(&cwd, r));
    // Discovery starts from a directory: a ROOT that is a file is looked up from its folder.
    let start = match &root_arg {
        Some(r) => {
            let existing = nearest_existing(r);
            match existing.parent() {
                Some(parent) if !existing.is_dir() => parent.to_path_buf(),
                _ => existing,
            }
        }
        None => cwd.clone(),
    };
    let repo = Repo::discover(&start)
        .map_err(|e| CliError(format!("{e} (ROOT must be inside a Git repository)")))?;
    let snapshot = match &args.revision {
        Some(rev) => Snapshot::Commit(repo.resolve(rev)?),
        None => Snapshot::WorkTree,
    };
    let view = repo.view(snapshot)?;
    let root = match &root_arg {
        Some(r) => repo_relative(&repo, r)?,
        None => {
            let mut found = None;
            for candidate in CONVENTIONAL_ROOTS {
                let p = RepoPath::new(candidate)?;
                if view.exists(&p)? {
                    found = Some(p);
                    break;
                }
            }
            found.ok_or_else(|| {
                CliError(format!(
                    "no ROOT given and none of {} exists at the top of {}; pass ROOT",
                    CONVENTIONAL_ROOTS.join(", "),
                    repo.path().display()
                ))
            })?
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
        Some(repo.clone()),
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
        Some(v) => Some(normalize_kube_version(v).ok_or_else(|| {
            CliError(format!(
                "--kube-version {v:?} is not a Kubernetes version (e.g. 1.33 or v1.33.2)"
            ))
        })?),
        None => None,
    };
    for v in &args.api_versions {
        crate::names::helm_api_version(v).map_err(|e| CliError(format!("--api-versions: {e}")))?;
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
            BuildOptions::parse(text, OptionsOrigin::CommandLine)
                .map_err(|e| CliError(format!("--kustomize-build-options: {e}")))?,
        ),
        None => None,
    };
    let resolver = Resolver {
        local: &repo,
        snapshot,
        respect_target_revision: args.respect_target_revision,
        repos: &repos,
        trees: &trees,
        scopes: facts.scopes.clone(),
        fallback_namespace: Some(facts.namespace.clone()),
        clusters: facts.clusters.clone(),
        charts: &charts,
        helm_deps: &helm_deps,
        offline: args.offline,
        capabilities,
        other_capabilities,
        kustomize_build_options,
    };
    let tree = resolver.resolve(&root);
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
    Ok(Resolved {
        tree,
        tree_id: format!("{repo_id}//{root}"),
        revision: snapshot.sha(),
        workdir: repo.workdir().map(Path::to_path_buf),
    })
}

/// `--plain-http-registry` values: `host` or `host:port`, nothing else.
fn plain_http_registries(values: &[String]) -> Result<Vec<String>, CliError> {
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
                Err(CliError(format!(
                    "--plain-http-registry {v:?} is not HOST or HOST:PORT"
                )))
            }
        })
        .collect()
}

/// What the kubeconfig (and, when it answers, the cluster) tells the tree walk. Rendering needs
/// no cluster: every fact has an offline default.
pub struct ClusterFacts {
    scopes: Scopes,
    namespace: String,
    clusters: Vec<ClusterInfo>,
    /// The current context's cluster as Helm charts see it, when it answered.
    capabilities: Option<Capabilities>,
}

impl ClusterFacts {
    /// The kubeconfig's facts, plus the cluster's discovery if it answers within 3 s.
    pub fn gather(target: &KubeTarget) -> ClusterFacts {
        let mut facts = Self::from_kubeconfig(target);
        let Ok(rt) = tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()
        else {
            return facts;
        };
        rt.block_on(async {
            let Ok(conn) = connect(target).await else {
                return;
            };
            // A cluster that does not answer quickly is treated as absent: render works offline.
            let timeout = std::time::Duration::from_secs(3);
            let both = async { tokio::join!(Catalog::discover(&conn), conn.server_version()) };
            if let Ok((Ok(catalog), version)) = tokio::time::timeout(timeout, both).await {
                facts.learn(&conn, &catalog);
                facts.learn_version(version.ok());
            }
        });
        facts
    }

    /// Takes the namespace, kind scopes and API versions from a connection and its (one)
    /// discovery.
    pub fn learn(&mut self, conn: &Connection, catalog: &Catalog) {
        self.namespace = conn.namespace.clone();
        for k in catalog.kind_scopes() {
            self.scopes.insert(&k.group, &k.kind, k.namespaced);
        }
        let version = self.capabilities.take().and_then(|c| c.kube_version);
        let mut caps = Capabilities::from_discovery(None, catalog.group_version_kinds());
        caps.kube_version = version;
        self.capabilities = Some(caps);
    }

    /// Takes the server's version (`/version`) for Helm's `.Capabilities.KubeVersion`.
    pub fn learn_version(&mut self, info: Option<k8s_openapi::apimachinery::pkg::version::Info>) {
        let version = info.and_then(|i| normalize_kube_version(&i.git_version));
        self.capabilities
            .get_or_insert_with(Capabilities::default)
            .kube_version = version;
    }

    /// Asks the server for its version (one request) and takes it, as `learn_version` does.
    pub async fn learn_server_version(&mut self, conn: &Connection) {
        self.learn_version(conn.server_version().await.ok());
    }

    /// What the kubeconfig alone says: contexts as clusters, `-n` as namespace. No requests.
    pub fn from_kubeconfig(target: &KubeTarget) -> ClusterFacts {
        let mut facts = ClusterFacts {
            scopes: Scopes::builtin(),
            namespace: target.namespace.clone().unwrap_or_else(|| "default".into()),
            clusters: vec![ClusterInfo {
                name: "in-cluster".into(),
                server: "https://kubernetes.default.svc".into(),
                labels: Default::default(),
            }],
            capabilities: None,
        };
        let Ok(loaded) = load_kubeconfig(target.kubeconfig.as_deref()) else {
            return facts;
        };
        let Ok(current) = loaded.context_name(target.context.as_deref()) else {
            return facts;
        };
        // The current context is Argo CD's in-cluster; the other contexts are further clusters.
        // Argo CD registers a server URL once, so contexts that reach the current context's
        // server (another user or namespace) are that same in-cluster, and of several contexts
        // on one other server the first stands for it.
        let same = |a: &str, b: &str| a.trim_end_matches('/') == b.trim_end_matches('/');
        let mut seen: Vec<String> = facts.clusters.iter().map(|c| c.server.clone()).collect();
        seen.extend(loaded.server_of(&current));
        for ctx in &loaded.config.contexts {
            if ctx.name != current
                && let Some(server) = loaded.server_of(&ctx.name)
                && !seen.iter().any(|s| same(s, &server))
            {
                seen.push(server.clone());
                facts.clusters.push(ClusterInfo {
                    name: ctx.name.clone(),
                    server,
                    labels: Default::default(),
                });
            }
        }
        facts
    }
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

fn repo_relative(repo: &Repo, root: &Path) -> Result<RepoPath, CliError> {
    let workdir = repo.workdir().ok_or_else(|| {
        CliError(format!(
            "{} is a bare repository; pass ROOT inside a work tree",
            repo.path().display()
        ))
    })?;
    let base = workdir
        .canonicalize()
        .unwrap_or_else(|_| workdir.to_path_buf());
    let existing = nearest_existing(root);
    let canon = existing.canonicalize().unwrap_or(existing.clone());
    let rest = root.strip_prefix(&existing).unwrap_or(Path::new(""));
    let full = canon.join(rest);
    let rel = full.strip_prefix(&base).map_err(|_| {
        CliError(format!(
            "ROOT {} is not inside the repository {}",
            root.display(),
            base.display()
        ))
    })?;
    Ok(RepoPath::new(&rel.to_string_lossy())?)
}

/// Prints the tree's errors, one line each, and returns the exit code they call for: the apps
/// that did resolve have been printed either way.
pub fn report_tree_errors(tree: &AppTree) -> u8 {
    for e in &tree.errors {
        eprintln!("error: {}", super::escape::terminal_line(&e.to_string()));
    }
    if tree.errors.is_empty() {
        super::EXIT_OK
    } else {
        super::EXIT_ERROR
    }
}

/// Whether to colour stdout: `--color`, else only on a terminal and without NO_COLOR.
pub fn use_color(choice: super::args::ColorChoice) -> bool {
    match choice {
        super::args::ColorChoice::Always => true,
        super::args::ColorChoice::Never => false,
        super::args::ColorChoice::Auto => {
            std::env::var_os("NO_COLOR").is_none_or(|v| v.is_empty())
                && std::io::stdout().is_terminal()
        }
    }
}
