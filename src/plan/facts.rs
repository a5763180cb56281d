//! What the kubeconfig and the cluster tell the tree walk (namespaces, kind scopes, Helm's
//! capabilities, the clusters of the ApplicationSet cluster generator), with an offline
//! default for each, so commands that need no cluster never wait on one for long.

use super::argocd_clusters::{self, ClusterSource, ClustersError};
use crate::apps::TreeFacts;
use crate::apps::appset::ClusterInfo;
use crate::cluster::{Catalog, ClusterError, Connection, KubeTarget, connect, load_kubeconfig};
use crate::render::{Capabilities, normalize_kube_version};

/// How long commands that need no cluster wait for one, all included (an exec credential
/// plugin, connecting, discovery): past it they go on with the kubeconfig's facts alone.
pub const OPTIONAL_CLUSTER_BUDGET: std::time::Duration = std::time::Duration::from_secs(3);

/// Why [`gather`] cannot give the facts: the kubeconfig named cannot be used, or the file of
/// Argo CD cluster secrets cannot.
#[derive(Debug, thiserror::Error)]
pub enum GatherError {
    /// The kubeconfig or `--context`.
    #[error(transparent)]
    Kubeconfig(#[from] ClusterError),
    /// `--clusters` and the cluster secrets.
    #[error(transparent)]
    Clusters(#[from] ClustersError),
}

/// The kubeconfig's facts, plus the cluster's discovery if it answers within
/// [`OPTIONAL_CLUSTER_BUDGET`], and the ApplicationSet clusters from `clusters` (its file, else
/// the secrets of the cluster that answered, on the same connection). A kubeconfig that the
/// user named but cannot be read, or a `--context` it does not have, is an error: the user
/// asked for something that is not there.
pub fn gather(target: &KubeTarget, clusters: &ClusterSource) -> Result<TreeFacts, GatherError> {
    let mut facts = from_kubeconfig(target)?;
    let Ok(rt) = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
    else {
        argocd_clusters::learn_from_file(&mut facts, clusters)?;
        return Ok(facts);
    };
    let mut probe = target.clone();
    probe.request_timeout = Some(
        target
            .request_timeout
            .map_or(OPTIONAL_CLUSTER_BUDGET, |t| t.min(OPTIONAL_CLUSTER_BUDGET)),
    );
    let learnt = rt.block_on(async {
        // A cluster that does not answer quickly is treated as absent: render works offline.
        let asked = async {
            let conn = connect(&probe).await.ok()?;
            let (catalog, version) = tokio::join!(Catalog::discover(&conn), conn.server_version());
            Some((conn, catalog.ok()?, version.ok()))
        };
        match tokio::time::timeout(OPTIONAL_CLUSTER_BUDGET, asked).await {
            Ok(Some((conn, catalog, version))) => {
                learn(&mut facts, &conn, &catalog);
                learn_version(&mut facts, version);
                argocd_clusters::learn(&mut facts, clusters, Some(&conn)).await
            }
            _ => argocd_clusters::learn_from_file(&mut facts, clusters).map(|_| ()),
        }
    });
    // Nothing left behind may hold the command up (a resolver thread stuck on DNS).
    rt.shutdown_background();
    learnt?;
    Ok(facts)
}

/// For commands that work on the cluster: connects to the current context, runs its discovery
/// (once, for the tree walk and the plan alike) and asks its version. Errors when any of it
/// fails: these commands cannot go on without the cluster.
pub async fn from_cluster(
    target: &KubeTarget,
) -> Result<(Connection, Catalog, TreeFacts), ClusterError> {
    let mut facts = from_kubeconfig(target)?;
    let conn = connect(target).await?;
    let catalog = Catalog::discover(&conn).await?;
    learn(&mut facts, &conn, &catalog);
    learn_server_version(&mut facts, &conn).await;
    Ok((conn, catalog, facts))
}

/// Takes the namespace, kind scopes and API versions from a connection and its (one)
/// discovery.
pub fn learn(facts: &mut TreeFacts, conn: &Connection, catalog: &Catalog) {
    facts.namespace = conn.namespace.clone();
    for k in catalog.kind_scopes() {
        facts.scopes.insert(&k.group, &k.kind, k.namespaced);
    }
    let version = facts.capabilities.take().and_then(|c| c.kube_version);
    let mut caps = Capabilities::from_discovery(None, catalog.group_version_kinds());
    caps.kube_version = version;
    facts.capabilities = Some(caps);
}

/// Takes the server's version (`/version`) for Helm's `.Capabilities.KubeVersion`.
pub fn learn_version(
    facts: &mut TreeFacts,
    info: Option<k8s_openapi::apimachinery::pkg::version::Info>,
) {
    let version = info.and_then(|i| normalize_kube_version(&i.git_version));
    facts
        .capabilities
        .get_or_insert_with(Capabilities::default)
        .kube_version = version;
}

/// Asks the server for its version (one request) and takes it, as `learn_version` does.
pub async fn learn_server_version(facts: &mut TreeFacts, conn: &Connection) {
    learn_version(facts, conn.server_version().await.ok());
}

/// What the kubeconfig alone says: contexts as clusters, `-n` as namespace. No requests.
/// Having no kubeconfig at all is fine (every fact has a default); one named with
/// `--kubeconfig` (or listed in KUBECONFIG) that cannot be read, or an unknown `--context`, is
/// an error.
pub fn from_kubeconfig(target: &KubeTarget) -> Result<TreeFacts, ClusterError> {
    let mut facts = TreeFacts {
        namespace: target.namespace.clone().unwrap_or_else(|| "default".into()),
        ..Default::default()
    };
    let loaded = match load_kubeconfig(target.kubeconfig.as_deref()) {
        Ok(l) => l,
        Err(ClusterError::NoKubeconfig) => return Ok(facts),
        Err(e) => return Err(e),
    };
    let current = match loaded.context_name(target.context.as_deref()) {
        Ok(c) => c,
        Err(ClusterError::NoCurrentContext) => return Ok(facts),
        Err(e) => return Err(e),
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
                ..Default::default()
            });
        }
    }
    Ok(facts)
}
