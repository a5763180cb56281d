//! What the kubeconfig and the cluster tell the tree walk (namespaces, kind scopes, Helm's
//! capabilities, the clusters of the ApplicationSet cluster generator), with an offline
//! default for each, so commands that need no cluster never wait on one for long.

use crate::apps::TreeFacts;
use crate::apps::appset::ClusterInfo;
use crate::cluster::{Catalog, Connection, KubeTarget, connect, load_kubeconfig};
use crate::render::{Capabilities, normalize_kube_version};

/// The kubeconfig's facts, plus the cluster's discovery if it answers within 3 s.
pub fn gather(target: &KubeTarget) -> TreeFacts {
    let mut facts = from_kubeconfig(target);
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
            learn(&mut facts, &conn, &catalog);
            learn_version(&mut facts, version.ok());
        }
    });
    facts
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
pub fn from_kubeconfig(target: &KubeTarget) -> TreeFacts {
    let mut facts = TreeFacts {
        namespace: target.namespace.clone().unwrap_or_else(|| "default".into()),
        ..Default::default()
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
                ..Default::default()
            });
        }
    }
    facts
}
