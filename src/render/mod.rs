//! Rendering: from one app source at a revision to the Kubernetes objects it defines.
//! Directories are read natively; kustomize and Helm run as external programs on a tree
//! materialised once per commit.

mod directory;
mod error;
mod helm;
mod kustomize;
mod kustomize_build;
mod kustomize_check;
mod kustomize_options;
mod manifest;
mod object;
mod scope;
mod tool;

pub use directory::{DirectoryOptions, render_directory};
pub use error::RenderError;
pub use helm::{
    BuildEnv, Capabilities, ChartRef, Charts, DependencyCache, DiskRoot, HelmError, HelmInputs,
    PulledChart, ValueFile, ValueFiles, ValueRoot, normalize_kube_version, render_helm,
};
pub use kustomize::{KustomizeRun, kustomize_writes, render_kustomize};
pub use kustomize_build::{BuildOptionError, BuildOptions, OptionRefusal, OptionsOrigin};
pub use kustomize_options::apply_kustomize_options;
pub use manifest::{ParseError, parse_objects};
pub use object::{ManifestError, Object, Origin};
pub use scope::Scopes;
