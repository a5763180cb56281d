//! API discovery, run once per command: which kinds the server serves, their resources and scope.

use std::collections::HashMap;

use kube::core::discovery::ApiResource;
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

/// What discovery found: every served group/version/kind with its REST resource.
#[derive(Debug, Clone, Default)]
pub struct Catalog {
    by_gvk: HashMap<(String, String, String), (ApiResource, bool)>,
    /// The recommended version of each group and kind, for objects known only by group and
    /// kind (an app's inventory, kept across syncs and versions).
    by_gk: HashMap<(String, String), (ApiResource, bool)>,
}

/// The group and version of an `apiVersion` (`apps/v1`; the core group is `v1` alone).
fn group_version(api_version: &str) -> (&str, &str) {
    api_version.rsplit_once('/').unwrap_or(("", api_version))
}

/// Asks the server now whether it serves `kind` in `api_version`, and where: for an object
/// planned under `SkipDryRunOnMissingResource` when its kind was not served yet (its CRD may
/// have come since, from an earlier wave or an operator). None when it still is not served or
/// the server cannot say.
pub async fn find_now(
    conn: &Connection,
    api_version: &str,
    kind: &str,
) -> Option<(ApiResource, bool)> {
    let (group, version) = group_version(api_version);
    let gvk = kube::api::GroupVersionKind::gvk(group, version, kind);
    kube::discovery::pinned_kind(&conn.client, &gvk)
        .await
        .ok()
        .map(|(res, caps)| (res, caps.scope == Scope::Namespaced))
}

impl Catalog {
    /// Runs discovery: aggregated discovery (two requests) first, the per-group walk on servers
    /// that lack it; all of it within twice the connection's request timeout.
    pub async fn discover(conn: &Connection) -> Result<Catalog, ClusterError> {
        const ACTION: &str = "discover its API resources";
        let run = async {
            match Discovery::new(conn.client.clone()).run_aggregated().await {
                Ok(d) => Ok(d),
                // A server that cannot be reached would only be asked again, for longer; one
                // that answers without aggregated discovery is walked group by group.
                Err(e) if super::error::is_transport(&e) => Err(e),
                Err(_) => Discovery::new(conn.client.clone()).run().await,
            }
        };
        // Discovery is many requests (or two, aggregated), each with its own deadline; the
        // whole of it gets two request timeouts, so a single stalled request is named by its
        // own, more precise, timeout first.
        let discovery = match conn.limits.answer.map(|a| a * 2) {
            Some(budget) => match tokio::time::timeout(budget, run).await {
                Ok(r) => r,
                Err(_) => {
                    let e = ClusterError::NoAnswer {
                        context: conn.context.clone(),
                        server: conn.server.clone(),
                        action: ACTION.into(),
                        after: budget,
                    };
                    return Err(conn.lose(e));
                }
            },
            None => run.await,
        }
        .map_err(|e| conn.error(e, ACTION))?;
        let mut by_gvk = HashMap::new();
        let mut by_gk = HashMap::new();
        for group in discovery.groups() {
            for version in group.versions() {
                for (res, caps) in group.versioned_resources(version) {
                    let key = (res.group.clone(), res.version.clone(), res.kind.clone());
                    by_gvk.insert(key, (res, caps.scope == Scope::Namespaced));
                }
            }
            for (res, caps) in group.recommended_resources() {
                let key = (res.group.clone(), res.kind.clone());
                by_gk.insert(key, (res, caps.scope == Scope::Namespaced));
            }
        }
        Ok(Catalog { by_gvk, by_gk })
    }

    /// The recommended resource for a group and kind, if the server serves the kind.
    pub fn resolve_group_kind(&self, group: &str, kind: &str) -> Option<(&ApiResource, bool)> {
        self.by_gk
            .get(&(group.to_string(), kind.to_string()))
            .map(|(r, n)| (r, *n))
    }

    /// The resource and scope for an `apiVersion` and `kind`, if the server serves them.
    pub fn resolve(&self, api_version: &str, kind: &str) -> Option<(&ApiResource, bool)> {
        let (group, version) = group_version(api_version);
        self.by_gvk
            .get(&(group.to_string(), version.to_string(), kind.to_string()))
            .map(|(r, n)| (r, *n))
    }

    /// Every served group, version and kind (Helm's `.Capabilities.APIVersions` are made of them).
    pub fn group_version_kinds(&self) -> impl Iterator<Item = (&str, &str, &str)> {
        self.by_gvk
            .keys()
            .map(|(g, v, k)| (g.as_str(), v.as_str(), k.as_str()))
    }

    /// Every served kind with its scope, once per group and kind.
    pub fn kind_scopes(&self) -> Vec<KindScope> {
        let mut out: Vec<KindScope> = self
            .by_gvk
            .values()
            .map(|(r, namespaced)| KindScope {
                group: r.group.clone(),
                kind: r.kind.clone(),
                namespaced: *namespaced,
            })
            .collect();
        out.sort_by(|a, b| (&a.group, &a.kind).cmp(&(&b.group, &b.kind)));
        out.dedup();
        out
    }
}
