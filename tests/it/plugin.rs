//! kubectl discovers and runs the plugin.

use crate::harness::{kubectl, run};

#[test]
fn kubectl_plugin_list_finds_the_plugin() {
    let out = run(kubectl(None).args(["plugin", "list"]));
    assert!(
        out.stdout.lines().any(|l| l.ends_with("/kubectl-gitops")),
        "kubectl plugin list did not list kubectl-gitops: {out:#?}"
    );
}

#[test]
fn help_names_the_kubectl_invocation() {
    let out = run(kubectl(None).args(["gitops", "--help"])).success();
    assert!(
        out.stdout.contains("Usage: kubectl gitops"),
        "{}",
        out.stdout
    );
    assert!(out.stdout.contains("--kubeconfig"), "{}", out.stdout);
    assert!(out.stdout.contains("--context"), "{}", out.stdout);
    assert!(out.stdout.contains("-n, --namespace"), "{}", out.stdout);
}
