//! The roots people use: a file of Application/ApplicationSet manifests, a folder of them, a
//! Helm chart or a kustomization whose output is Applications (argocd-example-apps' `apps/` is
//! a chart of Applications; many repos keep their root as a kustomization), or an Application
//! file outside any repository (written by `argocd app create ... -o yaml` or Terraform).
//!
//! A folder in the repository is read as Argo CD would read it as the source of a root
//! Application: its type is detected from its files (`Chart.yaml`, a kustomization) and it is
//! rendered like any app's source, with the folder's name as the release name and `argocd`,
//! Argo CD's namespace, as the destination namespace (what `argocd app create` roots use).

use std::fmt;
use std::path::PathBuf;

use super::application::{Application, ApplicationSource, Destination, SourceType};
use super::tree::Resolver;
use crate::render::{
    BuildOptions, DirectoryOptions, Object, ParseError, RenderError, parse_objects,
    render_directory,
};
use crate::source::{EntryKind, RepoPath, RepoView, Snapshot, SourceError};

/// The namespace Argo CD runs in, where root Applications put their children.
const ROOT_NAMESPACE: &str = "argocd";

/// Where the tree starts.
#[derive(Debug, Clone)]
pub enum Root {
    /// A file or folder of the local repository, read at the evaluated revision.
    Repo(RepoPath),
    /// A file outside any repository, read from disk as it is.
    File {
        /// Its absolute path.
        path: PathBuf,
        /// Its text.
        text: String,
    },
}

impl fmt::Display for Root {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Root::Repo(p) => write!(f, "{p}"),
            Root::File { path, .. } => write!(f, "{}", path.display()),
        }
    }
}

/// Why a root gives no top of the tree (the caller names the root).
#[derive(Debug, thiserror::Error)]
pub enum RootError {
    /// A path in the repository was given, but there is no repository.
    #[error("there is no repository to read it from")]
    NoRepository,
    /// The path is not in the repository at the revision read.
    #[error("does not exist in {snapshot}")]
    Missing {
        /// The revision read.
        snapshot: Snapshot,
    },
    /// The root holds (or renders) no Application nor ApplicationSet.
    #[error(
        "{} no Application or ApplicationSet{}; ROOT must be (or render) the Applications of the tree",
        holds(*kind),
        only(others)
    )]
    NoApps {
        /// How the root was read.
        kind: SourceType,
        /// What it holds instead ([`summary`]), empty when nothing.
        others: String,
    },
    /// Reading the repository failed.
    #[error(transparent)]
    Source(#[from] SourceError),
    /// A manifest file is malformed.
    #[error(transparent)]
    Parse(#[from] ParseError),
    /// Rendering the root folder failed.
    #[error(transparent)]
    Render(#[from] RenderError),
}

/// How [`RootError::NoApps`] says what the root is.
fn holds(kind: SourceType) -> &'static str {
    match kind {
        SourceType::Directory => "holds",
        SourceType::Kustomize => "is a kustomization that renders",
        SourceType::Helm => "is a Helm chart that renders",
    }
}

/// ` (only 1 ConfigMap)`, or nothing when the root holds nothing else either.
fn only(others: &str) -> String {
    if others.is_empty() {
        String::new()
    } else {
        format!(" (only {others})")
    }
}

/// What a root holds.
pub struct RootObjects {
    /// Its Applications and ApplicationSets: the top of the tree.
    pub apps: Vec<Object>,
    /// Everything else (AppProjects, Namespaces...): with no root Application, nothing deploys
    /// them.
    pub others: Vec<Object>,
}

impl Resolver<'_> {
    /// Reads a root's top-level manifests; an error names what is wrong with the root.
    pub(crate) fn read_root_objects(
        &self,
        root: &Root,
        view: Option<&RepoView>,
        build: &BuildOptions,
    ) -> Result<RootObjects, RootError> {
        let (kind, objects) = match root {
            Root::File { path, text } => {
                let json = path.extension().is_some_and(|e| e == "json");
                let name = path.display().to_string();
                let objects = parse_objects(&name, text, json)?;
                (SourceType::Directory, objects)
            }
            Root::Repo(path) => {
                let Some(view) = view else {
                    return Err(RootError::NoRepository);
                };
                self.read_repo_root(view, path, build)?
            }
        };
        let (apps, others): (Vec<Object>, Vec<Object>) = objects
            .into_iter()
            .partition(|o| o.is_application() || o.is_application_set());
        if apps.is_empty() {
            return Err(RootError::NoApps {
                kind,
                others: summary(&others),
            });
        }
        Ok(RootObjects { apps, others })
    }

    fn read_repo_root(
        &self,
        view: &RepoView,
        path: &RepoPath,
        build: &BuildOptions,
    ) -> Result<(SourceType, Vec<Object>), RootError> {
        match view.kind(path)? {
            None => Err(RootError::Missing {
                snapshot: view.snapshot(),
            }),
            Some(EntryKind::Dir) => {
                let names: Vec<String> = view.list_dir(path)?.into_iter().map(|e| e.name).collect();
                match ApplicationSource::detect_from_files(names.iter().map(String::as_str)) {
                    SourceType::Directory => {
                        let objects = render_directory(view, path, &DirectoryOptions::default())?;
                        Ok((SourceType::Directory, objects))
                    }
                    // Rendered as the source of a root Application would be.
                    _ => {
                        let app = root_application(path, &self.root_repo_url());
                        let source = app.spec.source.clone().unwrap_or_default();
                        Ok(self.render_root_source(&app, &source, view, ROOT_NAMESPACE, build)?)
                    }
                }
            }
            Some(_) => {
                let text = view.read_to_string(path)?;
                let json = path.extension() == Some("json");
                let objects = parse_objects(path.as_str(), &text, json)?;
                Ok((SourceType::Directory, objects))
            }
        }
    }
}

/// The Application `argocd app create NAME --path PATH --dest-namespace argocd` would make for
/// a root folder: its name is the folder's (the Helm release name), its source the folder.
fn root_application(path: &RepoPath, repo_url: &str) -> Application {
    let name = path
        .as_str()
        .rsplit('/')
        .find(|s| !s.is_empty())
        .unwrap_or("root")
        .to_string();
    Application {
        metadata: super::application::Metadata {
            name,
            ..Default::default()
        },
        spec: super::application::ApplicationSpec {
            project: "default".into(),
            source: Some(ApplicationSource {
                repo_url: repo_url.to_string(),
                path: Some(path.to_string()),
                ..Default::default()
            }),
            destination: Destination {
                server: Some(crate::plan::clusters::IN_CLUSTER_SERVER.into()),
                name: None,
                namespace: Some(ROOT_NAMESPACE.into()),
            },
            ..Default::default()
        },
    }
}

/// `3 AppProjects, 1 ConfigMap`: what a root holds besides apps.
pub fn summary(objects: &[Object]) -> String {
    let mut counts: Vec<(String, usize)> = Vec::new();
    for o in objects {
        match counts.iter_mut().find(|(k, _)| *k == o.kind) {
            Some((_, n)) => *n += 1,
            None => counts.push((o.kind.clone(), 1)),
        }
    }
    counts
        .into_iter()
        .map(|(k, n)| {
            if n == 1 {
                format!("1 {k}")
            } else {
                format!("{n} {k}s")
            }
        })
        .collect::<Vec<_>>()
        .join(", ")
}
