//! apps/ReplicaSet, reproducing gitops-engine `health_replicaset.go`: once the controller has
//! observed the latest generation, `ReplicaFailure=True` (pods cannot be created: quota, admission)
//! is Degraded and fewer available replicas than desired is Progressing.
//!
//! Difference: an absent `spec.replicas` counts as 1, the API server's default (Argo CD skips the
//! check for nil; live objects always carry it).

use serde_json::Value;

use super::{Health, HealthStatus, condition, generation_observed, int_at, opt_int_at};

pub(super) fn health(obj: &Value) -> Health {
    if !generation_observed(obj) {
        return Health::new(
            HealthStatus::Progressing,
            "Waiting for rollout to finish: observed replica set generation less than desired generation",
        );
    }
    if let Some(failure) = condition(obj, "ReplicaFailure")
        && failure.is_true()
    {
        return Health::new(HealthStatus::Degraded, failure.describe());
    }
    let desired = opt_int_at(obj, &["spec", "replicas"]).unwrap_or(1);
    let available = int_at(obj, &["status", "availableReplicas"]);
    if available < desired {
        return Health::new(
            HealthStatus::Progressing,
            format!(
                "Waiting for rollout to finish: {available} out of {desired} new replicas are available..."
            ),
        );
    }
    Health::new(HealthStatus::Healthy, "")
}
