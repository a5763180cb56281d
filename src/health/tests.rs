//! Fixture tests: every `testdata/<kind>/<state>.yaml` is an object as the API server returns
//! it, carrying its own expectations in annotations, so a new fixture needs no code:
//!
//! - `test.kubectl-gitops/expected-health`: the [`assess`] status, or `none` for no health;
//! - `test.kubectl-gitops/expected-message` (optional): a text the message must contain;
//! - `test.kubectl-gitops/expected-hook-health` (optional): the [`assess_hook`] status.
//!
//! A fixture's file name starts with its expected status (`degraded-crashloop.yaml`), which the
//! test checks too, so a listing of `testdata/` reads as the table of covered states.

use std::path::{Path, PathBuf};

use serde_json::{Value, json};

use super::*;

const EXPECTED_HEALTH: &str = "test.kubectl-gitops/expected-health";
const EXPECTED_MESSAGE: &str = "test.kubectl-gitops/expected-message";
const EXPECTED_HOOK_HEALTH: &str = "test.kubectl-gitops/expected-hook-health";

fn testdata() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("src/health/testdata")
}

fn fixture_paths() -> Vec<PathBuf> {
    let mut paths = Vec::new();
    for kind_dir in std::fs::read_dir(testdata()).unwrap() {
        let kind_dir = kind_dir.unwrap().path();
        assert!(
            kind_dir.is_dir(),
            "{}: only kind folders here",
            kind_dir.display()
        );
        for file in std::fs::read_dir(&kind_dir).unwrap() {
            let file = file.unwrap().path();
            assert_eq!(
                file.extension().and_then(|e| e.to_str()),
                Some("yaml"),
                "{}",
                file.display()
            );
            paths.push(file);
        }
    }
    paths.sort();
    paths
}

fn parse_status(text: &str) -> Option<HealthStatus> {
    [
        HealthStatus::Healthy,
        HealthStatus::Suspended,
        HealthStatus::Progressing,
        HealthStatus::Missing,
        HealthStatus::Degraded,
        HealthStatus::Unknown,
    ]
    .into_iter()
    .find(|s| s.as_str() == text)
}

/// Checks one fixture, returning what went wrong (empty when it passes).
fn check_fixture(path: &Path) -> Vec<String> {
    let name = path
        .strip_prefix(testdata())
        .unwrap_or(path)
        .display()
        .to_string();
    let text = std::fs::read_to_string(path).unwrap();
    let docs = match crate::yaml::parse_documents(&text) {
        Ok(docs) => docs,
        Err(e) => return vec![format!("{name}: {e}")],
    };
    let [obj] = docs.as_slice() else {
        return vec![format!(
            "{name}: expected one document, found {}",
            docs.len()
        )];
    };
    let mut problems = Vec::new();
    let expected = annotation(obj, EXPECTED_HEALTH).unwrap_or("");
    let stem = path.file_stem().and_then(|s| s.to_str()).unwrap_or("");
    let prefix = expected.to_ascii_lowercase();
    if !stem.starts_with(&format!("{prefix}-")) && stem != prefix {
        problems.push(format!("{name}: file name must start with \"{expected}-\""));
    }

    let got = assess(obj);
    match (expected, &got) {
        ("none", None) => {}
        ("none", Some(h)) => problems.push(format!("{name}: expected no health, got {h:?}")),
        (expected, got) => match parse_status(expected) {
            None => problems.push(format!("{name}: bad {EXPECTED_HEALTH}: {expected:?}")),
            Some(want) if got.as_ref().map(|h| h.status) != Some(want) => {
                problems.push(format!("{name}: expected {want}, got {got:?}"));
            }
            Some(_) => {}
        },
    }
    if let Some(want) = annotation(obj, EXPECTED_MESSAGE) {
        let message = got.as_ref().map(|h| h.message.as_str()).unwrap_or("");
        if !message.contains(want) {
            problems.push(format!("{name}: message {message:?} lacks {want:?}"));
        }
    }
    if let Some(message) = got.as_ref().map(|h| &h.message)
        && (message.contains('\n') || message.chars().count() > MAX_MESSAGE_CHARS)
    {
        problems.push(format!(
            "{name}: message is not one short line: {message:?}"
        ));
    }
    if let Some(want) = annotation(obj, EXPECTED_HOOK_HEALTH) {
        let hook = assess_hook(obj);
        if Some(hook.status) != parse_status(want) {
            problems.push(format!("{name}: expected hook {want}, got {hook:?}"));
        }
    }
    problems
}

#[test]
fn every_fixture_assesses_as_it_says() {
    let paths = fixture_paths();
    assert!(
        !paths.is_empty(),
        "no fixtures under {}",
        testdata().display()
    );
    let problems: Vec<String> = paths.iter().flat_map(|p| check_fixture(p)).collect();
    assert!(problems.is_empty(), "\n{}", problems.join("\n"));
}

#[test]
fn every_built_in_kind_has_fixtures() {
    let kinds: Vec<String> = std::fs::read_dir(testdata())
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .collect();
    for kind in [
        "apiservice",
        "crd",
        "daemonset",
        "deployment",
        "generic",
        "hpa",
        "ingress",
        "job",
        "namespace",
        "pod",
        "pvc",
        "replicaset",
        "service",
        "statefulset",
        "workflow",
    ] {
        assert!(
            kinds.iter().any(|k| k == kind),
            "no fixture folder for {kind}"
        );
        let fixtures = std::fs::read_dir(testdata().join(kind)).unwrap().count();
        assert!(fixtures > 0, "no fixtures for {kind}");
    }
}

fn h(status: HealthStatus) -> Health {
    Health::new(status, "")
}

#[test]
fn statuses_order_best_to_worst_and_spell_like_argo_cd() {
    use HealthStatus::*;
    let order = [Healthy, Suspended, Progressing, Missing, Degraded, Unknown];
    assert!(order.windows(2).all(|w| w[0] < w[1]));
    let names: Vec<&str> = order.iter().map(|s| s.as_str()).collect();
    assert_eq!(
        names,
        [
            "Healthy",
            "Suspended",
            "Progressing",
            "Missing",
            "Degraded",
            "Unknown"
        ]
    );
    assert_eq!(serde_json::to_value(Degraded).unwrap(), json!("Degraded"));
    assert_eq!(Progressing.to_string(), "Progressing");
}

#[test]
fn aggregate_takes_the_worst_and_skips_objects_without_health() {
    use HealthStatus::*;
    let none: [Option<&Health>; 0] = [];
    assert_eq!(aggregate(none), Healthy);
    assert_eq!(aggregate([None, None]), Healthy);
    let (healthy, suspended, progressing) = (h(Healthy), h(Suspended), h(Progressing));
    let (missing, degraded, unknown) = (h(Missing), h(Degraded), h(Unknown));
    assert_eq!(aggregate([Some(&healthy), None]), Healthy);
    assert_eq!(aggregate([Some(&healthy), Some(&suspended)]), Suspended);
    assert_eq!(
        aggregate([Some(&suspended), Some(&progressing), None]),
        Progressing
    );
    assert_eq!(aggregate([Some(&progressing), Some(&missing)]), Missing);
    assert_eq!(
        aggregate([Some(&missing), Some(&degraded), Some(&healthy)]),
        Degraded
    );
    assert_eq!(aggregate([Some(&unknown), Some(&degraded)]), Unknown);
    // Order of the items does not matter.
    assert_eq!(aggregate([Some(&degraded), Some(&healthy)]), Degraded);
}

#[test]
fn aggregate_takes_assessed_objects() {
    let objects = [
        json!({"apiVersion": "v1", "kind": "ConfigMap", "metadata": {"name": "c"}}),
        json!({"apiVersion": "apps/v1", "kind": "Deployment", "metadata": {"name": "d", "generation": 1},
               "spec": {"replicas": 1}, "status": {"observedGeneration": 1, "replicas": 1,
               "updatedReplicas": 1, "availableReplicas": 0}}),
    ];
    let healths: Vec<Option<Health>> = objects.iter().map(assess).collect();
    assert_eq!(healths[0], None);
    assert_eq!(
        aggregate(healths.iter().map(Option::as_ref)),
        HealthStatus::Progressing
    );
}

fn job(conditions: Value) -> Value {
    json!({"apiVersion": "batch/v1", "kind": "Job", "metadata": {"name": "migrate"},
           "status": {"conditions": conditions}})
}

#[test]
fn hook_job_is_done_when_complete_and_failed_when_failed() {
    let running = job(json!([]));
    assert_eq!(assess_hook(&running).status, HealthStatus::Progressing);
    let complete = job(json!([{"type": "Complete", "status": "True"}]));
    assert_eq!(assess_hook(&complete).status, HealthStatus::Healthy);
    let failed = job(
        json!([{"type": "Failed", "status": "True", "reason": "BackoffLimitExceeded",
                             "message": "Job has reached the specified backoff limit"}]),
    );
    assert_eq!(
        assess_hook(&failed),
        Health::new(
            HealthStatus::Degraded,
            "Job has reached the specified backoff limit"
        )
    );
    // A suspended hook never completes on its own: keep waiting, as Argo CD does.
    let suspended = job(json!([{"type": "Suspended", "status": "True", "reason": "JobSuspended"}]));
    assert_eq!(
        assess(&suspended).map(|h| h.status),
        Some(HealthStatus::Suspended)
    );
    assert_eq!(assess_hook(&suspended).status, HealthStatus::Progressing);
}

#[test]
fn hook_unknown_counts_as_failed_and_no_check_as_done() {
    let pod = json!({"apiVersion": "v1", "kind": "Pod", "metadata": {"name": "p"},
                     "spec": {"restartPolicy": "Never"}, "status": {"phase": "Unknown",
                     "message": "node lost"}});
    assert_eq!(assess(&pod).map(|h| h.status), Some(HealthStatus::Unknown));
    assert_eq!(
        assess_hook(&pod),
        Health::new(HealthStatus::Degraded, "node lost")
    );
    let config = json!({"apiVersion": "v1", "kind": "ConfigMap", "metadata": {"name": "c"}});
    assert_eq!(assess(&config), None);
    assert_eq!(assess_hook(&config).status, HealthStatus::Healthy);
}

#[test]
fn hook_pods_run_to_completion() {
    let pod = |phase: &str| {
        json!({"apiVersion": "v1", "kind": "Pod", "metadata": {"name": "p"},
               "spec": {"restartPolicy": "Never"}, "status": {"phase": phase}})
    };
    assert_eq!(
        assess_hook(&pod("Pending")).status,
        HealthStatus::Progressing
    );
    assert_eq!(
        assess_hook(&pod("Running")).status,
        HealthStatus::Progressing
    );
    assert_eq!(assess_hook(&pod("Succeeded")).status, HealthStatus::Healthy);
    assert_eq!(assess_hook(&pod("Failed")).status, HealthStatus::Degraded);
}

#[test]
fn hook_being_deleted_is_judged_on_its_own_state() {
    let mut done = job(json!([{"type": "Complete", "status": "True"}]));
    done["metadata"]["deletionTimestamp"] = json!("2025-01-01T00:00:00Z");
    assert_eq!(
        assess(&done).map(|h| h.status),
        Some(HealthStatus::Progressing)
    );
    assert_eq!(assess_hook(&done).status, HealthStatus::Healthy);
}

#[test]
fn hook_ignores_the_ignore_healthcheck_annotation_like_argo_cd_sync() {
    let mut failed = job(json!([{"type": "Failed", "status": "True"}]));
    failed["metadata"]["annotations"] = json!({IGNORE_HEALTHCHECK_ANNOTATION: "true"});
    assert_eq!(assess(&failed), None);
    assert_eq!(assess_hook(&failed).status, HealthStatus::Degraded);
}

#[test]
fn messages_are_one_short_line_keeping_start_and_root_cause() {
    assert_eq!(one_line("  a\n  b\tc  "), "a b c");
    let exact = "x".repeat(MAX_MESSAGE_CHARS);
    assert_eq!(one_line(&exact), exact);

    let long = format!("pull {}: 401 Unauthorized", "é".repeat(MAX_MESSAGE_CHARS));
    let cut = one_line(&long);
    assert_eq!(cut.chars().count(), MAX_MESSAGE_CHARS);
    assert!(cut.starts_with("pull éé"), "{cut}");
    assert!(cut.contains('…'), "{cut}");
    assert!(cut.ends_with(": 401 Unauthorized"), "{cut}");
}

#[test]
fn objects_that_are_not_objects_have_no_health() {
    assert_eq!(assess(&json!(null)), None);
    assert_eq!(assess(&json!("Deployment")), None);
    assert_eq!(assess(&json!({"kind": "Deployment"})), None);
}
