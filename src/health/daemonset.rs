//! apps/DaemonSet, reproducing gitops-engine `health_daemonset.go` (kubectl's `rollout status`):
//! the controller must have observed the latest generation; OnDelete is then Healthy (pods update
//! only when someone deletes them); otherwise every node that should run a pod must run an
//! updated, available one.

use serde_json::Value;

use super::{Health, HealthStatus, generation_observed, int_at, str_at};

pub(super) fn health(obj: &Value) -> Health {
    if !generation_observed(obj) {
        return Health::new(
            HealthStatus::Progressing,
            "Waiting for rollout to finish: observed daemon set generation less than desired generation",
        );
    }
    let desired = int_at(obj, &["status", "desiredNumberScheduled"]);
    let updated = int_at(obj, &["status", "updatedNumberScheduled"]);
    if str_at(obj, &["spec", "updateStrategy", "type"]) == "OnDelete" {
        return Health::new(
            HealthStatus::Healthy,
            format!("daemon set {updated} out of {desired} new pods have been updated"),
        );
    }
    if updated < desired {
        return Health::new(
            HealthStatus::Progressing,
            format!(
                "Waiting for daemon set rollout to finish: {updated} out of {desired} new pods have been updated..."
            ),
        );
    }
    let available = int_at(obj, &["status", "numberAvailable"]);
    if available < desired {
        return Health::new(
            HealthStatus::Progressing,
            format!(
                "Waiting for daemon set rollout to finish: {available} of {desired} updated pods are available..."
            ),
        );
    }
    Health::new(HealthStatus::Healthy, "")
}
