//! apiregistration.k8s.io/APIService, reproducing gitops-engine `health_apiservice.go`: the
//! `Available` condition decides, True Healthy and anything else Progressing (the backing
//! Service may still be starting); no condition yet is Progressing too.
//!
//! Difference: Argo CD accepts versions v1 and v1beta1 only (others are Unknown); we read any.

use serde_json::Value;

use super::{Health, HealthStatus, condition};

pub(super) fn health(obj: &Value) -> Health {
    match condition(obj, "Available") {
        Some(available) if available.is_true() => {
            Health::new(HealthStatus::Healthy, available.describe())
        }
        Some(available) => Health::new(HealthStatus::Progressing, available.describe()),
        None => Health::new(HealthStatus::Progressing, "Waiting to be processed"),
    }
}
