//! One tree synced into two clusters in one run: a second control plane, started by this test
//! on ports of its own, named by a second kubeconfig context.

use crate::gitrepo::GitRepo;
use crate::harness::{Run, cluster_kubeconfig, kubectl, run};
use crate::second_cluster::SecondCluster;

const URL: &str = "https://git.example.com/lab/fleet.git";

/// Object names listed by `kubectl get -o name`, without the namespace's own CA ConfigMap.
fn names(out: &Run) -> Vec<&str> {
    out.stdout
        .lines()
        .filter(|l| !l.contains("kube-root-ca"))
        .collect()
}

fn application(name: &str, path: &str, ns: &str, server: &str) -> String {
    format!(
        "apiVersion: argoproj.io/v1alpha1\nkind: Application\nmetadata: {{name: {name}, namespace: argocd}}\nspec:\n  source: {{repoURL: \"{URL}\", path: {path}}}\n  destination: {{server: \"{server}\", namespace: {ns}}}\n  syncPolicy: {{syncOptions: [CreateNamespace=true]}}\n"
    )
}

#[test]
fn one_tree_syncs_into_two_clusters() {
    let second = SecondCluster::start();
    let ns = format!("fleet-{}", std::process::id());
    let rec = format!("fleet-rec-{}", std::process::id());
    let repo = GitRepo::new();
    repo.git(&["remote", "add", "origin", URL]);
    repo.write(
        "apps/here.yaml",
        &application("here", "here", &ns, "https://kubernetes.default.svc"),
    )
    .write(
        "apps/there.yaml",
        &application("there", "there", &ns, &second.server()),
    )
    .write(
        "apps/nowhere.yaml",
        &application("nowhere", "here", &ns, "https://127.0.0.1:1"),
    )
    .write(
        "here/cm.yaml",
        "apiVersion: v1\nkind: ConfigMap\nmetadata: {name: here}\ndata: {cluster: first}\n",
    )
    .write(
        "there/cm.yaml",
        "apiVersion: v1\nkind: ConfigMap\nmetadata: {name: there}\ndata: {cluster: second}\n",
    );
    repo.commit("fleet");
    let kubeconfigs = format!(
        "{}:{}",
        cluster_kubeconfig().display(),
        second.kubeconfig().display()
    );
    let gitops = |args: &[&str]| {
        let mut all = vec!["gitops"];
        all.extend_from_slice(args);
        all.extend(["--records-namespace", rec.as_str()]);
        run(kubectl(None)
            .current_dir(repo.path())
            .env("KUBECONFIG", &kubeconfigs)
            .args(&all))
    };
    let out = gitops(&["sync", "apps"]);
    assert_eq!(out.code, 0, "{out:#?}");
    assert!(
        out.stderr.contains("[there] syncing to context second"),
        "{out:#?}"
    );
    assert!(
        out.stderr.contains("destination https://127.0.0.1:1/")
            && out.stderr.contains("matches no kubeconfig context"),
        "an unknown destination is skipped with a warning: {out:#?}"
    );
    let first = run(kubectl(Some(&cluster_kubeconfig())).args([
        "get",
        "configmap",
        "-n",
        &ns,
        "-o",
        "name",
    ]));
    assert_eq!(names(&first), ["configmap/here"], "{first:#?}");
    let there = second.kubectl(&["get", "configmap", "-n", &ns, "-o", "name"]);
    assert_eq!(names(&there), ["configmap/there"], "{there:#?}");
    // The record of each app is in its own cluster.
    let rec_there = second.kubectl(&["get", "configmap", "-n", &rec, "app-there", "-o", "name"]);
    assert_eq!(rec_there.code, 0, "{rec_there:#?}");
    // And diff sees both clusters in sync.
    let diff = gitops(&["diff", "apps"]);
    assert_eq!(diff.code, 0, "{diff:#?}");
    let _ = run(kubectl(Some(&cluster_kubeconfig())).args([
        "delete",
        "namespace",
        &ns,
        &rec,
        "--wait=false",
    ]));
}
