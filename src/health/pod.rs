//! v1/Pod, reproducing gitops-engine `health_pod.go`.
//!
//! With restartPolicy Always, a container waiting for a reason that names an error (`Err*`,
//! `*Error`, `*BackOff`: ErrImagePull, ImagePullBackOff, CrashLoopBackOff,
//! CreateContainerConfigError...) is Degraded whatever the phase. Then the phase decides: Pending
//! is Progressing, Succeeded Healthy, Failed Degraded; Running is Healthy when Ready, else
//! Degraded if a container has already terminated once, else Progressing. Running pods with
//! restartPolicy Never/OnFailure run to completion (typically hooks), so they stay Progressing
//! until they succeed or fail. An unknown phase is Unknown.
//!
//! The waiting-reason rule is left out for Never/OnFailure on purpose, as in Argo CD: a hook pod
//! whose image is briefly unpullable must not fail its sync phase early and then run anyway.
//!
//! Differences, all so a broken pod fails a wave instead of holding it forever:
//! - an absent `restartPolicy` is Always (the API server's default; Argo CD sees "" and ends at
//!   Unknown for a running pod);
//! - init containers' waiting reasons count too (an init container in CrashLoopBackOff keeps the
//!   pod Pending, which Argo CD reports as Progressing until someone looks);
//! - `InvalidImageName` is Degraded (it matches none of Argo CD's patterns, but never recovers).
//!
//! Messages for Pending, Failed and not-ready pods fall back to the scheduler's or containers'
//! reasons when `status.message` is empty (it usually is).

use serde_json::Value;

use super::{Health, HealthStatus, at, condition, int_at, str_at};

pub(super) fn health(obj: &Value) -> Health {
    let restart_policy = match str_at(obj, &["spec", "restartPolicy"]) {
        "" => "Always",
        policy => policy,
    };
    let pod_message = str_at(obj, &["status", "message"]);

    if restart_policy == "Always" {
        let failing: Vec<String> = container_statuses(obj)
            .filter_map(|c| {
                let reason = str_at(c, &["state", "waiting", "reason"]);
                is_error_reason(reason).then(|| waiting_message(c, reason))
            })
            .collect();
        if !failing.is_empty() {
            return Health::new(HealthStatus::Degraded, failing.join(", "));
        }
    }

    match str_at(obj, &["status", "phase"]) {
        "Pending" => Health::new(HealthStatus::Progressing, pending_message(obj, pod_message)),
        "Succeeded" => Health::new(HealthStatus::Healthy, pod_message),
        "Failed" => Health::new(HealthStatus::Degraded, failed_message(obj, pod_message)),
        "Running" => match restart_policy {
            "Always" => running_always(obj, pod_message),
            "OnFailure" | "Never" => Health::new(
                HealthStatus::Progressing,
                or_else(pod_message, "Pod is running to completion"),
            ),
            _ => Health::new(HealthStatus::Unknown, pod_message),
        },
        _ => Health::new(HealthStatus::Unknown, pod_message),
    }
}

/// Init containers first, then app containers, as the kubelet starts them.
fn container_statuses(obj: &Value) -> impl Iterator<Item = &Value> {
    ["initContainerStatuses", "containerStatuses"]
        .into_iter()
        .filter_map(|list| at(obj, &["status", list]).and_then(Value::as_array))
        .flatten()
}

/// Whether a container's waiting reason is an error the kubelet will only retry, never fix.
fn is_error_reason(reason: &str) -> bool {
    reason.starts_with("Err")
        || reason.ends_with("Error")
        || reason.ends_with("BackOff")
        || reason == "InvalidImageName"
}

/// The kubelet's waiting message ("Back-off pulling image ..."), or the reason when it has none.
fn waiting_message(container: &Value, reason: &str) -> String {
    match str_at(container, &["state", "waiting", "message"]) {
        "" => format!(
            "container \"{}\" is waiting: {reason}",
            str_at(container, &["name"])
        ),
        message => message.to_string(),
    }
}

fn running_always(obj: &Value, pod_message: &str) -> Health {
    if condition(obj, "Ready").is_some_and(|c| c.is_true()) {
        return Health::new(HealthStatus::Healthy, pod_message);
    }
    // Argo CD reads only app containers here: a restarted init container is normal.
    let restarted = at(obj, &["status", "containerStatuses"])
        .and_then(Value::as_array)
        .into_iter()
        .flatten()
        .find(|c| at(c, &["lastState", "terminated"]).is_some_and(Value::is_object));
    if let Some(container) = restarted {
        let message = if pod_message.is_empty() {
            format!(
                "container \"{}\" restarted ({}) and is not ready",
                str_at(container, &["name"]),
                terminated_summary(&container["lastState"]["terminated"])
            )
        } else {
            pod_message.to_string()
        };
        return Health::new(HealthStatus::Degraded, message);
    }
    let message = match (pod_message, condition(obj, "Ready")) {
        ("", Some(ready)) if !ready.message.is_empty() => ready.message,
        ("", _) => "Waiting for the pod to become ready",
        (message, _) => message,
    };
    Health::new(HealthStatus::Progressing, message)
}

/// "Error, exit code 1" or "OOMKilled" from a `terminated` state.
fn terminated_summary(terminated: &Value) -> String {
    let reason = str_at(terminated, &["reason"]);
    let code = int_at(terminated, &["exitCode"]);
    match (reason, code) {
        ("", code) => format!("exit code {code}"),
        (reason, 0) => reason.to_string(),
        (reason, code) => format!("{reason}, exit code {code}"),
    }
}

fn pending_message(obj: &Value, pod_message: &str) -> String {
    if !pod_message.is_empty() {
        return pod_message.to_string();
    }
    if let Some(scheduled) = condition(obj, "PodScheduled")
        && scheduled.is_false()
    {
        return scheduled.describe();
    }
    let waiting: Vec<String> = container_statuses(obj)
        .filter_map(|c| {
            let reason = str_at(c, &["state", "waiting", "reason"]);
            (!reason.is_empty()).then(|| format!("{}: {reason}", str_at(c, &["name"])))
        })
        .collect();
    if waiting.is_empty() {
        "Pending".to_string()
    } else {
        waiting.join(", ")
    }
}

/// Argo CD's choice: the pod's own message, else the first container that says why it failed.
fn failed_message(obj: &Value, pod_message: &str) -> String {
    if !pod_message.is_empty() {
        return pod_message.to_string();
    }
    container_statuses(obj)
        .find_map(|c| {
            let terminated = at(c, &["state", "terminated"])?;
            let message = str_at(terminated, &["message"]);
            let reason = str_at(terminated, &["reason"]);
            let code = int_at(terminated, &["exitCode"]);
            if !message.is_empty() {
                Some(message.to_string())
            } else if reason == "OOMKilled" {
                Some(format!(
                    "container \"{}\" was OOMKilled",
                    str_at(c, &["name"])
                ))
            } else if code != 0 {
                Some(format!(
                    "container \"{}\" failed with exit code {code}",
                    str_at(c, &["name"])
                ))
            } else {
                None
            }
        })
        .unwrap_or_default()
}

fn or_else<'a>(message: &'a str, fallback: &'a str) -> &'a str {
    if message.is_empty() {
        fallback
    } else {
        message
    }
}
