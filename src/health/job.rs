//! batch/Job, reproducing gitops-engine `health_job.go`: `Failed` is Degraded (its message, e.g.
//! "Job has reached the specified backoff limit"), then `Suspended` is Suspended, then `Complete`
//! is Healthy; a Job with none of them is still running, so Progressing.
//!
//! Differences:
//! - A condition counts only when its status is `True`. Argo CD looks at the type alone, so a
//!   Job resumed after a suspension (`Suspended=False` stays in the list) reads as finished and
//!   Healthy while it is still running.
//! - Argo CD marks a suspended Job to aggregate as Healthy in the app; our [`Health`] carries no
//!   such mark, so it aggregates as Suspended (see `aggregate`).
//! - The interim `FailureTarget`/`SuccessCriteriaMet` conditions (Kubernetes 1.31+) are ignored,
//!   as in Argo CD: `Failed`/`Complete` follow once the Job's pods are gone.

use serde_json::Value;

use super::{Health, HealthStatus, conditions, int_at};

pub(super) fn health(obj: &Value) -> Health {
    let set = conditions(obj);
    let find = |type_: &str| set.iter().find(|c| c.type_ == type_ && c.is_true());

    if let Some(failed) = find("Failed") {
        return Health::new(HealthStatus::Degraded, failed.describe_message());
    }
    if let Some(suspended) = find("Suspended") {
        return Health::new(HealthStatus::Suspended, suspended.describe_message());
    }
    if let Some(complete) = find("Complete") {
        return Health::new(HealthStatus::Healthy, complete.message);
    }
    Health::new(
        HealthStatus::Progressing,
        format!(
            "Job is running: {} active, {} succeeded, {} failed",
            int_at(obj, &["status", "active"]),
            int_at(obj, &["status", "succeeded"]),
            int_at(obj, &["status", "failed"]),
        ),
    )
}
