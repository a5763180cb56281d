//! v1/Service, reproducing gitops-engine `health_service.go`: a LoadBalancer Service is
//! Progressing until the cloud controller publishes an address in `status.loadBalancer.ingress`;
//! every other type is Healthy once it exists.

use serde_json::Value;

use super::{Health, HealthStatus, at, str_at};

pub(super) fn health(obj: &Value) -> Health {
    if str_at(obj, &["spec", "type"]) == "LoadBalancer" && !has_ingress(obj) {
        return Health::new(
            HealthStatus::Progressing,
            "Waiting for the load balancer to get an address",
        );
    }
    Health::new(HealthStatus::Healthy, "")
}

/// Whether `status.loadBalancer.ingress` lists at least one address.
pub(super) fn has_ingress(obj: &Value) -> bool {
    at(obj, &["status", "loadBalancer", "ingress"])
        .and_then(Value::as_array)
        .is_some_and(|list| !list.is_empty())
}
