//! API discovery, run once per command.

use kube::discovery::{Discovery, Scope};

use super::{ClusterError, Connection};

/// One kind the server serves.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct KindScope {
    /// API group (`""` for core).
    pub group: String,
    /// Kind.
    pub kind: String,
    /// Whether objects of this kind live in a namespace.
    pub namespaced: bool,
}

/// Every kind the server serves, with its scope; aggregated discovery (two requests) first,
/// the per-group walk on servers that lack it.
pub async fn kind_scopes(conn: &Connection) -> Result<Vec<KindScope>, ClusterError> {
    let discovery = match Discovery::new(conn.client.clone()).run_aggregated().await {
        Ok(d) => d,
        Err(_) => Discovery::new(conn.client.clone())
            .run()
            .await
            .map_err(|e| conn.error(e, "discover API resources"))?,
    };
    let mut out = Vec::new();
    for group in discovery.groups() {
        for version in group.versions() {
            for (res, caps) in group.versioned_resources(version) {
                out.push(KindScope {
                    group: res.group.clone(),
                    kind: res.kind.clone(),
                    namespaced: caps.scope == Scope::Namespaced,
                });
            }
        }
    }
    out.sort_by(|a, b| (&a.group, &a.kind).cmp(&(&b.group, &b.kind)));
    out.dedup();
    Ok(out)
}
