//! The edge of tree loading: command-line arguments into a `TreeSpec`, and the printing every
//! tree command shares.

use std::io::IsTerminal;

use super::CliError;
use super::args::TreeArgs;
use crate::apps::{AppTree, LoadedTree, TreeFacts, TreeSpec, load, load_at};

impl From<&TreeArgs> for TreeSpec {
    fn from(a: &TreeArgs) -> TreeSpec {
        TreeSpec {
            root: a.root.clone(),
            revision: a.revision.clone(),
            respect_target_revision: a.respect_target_revision,
            repo_map: a.repo_map.clone(),
            offline: a.offline,
            kube_version: a.kube_version.clone(),
            api_versions: a.api_versions.clone(),
            plain_http_registry: a.plain_http_registry.clone(),
            kustomize_build_options: a.kustomize_build_options.clone(),
            tracking: a.tracking_method.map(Into::into),
            apps: Vec::new(),
        }
    }
}

/// Where the cluster generator's Argo CD cluster secrets come from.
pub fn cluster_source(args: &TreeArgs) -> crate::plan::argocd_clusters::ClusterSource {
    crate::plan::argocd_clusters::ClusterSource {
        file: args.clusters.clone(),
        namespace: args.argocd_namespace.clone(),
    }
}

/// Connects to the current context, runs discovery once, and learns from both what the tree
/// walk needs (namespace, kind scopes, Helm's capabilities, Argo CD's cluster secrets): the
/// first step of every command that compares with a cluster.
pub async fn connect_and_learn(
    target: &crate::cluster::KubeTarget,
    tree: &TreeArgs,
) -> Result<
    (
        crate::cluster::Connection,
        crate::cluster::Catalog,
        TreeFacts,
    ),
    CliError,
> {
    let (conn, catalog, mut facts) = crate::plan::facts::from_cluster(target).await?;
    crate::plan::argocd_clusters::learn(&mut facts, &cluster_source(tree), Some(&conn)).await?;
    Ok((conn, catalog, facts))
}

/// The clusters of a command that compares with a cluster: the connected current context,
/// the kubeconfig's other contexts, and Argo CD's cluster names (from its secrets).
pub fn session_clusters(
    target: &crate::cluster::KubeTarget,
    conn: crate::cluster::Connection,
    catalog: crate::cluster::Catalog,
    facts: &TreeFacts,
) -> crate::plan::Clusters {
    let mut clusters = crate::plan::Clusters::from_session(target, conn, catalog);
    clusters.know_argocd_clusters(facts.argocd_clusters.as_deref().unwrap_or_default());
    clusters
}

/// The facts of the tree for commands with no connection of their own: the kubeconfig, the
/// cluster if it answers quickly, and Argo CD's cluster secrets.
pub fn gather_facts(
    global: &super::args::GlobalArgs,
    args: &TreeArgs,
) -> Result<TreeFacts, CliError> {
    let target = global.target();
    Ok(crate::plan::facts::gather(&target, &cluster_source(args))?)
}

/// What a command asks the planner for: the tree it loaded, the apps selected, where the
/// records are, whether conflicts are taken over (diff and status plan as if they were, to
/// show all that Git would change), and how many requests at once.
pub fn plan_request<'a>(
    tree: &'a LoadedTree,
    select: &'a [String],
    global: &'a super::args::GlobalArgs,
    force_conflicts: bool,
    concurrency: usize,
) -> crate::plan::PlanRequest<'a> {
    crate::plan::PlanRequest {
        tree: &tree.tree,
        select,
        tree_id: &tree.tree_id,
        records_namespace: &global.records_namespace,
        force_conflicts,
        concurrency,
        known_records: None,
    }
}

/// Loads the tree the arguments name.
pub fn resolve(args: &TreeArgs, facts: &TreeFacts) -> Result<LoadedTree, CliError> {
    Ok(load(&TreeSpec::from(args), facts)?)
}

/// Loads the tree for `--app`: only those apps, their ancestors and descendants are rendered,
/// and the problems of other apps are warnings.
pub fn resolve_apps(
    args: &TreeArgs,
    facts: &TreeFacts,
    apps: &[String],
) -> Result<LoadedTree, CliError> {
    let mut spec = TreeSpec::from(args);
    spec.apps = apps.to_vec();
    Ok(load(&spec, facts)?)
}

/// [`resolve_apps`] at `revision`, whatever `--revision` says (for `diff --from/--to`).
pub fn resolve_apps_at(
    args: &TreeArgs,
    facts: &TreeFacts,
    revision: &str,
    apps: &[String],
) -> Result<LoadedTree, CliError> {
    let mut spec = TreeSpec::from(args);
    spec.apps = apps.to_vec();
    Ok(load_at(&spec, facts, revision)?)
}

/// Prints the tree's errors, one line each, and returns the exit code they call for: the apps
/// that did resolve have been printed either way.
pub fn report_tree_errors(tree: &AppTree) -> u8 {
    for w in &tree.warnings {
        eprintln!("warning: {}", super::escape::terminal_line(w));
    }
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
