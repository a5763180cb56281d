//! Command-line arguments.

use std::path::PathBuf;

use clap::{Args, Parser, Subcommand, ValueEnum};

use crate::cluster::KubeTarget;

/// GitOps for Argo CD app-of-apps repositories, with no Argo CD installed.
#[derive(Debug, Parser)]
#[command(name = "kubectl-gitops", bin_name = "kubectl gitops", version, about, long_about = None)]
pub struct Cli {
    /// Flags every command accepts.
    #[command(flatten)]
    pub global: GlobalArgs,
    /// The command to run.
    #[command(subcommand)]
    pub command: Command,
}

/// kubectl's connection flags. kubectl does not forward its own flags to plugins, it passes
/// them on as arguments, so the plugin parses them itself.
#[derive(Debug, Clone, Args)]
pub struct GlobalArgs {
    /// Path to the kubeconfig file to use (instead of KUBECONFIG or ~/.kube/config).
    #[arg(long, global = true, value_name = "PATH")]
    pub kubeconfig: Option<PathBuf>,
    /// The kubeconfig context to use (default: the current context).
    #[arg(long, global = true, value_name = "NAME")]
    pub context: Option<String>,
    /// Namespace for objects that name none and whose app names no destination namespace.
    #[arg(short = 'n', long, global = true, value_name = "NAME")]
    pub namespace: Option<String>,
    /// Colour output: auto (only on a terminal, unless NO_COLOR is set), always or never.
    #[arg(long, global = true, value_enum, default_value_t, value_name = "WHEN")]
    pub color: ColorChoice,
}

/// When to colour output.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum, Default)]
pub enum ColorChoice {
    /// On a terminal, unless NO_COLOR is set.
    #[default]
    Auto,
    /// Always.
    Always,
    /// Never.
    Never,
}

impl GlobalArgs {
    /// The connection target these flags describe.
    pub fn target(&self) -> KubeTarget {
        KubeTarget {
            kubeconfig: self.kubeconfig.clone(),
            context: self.context.clone(),
            namespace: self.namespace.clone(),
        }
    }
}

/// Output formats of read commands.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum, Default)]
pub enum OutputFormat {
    /// Human-readable text.
    #[default]
    Text,
    /// JSON, with a stable schema.
    Json,
}

/// The commands.
#[derive(Debug, Subcommand)]
pub enum Command {
    /// Show the app-of-apps tree: every app, its source, revision, destination and object count.
    Tree(TreeCommandArgs),
    /// Print the objects the apps deploy, exactly as sync would send them.
    Render(RenderArgs),
    /// Show what sync would change in the live cluster (or between two revisions), per app.
    Diff(DiffArgs),
    /// Print the plugin version and the server version of the current context.
    Version(VersionArgs),
    /// Print a shell completion script for the `kubectl-gitops` command.
    ///
    /// kubectl 1.26 and later complete `kubectl gitops ...` themselves through the
    /// `kubectl_complete-gitops` executable shipped in the release archive (app names included).
    Completion(super::completion::CompletionArgs),
}

/// Arguments of `version`.
#[derive(Debug, Args)]
pub struct VersionArgs {
    /// Print only the plugin version; never contact a server.
    #[arg(long)]
    pub client: bool,
    /// Output format.
    #[arg(short = 'o', long, value_enum, default_value_t)]
    pub output: OutputFormat,
}

/// Where the tree comes from; shared by every command that reads one.
#[derive(Debug, Clone, Args)]
pub struct TreeArgs {
    /// A file of Application/ApplicationSet manifests, or a folder of them. Default: the first of
    /// root.yaml, root-app.yaml, app-of-apps.yaml, bootstrap/, applications/, apps/ at the top of
    /// the repository of the current directory.
    #[arg(value_name = "ROOT")]
    pub root: Option<PathBuf>,
    /// Read this commit (branch, tag, SHA, HEAD~2) instead of the work tree as it is on disk.
    #[arg(long, value_name = "REV")]
    pub revision: Option<String>,
    /// Read each app at its own targetRevision, even apps in this repository.
    #[arg(long)]
    pub respect_target_revision: bool,
    /// Read the repository URL from a local repository (repeatable).
    #[arg(long, value_name = "URL=PATH")]
    pub repo_map: Vec<String>,
    /// Never fetch: a repository neither local, mapped nor cached is an error.
    #[arg(long)]
    pub offline: bool,
}

/// Arguments of `tree`.
#[derive(Debug, Args)]
pub struct TreeCommandArgs {
    /// Where the tree comes from.
    #[command(flatten)]
    pub tree: TreeArgs,
    /// Output format.
    #[arg(short = 'o', long, value_enum, default_value_t)]
    pub output: OutputFormat,
}

/// Output formats of `render`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum, Default)]
pub enum RenderFormat {
    /// Multi-document YAML.
    #[default]
    Yaml,
    /// One JSON `List`.
    Json,
}

/// Arguments of `render`.
#[derive(Debug, Args)]
pub struct RenderArgs {
    /// Where the tree comes from.
    #[command(flatten)]
    pub tree: TreeArgs,
    /// Only this app's objects (repeatable). Default: every app.
    #[arg(long = "app", value_name = "NAME")]
    pub apps: Vec<String>,
    /// Output format.
    #[arg(short = 'o', long, value_enum, default_value_t)]
    pub output: RenderFormat,
}

/// Output formats of `diff`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum, Default)]
pub enum DiffFormat {
    /// Unified diffs grouped by app, coloured on a terminal.
    #[default]
    Text,
    /// JSON, with a stable schema.
    Json,
    /// Markdown, for a pull-request comment.
    Markdown,
}

/// Arguments of `diff`.
#[derive(Debug, Args)]
pub struct DiffArgs {
    /// Where the tree comes from.
    #[command(flatten)]
    pub tree: TreeArgs,
    /// Only this app (repeatable). Default: every app.
    #[arg(long = "app", value_name = "NAME")]
    pub apps: Vec<String>,
    /// Output format.
    #[arg(short = 'o', long, value_enum, default_value_t)]
    pub output: DiffFormat,
    /// Exit 1 when there are differences, like kubectl diff; false exits 0.
    #[arg(long, value_name = "BOOL", default_value_t = true, action = clap::ArgAction::Set)]
    pub exit_code: bool,
    /// Requests in flight at once against the API server.
    #[arg(long, value_name = "N", default_value_t = 16)]
    pub concurrency: usize,
    /// Compare two revisions instead of the cluster: the older one (needs --to).
    #[arg(long, value_name = "REV", requires = "to", conflicts_with = "revision")]
    pub from: Option<String>,
    /// The newer revision (needs --from).
    #[arg(long, value_name = "REV", requires = "from")]
    pub to: Option<String>,
}
