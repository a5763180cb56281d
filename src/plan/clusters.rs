//! Which cluster each app goes to: Argo CD destinations mapped onto kubeconfig contexts
//! (DESIGN decision 3), and one connection with its discovery per cluster used.

use std::collections::BTreeMap;
use std::sync::Arc;

use crate::apps::Destination;
use crate::cluster::{
    Catalog, ClusterError, Connection, KubeTarget, LoadedKubeconfig, connect, load_kubeconfig,
};

/// Argo CD's name for the cluster it runs in.
pub const IN_CLUSTER_SERVER: &str = "https://kubernetes.default.svc";
/// Argo CD's default name of that cluster.
pub const IN_CLUSTER_NAME: &str = "in-cluster";

/// A connected cluster: its client and what its API serves.
pub struct Session {
    /// The kubeconfig context.
    pub context: String,
    /// The client.
    pub conn: Connection,
    /// Discovery, run once.
    pub catalog: Catalog,
}

/// One kubeconfig context as a possible destination.
#[derive(Debug, Clone)]
struct ContextInfo {
    name: String,
    cluster: String,
    server: String,
}

/// The clusters of one run: the kubeconfig's contexts, and sessions for those in use.
pub struct Clusters {
    target: KubeTarget,
    current: String,
    contexts: Vec<ContextInfo>,
    sessions: BTreeMap<String, Arc<Session>>,
    /// Argo CD cluster names and their servers (from its cluster secrets), so a destination
    /// that names a cluster as Argo CD knows it reaches the context of that server.
    argocd_names: Vec<(String, String)>,
}

/// Every context of a kubeconfig, as a possible destination.
fn contexts_of(loaded: &LoadedKubeconfig) -> Vec<ContextInfo> {
    loaded
        .config
        .contexts
        .iter()
        .map(|c| ContextInfo {
            name: c.name.clone(),
            cluster: c
                .context
                .as_ref()
                .map(|x| x.cluster.clone())
                .unwrap_or_default(),
            server: loaded.server_of(&c.name).unwrap_or_default(),
        })
        .collect()
}

fn same_server(a: &str, b: &str) -> bool {
    a.trim_end_matches('/')
        .eq_ignore_ascii_case(b.trim_end_matches('/'))
}

impl Clusters {
    /// Reads the kubeconfig (as kubectl does) and connects to the current context, whose
    /// discovery runs now: every command that plans needs it.
    pub async fn open(target: &KubeTarget) -> Result<Clusters, ClusterError> {
        let loaded = load_kubeconfig(target.kubeconfig.as_deref())?;
        let current = loaded.context_name(target.context.as_deref())?;
        let contexts = contexts_of(&loaded);
        let mut clusters = Clusters {
            target: target.clone(),
            current: current.clone(),
            contexts,
            sessions: BTreeMap::new(),
            argocd_names: Vec::new(),
        };
        clusters.session(&current).await?;
        Ok(clusters)
    }

    /// Wraps an already connected current context (its discovery already done).
    pub fn from_session(target: &KubeTarget, conn: Connection, catalog: Catalog) -> Clusters {
        let current = conn.context.clone();
        let mut sessions = BTreeMap::new();
        let server = conn.server.clone();
        sessions.insert(
            current.clone(),
            Arc::new(Session {
                context: current.clone(),
                conn,
                catalog,
            }),
        );
        let mut contexts = load_kubeconfig(target.kubeconfig.as_deref())
            .map(|l| contexts_of(&l))
            .unwrap_or_default();
        if contexts.is_empty() {
            contexts.push(ContextInfo {
                name: current.clone(),
                cluster: current.clone(),
                server,
            });
        }
        Clusters {
            target: target.clone(),
            current,
            contexts,
            sessions,
            argocd_names: Vec::new(),
        }
    }

    /// Learns Argo CD's cluster names (its cluster secrets): `destination.name` of such a name
    /// goes to the context of the secret's server, as Argo CD resolves it.
    pub fn know_argocd_clusters(&mut self, clusters: &[crate::apps::appset::ClusterInfo]) {
        self.argocd_names = clusters
            .iter()
            .map(|c| (c.name.clone(), c.server.clone()))
            .collect();
    }

    /// The current context: Argo CD's in-cluster.
    pub fn current(&self) -> &str {
        &self.current
    }

    /// The kubeconfig context a destination names, or None when no context matches:
    /// `https://kubernetes.default.svc` and `in-cluster` are the current context; another
    /// server matches a context's cluster URL, another name a context's or cluster's name.
    pub fn context_for(&self, dest: &Destination) -> Option<String> {
        let server = dest.server.as_deref().filter(|s| !s.is_empty());
        let name = dest.name.as_deref().filter(|s| !s.is_empty());
        match (server, name) {
            (None, None) => Some(self.current.clone()),
            (Some(s), _) if same_server(s, IN_CLUSTER_SERVER) => Some(self.current.clone()),
            (None, Some(IN_CLUSTER_NAME)) => Some(self.current.clone()),
            (Some(s), _) => {
                // The current context wins among several contexts of one server.
                let current = self.contexts.iter().find(|c| c.name == self.current);
                if current.is_some_and(|c| same_server(&c.server, s)) {
                    return Some(self.current.clone());
                }
                self.contexts
                    .iter()
                    .find(|c| same_server(&c.server, s))
                    .map(|c| c.name.clone())
            }
            (None, Some(n)) => {
                let by_context = self
                    .contexts
                    .iter()
                    .find(|c| c.name == n)
                    .or_else(|| self.contexts.iter().find(|c| c.cluster == n))
                    .map(|c| c.name.clone());
                by_context.or_else(|| {
                    let (_, server) = self.argocd_names.iter().find(|(name, _)| name == n)?;
                    self.context_for(&Destination {
                        server: Some(server.clone()),
                        name: None,
                        namespace: None,
                    })
                })
            }
        }
    }

    /// The session of a context, connecting and running discovery on first use.
    pub async fn session(&mut self, context: &str) -> Result<Arc<Session>, ClusterError> {
        if let Some(s) = self.sessions.get(context) {
            return Ok(Arc::clone(s));
        }
        let mut target = self.target.clone();
        target.context = Some(context.to_string());
        // `-n` concerns the current context only.
        if context != self.current {
            target.namespace = None;
        }
        let conn = connect(&target).await?;
        let catalog = Catalog::discover(&conn).await?;
        let session = Arc::new(Session {
            context: context.to_string(),
            conn,
            catalog,
        });
        self.sessions
            .insert(context.to_string(), Arc::clone(&session));
        Ok(session)
    }

    /// A session already opened.
    pub fn get(&self, context: &str) -> Option<Arc<Session>> {
        self.sessions.get(context).cloned()
    }

    /// Every open session.
    pub fn sessions(&self) -> impl Iterator<Item = &Arc<Session>> {
        self.sessions.values()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn clusters() -> Clusters {
        let info = |n: &str, c: &str, s: &str| ContextInfo {
            name: n.into(),
            cluster: c.into(),
            server: s.into(),
        };
        Clusters {
            target: KubeTarget::default(),
            current: "home".into(),
            contexts: vec![
                info("home", "home-cluster", "https://127.0.0.1:6443"),
                info("home-admin", "home-cluster", "https://127.0.0.1:6443"),
                info("edge", "edge-cluster", "https://10.0.0.9:6443/"),
            ],
            sessions: BTreeMap::new(),
            argocd_names: Vec::new(),
        }
    }

    fn dest(server: Option<&str>, name: Option<&str>) -> Destination {
        Destination {
            server: server.map(String::from),
            name: name.map(String::from),
            namespace: None,
        }
    }

    #[test]
    fn destinations_map_to_contexts() {
        let c = clusters();
        assert_eq!(
            c.context_for(&dest(Some(IN_CLUSTER_SERVER), None))
                .as_deref(),
            Some("home")
        );
        assert_eq!(
            c.context_for(&dest(None, Some("in-cluster"))).as_deref(),
            Some("home")
        );
        assert_eq!(c.context_for(&dest(None, None)).as_deref(), Some("home"));
        assert_eq!(
            c.context_for(&dest(Some("https://10.0.0.9:6443"), None))
                .as_deref(),
            Some("edge")
        );
        assert_eq!(
            c.context_for(&dest(Some("https://127.0.0.1:6443/"), None))
                .as_deref(),
            Some("home"),
            "the current context wins for its own server"
        );
        assert_eq!(
            c.context_for(&dest(None, Some("edge-cluster"))).as_deref(),
            Some("edge")
        );
        assert_eq!(c.context_for(&dest(Some("https://nowhere:1"), None)), None);
        assert_eq!(c.context_for(&dest(None, Some("nowhere"))), None);
    }

    #[test]
    fn an_argo_cd_cluster_name_reaches_the_context_of_its_server() {
        let mut c = clusters();
        c.know_argocd_clusters(&[crate::apps::appset::ClusterInfo {
            name: "edge-prod".into(),
            server: "https://10.0.0.9:6443".into(),
            ..Default::default()
        }]);
        assert_eq!(
            c.context_for(&dest(None, Some("edge-prod"))).as_deref(),
            Some("edge")
        );
    }
}
