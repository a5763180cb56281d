//! The app-of-apps tree: from a root in the local repo to every app and the objects each one
//! deploys. Apps are rendered level by level, each level in parallel; a broken app is recorded
//! with its error and the others still resolve.

use std::collections::{HashMap, HashSet};
use std::fmt;
use std::sync::Mutex;

use serde_json::Value;

use super::application::{Application, ApplicationSource, SourceType};
use super::appset::{self, ClusterInfo, ExpandContext, GitFiles};
use super::roots::Root;
use crate::plan::tracking::TrackingMethod;
use crate::render::{
    BuildEnv, BuildOptions, Capabilities, ChartRef, Charts, DependencyCache, DirectoryOptions,
    DiskRoot, HelmError, HelmInputs, KustomizeRun, Object, OptionsOrigin, RenderError, Scopes,
    ValueFiles, ValueRoot, apply_kustomize_options, kustomize_writes, normalize_kube_version,
    render_directory, render_helm, render_kustomize,
};
use crate::source::{
    EntryKind, Repo, RepoOrigin, RepoPath, RepoResolver, RepoView, ResolvedRepo, Snapshot,
    TreeCache, redact_url,
};

/// Where a manifest was found: repository, revision, file and document.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Location {
    /// The repository (URL as written, credentials removed, or the local repo's path).
    pub repo: String,
    /// `the work tree` or `commit abc1234`.
    pub revision: String,
    /// File inside the repo (or the renderer that produced it).
    pub file: String,
    /// 1-based document index.
    pub doc: usize,
}

impl fmt::Display for Location {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        // A root file outside any repository has no repository nor revision.
        if self.repo.is_empty() {
            return write!(f, "{} (document {})", self.file, self.doc);
        }
        write!(
            f,
            "{} at {}: {} (document {})",
            self.repo, self.revision, self.file, self.doc
        )
    }
}

/// One rendered source of an app.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SourceInfo {
    /// `repoURL`.
    pub repo_url: String,
    /// `path` (empty for the repo root).
    pub path: String,
    /// The resolved revision: a full SHA, `None` for the work tree, or the exact chart version
    /// for a chart from a chart repository.
    pub revision: Option<String>,
    /// How it was rendered (`None` for a `ref`-only source).
    pub source_type: Option<SourceType>,
    /// The chart's name, for a chart from a chart repository.
    pub chart: Option<String>,
}

/// One application of the tree.
#[derive(Debug, Clone)]
pub struct AppNode {
    /// `metadata.name`.
    pub name: String,
    /// The parent app (None for top-level apps).
    pub parent: Option<String>,
    /// The ApplicationSet that generated it, if any.
    pub generated_by: Option<String>,
    /// Where its manifest is.
    pub defined_at: Location,
    /// The parsed Application.
    pub app: Application,
    /// Its sync wave inside the parent.
    pub wave: i64,
    /// What was rendered.
    pub sources: Vec<SourceInfo>,
    /// The objects it deploys (child Applications and ApplicationSets excluded).
    pub objects: Vec<Object>,
    /// Child app names, in manifest order.
    pub children: Vec<String>,
    /// Why rendering failed, if it did (then `objects` is empty).
    pub error: Option<String>,
}

/// Everything that can be wrong with a tree, each naming where.
#[derive(Debug, Clone, thiserror::Error, PartialEq, Eq)]
pub enum TreeError {
    /// The root path does not exist or cannot be read.
    #[error("root {root}: {message}")]
    Root {
        /// The root path.
        root: String,
        /// What is wrong.
        message: String,
    },
    /// An Application or ApplicationSet manifest is not valid.
    #[error("{location}: invalid {kind}: {message}")]
    InvalidManifest {
        /// Where it is.
        location: Location,
        /// `Application` or `ApplicationSet`.
        kind: &'static str,
        /// What is wrong.
        message: String,
    },
    /// An app failed to render.
    #[error("app {app:?} ({location}): {message}")]
    Render {
        /// The app.
        app: String,
        /// Where the app is defined.
        location: Location,
        /// The render error, naming repo, revision and file.
        message: String,
    },
    /// An ApplicationSet failed to expand.
    #[error("ApplicationSet {appset:?} ({location}): {message}")]
    AppSet {
        /// The ApplicationSet.
        appset: String,
        /// Where it is defined.
        location: Location,
        /// What failed.
        message: String,
    },
    /// An app includes itself through its children.
    #[error(
        "cycle: app {app:?} is defined at {first} and again, inside its own subtree, at {second}"
    )]
    Cycle {
        /// The app.
        app: String,
        /// The ancestor's definition.
        first: Location,
        /// The repeated definition.
        second: Location,
    },
    /// Argo CD settings the tree deploys (its `argocd-cm`) cannot be used.
    #[error("{location}: argocd-cm: {message}")]
    Settings {
        /// Where the ConfigMap is.
        location: Location,
        /// What is wrong.
        message: String,
    },
    /// Two different places define an app of the same name.
    #[error("duplicate app name {app:?}: defined at {first} and at {second}")]
    Duplicate {
        /// The app.
        app: String,
        /// The first definition.
        first: Location,
        /// The second definition (ignored).
        second: Location,
    },
}

/// The resolved tree.
#[derive(Debug, Clone, Default)]
pub struct AppTree {
    /// Every app, parents before children, siblings in manifest order.
    pub apps: Vec<AppNode>,
    /// Everything that went wrong; apps not affected are still in `apps`.
    pub errors: Vec<TreeError>,
    /// What is worth knowing but wrong in nothing (a cluster selector matching no cluster).
    pub warnings: Vec<String>,
    /// How objects are tied to their app: the tree's own argocd-cm
    /// `application.resourceTrackingMethod`, else Argo CD's default (commands may override).
    pub tracking: TrackingMethod,
}

impl AppTree {
    /// The app of this name.
    pub fn get(&self, name: &str) -> Option<&AppNode> {
        self.apps.iter().find(|a| a.name == name)
    }

    /// Apps whose rendered objects, children or errors differ from `other`'s, and apps only
    /// one of the two has: what a change between two revisions touches, found by rendering
    /// rather than guessed from paths.
    pub fn changed_apps(&self, other: &AppTree) -> Vec<String> {
        let mut names: Vec<&str> = self.apps.iter().map(|x| x.name.as_str()).collect();
        names.extend(other.apps.iter().map(|x| x.name.as_str()));
        names.sort();
        names.dedup();
        names
            .into_iter()
            .filter(|n| match (self.get(n), other.get(n)) {
                (Some(x), Some(y)) => {
                    x.children != y.children
                        || x.error != y.error
                        || x.objects.len() != y.objects.len()
                        || x.objects
                            .iter()
                            .zip(&y.objects)
                            .any(|(p, q)| p.body != q.body)
                }
                _ => true,
            })
            .map(String::from)
            .collect()
    }

    /// Top-level apps (no parent).
    pub fn roots(&self) -> impl Iterator<Item = &AppNode> {
        self.apps.iter().filter(|a| a.parent.is_none())
    }
}

/// How to resolve a tree.
pub struct Resolver<'a> {
    /// The repository the root is in (for a root file outside any repository, the current
    /// directory's, if any).
    pub local: Option<&'a Repo>,
    /// The state of the local repo to read (work tree, or a commit).
    pub snapshot: Snapshot,
    /// Follow each app's `targetRevision` even for the local repo.
    pub respect_target_revision: bool,
    /// Maps repo URLs to repositories.
    pub repos: &'a RepoResolver,
    /// Where commit trees are materialised for kustomize and Helm.
    pub trees: &'a TreeCache,
    /// Which kinds are cluster-scoped.
    pub scopes: Scopes,
    /// Namespace for namespaced objects when the app's destination names none (`-n`).
    pub fallback_namespace: Option<String>,
    /// The kubeconfig's clusters: the current context's first (Argo CD's in-cluster), then
    /// the other contexts' (their apps see `other_capabilities`).
    pub clusters: Vec<ClusterInfo>,
    /// Clusters for the ApplicationSet cluster generator: Argo CD's cluster secrets, or the
    /// kubeconfig's clusters standing for them.
    pub generator_clusters: Vec<ClusterInfo>,
    /// Charts from chart repositories, pulled once and cached.
    pub charts: &'a Charts,
    /// Chart dependencies built by `helm dependency build`, cached.
    pub helm_deps: &'a DependencyCache,
    /// Never use the network (charts, dependencies and value files from URLs included).
    pub offline: bool,
    /// `.Capabilities` for apps deployed to the current context's cluster: its discovery when
    /// it answered, with `--kube-version` / `--api-versions` on top.
    pub capabilities: Capabilities,
    /// `.Capabilities` for apps deployed elsewhere: the command line's only.
    pub other_capabilities: Capabilities,
    /// `--kustomize-build-options`; without it, the tree's own `argocd-cm` decides.
    pub kustomize_build_options: Option<BuildOptions>,
    /// `--app`: render only these apps, their ancestors (to find them) and their descendants;
    /// empty: every app.
    pub scope: Vec<String>,
}

/// A manifest waiting to become an app: an Application or an ApplicationSet.
struct Pending {
    object: Object,
    location: Location,
    parent: Option<String>,
    generated_by: Option<String>,
    wave: i64,
}

/// An app accepted for rendering.
struct Accepted {
    app: Application,
    pending: Pending,
}

/// What rendering one app produced.
struct Rendered {
    sources: Vec<SourceInfo>,
    objects: Vec<Object>,
    children: Vec<Object>,
}

impl Resolver<'_> {
    /// Resolves the tree under `root` (see [`Root`] for the forms it takes).
    pub fn resolve(&self, root: &Root) -> AppTree {
        let mut tree = self.resolve_rendered(root);
        match tree_tracking_method(&tree) {
            Ok(m) => tree.tracking = m,
            Err(e) => tree.errors.push(*e),
        }
        tree
    }

    fn resolve_rendered(&self, root: &Root) -> AppTree {
        if let Some(options) = &self.kustomize_build_options {
            return self.resolve_with(root, options);
        }
        // Argo CD reads `kustomize.buildOptions` from its argocd-cm, which the tree often
        // deploys itself: when it does, and sets options, the tree is resolved again with them
        // (checked first: they are the repository's, not the user's).
        let first = self.resolve_with(root, &BuildOptions::default());
        let (options, location) = match tree_build_options(&first) {
            Ok(None) => return first,
            Ok(Some(found)) => found,
            Err(e) => {
                let mut tree = first;
                tree.errors.push(*e);
                return tree;
            }
        };
        // Resolving twice costs a second render of every app, so only when the options can
        // change a result: an app that failed (a kustomization with helmCharts fails without
        // --enable-helm), or an option that changes every kustomize build's output. The others
        // the tree may set only matter with --enable-helm or restate kustomize's defaults.
        let changes = |o: &BuildOptions| {
            first.apps.iter().any(|a| a.error.is_some())
                || (o.sets("--enable-managedby-label")
                    && first.apps.iter().any(|a| {
                        a.sources
                            .iter()
                            .any(|s| s.source_type == Some(SourceType::Kustomize))
                    }))
        };
        match BuildOptions::parse(&options, OptionsOrigin::Tree) {
            Ok(o) if !changes(&o) => first,
            Ok(o) => self.resolve_with(root, &o),
            Err(e) => {
                let mut tree = first;
                tree.errors.push(TreeError::Settings {
                    location,
                    message: format!(
                        "kustomize.buildOptions: {e} (pass --kustomize-build-options to choose options yourself)"
                    ),
                });
                tree
            }
        }
    }

    fn resolve_with(&self, root: &Root, build: &BuildOptions) -> AppTree {
        let mut tree = AppTree::default();
        let views = ViewCache::default();
        let root_view = match (root, self.local) {
            (Root::Repo(_), Some(repo)) => match views.get(repo, self.snapshot) {
                Ok(v) => Some(v),
                Err(e) => {
                    tree.errors.push(TreeError::Root {
                        root: root.to_string(),
                        message: e.to_string(),
                    });
                    return tree;
                }
            },
            _ => None,
        };
        let top = match self.read_root_objects(root, root_view.as_ref(), build) {
            Ok(objects) => objects,
            Err(message) => {
                tree.errors.push(TreeError::Root {
                    root: root.to_string(),
                    message,
                });
                return tree;
            }
        };
        if !top.others.is_empty() {
            tree.warnings.push(format!(
                "ROOT {root} also holds {}: with no root Application, nothing deploys them (to deploy them too, make ROOT an Application whose source is {root})",
                super::roots::summary(&top.others)
            ));
        }
        let (repo_label, revision) = match (root, self.local) {
            (Root::Repo(_), Some(repo)) => {
                (repo.path().display().to_string(), self.snapshot.to_string())
            }
            _ => (String::new(), String::new()),
        };
        let mut level: Vec<Pending> = Vec::new();
        for object in top.apps {
            let location = Location {
                repo: repo_label.clone(),
                revision: revision.clone(),
                file: object.origin.file.clone(),
                doc: object.origin.doc,
            };
            level.push(Pending {
                wave: object.wave(),
                object,
                location,
                parent: None,
                generated_by: None,
            });
        }

        let mut defined: HashMap<String, Location> = HashMap::new();
        let mut parents: HashMap<String, Option<String>> = HashMap::new();
        let mut errors: Vec<Owned> = Vec::new();
        let mut scope = Scope::new(&self.scope);
        while !level.is_empty() {
            let expanded = self.expand_appsets(level, &views, &mut tree, &mut errors);
            let mut accepted = accept(expanded, &mut defined, &mut parents, &mut errors);
            // With --app, an app is rendered only when it is selected, below a selected app,
            // or possibly above one not found yet.
            scope.meet(&accepted);
            accepted.retain(|a| scope.renders(&a.app.metadata.name));
            let rendered = parallel_map(&accepted, |a| self.render_app(&a.app, &views, build));
            let mut next = Vec::new();
            for (acc, result) in accepted.into_iter().zip(rendered) {
                let name = acc.app.metadata.name.clone();
                let mut node = AppNode {
                    name: name.clone(),
                    parent: acc.pending.parent,
                    generated_by: acc.pending.generated_by,
                    defined_at: acc.pending.location.clone(),
                    app: acc.app,
                    wave: acc.pending.wave,
                    sources: Vec::new(),
                    objects: Vec::new(),
                    children: Vec::new(),
                    error: None,
                };
                match result {
                    Ok(r) => {
                        node.sources = r.sources;
                        node.objects = r.objects;
                        for child in r.children {
                            let location = Location {
                                repo: String::new(),
                                revision: String::new(),
                                file: child.origin.file.clone(),
                                doc: child.origin.doc,
                            };
                            let location = locate_in(location, &node.sources);
                            next.push(Pending {
                                wave: child.wave(),
                                object: child,
                                location,
                                parent: Some(name.clone()),
                                generated_by: None,
                            });
                        }
                    }
                    Err(message) => {
                        errors.push(Owned {
                            error: TreeError::Render {
                                app: name.clone(),
                                location: node.defined_at.clone(),
                                message: message.clone(),
                            },
                            owner: Owner::App(name.clone()),
                        });
                        node.error = Some(message);
                    }
                }
                tree.apps.push(node);
            }
            level = next;
        }
        scope.settle(&mut tree, errors);
        // Children are the accepted apps that name this one as parent (a rejected duplicate or
        // cyclic child is not one), in the order they were found.
        let mut children: HashMap<String, Vec<String>> = HashMap::new();
        for a in &tree.apps {
            if let Some(p) = &a.parent {
                children.entry(p.clone()).or_default().push(a.name.clone());
            }
        }
        for a in &mut tree.apps {
            a.children = children.remove(&a.name).unwrap_or_default();
        }
        tree
    }

    /// Replaces every ApplicationSet of a level by the Applications it generates.
    fn expand_appsets(
        &self,
        level: Vec<Pending>,
        views: &ViewCache,
        tree: &mut AppTree,
        errors: &mut Vec<Owned>,
    ) -> Vec<Pending> {
        let mut out = Vec::with_capacity(level.len());
        for p in level {
            if !p.object.is_application_set() {
                out.push(p);
                continue;
            }
            let git = WalkerGitFiles {
                resolver: self,
                views,
            };
            let ctx = ExpandContext {
                git: &git,
                clusters: &self.generator_clusters,
            };
            match appset::expand_with_warnings(&p.object.body, &ctx) {
                Ok((apps, warnings)) => {
                    for w in warnings {
                        tree.warnings.push(format!(
                            "ApplicationSet {:?} ({}): {w}",
                            p.object.name, p.location
                        ));
                    }
                    for (i, body) in apps.into_iter().enumerate() {
                        let origin = p.object.origin.clone();
                        match Object::from_value(body, origin) {
                            // A generated app has its own wave (its template's annotation), as
                            // the Applications the ApplicationSet controller creates do; the
                            // ApplicationSet's wave only orders the ApplicationSet itself.
                            Ok(object) => out.push(Pending {
                                wave: object.wave(),
                                object,
                                location: p.location.clone(),
                                parent: p.parent.clone(),
                                generated_by: Some(p.object.name.clone()),
                            }),
                            Err(e) => errors.push(Owned {
                                error: TreeError::AppSet {
                                    appset: p.object.name.clone(),
                                    location: p.location.clone(),
                                    message: format!("generated application {}: {e}", i + 1),
                                },
                                owner: Owner::Parent(p.parent.clone()),
                            }),
                        }
                    }
                }
                Err(e) => errors.push(Owned {
                    error: TreeError::AppSet {
                        appset: p.object.name.clone(),
                        location: p.location.clone(),
                        message: e.to_string(),
                    },
                    owner: Owner::Parent(p.parent.clone()),
                }),
            }
        }
        out
    }

    /// Renders every source of one app; errors name the repo, revision and file.
    fn render_app(
        &self,
        app: &Application,
        views: &ViewCache,
        build: &BuildOptions,
    ) -> Result<Rendered, String> {
        let dest_ns = app
            .spec
            .destination
            .namespace
            .clone()
            .filter(|n| !n.is_empty())
            .or_else(|| self.fallback_namespace.clone());
        if let Some(ns) = &app.spec.destination.namespace
            && !ns.is_empty()
        {
            crate::names::namespace(ns).map_err(|e| format!("spec.destination.{e}"))?;
        }
        let sources = app.spec.effective_sources();
        if sources.is_empty() {
            return Err("spec.source is missing (and spec.sources is empty)".into());
        }
        // `$name/...` value files point at the root of the source that has `ref: name`.
        let mut refs: HashMap<String, RepoView> = HashMap::new();
        let mut opened = Vec::with_capacity(sources.len());
        for (i, source) in sources.iter().enumerate() {
            let o = self.open_source(source, i, views)?;
            if let (Some(r), Opened::Git(_, view)) = (&source.ref_name, &o) {
                refs.insert(r.clone(), view.clone());
            }
            opened.push(o);
        }
        let mut infos = Vec::new();
        let mut objects: Vec<Object> = Vec::new();
        for (source, o) in sources.iter().zip(&opened) {
            let (resolved, view) = match o {
                Opened::Git(resolved, view) => (resolved, view),
                Opened::Chart(chart, pulled) => {
                    let at = format!(
                        "chart {:?} {} from {}",
                        chart.chart,
                        pulled.version,
                        chart.repo.display()
                    );
                    let rendered = self
                        .render_chart(app, source, chart, pulled, &refs, dest_ns.as_deref())
                        .map_err(|e| format!("{at}: {e}"))?;
                    infos.push(SourceInfo {
                        repo_url: source.repo_url.clone(),
                        path: String::new(),
                        revision: Some(pulled.version.clone()),
                        source_type: Some(SourceType::Helm),
                        chart: Some(chart.chart.clone()),
                    });
                    objects.extend(rendered);
                    continue;
                }
            };
            let at = format!("{} at {}", redact_url(&resolved.url), view.snapshot());
            let revision = view.snapshot().sha().map(|s| s.to_string());
            if source.ref_name.is_some() && source.path.is_none() {
                infos.push(SourceInfo {
                    repo_url: source.repo_url.clone(),
                    path: String::new(),
                    revision,
                    source_type: None,
                    chart: None,
                });
                continue;
            }
            let (kind, rendered) = self
                .render_source(app, source, view, &refs, dest_ns.as_deref(), build)
                .map_err(|e| format!("{at}: {e}"))?;
            infos.push(SourceInfo {
                repo_url: source.repo_url.clone(),
                path: source.path.clone().unwrap_or_default(),
                revision,
                source_type: Some(kind),
                chart: None,
            });
            objects.extend(rendered);
        }
        let mut scopes = self.scopes.clone();
        scopes.learn_crds(objects.iter());
        let (children, mut deployable): (Vec<Object>, Vec<Object>) = objects
            .into_iter()
            .partition(|o| o.is_application() || o.is_application_set());
        let from_fallback = app
            .spec
            .destination
            .namespace
            .as_deref()
            .is_none_or(str::is_empty);
        for o in &mut deployable {
            let had_namespace = o.namespace.is_some();
            scopes.apply(o, dest_ns.as_deref());
            o.fallback_namespace = from_fallback && !had_namespace && o.namespace.is_some();
        }
        Ok(Rendered {
            sources: infos,
            objects: dedupe(deployable),
            children,
        })
    }

    fn open_source(
        &self,
        source: &ApplicationSource,
        index: usize,
        views: &ViewCache,
    ) -> Result<Opened, String> {
        if source.repo_url.trim().is_empty() {
            return Err(format!("source {}: repoURL is missing", index + 1));
        }
        if let Some(chart) = source.chart.as_deref().filter(|c| !c.trim().is_empty()) {
            // A chart from a chart repository (Argo CD's `IsHelm`): pulled, or read from the
            // chart cache.
            let context = |e: HelmError| format!("source {}: {e}", index + 1);
            if source.ref_name.is_some() {
                return Err(format!(
                    "source {}: a source cannot be both a chart (chart {chart:?}) and a ref",
                    index + 1
                ));
            }
            let chart = ChartRef::parse(&source.repo_url, chart, source.target_revision.as_deref())
                .map_err(context)?;
            let pass = source.helm.as_ref().is_some_and(|h| h.pass_credentials);
            let pulled = self.charts.fetch(&chart, pass).map_err(context)?;
            return Ok(Opened::Chart(chart, pulled));
        }
        if source
            .repo_url
            .trim()
            .get(..6)
            .is_some_and(|s| s.eq_ignore_ascii_case("oci://"))
        {
            return Err(format!(
                "source {}: {} is an OCI artifact source (oci:// without chart), which is not supported; a Helm chart in an OCI registry needs chart: and targetRevision:",
                index + 1,
                redact_url(&source.repo_url)
            ));
        }
        let resolved = self
            .repos
            .resolve_url(&source.repo_url)
            .map_err(|e| e.to_string())?;
        let snapshot = self.snapshot_for(&resolved, source.target_revision.as_deref())?;
        let view = views
            .get(&resolved.repo, snapshot)
            .map_err(|e| e.to_string())?;
        Ok(Opened::Git(resolved, view))
    }

    /// The local repo is read at the evaluated revision (a coherent preview of a branch);
    /// other repos, or all with `--respect-target-revision`, at their `targetRevision`.
    fn snapshot_for(
        &self,
        resolved: &ResolvedRepo,
        target: Option<&str>,
    ) -> Result<Snapshot, String> {
        if resolved.origin == RepoOrigin::Local && !self.respect_target_revision {
            return Ok(self.snapshot);
        }
        let rev = target
            .map(str::trim)
            .filter(|r| !r.is_empty())
            .unwrap_or("HEAD");
        self.repos
            .resolve_revision(resolved, rev)
            .map(Snapshot::Commit)
            .map_err(|e| e.to_string())
    }

    /// The local repository's URL as a root's source names it: its first remote, else its
    /// path.
    pub(crate) fn root_repo_url(&self) -> String {
        match self.local {
            Some(repo) => repo
                .remote_urls()
                .into_iter()
                .next()
                .unwrap_or_else(|| repo.path().display().to_string()),
            None => String::new(),
        }
    }

    /// Renders a root folder as the source of a root Application (a chart, a kustomization).
    pub(crate) fn render_root_source(
        &self,
        app: &Application,
        source: &ApplicationSource,
        view: &RepoView,
        namespace: &str,
        build: &BuildOptions,
    ) -> Result<(SourceType, Vec<Object>), RenderError> {
        self.render_source(app, source, view, &HashMap::new(), Some(namespace), build)
    }

    fn render_source(
        &self,
        app: &Application,
        source: &ApplicationSource,
        view: &RepoView,
        refs: &HashMap<String, RepoView>,
        dest_ns: Option<&str>,
        build: &BuildOptions,
    ) -> Result<(SourceType, Vec<Object>), RenderError> {
        if source.plugin.is_some() {
            return Err(RenderError::Unsupported(
                "config management plugins need Argo CD's repo server; they are not supported"
                    .into(),
            ));
        }
        // Argo CD joins `path` to the repo root, so `/apps` means `apps`.
        let path = RepoPath::new(source.path.as_deref().unwrap_or("").trim_start_matches('/'))?;
        let missing = || RenderError::MissingPath {
            path: path.to_string(),
            repo: redact_url(&source.repo_url),
            revision: view.snapshot().to_string(),
        };
        match view.kind(&path)? {
            Some(EntryKind::Dir) => {}
            _ => return Err(missing()),
        }
        let kind = match source
            .explicit_type()
            .map_err(|e| RenderError::Unsupported(e.into()))?
        {
            Some(k) => k,
            None => {
                let entries = view.list_dir(&path)?;
                ApplicationSource::detect_from_files(entries.iter().map(|e| e.name.as_str()))
            }
        };
        let objects = match kind {
            SourceType::Directory => {
                let d = source.directory.clone().unwrap_or_default();
                if d.jsonnet
                    .as_ref()
                    .is_some_and(|j| j.as_object().is_some_and(|m| !m.is_empty()))
                {
                    return Err(RenderError::Unsupported(
                        "jsonnet options are not supported".into(),
                    ));
                }
                let opts = DirectoryOptions {
                    recurse: d.recurse,
                    include: d.include,
                    exclude: d.exclude,
                };
                render_directory(view, &path, &opts)?
            }
            SourceType::Kustomize => {
                let how = KustomizeRun {
                    options: build,
                    offline: self.offline,
                    capabilities: self.capabilities_for(app),
                };
                let options = source
                    .kustomize
                    .as_ref()
                    .and_then(Value::as_object)
                    .filter(|o| !o.is_empty());
                let shared = match options {
                    Some(_) => None,
                    None => Some(self.on_disk(view, &path)?),
                };
                let writes = match &shared {
                    Some(root) => {
                        kustomize_writes(root, &path.to_fs_path(root), path.as_str(), build)?
                    }
                    None => true,
                };
                match shared {
                    Some(root) if !writes => {
                        render_kustomize(&root, &path.to_fs_path(&root), path.as_str(), &how)?
                    }
                    // Argo CD edits a working copy, and kustomize's helm inflation writes the
                    // charts into the tree; ours is private, so neither the user's work tree nor
                    // the shared per-commit cache changes.
                    _ => {
                        let copy = tempfile::Builder::new()
                            .prefix("kubectl-gitops-kustomize-")
                            .tempdir()
                            .map_err(|e| RenderError::Io {
                                what: format!("kustomization {path}"),
                                source: e,
                            })?;
                        let root = copy.path().join("repo");
                        view.materialise(&RepoPath::root(), &root)?;
                        let dir = path.to_fs_path(&root);
                        if let Some(options) = options {
                            apply_kustomize_options(&dir, options)?;
                        }
                        render_kustomize(&root, &dir, path.as_str(), &how)?
                    }
                }
            }
            SourceType::Helm => {
                let root = self.on_disk(view, &path)?;
                let chart_dir = path.to_fs_path(&root);
                let main = ViewRoot::new(self.trees, view.clone(), &source.repo_url);
                let refs = ref_roots(self.trees, refs);
                let revision = view
                    .snapshot()
                    .sha()
                    .map(|s| s.to_string())
                    .unwrap_or_default();
                let inputs =
                    self.helm_inputs(app, source, &main, path.clone(), &refs, dest_ns, &revision)?;
                render_helm(&chart_dir, &root, path.as_str(), &inputs, self.helm_deps)?
            }
        };
        Ok((kind, objects))
    }

    /// A directory on disk holding the view's files for a renderer of `path`: a checked copy
    /// (never the user's work tree, whose symlinks may lead anywhere), made once per run.
    fn on_disk(&self, view: &RepoView, path: &RepoPath) -> Result<std::path::PathBuf, RenderError> {
        Ok(self.trees.on_disk(view, path)?)
    }

    /// Renders a chart pulled from a chart repository: the chart is the source's root (value
    /// files resolve inside it, as in Argo CD), `$ref/...` files come from Git sources.
    fn render_chart(
        &self,
        app: &Application,
        source: &ApplicationSource,
        chart: &ChartRef,
        pulled: &crate::render::PulledChart,
        refs: &HashMap<String, RepoView>,
        dest_ns: Option<&str>,
    ) -> Result<Vec<Object>, RenderError> {
        let label = format!("{}@{}", chart.chart, pulled.version);
        let main = DiskRoot {
            dir: pulled.dir.clone(),
            label: format!("chart {label}"),
        };
        let refs = ref_roots(self.trees, refs);
        let inputs = self.helm_inputs(
            app,
            source,
            &main,
            RepoPath::root(),
            &refs,
            dest_ns,
            &pulled.version,
        )?;
        render_helm(&pulled.dir, &pulled.dir, &label, &inputs, self.helm_deps)
    }

    /// The `helm template` inputs of one source, from its `helm:` block (every field of Argo
    /// CD's `ApplicationSourceHelm` is honoured or refused) and the destination's capabilities.
    #[allow(clippy::too_many_arguments)] // two call sites; a struct would only rename them
    fn helm_inputs(
        &self,
        app: &Application,
        source: &ApplicationSource,
        main: &dyn ValueRoot,
        chart: RepoPath,
        refs: &HashMap<String, Box<dyn ValueRoot + '_>>,
        dest_ns: Option<&str>,
        revision: &str,
    ) -> Result<HelmInputs, RenderError> {
        let helm = source.helm.clone().unwrap_or_default();
        // Argo CD's `NewCmd`: only Helm 3 exists.
        if let Some(v) = helm.version.as_deref().filter(|v| !v.is_empty())
            && v != "v3"
        {
            return Err(HelmError::Field {
                field: "version",
                reason: format!("helm version {v:?} is not supported (only v3)"),
            }
            .into());
        }
        let namespace = helm
            .namespace
            .clone()
            .filter(|n| !n.is_empty())
            .or(dest_ns.map(String::from));
        let env = BuildEnv::new(
            &app.metadata.name,
            dest_ns.unwrap_or_default(),
            if app.spec.project.is_empty() {
                "default"
            } else {
                &app.spec.project
            },
            revision,
            &source.repo_url,
            source.path.as_deref().unwrap_or_default(),
            source.target_revision.as_deref().unwrap_or_default(),
        );
        let ref_views: HashMap<String, &dyn ValueRoot> =
            refs.iter().map(|(k, v)| (k.clone(), v.as_ref())).collect();
        let files = ValueFiles {
            main,
            chart,
            refs: &ref_views,
            env: &env,
            offline: self.offline,
        };
        let value_files = files.value_files(&helm.value_files, helm.ignore_missing_value_files)?;
        let values = match (&helm.values_object, &helm.values) {
            (Some(obj), _) => Some(obj.clone()),
            (None, Some(text)) if !text.trim().is_empty() => {
                Some(crate::yaml::parse_one::<Value>(text).map_err(|e| {
                    RenderError::Unsupported(format!("helm.values is not valid YAML: {e}"))
                })?)
            }
            _ => None,
        };
        let mut file_parameters = Vec::new();
        for p in &helm.file_parameters {
            file_parameters.push((p.name.clone(), files.file_parameter(&p.path)?));
        }
        // The destination's capabilities, unless the app names its own (Argo CD's
        // `GetKubeVersionOrDefault` / `GetAPIVersionsOrDefault`).
        let caps = self.capabilities_for(app);
        let kube_version =
            match helm.kube_version.as_deref().filter(|v| !v.is_empty()) {
                Some(v) => {
                    let invalid = |reason: String| HelmError::Field {
                        field: "kubeVersion",
                        reason,
                    };
                    crate::names::kube_version(v).map_err(|e| invalid(e.to_string()))?;
                    Some(normalize_kube_version(v).ok_or_else(|| {
                        invalid(format!("could not parse Kubernetes version {v:?}"))
                    })?)
                }
                None => caps.kube_version.clone(),
            };
        let api_versions = if helm.api_versions.is_empty() {
            caps.api_versions.clone()
        } else {
            helm.api_versions.clone()
        };
        Ok(HelmInputs {
            release: helm
                .release_name
                .clone()
                .filter(|r| !r.is_empty())
                .unwrap_or_else(|| app.metadata.name.clone()),
            namespace,
            value_files,
            values,
            parameters: helm
                .parameters
                .iter()
                .map(|p| (p.name.clone(), env.substitute(&p.value), p.force_string))
                .collect(),
            file_parameters,
            skip_crds: helm.skip_crds,
            skip_tests: helm.skip_tests,
            skip_schema_validation: helm.skip_schema_validation,
            kube_version,
            api_versions,
        })
    }

    /// The capabilities of an app's destination.
    fn capabilities_for(&self, app: &Application) -> &Capabilities {
        if self.is_current_cluster(&app.spec.destination) {
            &self.capabilities
        } else {
            &self.other_capabilities
        }
    }

    /// Whether an app's destination is the current context's cluster (Argo CD's in-cluster):
    /// anything that does not name another context's cluster.
    fn is_current_cluster(&self, d: &super::application::Destination) -> bool {
        let others = self.clusters.iter().skip(1);
        let same = |a: &str, b: &str| a.trim_end_matches('/') == b.trim_end_matches('/');
        !others
            .clone()
            .any(|c| d.name.as_deref() == Some(c.name.as_str()))
            && !others
                .clone()
                .any(|c| d.server.as_deref().is_some_and(|s| same(s, &c.server)))
    }
}

/// How an app's source was opened.
enum Opened {
    /// A Git repository at a snapshot.
    Git(ResolvedRepo, RepoView),
    /// A chart from a chart repository, on disk in the chart cache.
    Chart(ChartRef, crate::render::PulledChart),
}

/// A repository at a snapshot as a root for value files, read through its checked copy on disk.
struct ViewRoot<'a> {
    trees: &'a TreeCache,
    view: RepoView,
    label: String,
}

impl<'a> ViewRoot<'a> {
    fn new(trees: &'a TreeCache, view: RepoView, url: &str) -> ViewRoot<'a> {
        let label = format!("{} at {}", redact_url(url), view.snapshot());
        ViewRoot { trees, view, label }
    }
}

impl ValueRoot for ViewRoot<'_> {
    fn file(&self, rel: &RepoPath) -> Result<Option<std::path::PathBuf>, RenderError> {
        match self.view.kind(rel)? {
            Some(EntryKind::Dir) | None => Ok(None),
            Some(_) => Ok(Some(rel.to_fs_path(&self.trees.on_disk(&self.view, rel)?))),
        }
    }

    fn files_under(&self, dir: &RepoPath) -> Result<Vec<RepoPath>, RenderError> {
        match self.view.kind(dir)? {
            Some(EntryKind::Dir) => Ok(self.view.walk_files(dir)?),
            _ => Ok(Vec::new()),
        }
    }

    fn label(&self) -> String {
        self.label.clone()
    }
}

/// The `ref` sources of an app as value roots.
fn ref_roots<'a>(
    trees: &'a TreeCache,
    refs: &HashMap<String, RepoView>,
) -> HashMap<String, Box<dyn ValueRoot + 'a>> {
    refs.iter()
        .map(|(name, view)| {
            let label = format!("source with ref {name} at {}", view.snapshot());
            let root: Box<dyn ValueRoot + 'a> = Box::new(ViewRoot {
                trees,
                view: view.clone(),
                label,
            });
            (name.clone(), root)
        })
        .collect()
}

/// `kustomize.buildOptions` of the `argocd-cm` ConfigMaps the tree deploys, with where the
/// first one is; an error when several disagree.
fn tree_build_options(tree: &AppTree) -> Result<Option<(String, Location)>, Box<TreeError>> {
    argocd_cm_setting(tree, "kustomize.buildOptions", "--kustomize-build-options")
}

/// Argo CD's `application.resourceTrackingMethod` from the tree's own `argocd-cm`, else its
/// default (the annotation).
fn tree_tracking_method(tree: &AppTree) -> Result<TrackingMethod, Box<TreeError>> {
    match argocd_cm_setting(tree, "application.resourceTrackingMethod", "--tracking-method")? {
        None => Ok(TrackingMethod::default()),
        Some((v, _)) if v.trim().is_empty() => Ok(TrackingMethod::default()),
        Some((v, location)) => TrackingMethod::parse(&v).ok_or_else(|| {
            Box::new(TreeError::Settings {
                location,
                message: format!(
                    "application.resourceTrackingMethod {v:?} is none of annotation, label, annotation+label (pass --tracking-method to choose)"
                ),
            })
        }),
    }
}

/// A key of the `argocd-cm` ConfigMaps the tree deploys, with where the first one is; an
/// error (naming the flag that overrides it) when several disagree.
fn argocd_cm_setting(
    tree: &AppTree,
    key: &str,
    flag: &str,
) -> Result<Option<(String, Location)>, Box<TreeError>> {
    let mut found: Option<(String, Location)> = None;
    for app in &tree.apps {
        for o in &app.objects {
            if o.kind != "ConfigMap" || o.group() != "" || o.name != "argocd-cm" {
                continue;
            }
            let Some(value) = o.body.get("data").and_then(|d| d.get(key)) else {
                continue;
            };
            let value = value.as_str().unwrap_or_default().to_string();
            let location = locate_in(
                Location {
                    repo: String::new(),
                    revision: String::new(),
                    file: o.origin.file.clone(),
                    doc: o.origin.doc,
                },
                &app.sources,
            );
            match &found {
                Some((v, first)) if *v != value => {
                    return Err(Box::new(TreeError::Settings {
                        location,
                        message: format!(
                            "{key} {value:?} differs from {v:?} at {first}; pass {flag}"
                        ),
                    }));
                }
                Some(_) => {}
                None => found = Some((value, location)),
            }
        }
    }
    Ok(found)
}

/// Accepts apps of a level in order: invalid manifests, cycles and duplicate names are errors.
fn accept(
    level: Vec<Pending>,
    defined: &mut HashMap<String, Location>,
    parents: &mut HashMap<String, Option<String>>,
    errors: &mut Vec<Owned>,
) -> Vec<Accepted> {
    let mut out = Vec::new();
    for p in level {
        let app = match Application::from_manifest(&p.object.body) {
            Ok(app) => app,
            Err(e) => {
                // The name was checked when the manifest became an object.
                errors.push(Owned {
                    error: TreeError::InvalidManifest {
                        location: p.location.clone(),
                        kind: "Application",
                        message: format!("app {:?}: {e}", p.object.name),
                    },
                    owner: Owner::Parent(p.parent.clone()),
                });
                continue;
            }
        };
        let name = app.metadata.name.clone();
        // Argo CD's CRD makes the API server require a subdomain; the name also reaches every
        // output format, so nothing else may pass.
        if let Err(e) = crate::names::subdomain("metadata.name", &name) {
            errors.push(Owned {
                error: TreeError::InvalidManifest {
                    location: p.location.clone(),
                    kind: "Application",
                    message: e.to_string(),
                },
                owner: Owner::Parent(p.parent.clone()),
            });
            continue;
        }
        if let Some(first) = defined.get(&name) {
            let mut ancestor = p.parent.clone();
            let mut seen = HashSet::new();
            let mut is_cycle = false;
            while let Some(a) = ancestor {
                if a == name {
                    is_cycle = true;
                    break;
                }
                if !seen.insert(a.clone()) {
                    break;
                }
                ancestor = parents.get(&a).cloned().flatten();
            }
            let (first, second) = (first.clone(), p.location.clone());
            let owner = Owner::App(name.clone());
            let error = if is_cycle {
                TreeError::Cycle {
                    app: name,
                    first,
                    second,
                }
            } else {
                TreeError::Duplicate {
                    app: name,
                    first,
                    second,
                }
            };
            errors.push(Owned { error, owner });
            continue;
        }
        defined.insert(name.clone(), p.location.clone());
        parents.insert(name, p.parent.clone());
        out.push(Accepted { app, pending: p });
    }
    out
}

/// A problem of the walk, with whom it concerns, so that with `--app` the problems of apps
/// outside the selection are warnings.
struct Owned {
    error: TreeError,
    owner: Owner,
}

/// Whom a problem concerns.
enum Owner {
    /// This app (it failed to render, or is defined twice).
    App(String),
    /// A manifest (an Application or ApplicationSet) among the children of this app (None:
    /// of the root).
    Parent(Option<String>),
}

/// `--app`: the selected apps, what is below them, and the search for them.
struct Scope {
    selected: HashSet<String>,
    /// Selected apps found so far, and every app below one.
    inside: HashSet<String>,
    found: HashSet<String>,
    /// Every accepted app's parent.
    parents: HashMap<String, Option<String>>,
}

impl Scope {
    fn new(selected: &[String]) -> Scope {
        Scope {
            selected: selected.iter().cloned().collect(),
            inside: HashSet::new(),
            found: HashSet::new(),
            parents: HashMap::new(),
        }
    }

    fn all_found(&self) -> bool {
        self.selected.iter().all(|n| self.found.contains(n))
    }

    /// Takes note of a level's accepted apps.
    fn meet(&mut self, accepted: &[Accepted]) {
        for a in accepted {
            let name = &a.app.metadata.name;
            self.parents.insert(name.clone(), a.pending.parent.clone());
            if self.selected.contains(name) {
                self.found.insert(name.clone());
                self.inside.insert(name.clone());
            } else if a
                .pending
                .parent
                .as_ref()
                .is_some_and(|p| self.inside.contains(p))
            {
                self.inside.insert(name.clone());
            }
        }
    }

    /// Whether to render this app: always without `--app`; with it, when it is selected or
    /// below a selected app, or while a selected app is still to be found (it may be below).
    fn renders(&self, name: &str) -> bool {
        self.selected.is_empty() || self.inside.contains(name) || !self.all_found()
    }

    /// Keeps the selected apps, their ancestors and descendants, and turns the problems of
    /// the others into warnings. When a selected app was not found everything was rendered
    /// looking for it: the tree stays whole, its problems errors (one may be why).
    fn settle(&self, tree: &mut AppTree, errors: Vec<Owned>) {
        if self.selected.is_empty() || !self.all_found() {
            tree.errors.extend(errors.into_iter().map(|o| o.error));
            return;
        }
        let mut related = self.inside.clone();
        for name in &self.found {
            let mut up = self.parents.get(name).cloned().flatten();
            while let Some(p) = up {
                if !related.insert(p.clone()) {
                    break;
                }
                up = self.parents.get(&p).cloned().flatten();
            }
        }
        tree.apps.retain(|a| related.contains(&a.name));
        for o in errors {
            let concerns_selection = match &o.owner {
                Owner::App(name) => related.contains(name),
                Owner::Parent(Some(parent)) => self.inside.contains(parent),
                Owner::Parent(None) => false,
            };
            if concerns_selection {
                tree.errors.push(o.error);
            } else {
                tree.warnings.push(format!(
                    "{} (outside the apps selected with --app)",
                    o.error
                ));
            }
        }
    }
}

/// Fills in the repo and revision of a child manifest's location from the parent's sources.
fn locate_in(mut location: Location, sources: &[SourceInfo]) -> Location {
    if let Some(s) = sources.iter().find(|s| s.source_type.is_some()) {
        location.repo = redact_url(&s.repo_url);
        location.revision = match (&s.chart, &s.revision) {
            (Some(chart), Some(version)) => format!("chart {chart} {version}"),
            (_, Some(sha)) => format!("commit {}", &sha[..sha.len().min(7)]),
            (_, None) => Snapshot::WorkTree.to_string(),
        };
    }
    location
}

/// Same group, kind, namespace and name twice: the last one wins, as in Argo CD. Objects named
/// by the server (`generateName`) are all distinct.
fn dedupe(objects: Vec<Object>) -> Vec<Object> {
    let mut index: HashMap<(String, String, Option<String>, String), usize> = HashMap::new();
    let mut out: Vec<Object> = Vec::with_capacity(objects.len());
    for o in objects {
        if o.generate_name.is_some() {
            out.push(o);
            continue;
        }
        let key = (
            o.group().to_string(),
            o.kind.clone(),
            o.namespace.clone(),
            o.name.clone(),
        );
        match index.get(&key) {
            Some(&i) => out[i] = o,
            None => {
                index.insert(key, out.len());
                out.push(o);
            }
        }
    }
    out
}

/// Views are opened once per repository and snapshot and shared by every app of a run.
#[derive(Default)]
struct ViewCache {
    views: Mutex<HashMap<(std::path::PathBuf, Snapshot), RepoView>>,
}

impl ViewCache {
    fn get(&self, repo: &Repo, snapshot: Snapshot) -> crate::source::Result<RepoView> {
        let key = (repo.path().to_path_buf(), snapshot);
        let mut views = self
            .views
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner);
        if let Some(v) = views.get(&key) {
            return Ok(v.clone());
        }
        let view = repo.view(snapshot)?;
        views.insert(key, view.clone());
        Ok(view)
    }
}

/// Git access for ApplicationSet git generators, with the same revision rules as sources.
struct WalkerGitFiles<'a, 'b> {
    resolver: &'a Resolver<'b>,
    views: &'a ViewCache,
}

impl WalkerGitFiles<'_, '_> {
    fn view(&self, repo_url: &str, revision: &str) -> Result<RepoView, String> {
        let resolved = self
            .resolver
            .repos
            .resolve_url(repo_url)
            .map_err(|e| e.to_string())?;
        let snapshot = self.resolver.snapshot_for(&resolved, Some(revision))?;
        self.views
            .get(&resolved.repo, snapshot)
            .map_err(|e| e.to_string())
    }
}

impl GitFiles for WalkerGitFiles<'_, '_> {
    fn files(&self, repo_url: &str, revision: &str) -> Result<Vec<String>, String> {
        let view = self.view(repo_url, revision)?;
        let files = view
            .walk_files(&RepoPath::root())
            .map_err(|e| e.to_string())?;
        Ok(files.into_iter().map(|p| p.as_str().to_string()).collect())
    }

    fn read(&self, repo_url: &str, revision: &str, path: &str) -> Result<Vec<u8>, String> {
        let view = self.view(repo_url, revision)?;
        let path = RepoPath::new(path).map_err(|e| e.to_string())?;
        view.read(&path).map_err(|e| e.to_string())
    }
}

/// Maps `f` over `items` on all cores, keeping order; rendering is CPU-bound (YAML parsing).
fn parallel_map<T: Sync, R: Send>(items: &[T], f: impl Fn(&T) -> R + Sync) -> Vec<R> {
    let workers = std::thread::available_parallelism()
        .map_or(1, |n| n.get())
        .min(items.len().max(1));
    if workers <= 1 {
        return items.iter().map(&f).collect();
    }
    let next = std::sync::atomic::AtomicUsize::new(0);
    let results: Mutex<Vec<Option<R>>> = Mutex::new((0..items.len()).map(|_| None).collect());
    std::thread::scope(|s| {
        for _ in 0..workers {
            s.spawn(|| {
                loop {
                    let i = next.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
                    let Some(item) = items.get(i) else { break };
                    let r = f(item);
                    results
                        .lock()
                        .unwrap_or_else(std::sync::PoisonError::into_inner)[i] = Some(r);
                }
            });
        }
    });
    results
        .into_inner()
        .unwrap_or_else(std::sync::PoisonError::into_inner)
        .into_iter()
        .flatten()
        .collect()
}
