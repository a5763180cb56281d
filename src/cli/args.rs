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
    /// Namespace of the app records (inventory, sync history) and locks in each cluster.
    #[arg(long, global = true, value_name = "NAME", default_value = crate::history::record::DEFAULT_NAMESPACE)]
    pub records_namespace: String,
    /// How long to wait for one server request, for an exec credential plugin, and for API
    /// discovery as a whole (e.g. 30s, 2m; 0: no limit, as kubectl's flag).
    #[arg(long, global = true, value_name = "DURATION", default_value = "60s", value_parser = parse_duration)]
    pub request_timeout: std::time::Duration,
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
            request_timeout: Some(self.request_timeout).filter(|d| !d.is_zero()),
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
    /// Apply the tree in order (hooks, sync waves, health waits), and prune what left Git.
    Sync(SyncArgs),
    /// One line per app: sync status, health, the revision deployed and Git's, last sync.
    Status(StatusArgs),
    /// An app's syncs (from its record in the cluster) beside the commits that changed it.
    History(HistoryArgs),
    /// Sync an app back to a revision it was deployed at before (no hooks, as Argo CD).
    Rollback(RollbackArgs),
    /// Revert a commit with git (a real commit: the audit trail), then sync the apps it changed.
    ///
    /// Usage: kubectl gitops revert [ROOT] COMMIT
    Revert(RevertArgs),
    /// Follow the branch and the cluster: report drift, and put it back with --self-heal.
    Watch(WatchArgs),
    /// Print the plugin version and the server version of the current context.
    Version(VersionArgs),
    /// Print a shell completion script for the `kubectl-gitops` command.
    ///
    /// kubectl 1.26 and later complete `kubectl gitops ...` themselves through the
    /// `kubectl_complete-gitops` executable shipped in the release archive (app names included).
    Completion(super::completion::CompletionArgs),
    /// Manage the local cache of clones, commit trees and charts.
    #[command(subcommand)]
    Cache(CacheCommand),
}

/// `cache` subcommands.
#[derive(Debug, Subcommand)]
pub enum CacheCommand {
    /// Remove cached clones, commit trees, charts and chart dependencies no run has used for a
    /// while (what a run uses is marked used).
    Prune(CachePruneArgs),
}

/// Arguments of `cache prune`.
#[derive(Debug, Args)]
pub struct CachePruneArgs {
    /// Remove what no run has used for this long.
    #[arg(long, value_name = "DURATION", default_value = "720h", value_parser = parse_duration, conflicts_with = "all")]
    pub unused_for: std::time::Duration,
    /// Remove everything (`--offline` runs then need the network again).
    #[arg(long)]
    pub all: bool,
    /// Say what would be removed, and remove nothing.
    #[arg(long)]
    pub dry_run: bool,
    /// Output format.
    #[arg(short = 'o', long, value_enum, default_value_t)]
    pub output: OutputFormat,
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
    /// A file of Application/ApplicationSet manifests (in a repository or not), or a folder of
    /// them, or a Helm chart or kustomization that renders them. Default: the first of
    /// root.yaml, root-app.yaml, app-of-apps.yaml, bootstrap/, applications/, apps/ at the top of
    /// the repository of the current directory that holds Applications.
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
    /// Never fetch: a repository, chart or chart dependency neither local, mapped nor cached is
    /// an error.
    #[arg(long)]
    pub offline: bool,
    /// Kubernetes version Helm charts see (`.Capabilities.KubeVersion`), instead of the
    /// cluster's; an app's helm.kubeVersion still wins.
    #[arg(long, value_name = "VERSION")]
    pub kube_version: Option<String>,
    /// API versions Helm charts see in `.Capabilities.APIVersions` (GROUP/VERSION or
    /// GROUP/VERSION/KIND), added to the cluster's (repeatable, or comma-separated).
    #[arg(long, value_name = "GROUP/VERSION[/KIND]", value_delimiter = ',')]
    pub api_versions: Vec<String>,
    /// OCI registry (HOST[:PORT]) reached over plain HTTP, like helm's --plain-http
    /// (repeatable; for local registries).
    #[arg(long, value_name = "HOST[:PORT]")]
    pub plain_http_registry: Vec<String>,
    /// Options for every `kustomize build`, as Argo CD's argocd-cm `kustomize.buildOptions`
    /// (e.g. "--enable-helm"); without it, the value of an argocd-cm ConfigMap in the tree.
    #[arg(long, value_name = "OPTIONS", allow_hyphen_values = true)]
    pub kustomize_build_options: Option<String>,
    /// Argo CD cluster secrets for the ApplicationSet cluster generator: a YAML file of Secret
    /// manifests labelled argocd.argoproj.io/secret-type=cluster (their config is never read).
    /// Default: the secrets in the cluster's Argo CD namespace, else the kubeconfig's contexts.
    #[arg(long, value_name = "FILE")]
    pub clusters: Option<PathBuf>,
    /// The namespace of Argo CD (its cluster secrets) in the current context's cluster.
    #[arg(long, value_name = "NAME", default_value = crate::plan::argocd_clusters::DEFAULT_ARGOCD_NAMESPACE)]
    pub argocd_namespace: String,
    /// How objects are tied to their app (Argo CD's application.resourceTrackingMethod): what
    /// sync stamps, and what diff and sync recognise as the app's to prune. Default: the tree's
    /// own argocd-cm, else annotation.
    #[arg(long, value_enum, value_name = "METHOD")]
    pub tracking_method: Option<TrackingArg>,
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
    /// Only this app's objects (repeatable); only it and its ancestors and descendants are
    /// rendered, and the other apps' problems are warnings. Default: every app.
    #[arg(long = "app", value_name = "NAME")]
    pub apps: Vec<String>,
    /// Also print hooks (objects annotated argocd.argoproj.io/hook or helm.sh/hook), which sync
    /// runs in their phase rather than applies as resources.
    #[arg(long)]
    pub include_hooks: bool,
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

/// How objects are tied to their app (Argo CD's `application.resourceTrackingMethod`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum TrackingArg {
    /// The argocd.argoproj.io/tracking-id annotation (Argo CD 3.0's default).
    Annotation,
    /// The app.kubernetes.io/instance label (Argo CD's default before 3.0).
    Label,
    /// Track by the annotation, write the label too.
    #[value(name = "annotation+label")]
    AnnotationAndLabel,
}

impl From<TrackingArg> for crate::plan::tracking::TrackingMethod {
    fn from(a: TrackingArg) -> Self {
        match a {
            TrackingArg::Annotation => Self::Annotation,
            TrackingArg::Label => Self::Label,
            TrackingArg::AnnotationAndLabel => Self::AnnotationAndLabel,
        }
    }
}

/// Arguments of `diff`.
#[derive(Debug, Args)]
pub struct DiffArgs {
    /// Where the tree comes from.
    #[command(flatten)]
    pub tree: TreeArgs,
    /// Only this app (repeatable); only it, its ancestors and descendants are rendered, and the
    /// other apps' problems are warnings. Default: every app.
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
    /// Compare two revisions instead of the cluster: the older one. Alone, it is compared with
    /// the work tree (uncommitted edits included).
    #[arg(long, value_name = "REV", conflicts_with = "revision")]
    pub from: Option<String>,
    /// The newer revision (needs --from).
    #[arg(long, value_name = "REV", requires = "from")]
    pub to: Option<String>,
}

/// A duration as kubectl writes them: `90s`, `5m`, `1h`, `1m30s`, or plain seconds.
pub fn parse_duration(text: &str) -> Result<std::time::Duration, String> {
    let text = text.trim();
    if let Ok(secs) = text.parse::<u64>() {
        return Ok(std::time::Duration::from_secs(secs));
    }
    let mut total = 0u64;
    let mut number = String::new();
    for c in text.chars() {
        if c.is_ascii_digit() {
            number.push(c);
            continue;
        }
        let n: u64 = number
            .parse()
            .map_err(|_| format!("invalid duration {text:?} (examples: 90s, 5m, 1h30m)"))?;
        number.clear();
        total += match c {
            's' => n,
            'm' => n * 60,
            'h' => n * 3600,
            _ => {
                return Err(format!(
                    "invalid duration {text:?} (examples: 90s, 5m, 1h30m)"
                ));
            }
        };
    }
    if !number.is_empty() || total == 0 && text != "0s" {
        return Err(format!(
            "invalid duration {text:?} (examples: 90s, 5m, 1h30m)"
        ));
    }
    Ok(std::time::Duration::from_secs(total))
}

/// Arguments of `sync`.
#[derive(Debug, Args)]
pub struct SyncArgs {
    /// Where the tree comes from. Sync deploys commits: without --revision it deploys HEAD, and
    /// refuses when uncommitted edits change what the tree renders.
    #[command(flatten)]
    pub tree: TreeArgs,
    /// Only this app and its child apps (repeatable); the other apps are not rendered and their
    /// problems are warnings. Default: every app.
    #[arg(long = "app", value_name = "NAME")]
    pub apps: Vec<String>,
    /// Print the plan (waves, objects, hooks, prunes) and change nothing.
    #[arg(long)]
    pub dry_run: bool,
    /// How the sync behaves.
    #[command(flatten)]
    pub sync: SyncFlags,
    /// Output format of the result.
    #[arg(short = 'o', long, value_enum, default_value_t)]
    pub output: OutputFormat,
}

/// How a sync behaves: the flags `sync` shares with the day-2 commands that sync.
#[derive(Debug, Clone, Args)]
pub struct SyncFlags {
    /// Delete live objects tracked to the apps that left Git (apps with automated.prune prune
    /// without it).
    #[arg(long)]
    pub prune: bool,
    /// Take over fields that another field manager owns, instead of failing on the conflict.
    #[arg(long)]
    pub force_conflicts: bool,
    /// Give up when the sync has not finished (applied and healthy) in this time.
    #[arg(long, value_name = "DURATION", default_value = "5m", value_parser = parse_duration)]
    pub timeout: std::time::Duration,
    /// Return once the last wave is applied, without waiting for it to become healthy (as
    /// Argo CD's sync operation does; earlier waves are still waited on). Exit 0 then means
    /// applied, not healthy.
    #[arg(long)]
    pub no_wait: bool,
    /// How long to wait for another sync of the same app to finish.
    #[arg(long, value_name = "DURATION", default_value = "30s", value_parser = parse_duration)]
    pub lock_timeout: std::time::Duration,
    /// Requests in flight at once against each API server.
    #[arg(long, value_name = "N", default_value_t = 16)]
    pub concurrency: usize,
}

/// Arguments of `status`.
#[derive(Debug, Args)]
pub struct StatusArgs {
    /// Where the tree comes from (default: HEAD, what sync would deploy).
    #[command(flatten)]
    pub tree: TreeArgs,
    /// Only this app and its child apps (repeatable).
    #[arg(long = "app", value_name = "NAME")]
    pub apps: Vec<String>,
    /// Requests in flight at once against each API server.
    #[arg(long, value_name = "N", default_value_t = 16)]
    pub concurrency: usize,
    /// Output format.
    #[arg(short = 'o', long, value_enum, default_value_t)]
    pub output: OutputFormat,
}

/// Arguments of `history`.
#[derive(Debug, Args)]
pub struct HistoryArgs {
    /// Where the tree comes from (default: HEAD).
    #[command(flatten)]
    pub tree: TreeArgs,
    /// The app.
    #[arg(long = "app", value_name = "NAME")]
    pub app: String,
    /// How many commits to show at most.
    #[arg(long, value_name = "N", default_value_t = 20)]
    pub limit: usize,
    /// Output format.
    #[arg(short = 'o', long, value_enum, default_value_t)]
    pub output: OutputFormat,
}

/// Arguments of `rollback`.
#[derive(Debug, Args)]
pub struct RollbackArgs {
    /// Where the tree comes from (the repository and ROOT; the revision is the one rolled back to).
    #[command(flatten)]
    pub tree: TreeArgs,
    /// The app (its child apps go with it).
    #[arg(long = "app", value_name = "NAME")]
    pub app: String,
    /// The revision to go back to: one the app was deployed at (see `history`).
    #[arg(long, value_name = "REV", conflicts_with = "steps")]
    pub to: Option<String>,
    /// How many deployed revisions to go back (default 1: the one before the current).
    #[arg(long, value_name = "N")]
    pub steps: Option<usize>,
    /// Roll back even when the app's policy (automated.selfHeal) or a running watch would undo it.
    #[arg(long)]
    pub force: bool,
    /// Print what would be synced and change nothing.
    #[arg(long)]
    pub dry_run: bool,
    /// How the sync behaves.
    #[command(flatten)]
    pub sync: SyncFlags,
    /// Output format of the result.
    #[arg(short = 'o', long, value_enum, default_value_t)]
    pub output: OutputFormat,
}

/// Arguments of `revert`.
#[derive(Debug, Args)]
pub struct RevertArgs {
    /// Where the tree comes from; its ROOT positional is followed by COMMIT.
    #[command(flatten)]
    pub tree: TreeArgs,
    /// The commit to revert (with ROOT before it, or alone).
    #[arg(value_name = "COMMIT")]
    pub commit: Option<String>,
    /// Only write the revert commit; sync nothing.
    #[arg(long)]
    pub no_sync: bool,
    /// Push the revert commit with git before syncing.
    #[arg(long)]
    pub push: bool,
    /// How the sync behaves.
    #[command(flatten)]
    pub sync: SyncFlags,
    /// Output format of the result.
    #[arg(short = 'o', long, value_enum, default_value_t)]
    pub output: OutputFormat,
}

/// Output formats of `watch`: one line per event.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum, Default)]
pub enum WatchFormat {
    /// One line of text per event.
    #[default]
    Text,
    /// One JSON object per line.
    Json,
}

/// Arguments of `watch`.
#[derive(Debug, Args)]
pub struct WatchArgs {
    /// Where the tree comes from (the branch is followed: its upstream when it has one).
    #[command(flatten)]
    pub tree: TreeArgs,
    /// Only this app and its child apps (repeatable).
    #[arg(long = "app", value_name = "NAME")]
    pub apps: Vec<String>,
    /// How often to look.
    #[arg(long, value_name = "DURATION", default_value = "30s", value_parser = parse_duration)]
    pub interval: std::time::Duration,
    /// Put drift back (apps with automated.selfHeal do without it).
    #[arg(long)]
    pub self_heal: bool,
    /// How the syncs behave.
    #[command(flatten)]
    pub sync: SyncFlags,
    /// Output format.
    #[arg(short = 'o', long, value_enum, default_value_t)]
    pub output: WatchFormat,
}
