//! v1/Namespace. Argo CD has no check for Namespaces (no Go check, no bundled Lua script): they
//! count as done once applied. Ours is an addition, and it agrees with that in practice: Active
//! (and any phase the API server has not set yet) is Healthy, Terminating is Progressing. A
//! Namespace is only Terminating once deleted, which [`super::assess`] already reports, so the
//! rule matters only for objects read without `deletionTimestamp`, e.g. hand-made input.

use serde_json::Value;

use super::{Health, HealthStatus, str_at};

pub(super) fn health(obj: &Value) -> Health {
    match str_at(obj, &["status", "phase"]) {
        "Terminating" => Health::new(HealthStatus::Progressing, "Namespace is terminating"),
        _ => Health::new(HealthStatus::Healthy, ""),
    }
}
