//! The test control plane is a real one: controllers and a (fake) node make workloads run.

use crate::harness::{TestNamespace, kubectl_ok, kubectl_stdin};

#[test]
fn deployment_rolls_out_to_available_and_job_completes() {
    let ns = TestNamespace::new("cp");
    let manifest = "apiVersion: apps/v1\nkind: Deployment\nmetadata: {name: web}\nspec:\n  replicas: 2\n  selector: {matchLabels: {app: web}}\n  template:\n    metadata: {labels: {app: web}}\n    spec: {containers: [{name: web, image: nginx}]}\n---\napiVersion: batch/v1\nkind: Job\nmetadata: {name: once}\nspec:\n  template:\n    spec: {restartPolicy: Never, containers: [{name: c, image: busybox, command: [\"true\"]}]}\n";
    kubectl_stdin(&["apply", "-n", &ns.name, "-f", "-"], manifest).success();
    kubectl_ok(&[
        "wait",
        "-n",
        &ns.name,
        "--for=condition=Available",
        "deployment/web",
        "--timeout=90s",
    ]);
    let ready = kubectl_ok(&[
        "get",
        "-n",
        &ns.name,
        "deployment/web",
        "-o",
        "jsonpath={.status.availableReplicas}",
    ]);
    assert_eq!(ready.stdout, "2");
    kubectl_ok(&[
        "wait",
        "-n",
        &ns.name,
        "--for=condition=Complete",
        "job/once",
        "--timeout=90s",
    ]);
}
