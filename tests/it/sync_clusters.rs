//! One tree synced into two clusters in one run: a second control plane, started by this test
//! on ports of its own, named by a second kubeconfig context.

use std::path::{Path, PathBuf};
use std::process::Command;

use serde_json::Value;

use crate::gitrepo::GitRepo;
use crate::harness::{Run, cluster_kubeconfig, kubectl, run};

const URL: &str = "https://git.example.com/lab/fleet.git";

/// A free TCP port on loopback (and the one 10 above it, for etcd's peer port).
fn free_port_pair() -> u16 {
    loop {
        let l = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
        let port = l.local_addr().unwrap().port();
        drop(l);
        if port < 60000 && std::net::TcpListener::bind(("127.0.0.1", port + 10)).is_ok() {
            return port;
        }
    }
}

/// A second control plane, stopped when dropped.
struct SecondCluster {
    dir: PathBuf,
    api_port: u16,
}

impl SecondCluster {
    fn start() -> SecondCluster {
        let dir = PathBuf::from(format!("/dev/shm/kgitops-it-second-{}", std::process::id()));
        let api_port = free_port_pair();
        let etcd_port = free_port_pair();
        let script = Path::new(env!("CARGO_MANIFEST_DIR")).join("scripts/test-cluster.sh");
        let out = Command::new("bash")
            .arg(&script)
            .arg("start")
            .env("KGITOPS_TEST_DIR", &dir)
            .env("KGITOPS_API_PORT", api_port.to_string())
            .env("KGITOPS_ETCD_PORT", etcd_port.to_string())
            .output()
            .unwrap();
        assert!(
            out.status.success(),
            "second control plane did not start: {}",
            String::from_utf8_lossy(&out.stderr)
        );
        SecondCluster { dir, api_port }
    }

    fn server(&self) -> String {
        format!("https://127.0.0.1:{}", self.api_port)
    }

    /// Its kubeconfig with every name made distinct (`second`), so it merges with the first.
    fn kubeconfig(&self) -> PathBuf {
        let original = self.dir.join("kubeconfig");
        let out = run(Command::new("kubectl")
            .env("KUBECONFIG", &original)
            .args(["config", "view", "--raw", "-o", "json"]));
        assert_eq!(out.code, 0, "{out:#?}");
        let mut kc: Value = serde_json::from_str(&out.stdout).unwrap();
        kc["clusters"][0]["name"] = "second".into();
        kc["users"] = Value::Array(vec![
            kc["users"]
                .as_array()
                .unwrap()
                .iter()
                .find(|u| u["name"] == "token-admin")
                .unwrap()
                .clone(),
        ]);
        kc["users"][0]["name"] = "second-admin".into();
        kc["contexts"] = serde_json::json!([{"name": "second",
            "context": {"cluster": "second", "user": "second-admin"}}]);
        kc["current-context"] = "second".into();
        let path = self.dir.join("kubeconfig-second.json");
        std::fs::write(&path, kc.to_string()).unwrap();
        path
    }

    fn kubectl(&self, args: &[&str]) -> Run {
        run(kubectl(Some(&self.dir.join("kubeconfig"))).args(args))
    }
}

impl Drop for SecondCluster {
    fn drop(&mut self) {
        let script = Path::new(env!("CARGO_MANIFEST_DIR")).join("scripts/test-cluster.sh");
        let _ = Command::new("bash")
            .arg(&script)
            .arg("stop")
            .env("KGITOPS_TEST_DIR", &self.dir)
            .output();
    }
}

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
