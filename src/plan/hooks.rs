//! Hooks, as Argo CD defines them (gitops-engine `pkg/sync/hook`): objects annotated
//! `argocd.argoproj.io/hook` (or Helm's `helm.sh/hook`) are not resources of the app. They are
//! left out of diff, sync status and prune, and run in their phase during a sync.

use std::fmt;

use serde_json::Value;

use crate::render::Object;

/// Argo CD's hook annotation.
pub const HOOK: &str = "argocd.argoproj.io/hook";
/// Argo CD's hook deletion policy annotation.
pub const HOOK_DELETE_POLICY: &str = "argocd.argoproj.io/hook-delete-policy";
const HELM_HOOK: &str = "helm.sh/hook";
const HELM_DELETE_POLICY: &str = "helm.sh/hook-delete-policy";
const HELM_WEIGHT: &str = "helm.sh/hook-weight";
/// The sync wave annotation.
pub const SYNC_WAVE: &str = "argocd.argoproj.io/sync-wave";

/// A sync phase, in execution order.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Phase {
    /// Before anything is applied.
    PreSync,
    /// With the app's objects, in their waves.
    Sync,
    /// After every wave is applied and healthy.
    PostSync,
    /// Only when the sync failed.
    SyncFail,
}

impl Phase {
    /// Argo CD's name of the phase.
    pub fn as_str(self) -> &'static str {
        match self {
            Phase::PreSync => "PreSync",
            Phase::Sync => "Sync",
            Phase::PostSync => "PostSync",
            Phase::SyncFail => "SyncFail",
        }
    }
}

impl fmt::Display for Phase {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// What the hook annotations make of an object.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum HookRole {
    /// Not a hook: an ordinary resource of the app.
    Resource,
    /// A hook that runs in these phases.
    Hook(Vec<Phase>),
    /// `Skip`: never applied, not a resource either.
    Skip,
    /// A hook of a kind this tool does not run (`PreDelete`/`PostDelete` run only when an app
    /// is deleted in Argo CD; Helm's `test`, `pre-rollback`...): left alone, as Argo CD does.
    Ignored(String),
}

/// When a hook object is deleted.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct DeletePolicy {
    /// Delete the previous run's object before creating it again (Argo CD's default).
    pub before_creation: bool,
    /// Delete it once it succeeded.
    pub on_success: bool,
    /// Delete it once it failed.
    pub on_failure: bool,
}

fn csv(obj: &Object, key: &str) -> Vec<String> {
    obj.annotation(key)
        .map(|v| {
            v.split(',')
                .map(|s| s.trim().to_string())
                .filter(|s| !s.is_empty())
                .collect()
        })
        .unwrap_or_default()
}

/// Classifies an object as gitops-engine's `hook.Types`/`hook.Skip` do: Argo CD's annotation
/// wins; Helm's is read only without it (`pre-install`/`pre-upgrade` are PreSync,
/// `post-install`/`post-upgrade` PostSync; other Helm hooks are ignored).
pub fn role(obj: &Object) -> HookRole {
    let argo = csv(obj, HOOK);
    if !argo.is_empty() {
        let mut phases = Vec::new();
        let mut skip = false;
        let mut other = Vec::new();
        for t in &argo {
            match t.as_str() {
                "PreSync" => phases.push(Phase::PreSync),
                "Sync" => phases.push(Phase::Sync),
                "PostSync" => phases.push(Phase::PostSync),
                "SyncFail" => phases.push(Phase::SyncFail),
                "Skip" => skip = true,
                o => other.push(o.to_string()),
            }
        }
        phases.sort();
        phases.dedup();
        return match (phases.is_empty(), skip) {
            (false, _) => HookRole::Hook(phases),
            (true, true) => HookRole::Skip,
            (true, false) => HookRole::Ignored(other.join(",")),
        };
    }
    let helm = csv(obj, HELM_HOOK);
    if helm.is_empty() {
        return HookRole::Resource;
    }
    let mut phases = Vec::new();
    for t in &helm {
        match t.as_str() {
            "pre-install" | "pre-upgrade" => phases.push(Phase::PreSync),
            "post-install" | "post-upgrade" => phases.push(Phase::PostSync),
            // Helm 2's crd-install hooks are ordinary resources for Argo CD.
            "crd-install" => return HookRole::Resource,
            _ => {}
        }
    }
    phases.sort();
    phases.dedup();
    if phases.is_empty() {
        HookRole::Ignored(helm.join(","))
    } else {
        HookRole::Hook(phases)
    }
}

/// The hook's deletion policy; `BeforeHookCreation` when none is given, as in Argo CD.
pub fn delete_policy(obj: &Object) -> DeletePolicy {
    let mut p = DeletePolicy::default();
    let mut any = false;
    for t in csv(obj, HOOK_DELETE_POLICY)
        .into_iter()
        .chain(csv(obj, HELM_DELETE_POLICY))
    {
        match t.as_str() {
            "BeforeHookCreation" | "before-hook-creation" => p.before_creation = true,
            "HookSucceeded" | "hook-succeeded" => p.on_success = true,
            "HookFailed" | "hook-failed" => p.on_failure = true,
            _ => continue,
        }
        any = true;
    }
    if !any {
        p.before_creation = true;
    }
    p
}

/// The object's sync wave: the sync-wave annotation, else Helm's hook weight, else 0
/// (gitops-engine's `syncwaves.Wave`).
pub fn wave(obj: &Object) -> i64 {
    let parse = |k: &str| obj.annotation(k).and_then(|w| w.trim().parse::<i64>().ok());
    parse(SYNC_WAVE).or_else(|| parse(HELM_WEIGHT)).unwrap_or(0)
}

/// Whether a live object is a hook (hooks are never pruned nor counted).
pub fn is_live_hook(live: &Value) -> bool {
    let ann = live.pointer("/metadata/annotations");
    ann.and_then(|a| a.get(HOOK)).is_some() || ann.and_then(|a| a.get(HELM_HOOK)).is_some()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::render::Origin;
    use serde_json::json;

    fn obj(annotations: Value) -> Object {
        Object::from_value(
            json!({"apiVersion": "batch/v1", "kind": "Job",
                   "metadata": {"name": "j", "annotations": annotations}}),
            Origin {
                file: "f".into(),
                doc: 1,
            },
        )
        .unwrap()
    }

    #[test]
    fn argo_hooks_win_over_helm_hooks() {
        assert_eq!(role(&obj(json!({}))), HookRole::Resource);
        assert_eq!(
            role(&obj(json!({HOOK: "PostSync, PreSync"}))),
            HookRole::Hook(vec![Phase::PreSync, Phase::PostSync])
        );
        assert_eq!(role(&obj(json!({HOOK: "Skip"}))), HookRole::Skip);
        assert_eq!(
            role(&obj(json!({HOOK: "Sync", HELM_HOOK: "post-install"}))),
            HookRole::Hook(vec![Phase::Sync])
        );
        assert_eq!(
            role(&obj(json!({HELM_HOOK: "pre-install,pre-upgrade"}))),
            HookRole::Hook(vec![Phase::PreSync])
        );
        assert_eq!(
            role(&obj(json!({HELM_HOOK: "test"}))),
            HookRole::Ignored("test".into())
        );
        assert_eq!(
            role(&obj(json!({HOOK: "PreDelete"}))),
            HookRole::Ignored("PreDelete".into())
        );
        assert_eq!(
            role(&obj(json!({HELM_HOOK: "crd-install"}))),
            HookRole::Resource
        );
    }

    #[test]
    fn delete_policy_defaults_to_before_hook_creation() {
        assert_eq!(
            delete_policy(&obj(json!({}))),
            DeletePolicy {
                before_creation: true,
                ..Default::default()
            }
        );
        let p = delete_policy(&obj(json!({HOOK_DELETE_POLICY: "HookSucceeded",
            HELM_DELETE_POLICY: "hook-failed"})));
        assert!(p.on_success && p.on_failure && !p.before_creation);
    }

    #[test]
    fn wave_falls_back_to_helm_weight() {
        assert_eq!(wave(&obj(json!({SYNC_WAVE: "-2"}))), -2);
        assert_eq!(wave(&obj(json!({SYNC_WAVE: "x", HELM_WEIGHT: "5"}))), 5);
        assert_eq!(wave(&obj(json!({}))), 0);
    }
}
