//! apps/Deployment, reproducing gitops-engine `health_deployment.go` (itself kubectl's
//! `rollout status`): paused is Suspended; until the controller has observed the latest
//! generation the rollout is Progressing; `ProgressDeadlineExceeded` is Degraded; then the
//! updated, old and available replica counts must all line up.
//!
//! Difference: an absent `spec.replicas` counts as 1, the API server's default, where Argo CD
//! skips the updated-replicas check for a nil pointer. Live objects always carry it, so this only
//! matters for hand-made input. We also add the condition's own message to the deadline message.

use serde_json::Value;

use super::{Health, HealthStatus, bool_at, condition, generation_observed, int_at, opt_int_at};

pub(super) fn health(obj: &Value) -> Health {
    if bool_at(obj, &["spec", "paused"]) {
        return Health::new(HealthStatus::Suspended, "Deployment is paused");
    }
    if !generation_observed(obj) {
        return Health::new(
            HealthStatus::Progressing,
            "Waiting for rollout to finish: observed deployment generation less than desired generation",
        );
    }
    if let Some(progressing) = condition(obj, "Progressing")
        && progressing.reason == "ProgressDeadlineExceeded"
    {
        let detail = if progressing.message.is_empty() {
            String::new()
        } else {
            format!(": {}", progressing.message)
        };
        return Health::new(
            HealthStatus::Degraded,
            format!("Deployment exceeded its progress deadline{detail}"),
        );
    }

    let desired = opt_int_at(obj, &["spec", "replicas"]).unwrap_or(1);
    let replicas = int_at(obj, &["status", "replicas"]);
    let updated = int_at(obj, &["status", "updatedReplicas"]);
    let available = int_at(obj, &["status", "availableReplicas"]);
    if updated < desired {
        return Health::new(
            HealthStatus::Progressing,
            format!(
                "Waiting for rollout to finish: {updated} out of {desired} new replicas have been updated..."
            ),
        );
    }
    if replicas > updated {
        return Health::new(
            HealthStatus::Progressing,
            format!(
                "Waiting for rollout to finish: {} old replicas are pending termination...",
                replicas - updated
            ),
        );
    }
    if available < updated {
        return Health::new(
            HealthStatus::Progressing,
            format!(
                "Waiting for rollout to finish: {available} of {updated} updated replicas are available..."
            ),
        );
    }
    Health::new(HealthStatus::Healthy, "")
}
