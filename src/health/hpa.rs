//! autoscaling/HorizontalPodAutoscaler (v1, v2, v2beta1, v2beta2), reproducing gitops-engine
//! `health_hpa.go`. autoscaling/v1 has no `status.conditions`: the API server carries them in the
//! `autoscaling.alpha.kubernetes.io/conditions` annotation instead, as JSON.
//!
//! The conditions are read in their listed order and the first decisive one wins: a known
//! failure (`AbleToScale` FailedGetScale/FailedUpdateScale, `ScalingActive`
//! FailedGetResourceMetric/InvalidSelector) is Degraded, `AbleToScale=True` or
//! `ScalingLimited=True` is Healthy. The order matters and is kept: the controller lists
//! `AbleToScale` first, so an HPA that can scale but has no metrics yet (no metrics-server) is
//! Healthy, not Degraded. No decisive condition is Progressing ("Waiting to Autoscale").

use serde_json::Value;

use super::{Condition, Health, HealthStatus, annotation, at, conditions_in, str_at};

const CONDITIONS_ANNOTATION: &str = "autoscaling.alpha.kubernetes.io/conditions";

/// (condition type, reason) pairs that mean the autoscaler cannot do its job.
const DEGRADED: [(&str, &str); 4] = [
    ("AbleToScale", "FailedGetScale"),
    ("AbleToScale", "FailedUpdateScale"),
    ("ScalingActive", "FailedGetResourceMetric"),
    ("ScalingActive", "InvalidSelector"),
];

pub(super) fn health(obj: &Value) -> Health {
    if str_at(obj, &["apiVersion"]) == "autoscaling/v1" {
        let Some(text) = annotation(obj, CONDITIONS_ANNOTATION) else {
            return waiting();
        };
        return match serde_json::from_str::<Value>(text) {
            Ok(list) => decide(&conditions_in(Some(&list))),
            // serde_json's error names a line and column, never the text itself.
            Err(e) => Health::new(
                HealthStatus::Unknown,
                format!("cannot read the {CONDITIONS_ANNOTATION} annotation: {e}"),
            ),
        };
    }
    decide(&conditions_in(at(obj, &["status", "conditions"])))
}

fn decide(conditions: &[Condition<'_>]) -> Health {
    for c in conditions {
        if DEGRADED.contains(&(c.type_, c.reason)) {
            return Health::new(HealthStatus::Degraded, c.describe_message());
        }
        if matches!(c.type_, "AbleToScale" | "ScalingLimited") && c.is_true() {
            return Health::new(HealthStatus::Healthy, c.message);
        }
    }
    waiting()
}

fn waiting() -> Health {
    Health::new(HealthStatus::Progressing, "Waiting to Autoscale")
}
