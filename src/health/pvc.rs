//! v1/PersistentVolumeClaim, reproducing gitops-engine `health_pvc.go` as of Argo CD 3.x: Bound
//! is Healthy, Lost is Degraded, any other phase Unknown. A Pending claim is Progressing only
//! while a provisioner is working on it (the PV controller has named one in the
//! storage-provisioner annotation); without one it is waiting for a consumer
//! (`WaitForFirstConsumer` binding) or for a matching volume, and counts as Healthy, since a
//! sync wave waiting on it would wait for the pod of a later wave forever.
//!
//! Difference: Argo CD reads the beta annotation `volume.beta.kubernetes.io/storage-provisioner`
//! only; we also read the GA `volume.kubernetes.io/storage-provisioner` that the PV controller
//! has set beside it since Kubernetes 1.23.

use serde_json::Value;

use super::{Health, HealthStatus, annotation, str_at};

const PROVISIONER_ANNOTATIONS: [&str; 2] = [
    "volume.kubernetes.io/storage-provisioner",
    "volume.beta.kubernetes.io/storage-provisioner",
];

pub(super) fn health(obj: &Value) -> Health {
    match str_at(obj, &["status", "phase"]) {
        "Bound" => Health::new(HealthStatus::Healthy, ""),
        "Lost" => Health::new(
            HealthStatus::Degraded,
            "The claim lost its underlying volume",
        ),
        "Pending" => {
            let provisioner = PROVISIONER_ANNOTATIONS
                .iter()
                .find_map(|key| annotation(obj, key));
            match provisioner {
                Some(name) => Health::new(
                    HealthStatus::Progressing,
                    format!("Provisioning volume ({name})"),
                ),
                None => Health::new(HealthStatus::Healthy, "Waiting for consumer"),
            }
        }
        phase => Health::new(HealthStatus::Unknown, format!("Unknown phase \"{phase}\"")),
    }
}
