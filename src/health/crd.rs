//! apiextensions.k8s.io/CustomResourceDefinition, reproducing Argo CD's bundled
//! `resource_customizations/apiextensions.k8s.io/CustomResourceDefinition/health.lua`:
//! no conditions yet or `Terminating=True` is Progressing; `NamesAccepted=False` (the names clash
//! with another CRD) is Degraded; `Established` must be True, else Degraded; then
//! `NonStructuralSchema=True` is Degraded; otherwise Healthy.
//!
//! Differences, both about the moments right after creation, when a sync waits for the CRD
//! before applying its objects and a Degraded would fail the sync for nothing:
//! - `Established=False` with reason `Installing` (names accepted, API not served yet) is
//!   Progressing; only other reasons (`NotAccepted`) are Degraded.
//! - `Established` not reported at all is Progressing (the API server reports it together with
//!   `NamesAccepted`, so this is a guard, not a state seen in practice).

use serde_json::Value;

use super::{Health, HealthStatus, conditions};

pub(super) fn health(obj: &Value) -> Health {
    let set = conditions(obj);
    if set.is_empty() {
        return Health::new(HealthStatus::Progressing, "Status conditions not found");
    }
    let find = |type_: &str| set.iter().find(|c| c.type_ == type_);

    if let Some(terminating) = find("Terminating").filter(|c| c.is_true()) {
        return Health::new(
            HealthStatus::Progressing,
            format!("CRD is terminating: {}", terminating.describe_message()),
        );
    }
    if let Some(names) = find("NamesAccepted").filter(|c| c.is_false()) {
        return Health::new(
            HealthStatus::Degraded,
            format!(
                "CRD names have not been accepted: {}",
                names.describe_message()
            ),
        );
    }
    match find("Established") {
        Some(established) if established.is_true() => {}
        Some(established) if established.reason == "Installing" => {
            return Health::new(HealthStatus::Progressing, "CRD is being installed");
        }
        Some(_) => return Health::new(HealthStatus::Degraded, "CRD is not established"),
        None => {
            return Health::new(
                HealthStatus::Progressing,
                "Waiting for the CRD to be established",
            );
        }
    }
    if let Some(violations) = find("NonStructuralSchema").filter(|c| c.is_true()) {
        return Health::new(
            HealthStatus::Degraded,
            format!("Schema violations found: {}", violations.describe_message()),
        );
    }
    Health::new(HealthStatus::Healthy, "CRD is healthy")
}
