//! Argo CD's tracking methods: objects an Argo CD before 3.0 left with only the
//! `app.kubernetes.io/instance` label are shown to prune and pruned with `--tracking-method
//! label`, and sync stamps what the method says.

use serde_json::Value;

use crate::gitrepo::GitRepo;
use crate::harness::{
    Run, TestNamespace, cluster_kubeconfig, gitops_in, kubectl, kubectl_stdin, run,
};

const URL: &str = "https://git.example.com/lab/tracking.git";

fn get(ns: &str, what: &str) -> Option<Value> {
    let kc = cluster_kubeconfig();
    let out = run(kubectl(Some(&kc)).args(["get", "-n", ns, what, "-o", "json"]));
    (out.code == 0).then(|| serde_json::from_str(&out.stdout).unwrap())
}

fn gitops(repo: &GitRepo, records: &TestNamespace, args: &[&str]) -> Run {
    let mut all = args.to_vec();
    all.extend(["--records-namespace", records.name.as_str()]);
    gitops_in(repo.path(), &all).no_panic()
}

#[test]
fn a_label_tracked_leftover_is_shown_to_prune_and_pruned_with_label_tracking() {
    let ns = TestNamespace::new("label-track");
    let records = TestNamespace::new("label-track-rec");
    let app = format!("web-{}", ns.name);
    let repo = GitRepo::new();
    repo.git(&["remote", "add", "origin", URL]);
    repo.write(
        "root.yaml",
        &format!(
            "apiVersion: argoproj.io/v1alpha1\nkind: Application\nmetadata: {{name: {app}, namespace: argocd}}\nspec:\n  source: {{repoURL: \"{URL}\", path: web}}\n  destination: {{server: \"https://kubernetes.default.svc\", namespace: {}}}\n",
            ns.name
        ),
    )
    .write(
        "web/keep.yaml",
        "apiVersion: v1\nkind: ConfigMap\nmetadata: {name: keep}\ndata: {a: b}\n",
    );
    repo.commit("web");

    // What Argo CD 2.x left: an object of the app with only the instance label, one of
    // another app, and one without any tracking.
    let leftovers = format!(
        "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: old\n  labels: {{app.kubernetes.io/instance: {app}}}\ndata: {{x: \"1\"}}\n---\napiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: foreign\n  labels: {{app.kubernetes.io/instance: other-app}}\n---\napiVersion: v1\nkind: ConfigMap\nmetadata: {{name: untracked}}\n"
    );
    kubectl_stdin(&["apply", "-n", &ns.name, "-f", "-"], &leftovers).success();

    // Argo CD 3's default (the annotation) does not own it, and says why.
    let out = gitops(&repo, &records, &["diff", "root.yaml"]).code(1);
    assert!(!out.stdout.contains("old (to prune)"), "{out:#?}");
    assert!(
        out.stderr.contains(
            "1 live object no longer in Git carries the label app.kubernetes.io/instance="
        ) && out.stderr.contains("--tracking-method label"),
        "{out:#?}"
    );

    // With label tracking it is the app's, and goes.
    let out = gitops(
        &repo,
        &records,
        &["diff", "root.yaml", "--tracking-method", "label"],
    )
    .code(1);
    assert!(
        out.stdout
            .contains(&format!("- ConfigMap {}/old (to prune)", ns.name)),
        "{out:#?}"
    );
    assert!(!out.stdout.contains("foreign"), "{out:#?}");
    assert!(!out.stdout.contains("untracked"), "{out:#?}");

    let out = gitops(
        &repo,
        &records,
        &["sync", "root.yaml", "--prune", "--tracking-method", "label"],
    )
    .success();
    assert!(get(&ns.name, "configmap/old").is_none(), "{out:#?}");
    assert!(get(&ns.name, "configmap/foreign").is_some());
    assert!(get(&ns.name, "configmap/untracked").is_some());
    // Sync stamped the label, not the annotation.
    let keep = get(&ns.name, "configmap/keep").unwrap();
    assert_eq!(
        keep["metadata"]["labels"]["app.kubernetes.io/instance"],
        app.as_str()
    );
    assert!(
        keep["metadata"]["annotations"]
            .get("argocd.argoproj.io/tracking-id")
            .is_none(),
        "{keep:#}"
    );
    gitops(
        &repo,
        &records,
        &["diff", "root.yaml", "--tracking-method", "label"],
    )
    .code(0);

    // Both: the annotation tracks, the label is written too.
    let out = gitops(
        &repo,
        &records,
        &["sync", "root.yaml", "--tracking-method", "annotation+label"],
    )
    .success();
    let keep = get(&ns.name, "configmap/keep").unwrap();
    assert_eq!(
        keep["metadata"]["annotations"]["argocd.argoproj.io/tracking-id"],
        format!("{app}:/ConfigMap:{}/keep", ns.name),
        "{out:#?}"
    );
    assert_eq!(
        keep["metadata"]["labels"]["app.kubernetes.io/instance"],
        app.as_str()
    );
}
