//! networking.k8s.io and extensions Ingress, reproducing gitops-engine `health_ingress.go`:
//! Healthy once the ingress controller has published an address in `status.loadBalancer.ingress`,
//! Progressing until then (also when no ingress controller runs at all, as in Argo CD).

use serde_json::Value;

use super::{Health, HealthStatus, service::has_ingress};

pub(super) fn health(obj: &Value) -> Health {
    if has_ingress(obj) {
        Health::new(HealthStatus::Healthy, "")
    } else {
        Health::new(
            HealthStatus::Progressing,
            "Waiting for the ingress controller to publish an address",
        )
    }
}
