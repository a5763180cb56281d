//! `.Capabilities` for `helm template`: the Kubernetes version and API versions a chart sees.
//!
//! Argo CD passes the destination cluster's version (`--kube-version`) and every group/version
//! and group/version/kind it serves (`--api-versions`, its `APIResourcesToStrings`); an app's own
//! `helm.kubeVersion` / `helm.apiVersions` replace them. Without a cluster Helm falls back to its
//! built-in defaults, which makes charts that gate on `.Capabilities` render differently, so the
//! cluster's facts are used whenever it answers and the command line can stand in for it.

use std::collections::BTreeSet;

/// What a chart may learn about its target cluster.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Capabilities {
    /// `MAJOR.MINOR.PATCH` (Argo CD's `parseKubeVersion`: no `v`, no build suffix).
    pub kube_version: Option<String>,
    /// `group/version` and `group/version/Kind` (`v1`, `v1/Pod` for the core group), sorted.
    pub api_versions: Vec<String>,
}

impl Capabilities {
    /// From a discovery: the server's `gitVersion` and its (group, version, kind) triples.
    pub fn from_discovery<'a>(
        git_version: Option<&str>,
        gvks: impl IntoIterator<Item = (&'a str, &'a str, &'a str)>,
    ) -> Capabilities {
        let mut set = BTreeSet::new();
        for (group, version, kind) in gvks {
            let gv = if group.is_empty() {
                version.to_string()
            } else {
                format!("{group}/{version}")
            };
            set.insert(format!("{gv}/{kind}"));
            set.insert(gv);
        }
        Capabilities {
            kube_version: git_version.and_then(normalize_kube_version),
            api_versions: set.into_iter().collect(),
        }
    }

    /// These capabilities with the command line's on top: `--kube-version` replaces the
    /// cluster's version, `--api-versions` adds to its list (as Helm's own flag adds to its
    /// defaults), so a CRD not yet installed can be simulated against a live cluster.
    pub fn overridden(
        mut self,
        kube_version: Option<&str>,
        api_versions: &[String],
    ) -> Capabilities {
        if let Some(v) = kube_version {
            self.kube_version = Some(v.to_string());
        }
        let mut set: BTreeSet<String> = self.api_versions.into_iter().collect();
        set.extend(api_versions.iter().cloned());
        self.api_versions = set.into_iter().collect();
        self
    }
}

/// `v1.33.13-eks-1+abc` becomes `1.33.13`, `1.30` stays `1.30`: the numeric part of a Kubernetes
/// version, as Argo CD's `parseKubeVersion` (`k8s.io/apimachinery` `ParseGeneric`) keeps it, so
/// that every Helm version accepts it. `None` when there is no such part.
pub fn normalize_kube_version(text: &str) -> Option<String> {
    let t = text.trim();
    let t = t.strip_prefix('v').unwrap_or(t);
    let end = t
        .find(|c: char| !(c.is_ascii_digit() || c == '.'))
        .unwrap_or(t.len());
    let core = t[..end].trim_end_matches('.');
    let parts: Vec<&str> = core.split('.').collect();
    let ok = (2..=3).contains(&parts.len()) && parts.iter().all(|p| !p.is_empty());
    ok.then(|| core.to_string())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn versions_are_normalized_like_argo_cd() {
        assert_eq!(
            normalize_kube_version("v1.33.13").as_deref(),
            Some("1.33.13")
        );
        assert_eq!(
            normalize_kube_version("v1.29.1-eks-abc").as_deref(),
            Some("1.29.1")
        );
        assert_eq!(normalize_kube_version("1.30+k3s1").as_deref(), Some("1.30"));
        assert_eq!(normalize_kube_version("1").as_deref(), None);
        assert_eq!(normalize_kube_version("latest"), None);
    }

    #[test]
    fn discovery_gives_group_versions_and_kinds() {
        let c = Capabilities::from_discovery(
            Some("v1.33.13"),
            [
                ("", "v1", "Pod"),
                ("apps", "v1", "Deployment"),
                ("apps", "v1", "StatefulSet"),
            ],
        );
        assert_eq!(c.kube_version.as_deref(), Some("1.33.13"));
        assert_eq!(
            c.api_versions,
            [
                "apps/v1",
                "apps/v1/Deployment",
                "apps/v1/StatefulSet",
                "v1",
                "v1/Pod"
            ]
        );
        let o = c.overridden(Some("1.30.0"), &["x.io/v1/Thing".to_string()]);
        assert_eq!(o.kube_version.as_deref(), Some("1.30.0"));
        assert!(o.api_versions.contains(&"x.io/v1/Thing".to_string()));
        assert!(o.api_versions.contains(&"v1/Pod".to_string()));
    }
}
