//! Sync options, from the Application (`spec.syncPolicy.syncOptions`) and per resource
//! (`argocd.argoproj.io/sync-options`), with Argo CD's names and meanings (its docs' "Sync
//! Options" page; gitops-engine `pkg/sync/common`).

use serde_json::Value;

use crate::render::Object;

/// The per-resource annotation.
pub const SYNC_OPTIONS: &str = "argocd.argoproj.io/sync-options";

/// How pruned objects' dependents are deleted.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Propagation {
    /// Dependents first, then the object (Argo CD's default).
    #[default]
    Foreground,
    /// The object now, dependents by the garbage collector.
    Background,
    /// The object only; dependents are left.
    Orphan,
}

/// The options of an Application.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct AppOptions {
    /// `CreateNamespace=true`: create the destination namespace first.
    pub create_namespace: bool,
    /// `Prune=false`: never prune this app's objects.
    pub no_prune: bool,
    /// `PruneLast=true`: prune after every wave (ours always prunes last; kept for reports).
    pub prune_last: bool,
    /// `ApplyOutOfSyncOnly=true`: apply only objects that differ (ours always does).
    pub apply_out_of_sync_only: bool,
    /// `Replace=true`: replace (PUT) instead of apply.
    pub replace: bool,
    /// `ServerSideApply`: accepted; every apply of this tool is server-side.
    pub server_side_apply: Option<bool>,
    /// `SkipDryRunOnMissingResource=true`: an unknown kind is applied without a dry run.
    pub skip_dry_run_on_missing: bool,
    /// `Validate=false`: the server does not reject unknown fields.
    pub no_validate: bool,
    /// `PrunePropagationPolicy`.
    pub propagation: Propagation,
    /// `RespectIgnoreDifferences=true`: fields ignored by ignoreDifferences keep their live value.
    pub respect_ignore_differences: bool,
    /// `FailOnSharedResource=true`: fail when an object is tracked by another app.
    pub fail_on_shared_resource: bool,
}

/// The options of one resource (annotation); unset fields fall back to the app's.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ResourceOptions {
    /// `Prune=false`.
    pub no_prune: Option<bool>,
    /// `PruneLast=true`.
    pub prune_last: Option<bool>,
    /// `Replace=true`.
    pub replace: Option<bool>,
    /// `SkipDryRunOnMissingResource=true`.
    pub skip_dry_run_on_missing: Option<bool>,
    /// `Validate=false`.
    pub no_validate: Option<bool>,
    /// `Delete=false`: kept when its app is deleted.
    pub no_delete: Option<bool>,
    /// `Force=true`: delete and re-create when an apply is refused (accepted, reported).
    pub force: Option<bool>,
    /// `ServerSideApply=false`: accepted; applies stay server-side.
    pub server_side_apply: Option<bool>,
}

/// An option this tool does not know or cannot honour, for a warning.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct UnknownOption(pub String);

fn split_option(text: &str) -> Option<(String, String)> {
    let (k, v) = text.split_once('=')?;
    Some((k.trim().to_string(), v.trim().to_string()))
}

fn truthy(v: &str) -> Option<bool> {
    match v.to_ascii_lowercase().as_str() {
        "true" => Some(true),
        "false" => Some(false),
        _ => None,
    }
}

impl AppOptions {
    /// Reads `spec.syncPolicy.syncOptions` (a list of `Key=value` strings).
    pub fn parse(sync_policy: Option<&Value>) -> (AppOptions, Vec<UnknownOption>) {
        let mut o = AppOptions::default();
        let mut unknown = Vec::new();
        let list = sync_policy
            .and_then(|p| p.get("syncOptions"))
            .and_then(Value::as_array)
            .cloned()
            .unwrap_or_default();
        for item in list.iter().filter_map(Value::as_str) {
            let Some((k, v)) = split_option(item) else {
                unknown.push(UnknownOption(item.to_string()));
                continue;
            };
            let b = truthy(&v);
            match (k.as_str(), b) {
                ("CreateNamespace", Some(b)) => o.create_namespace = b,
                ("Prune", Some(b)) => o.no_prune = !b,
                // Argo CD's `Prune=confirm` waits for a human; without a UI, it means "not now".
                ("Prune", None) if v == "confirm" => o.no_prune = true,
                ("PruneLast", Some(b)) => o.prune_last = b,
                ("ApplyOutOfSyncOnly", Some(b)) => o.apply_out_of_sync_only = b,
                ("Replace", Some(b)) => o.replace = b,
                ("ServerSideApply", Some(b)) => o.server_side_apply = Some(b),
                ("SkipDryRunOnMissingResource", Some(b)) => o.skip_dry_run_on_missing = b,
                ("Validate", Some(b)) => o.no_validate = !b,
                ("RespectIgnoreDifferences", Some(b)) => o.respect_ignore_differences = b,
                ("FailOnSharedResource", Some(b)) => o.fail_on_shared_resource = b,
                ("PrunePropagationPolicy", _) => match v.as_str() {
                    "foreground" => o.propagation = Propagation::Foreground,
                    "background" => o.propagation = Propagation::Background,
                    "orphan" => o.propagation = Propagation::Orphan,
                    _ => unknown.push(UnknownOption(item.to_string())),
                },
                // Argo CD's client-side-apply migration only concerns its own manager.
                ("ClientSideApplyMigration", Some(_)) => {}
                _ => unknown.push(UnknownOption(item.to_string())),
            }
        }
        (o, unknown)
    }
}

impl ResourceOptions {
    /// Reads the object's `argocd.argoproj.io/sync-options` annotation (comma-separated).
    pub fn parse(obj: &Object) -> (ResourceOptions, Vec<UnknownOption>) {
        Self::parse_text(obj.annotation(SYNC_OPTIONS).unwrap_or_default())
    }

    /// Reads the annotation of a live object (prune decisions use the live one, as Argo CD).
    pub fn parse_live(live: &Value) -> ResourceOptions {
        let text = live
            .pointer("/metadata/annotations")
            .and_then(|a| a.get(SYNC_OPTIONS))
            .and_then(Value::as_str)
            .unwrap_or_default();
        Self::parse_text(text).0
    }

    fn parse_text(text: &str) -> (ResourceOptions, Vec<UnknownOption>) {
        let mut o = ResourceOptions::default();
        let mut unknown = Vec::new();
        for item in text.split(',').map(str::trim).filter(|s| !s.is_empty()) {
            let Some((k, v)) = split_option(item) else {
                unknown.push(UnknownOption(item.to_string()));
                continue;
            };
            let b = truthy(&v);
            match (k.as_str(), b) {
                ("Prune", Some(b)) => o.no_prune = Some(!b),
                ("Prune", None) if v == "confirm" => o.no_prune = Some(true),
                ("PruneLast", Some(b)) => o.prune_last = Some(b),
                ("Replace", Some(b)) => o.replace = Some(b),
                ("SkipDryRunOnMissingResource", Some(b)) => o.skip_dry_run_on_missing = Some(b),
                ("Validate", Some(b)) => o.no_validate = Some(!b),
                ("Delete", Some(b)) => o.no_delete = Some(!b),
                ("Delete", None) if v == "confirm" => o.no_delete = Some(true),
                ("Force", Some(b)) => o.force = Some(b),
                ("ServerSideApply", Some(b)) => o.server_side_apply = Some(b),
                _ => unknown.push(UnknownOption(item.to_string())),
            }
        }
        (o, unknown)
    }
}

/// The effective options of one object: the resource's where set, else the app's.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct Effective {
    /// Never prune it.
    pub no_prune: bool,
    /// Replace instead of apply.
    pub replace: bool,
    /// Apply without a dry run when the kind is unknown.
    pub skip_dry_run_on_missing: bool,
    /// No strict field validation.
    pub no_validate: bool,
    /// Keep it when its app is deleted.
    pub no_delete: bool,
}

/// Combines an app's and a resource's options.
pub fn effective(app: &AppOptions, res: &ResourceOptions) -> Effective {
    Effective {
        no_prune: res.no_prune.unwrap_or(app.no_prune),
        replace: res.replace.unwrap_or(app.replace),
        skip_dry_run_on_missing: res
            .skip_dry_run_on_missing
            .unwrap_or(app.skip_dry_run_on_missing),
        no_validate: res.no_validate.unwrap_or(app.no_validate),
        no_delete: res.no_delete.unwrap_or(false),
    }
}

/// `spec.syncPolicy.automated`: present (and not `enabled: false`) means automated.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct Automation {
    /// Automated sync is on.
    pub enabled: bool,
    /// `automated.prune`.
    pub prune: bool,
    /// `automated.selfHeal`.
    pub self_heal: bool,
    /// `automated.allowEmpty`.
    pub allow_empty: bool,
}

impl Automation {
    /// Reads `spec.syncPolicy.automated`.
    pub fn parse(sync_policy: Option<&Value>) -> Automation {
        let Some(a) = sync_policy.and_then(|p| p.get("automated")) else {
            return Automation::default();
        };
        if a.is_null() {
            return Automation::default();
        }
        let flag = |k: &str| a.get(k).and_then(Value::as_bool).unwrap_or(false);
        Automation {
            enabled: a.get("enabled").and_then(Value::as_bool).unwrap_or(true),
            prune: flag("prune"),
            self_heal: flag("selfHeal"),
            allow_empty: flag("allowEmpty"),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::render::Origin;
    use serde_json::json;

    #[test]
    fn app_options_follow_argo_cd_names() {
        let (o, unknown) = AppOptions::parse(Some(&json!({"syncOptions": [
            "CreateNamespace=true", "Prune=false", "PrunePropagationPolicy=orphan",
            "Validate=false", "RespectIgnoreDifferences=true", "Bogus=1", "ServerSideApply=true"
        ]})));
        assert!(o.create_namespace && o.no_prune && o.no_validate && o.respect_ignore_differences);
        assert_eq!(o.propagation, Propagation::Orphan);
        assert_eq!(o.server_side_apply, Some(true));
        assert_eq!(unknown, [UnknownOption("Bogus=1".into())]);
    }

    #[test]
    fn resource_options_override_the_app() {
        let obj = Object::from_value(
            json!({"apiVersion": "v1", "kind": "ConfigMap", "metadata": {"name": "c",
                "annotations": {SYNC_OPTIONS: "Prune=false, Replace=true"}}}),
            Origin {
                file: "f".into(),
                doc: 1,
            },
        )
        .unwrap();
        let (r, _) = ResourceOptions::parse(&obj);
        let e = effective(&AppOptions::default(), &r);
        assert!(e.no_prune && e.replace && !e.no_validate);
    }

    #[test]
    fn automated_is_on_when_present() {
        assert!(!Automation::parse(Some(&json!({}))).enabled);
        let a = Automation::parse(Some(
            &json!({"automated": {"prune": true, "selfHeal": true}}),
        ));
        assert!(a.enabled && a.prune && a.self_heal && !a.allow_empty);
        assert!(!Automation::parse(Some(&json!({"automated": {"enabled": false}}))).enabled);
    }
}
