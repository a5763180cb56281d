//! The health of live objects, as Argo CD assesses it (gitops-engine `pkg/health` and the bundled
//! `resource_customizations/**/health.lua`), for sync's waits between waves and for app status.
//!
//! Everything here is a pure function over the JSON an API server returns. [`assess`] follows
//! Argo CD's order: an object being deleted is Progressing; otherwise the kind's built-in check
//! (one file per kind below) decides; a kind with no check has no health ([`None`]: done once
//! applied). [`assess_hook`] maps that onto a hook's completion, [`aggregate`] folds an app.
//!
//! Built-in checks, each reproducing the Argo CD check named in its file: Deployment,
//! StatefulSet, DaemonSet, ReplicaSet, Pod, Job, PersistentVolumeClaim, Service, Ingress,
//! HorizontalPodAutoscaler, APIService, CustomResourceDefinition (Argo CD's bundled Lua script)
//! and Argo Workflow. `Namespace` is our addition (Argo CD has no check for it). Every other kind
//! goes through [`generic`]: our rule for standard `status.conditions`, where Argo CD has one Lua
//! script per CRD instead.
//!
//! Where we deliberately differ from Argo CD (each file says why):
//! - `argocd.argoproj.io/ignore-healthcheck: "true"` gives no health at all, so sync does not wait
//!   for the object either; Argo CD only leaves it out of the app's health.
//! - Absent fields take the API server's defaults (`spec.replicas` 1, `restartPolicy` Always,
//!   rollingUpdate partition 0) where Go's typed structs would see nil or "".
//! - Job conditions count only when `True`; a resumed Job (`Suspended=False`) is still running.
//! - Pods: init containers' waiting reasons and `InvalidImageName` also mean Degraded.
//! - CRDs: `Established` not yet reported is Progressing, not Degraded (no race at creation).
//! - Argo CD aggregates a suspended Job as Healthy and leaves missing objects out of an app's
//!   health; [`aggregate`] keeps worst-wins for both, so a wave never counts them as done.

mod apiservice;
mod crd;
mod daemonset;
mod deployment;
mod generic;
mod hpa;
mod ingress;
mod job;
mod namespace;
mod pod;
mod pvc;
mod replicaset;
mod service;
mod statefulset;
mod workflow;

#[cfg(test)]
mod tests;

use serde_json::Value;

/// Argo CD's health statuses, ordered from best to worst as Argo CD aggregates them:
/// Healthy < Suspended < Progressing < Missing < Degraded < Unknown.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, serde::Serialize)]
pub enum HealthStatus {
    /// The object is what it should be.
    Healthy,
    /// Paused or suspended on purpose (a paused Deployment, a suspended Job).
    Suspended,
    /// Not there yet but still moving (rollout, provisioning, being deleted).
    Progressing,
    /// The object does not exist (set by callers; no live object assesses as Missing).
    Missing,
    /// Failed or stuck (progress deadline exceeded, crash loop, failed Job).
    Degraded,
    /// The object's status could not be read.
    Unknown,
}

impl HealthStatus {
    /// The status as Argo CD spells it: "Healthy", "Suspended", ...
    pub fn as_str(self) -> &'static str {
        match self {
            HealthStatus::Healthy => "Healthy",
            HealthStatus::Suspended => "Suspended",
            HealthStatus::Progressing => "Progressing",
            HealthStatus::Missing => "Missing",
            HealthStatus::Degraded => "Degraded",
            HealthStatus::Unknown => "Unknown",
        }
    }
}

impl std::fmt::Display for HealthStatus {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.as_str())
    }
}

/// One object's health and the reason, worded for a one-line report.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Health {
    /// Where the object stands.
    pub status: HealthStatus,
    /// Why, in one short line (may be empty, typically when Healthy).
    pub message: String,
}

impl Health {
    /// Messages come from controllers (container errors, condition texts) and can span lines or
    /// run long; a report line needs one short line, so every message goes through here.
    fn new(status: HealthStatus, message: impl AsRef<str>) -> Health {
        Health {
            status,
            message: one_line(message.as_ref()),
        }
    }
}

/// Setting this annotation to "true" takes an object out of health checks.
pub const IGNORE_HEALTHCHECK_ANNOTATION: &str = "argocd.argoproj.io/ignore-healthcheck";

/// Argo CD keeps this finalizer on hooks while it runs them, and assesses them as they are even
/// once deleted; we honour it on objects a cluster run by Argo CD carries.
const HOOK_FINALIZER: &str = "argocd.argoproj.io/hook-finalizer";

/// The health of a live object (JSON as returned by the API server, with apiVersion/kind set),
/// or None when the kind has no health check (Argo CD: such objects count as done once applied).
pub fn assess(live: &Value) -> Option<Health> {
    if annotation(live, IGNORE_HEALTHCHECK_ANNOTATION) == Some("true") {
        return None;
    }
    if is_being_deleted(live) && !has_finalizer(live, HOOK_FINALIZER) {
        return Some(Health::new(HealthStatus::Progressing, "Pending deletion"));
    }
    own_health(live)
}

/// The health of a hook object (Job, Pod, or anything else): a hook is done when complete, and
/// Argo CD treats a hook's Degraded AND Unknown as failed. Returns Healthy/Progressing/Degraded.
///
/// As in Argo CD's sync, a kind with no check is done once created, and the ignore-healthcheck
/// annotation does not apply. A hook being deleted is judged on its own state: Argo CD shields
/// its hooks from the deletion rule with its hook finalizer, and a finished Job that its TTL
/// controller is removing is still finished. Telling an old hook from its re-created successor
/// is the caller's job (compare `metadata.uid`).
pub fn assess_hook(live: &Value) -> Health {
    let Some(health) = own_health(live) else {
        return Health::new(HealthStatus::Healthy, "created");
    };
    let status = match health.status {
        HealthStatus::Healthy => HealthStatus::Healthy,
        HealthStatus::Degraded | HealthStatus::Unknown => HealthStatus::Degraded,
        HealthStatus::Suspended | HealthStatus::Progressing | HealthStatus::Missing => {
            HealthStatus::Progressing
        }
    };
    Health { status, ..health }
}

/// An app's health from its objects' health (None entries = no health check, skipped), as
/// Argo CD aggregates: worst status wins, no objects => Healthy.
///
/// Pass `Missing` for an object that does not exist yet. Argo CD 3.x leaves missing objects out
/// (the app is Missing only when none exists) and counts a suspended Job as Healthy; here both
/// count as they are, so an app is never "done" while one of its objects is absent or suspended.
pub fn aggregate<'a>(items: impl IntoIterator<Item = Option<&'a Health>>) -> HealthStatus {
    items
        .into_iter()
        .flatten()
        .map(|h| h.status)
        .max()
        .unwrap_or(HealthStatus::Healthy)
}

/// The kind's own check, without the deletion and ignore rules that [`assess`] puts first.
fn own_health(live: &Value) -> Option<Health> {
    let check: fn(&Value) -> Health = match (api_group(live), str_at(live, &["kind"])) {
        ("apps", "Deployment") => deployment::health,
        ("apps", "StatefulSet") => statefulset::health,
        ("apps", "DaemonSet") => daemonset::health,
        ("apps", "ReplicaSet") => replicaset::health,
        ("", "Pod") => pod::health,
        ("", "PersistentVolumeClaim") => pvc::health,
        ("", "Service") => service::health,
        ("", "Namespace") => namespace::health,
        ("batch", "Job") => job::health,
        ("networking.k8s.io" | "extensions", "Ingress") => ingress::health,
        ("autoscaling", "HorizontalPodAutoscaler") => hpa::health,
        ("apiregistration.k8s.io", "APIService") => apiservice::health,
        ("apiextensions.k8s.io", "CustomResourceDefinition") => crd::health,
        ("argoproj.io", "Workflow") => workflow::health,
        _ => return generic::health(live),
    };
    Some(check(live))
}

// ---- reading objects -------------------------------------------------------------------------

/// The API group from `apiVersion` (`""` for the core group).
fn api_group(obj: &Value) -> &str {
    match str_at(obj, &["apiVersion"]).split_once('/') {
        Some((group, _version)) => group,
        None => "",
    }
}

/// The value at a path of object keys.
fn at<'a>(obj: &'a Value, path: &[&str]) -> Option<&'a Value> {
    path.iter().try_fold(obj, |v, key| v.get(key))
}

/// A string field, `""` when absent (Go's zero value, which the Argo CD checks compare against).
fn str_at<'a>(obj: &'a Value, path: &[&str]) -> &'a str {
    at(obj, path).and_then(Value::as_str).unwrap_or("")
}

/// An integer field, None when absent.
fn opt_int_at(obj: &Value, path: &[&str]) -> Option<i64> {
    at(obj, path).and_then(Value::as_i64)
}

/// An integer field, 0 when absent: the API server omits zero counts from `status`.
fn int_at(obj: &Value, path: &[&str]) -> i64 {
    opt_int_at(obj, path).unwrap_or(0)
}

/// A boolean field, false when absent.
fn bool_at(obj: &Value, path: &[&str]) -> bool {
    at(obj, path).and_then(Value::as_bool).unwrap_or(false)
}

/// `metadata.generation` behind `status.observedGeneration` means the controller has not seen
/// the latest spec yet, so the rest of `status` describes an older one.
fn generation_observed(obj: &Value) -> bool {
    int_at(obj, &["metadata", "generation"]) <= int_at(obj, &["status", "observedGeneration"])
}

fn annotation<'a>(obj: &'a Value, key: &str) -> Option<&'a str> {
    at(obj, &["metadata", "annotations", key]).and_then(Value::as_str)
}

fn is_being_deleted(obj: &Value) -> bool {
    at(obj, &["metadata", "deletionTimestamp"]).is_some_and(|v| !v.is_null())
}

fn has_finalizer(obj: &Value, name: &str) -> bool {
    at(obj, &["metadata", "finalizers"])
        .and_then(Value::as_array)
        .is_some_and(|fs| fs.iter().any(|f| f.as_str() == Some(name)))
}

/// One entry of a conditions list, with the fields every Kubernetes condition has.
#[derive(Debug, Clone, Copy)]
struct Condition<'a> {
    type_: &'a str,
    status: &'a str,
    reason: &'a str,
    message: &'a str,
    observed_generation: Option<i64>,
}

impl<'a> Condition<'a> {
    fn read(v: &'a Value) -> Condition<'a> {
        Condition {
            type_: str_at(v, &["type"]),
            status: str_at(v, &["status"]),
            reason: str_at(v, &["reason"]),
            message: str_at(v, &["message"]),
            observed_generation: opt_int_at(v, &["observedGeneration"]),
        }
    }

    fn is_true(&self) -> bool {
        self.status.eq_ignore_ascii_case("True")
    }

    fn is_false(&self) -> bool {
        self.status.eq_ignore_ascii_case("False")
    }

    /// The message, or the reason when there is none, for a report line.
    fn describe_message(&self) -> String {
        match (self.message.is_empty(), self.reason.is_empty()) {
            (false, _) => self.message.to_string(),
            (true, false) => self.reason.to_string(),
            (true, true) => format!("{} is {}", self.type_, self.status),
        }
    }

    /// "Reason: message", or whichever of the two is set, for a report line.
    fn describe(&self) -> String {
        match (self.reason.is_empty(), self.message.is_empty()) {
            (false, false) => format!("{}: {}", self.reason, self.message),
            (false, true) => self.reason.to_string(),
            (true, false) => self.message.to_string(),
            (true, true) => format!("{} is {}", self.type_, self.status),
        }
    }
}

/// The entries of a conditions array (anything else reads as no conditions).
fn conditions_in(list: Option<&Value>) -> Vec<Condition<'_>> {
    list.and_then(Value::as_array)
        .map(|items| items.iter().map(Condition::read).collect())
        .unwrap_or_default()
}

/// `status.conditions` of an object.
fn conditions(obj: &Value) -> Vec<Condition<'_>> {
    conditions_in(at(obj, &["status", "conditions"]))
}

/// The first condition of a type in `status.conditions`.
fn condition<'a>(obj: &'a Value, type_: &str) -> Option<Condition<'a>> {
    conditions(obj).into_iter().find(|c| c.type_ == type_)
}

/// Longest message kept, in characters: enough for a container error, short enough for one line.
const MAX_MESSAGE_CHARS: usize = 240;

/// Characters kept from the start of a message that is too long; the rest of the budget goes to
/// its end.
const HEAD_CHARS: usize = 80;

/// Whitespace (newlines included) collapsed to single spaces, at most [`MAX_MESSAGE_CHARS`].
///
/// A long message loses its middle, not its end: controllers report Go error chains ("failed to
/// pull image X: failed to resolve reference X: ...: 401 Unauthorized") whose root cause is last.
fn one_line(text: &str) -> String {
    let words: Vec<&str> = text.split_whitespace().collect();
    let joined = words.join(" ");
    let count = joined.chars().count();
    if count <= MAX_MESSAGE_CHARS {
        return joined;
    }
    let tail_chars = MAX_MESSAGE_CHARS - HEAD_CHARS - 1;
    let head: String = joined.chars().take(HEAD_CHARS).collect();
    let tail: String = joined.chars().skip(count - tail_chars).collect();
    format!("{head}…{tail}")
}
