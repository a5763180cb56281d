//! argoproj.io/Workflow (Argo Workflows), reproducing gitops-engine `health_argo.go`, a Go check
//! built into Argo CD because Workflows are common sync hooks: no phase yet, Pending or Running
//! is Progressing, Succeeded Healthy, Failed or Error Degraded, anything else Unknown.

use serde_json::Value;

use super::{Health, HealthStatus, str_at};

pub(super) fn health(obj: &Value) -> Health {
    let phase = str_at(obj, &["status", "phase"]);
    let status = match phase {
        "" | "Pending" | "Running" => HealthStatus::Progressing,
        "Succeeded" => HealthStatus::Healthy,
        "Failed" | "Error" => HealthStatus::Degraded,
        _ => HealthStatus::Unknown,
    };
    // Workflows leave `message` empty unless something went wrong; the phase still says where
    // they are.
    let message = match (str_at(obj, &["status", "message"]), phase) {
        ("", "") => "Workflow has not started",
        ("", phase) => phase,
        (message, _) => message,
    };
    Health::new(status, message)
}
