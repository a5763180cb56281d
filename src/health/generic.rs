//! Every kind without a built-in check: our rule for the standard `status.conditions`, not Argo
//! CD's. Argo CD ships one Lua script per CRD (cert-manager, Flux, Crossplane, ...) and gives any
//! other kind no health; we read the conventions most controllers share instead (Kubernetes API
//! conventions' `Ready`, kstatus' `Stalled`/`Reconciling`, `Available`), so a wave waits for a
//! custom resource its controller has not finished with.
//!
//! The rule applies only to objects with at least one of `Ready`, `Available`, `Stalled` or
//! `Reconciling` in `status.conditions`; any other object has no health (done once applied, as
//! in Argo CD). For those that have one, first match wins:
//!
//! 1. `status.observedGeneration`, or the `Ready` condition's `observedGeneration`, behind
//!    `metadata.generation` => Progressing: the conditions describe an older spec.
//! 2. `Stalled=True` => Degraded (kstatus: the controller gave up).
//! 3. `Reconciling=True` (kstatus) or `Issuing=True` (cert-manager, whose fresh Certificate is
//!    `Ready=False`/`DoesNotExist` while it issues) => Progressing: the controller is working.
//! 4. `Ready=False` => Progressing when its reason says the object is still on its way (see
//!    [`is_working_reason`]), Degraded otherwise.
//! 5. `Available=False` => Progressing (Deployment-style: not yet available is not a failure).
//! 6. `Ready` or `Available` with status `Unknown` (or anything but True/False) => Progressing.
//! 7. Otherwise Healthy (`Ready`/`Available` True, or only `Stalled`/`Reconciling` False).

use serde_json::Value;

use super::{Health, HealthStatus, conditions, opt_int_at};

/// The condition types this rule reads; an object with none of them has no health.
const KNOWN_TYPES: [&str; 4] = ["Ready", "Available", "Stalled", "Reconciling"];

/// Condition types that, when True, say the controller is still working on the object.
const BUSY_TYPES: [&str; 2] = ["Reconciling", "Issuing"];

/// Lower-case starts of `Ready=False` reasons that mean "still working" rather than "failed":
/// the present participles controllers use for their phases (Flux `Progressing`, Crossplane
/// `Creating`, cert-manager `Pending`, Knative/KubeVirt `Provisioning`, `WaitingForX`, ...).
const WORKING_PREFIXES: [&str; 14] = [
    "progressing",
    "reconciling",
    "pending",
    "inprogress",
    "creating",
    "provisioning",
    "waiting",
    "initializing",
    "installing",
    "updating",
    "upgrading",
    "deploying",
    "starting",
    "scaling",
];

pub(super) fn health(obj: &Value) -> Option<Health> {
    let set = conditions(obj);
    let find = |type_: &str| set.iter().find(|c| c.type_ == type_);
    if !KNOWN_TYPES.iter().any(|t| find(t).is_some()) {
        return None;
    }
    let ready = find("Ready");
    let available = find("Available");

    if let Some(generation) = opt_int_at(obj, &["metadata", "generation"]) {
        let status_observed = opt_int_at(obj, &["status", "observedGeneration"]);
        let ready_observed = ready.and_then(|c| c.observed_generation);
        if let Some(observed) = [status_observed, ready_observed]
            .into_iter()
            .flatten()
            .find(|&observed| observed < generation)
        {
            return Some(Health::new(
                HealthStatus::Progressing,
                format!(
                    "Waiting for the controller to observe generation {generation} (observed {observed})"
                ),
            ));
        }
    }
    if let Some(stalled) = find("Stalled").filter(|c| c.is_true()) {
        return Some(Health::new(HealthStatus::Degraded, stalled.describe()));
    }
    if let Some(busy) = BUSY_TYPES
        .iter()
        .find_map(|t| find(t).filter(|c| c.is_true()))
    {
        return Some(Health::new(HealthStatus::Progressing, busy.describe()));
    }
    if let Some(ready) = ready.filter(|c| c.is_false()) {
        let status = if is_working_reason(ready.reason) {
            HealthStatus::Progressing
        } else {
            HealthStatus::Degraded
        };
        return Some(Health::new(status, ready.describe()));
    }
    if let Some(available) = available.filter(|c| c.is_false()) {
        return Some(Health::new(HealthStatus::Progressing, available.describe()));
    }
    if let Some(unsure) = [ready, available]
        .into_iter()
        .flatten()
        .find(|c| !c.is_true())
    {
        return Some(Health::new(HealthStatus::Progressing, unsure.describe()));
    }
    let message = ready.or(available).map(|c| c.message).unwrap_or_default();
    Some(Health::new(HealthStatus::Healthy, message))
}

/// Whether a `Ready=False` reason says the object is on its way rather than failed: it starts
/// with one of [`WORKING_PREFIXES`] or ends with `InProgress` (`ReconciliationInProgress`), or is
/// Flux's `DependencyNotReady`; compared ignoring case. A reason naming a failure or an error
/// (`ProvisioningFailed`, `InstallError`) is never "working", whatever it starts with.
fn is_working_reason(reason: &str) -> bool {
    let reason = reason.to_ascii_lowercase();
    if reason.contains("fail") || reason.contains("error") {
        return false;
    }
    WORKING_PREFIXES.iter().any(|p| reason.starts_with(p))
        || reason.ends_with("inprogress")
        || reason == "dependencynotready"
}

#[cfg(test)]
mod tests {
    use super::is_working_reason;

    #[test]
    fn working_reasons_are_transitional_and_never_failures() {
        for working in [
            "Progressing",
            "ProgressingWithRetry",
            "Reconciling",
            "ReconciliationInProgress",
            "Pending",
            "Creating",
            "provisioning",
            "WaitingForDependencies",
            "Initializing",
            "Installing",
            "DependencyNotReady",
        ] {
            assert!(is_working_reason(working), "{working}");
        }
        for failed in [
            "",
            "InstallFailed",
            "ProvisioningFailed",
            "ReconcileError",
            "CreatingError",
            "Unavailable",
            "ArtifactFailed",
            "HealthCheckFailed",
        ] {
            assert!(!is_working_reason(failed), "{failed}");
        }
    }
}
