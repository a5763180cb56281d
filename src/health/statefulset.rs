//! apps/StatefulSet, reproducing gitops-engine `health_statefulset.go` (kubectl's `rollout
//! status`): the controller must have observed the latest generation (and any at all), every
//! replica must be ready, then the update strategy decides. With RollingUpdate, the pods at and
//! above the partition must be updated; OnDelete is Healthy once ready (pods update only when
//! someone deletes them); any other strategy waits for `updateRevision` to become current.
//!
//! Difference: absent fields take the API server's defaults (`spec.replicas` 1, strategy
//! RollingUpdate with partition 0). Argo CD's typed structs see nil there and skip checks; the
//! API server always fills them in, so live objects are judged the same.

use serde_json::Value;

use super::{Health, HealthStatus, int_at, opt_int_at, str_at};

pub(super) fn health(obj: &Value) -> Health {
    let observed = int_at(obj, &["status", "observedGeneration"]);
    if observed == 0 || int_at(obj, &["metadata", "generation"]) > observed {
        return Health::new(
            HealthStatus::Progressing,
            "Waiting for statefulset spec update to be observed...",
        );
    }
    let desired = opt_int_at(obj, &["spec", "replicas"]).unwrap_or(1);
    let ready = int_at(obj, &["status", "readyReplicas"]);
    if ready < desired {
        return Health::new(
            HealthStatus::Progressing,
            format!("Waiting for {} pods to be ready...", desired - ready),
        );
    }

    let updated = int_at(obj, &["status", "updatedReplicas"]);
    match str_at(obj, &["spec", "updateStrategy", "type"]) {
        "" | "RollingUpdate" => {
            let partition = opt_int_at(
                obj,
                &["spec", "updateStrategy", "rollingUpdate", "partition"],
            )
            .unwrap_or(0);
            let to_update = desired - partition;
            if updated < to_update {
                return Health::new(
                    HealthStatus::Progressing,
                    format!(
                        "Waiting for partitioned roll out to finish: {updated} out of {to_update} new pods have been updated..."
                    ),
                );
            }
            Health::new(
                HealthStatus::Healthy,
                format!("partitioned roll out complete: {updated} new pods have been updated..."),
            )
        }
        "OnDelete" => Health::new(
            HealthStatus::Healthy,
            format!("statefulset has {ready} ready pods"),
        ),
        _ => {
            let update_revision = str_at(obj, &["status", "updateRevision"]);
            if update_revision != str_at(obj, &["status", "currentRevision"]) {
                return Health::new(
                    HealthStatus::Progressing,
                    format!(
                        "waiting for statefulset rolling update to complete {updated} pods at revision {update_revision}..."
                    ),
                );
            }
            Health::new(
                HealthStatus::Healthy,
                format!(
                    "statefulset rolling update complete {} pods at revision {update_revision}...",
                    int_at(obj, &["status", "currentReplicas"])
                ),
            )
        }
    }
}
