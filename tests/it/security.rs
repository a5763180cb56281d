//! A repository of hostile content, previewed the way CI previews a pull request: rendered,
//! tree'd and diffed (live and revision against revision, every output format) against the real
//! API server. Whatever the repository tries, no program runs, no file outside it is read, no
//! request leaves the namespaces it may name, no Secret value of the cluster and no credential
//! reaches any output, and each attack is a clear error naming its app while the good app still
//! works.

use crate::gitrepo::GitRepo;
use crate::harness::{Run, TestNamespace, gitops_in, kubectl_ok, tempdir};

const URL: &str = "https://git.example.com/lab/hostile.git";

/// The most memory a run over the hostile repository may use (its peak resident set).
const MEMORY_BOUND_KIB: u64 = 256 * 1024;

/// An Application for a case: `source` and `destination` are YAML flow mappings.
fn application(name: &str, source: &str, namespace: &str, extra: &str) -> String {
    format!(
        "apiVersion: argoproj.io/v1alpha1\nkind: Application\nmetadata: {{name: {name}, namespace: argocd}}\nspec:\n  source: {source}\n  destination: {{server: \"https://kubernetes.default.svc\", namespace: {namespace}}}\n{extra}"
    )
}

fn quoted(s: &str) -> String {
    serde_json::to_string(s).unwrap()
}

/// Everything a run printed.
fn all_output(runs: &[(String, Run)]) -> String {
    runs.iter()
        .map(|(what, r)| format!("==== {what}\n{}\n{}", r.stdout, r.stderr))
        .collect()
}

struct Hostile {
    repo: GitRepo,
    _outside: tempfile::TempDir,
    marker: std::path::PathBuf,
    /// Never in any output: cluster Secrets, files outside the repository.
    forbidden_always: Vec<String>,
    /// Not in tree or diff output either: the repository's own Secret values.
    forbidden: Vec<String>,
    victim: TestNamespace,
    ns: TestNamespace,
}

/// The hostile repository: a `good` app and one app per attack, in a second commit.
fn hostile() -> Hostile {
    let ns = TestNamespace::new("hostile");
    let victim = TestNamespace::new("victim");
    let victim_value = format!("victim-secret-{}", std::process::id());
    kubectl_ok(&[
        "create",
        "secret",
        "generic",
        "creds",
        "-n",
        &victim.name,
        &format!("--from-literal=password={victim_value}"),
    ]);
    let live_value = format!("live-secret-{}", std::process::id());
    kubectl_ok(&[
        "create",
        "secret",
        "generic",
        "creds",
        "-n",
        &ns.name,
        &format!("--from-literal=token={live_value}"),
    ]);

    // Things outside the repository that it must not reach.
    let outside = tempdir();
    let marker = outside.path().join("PWNED");
    let script = outside.path().join("pwned.sh");
    std::fs::write(
        &script,
        format!("#!/bin/sh\ntouch {}\ncat\n", marker.display()),
    )
    .unwrap();
    std::fs::set_permissions(&script, std::os::unix::fs::PermissionsExt::from_mode(0o755)).unwrap();
    let sentinel_kust = format!("sentinel-kustomize-{}", std::process::id());
    let sentinel_file = format!("sentinel-file-{}", std::process::id());
    std::fs::create_dir_all(outside.path().join("outside")).unwrap();
    std::fs::write(
        outside.path().join("outside/kustomization.yaml"),
        "resources: [cm.yaml]\n",
    )
    .unwrap();
    std::fs::write(
        outside.path().join("outside/cm.yaml"),
        format!("apiVersion: v1\nkind: ConfigMap\nmetadata: {{name: stolen}}\ndata: {{v: {sentinel_kust}}}\n"),
    )
    .unwrap();
    std::fs::write(outside.path().join("outside/secret.txt"), &sentinel_file).unwrap();

    let repo = GitRepo::new();
    repo.git(&["remote", "add", "origin", URL]);
    let src = |path: &str| format!("{{repoURL: {URL}, path: {path}}}");
    repo.write(
        "root.yaml",
        &application("root", &src("apps"), "argocd", ""),
    )
    .write("apps/good.yaml", &application("good", &src("good"), &ns.name, ""))
    .write(
        "good/cm.yaml",
        // Data that would drive a terminal or forge markdown if printed raw.
        "apiVersion: v1\nkind: ConfigMap\nmetadata: {name: fine}\ndata:\n  ansi: \"\\e[2J\\e]0;pwned\\a\"\n  md: \"```\\n## Forged heading\\n<img src=x onerror=alert(1)>\"\n",
    );
    repo.commit("good app");

    let chart = "apiVersion: v2\nname: basic\nversion: 0.1.0\n";
    let chart_cm = "apiVersion: v1\nkind: ConfigMap\nmetadata: {name: from-chart}\ndata: {a: b}\n";
    let rel_outside = {
        // From cases/kust inside the repo to the outside folder.
        let repo_parent = repo.path().parent().unwrap();
        let rest = outside.path().strip_prefix(repo_parent).unwrap();
        format!("../../../{}", rest.display())
    };
    let helm_src = |helm: &str| format!("{{repoURL: {URL}, path: cases/chart, helm: {helm}}}");
    let script_s = script.display().to_string();
    repo.write("cases/chart/Chart.yaml", chart)
        .write("cases/chart/templates/cm.yaml", chart_cm)
        // helm argv: values that would become options.
        .write(
            "apps/helm-release.yaml",
            &application(
                "helm-release",
                &helm_src(&format!("{{releaseName: {}}}", quoted(&format!("--post-renderer={script_s}")))),
                &ns.name,
                "",
            ),
        )
        .write(
            "apps/helm-param.yaml",
            &application(
                "helm-param",
                &helm_src(&format!(
                    "{{parameters: [{{name: --post-renderer, value: {}}}]}}",
                    quoted(&script_s)
                )),
                &ns.name,
                "",
            ),
        )
        .write(
            "apps/helm-kube-version.yaml",
            &application(
                "helm-kube-version",
                &helm_src(&format!("{{kubeVersion: {}}}", quoted(&format!("--post-renderer={script_s}")))),
                &ns.name,
                "",
            ),
        )
        .write(
            "apps/helm-namespace.yaml",
            &application(
                "helm-namespace",
                &helm_src(&format!("{{namespace: {}}}", quoted(&format!("--post-renderer={script_s}")))),
                &ns.name,
                "",
            ),
        )
        // Request paths: a namespace or name that would rewrite the URL.
        .write(
            "apps/ns-escape.yaml",
            &application(
                "ns-escape",
                &src("cases/plain"),
                &quoted(&format!("{}/secrets?", victim.name)),
                "",
            ),
        )
        .write("cases/plain/cm.yaml", "apiVersion: v1\nkind: ConfigMap\nmetadata: {name: plain}\ndata: {a: b}\n")
        .write("apps/name-escape.yaml", &application("name-escape", &src("cases/names"), &ns.name, ""))
        .write(
            "cases/names/cm.yaml",
            &format!(
                "apiVersion: v1\nkind: ConfigMap\nmetadata: {{name: \"settings?\"}}\ndata: {{a: b}}\n---\napiVersion: v1\nkind: ConfigMap\nmetadata: {{name: \"x#\", namespace: {}}}\n",
                quoted(&format!("{}/secrets#", victim.name))
            ),
        )
        // Files outside the repository through kustomize.
        .write("apps/kustomize-escape.yaml", &application("kustomize-escape", &src("cases/kust"), &ns.name, ""))
        .write(
            "cases/kust/kustomization.yaml",
            &format!("resources:\n- {rel_outside}/outside\n"),
        )
        .write("apps/kustomize-file.yaml", &application("kustomize-file", &src("cases/kfile"), &ns.name, ""))
        .write(
            "cases/kfile/kustomization.yaml",
            &format!("configMapGenerator:\n- name: leak\n  files: [leak={rel_outside}/outside/secret.txt]\n"),
        )
        // Masking turned off by a rule that removes the kind.
        .write(
            "apps/ignore-kind.yaml",
            &application(
                "ignore-kind",
                &src("cases/secret"),
                &ns.name,
                "  ignoreDifferences:\n  - {kind: Secret, jsonPointers: [/kind, /apiVersion]}\n",
            ),
        )
        .write(
            "cases/secret/secret.yaml",
            "apiVersion: v1\nkind: Secret\nmetadata: {name: creds}\nstringData: {token: git-secret-value}\n",
        )
        // A server error that quotes a Secret's value.
        .write("apps/secret-error.yaml", &application("secret-error", &src("cases/secret-error"), &ns.name, ""))
        .write(
            "cases/secret-error/secret.yaml",
            "apiVersion: v1\nkind: Secret\nmetadata: {name: pin}\nstringData: {pin: 987654321}\n",
        )
        // Parser budgets.
        .write("apps/alias-bomb.yaml", &application("alias-bomb", &src("cases/bomb"), &ns.name, ""))
        .write("cases/bomb/bomb.yaml", &{
            let mut bomb = String::from("a0: &a0 [x, x, x, x, x, x, x, x, x, x]\n");
            for i in 1..30 {
                bomb.push_str(&format!(
                    "a{i}: &a{i} [*a{p}, *a{p}, *a{p}, *a{p}, *a{p}, *a{p}, *a{p}, *a{p}, *a{p}, *a{p}]\n",
                    p = i - 1
                ));
            }
            bomb
        })
        .write("apps/huge-file.yaml", &application("huge-file", &src("cases/huge"), &ns.name, ""))
        .write("cases/huge/big.yaml", &"# filler\n".repeat(4 * 1024 * 1024 + 1))
        // Output forgery through names: refused, and printed escaped.
        .write("apps/bad-names.yaml", &application("bad-names", &src("cases/bad-names"), "argocd", ""))
        .write(
            "cases/bad-names/apps.yaml",
            &format!(
                "{}---\n{}",
                application(&quoted("evil\u{1b}]0;pwned\u{7}"), &src("cases/plain"), &ns.name, ""),
                application(&quoted("x\n## All clear"), &src("cases/plain"), &ns.name, "")
            ),
        )
        .write("apps/bad-file.yaml", &application("bad-file", &src("cases/badfile"), &ns.name, ""))
        .write("cases/badfile/a\n```\n## Forged heading.yaml", "apiVersion: v1\nkind: ConfigMap\nmetadata: [1\n")
        // A chart file that is a symlink to a file outside the repository.
        .write("apps/helm-symlink.yaml", &application("helm-symlink", &format!("{{repoURL: {URL}, path: cases/linked, helm: {{}}}}"), &ns.name, ""))
        .write("cases/linked/Chart.yaml", chart)
        .write("cases/linked/templates/cm.yaml", chart_cm)
        // Local repositories named by path or file:// (another repository on the runner).
        .write(
            "apps/local-path.yaml",
            &application("local-path", &format!("{{repoURL: {}, path: x}}", outside.path().display()), &ns.name, ""),
        )
        .write(
            "apps/file-url.yaml",
            &application("file-url", &format!("{{repoURL: \"file://{}\", path: x}}", outside.path().display()), &ns.name, ""),
        )
        // A token in a repoURL with an upper-case scheme, to a dead loopback port.
        .write(
            "apps/token-url.yaml",
            &application("token-url", "{repoURL: \"HTTPS://user:tok3n-secret@127.0.0.1:1/x.git\", path: x}", &ns.name, ""),
        )
        // An ApplicationSet template that would allocate gigabytes.
        .write(
            "apps/template-bomb.yaml",
            &format!(
                "apiVersion: argoproj.io/v1alpha1\nkind: ApplicationSet\nmetadata: {{name: template-bomb, namespace: argocd}}\nspec:\n  goTemplate: true\n  generators:\n  - list: {{elements: [{{n: one}}]}}\n  template:\n    metadata: {{name: 'bomb-{{{{printf \"%999999999d\" 1}}}}'}}\n    spec:\n      source: {{repoURL: {URL}, path: cases/plain}}\n      destination: {{server: \"https://kubernetes.default.svc\", namespace: {}}}\n",
                ns.name
            ),
        );
    std::os::unix::fs::symlink(
        outside.path().join("outside/secret.txt"),
        repo.path().join("cases/linked/templates/leak.yaml"),
    )
    .unwrap();
    repo.commit("hostile content");

    let forbidden_always = vec![
        victim_value.clone(),
        b64(&victim_value),
        live_value.clone(),
        b64(&live_value),
        sentinel_kust,
        sentinel_file,
        "tok3n-secret".to_string(),
    ];
    let mut forbidden = forbidden_always.clone();
    forbidden.extend([
        "git-secret-value".to_string(),
        b64("git-secret-value"),
        "987654321".to_string(),
    ]);
    Hostile {
        repo,
        _outside: outside,
        marker,
        forbidden_always,
        forbidden,
        victim,
        ns,
    }
}

fn b64(s: &str) -> String {
    use base64::Engine as _;
    base64::engine::general_purpose::STANDARD.encode(s)
}

/// Each attack is an error for its app, worded for the user.
const EXPECTED: &[(&str, &str)] = &[
    ("helm-release", "Helm release name \"--post-renderer="),
    ("helm-param", "parameter name \"--post-renderer\""),
    ("helm-kube-version", "kubeVersion \"--post-renderer="),
    ("helm-namespace", "namespace \"--post-renderer="),
    ("ns-escape", "spec.destination.namespace"),
    ("name-escape", "metadata.name \"settings?\" is not valid"),
    ("kustomize-escape", "leaves the repository"),
    ("kustomize-file", "leaves the repository"),
    ("alias-bomb", "alias"),
    ("huge-file", "file too large (limit 32 MiB)"),
    ("bad-file", "invalid YAML"),
    (
        "bad-names",
        "metadata.name \"evil\\u{1b}]0;pwned\\u{7}\" is not valid",
    ),
];

fn check_runs(h: &Hostile, runs: &[(String, Run)], errors_expected: &[&str]) {
    for (what, run) in runs {
        let printed = all_output(std::slice::from_ref(&(what.clone(), run.clone())));
        // `render` prints the repository's manifests as they are, Secrets included (it is the
        // stream to pipe into kubectl apply); values from the cluster or the runner never.
        let forbidden: &[String] = if what.starts_with("render") {
            &h.forbidden_always
        } else {
            &h.forbidden
        };
        for value in forbidden {
            assert!(
                !printed.contains(value.as_str()),
                "{value} leaked:\n{printed}"
            );
        }
    }
    assert!(!h.marker.exists(), "a program named by the repository ran");
    for (what, run) in runs {
        assert_eq!(run.code, 2, "{what}: errors give exit code 2: {run:#?}");
        assert!(!run.stderr.contains("panicked"), "{what}: {run:#?}");
        for stream in [&run.stdout, &run.stderr] {
            assert!(
                !stream
                    .chars()
                    .any(|c| c.is_control() && c != '\n' && c != '\t'),
                "{what}: a control character reached the output: {stream:?}"
            );
            assert!(
                !stream
                    .lines()
                    .any(|l| l.starts_with("## Forged") || l.starts_with("## All clear")),
                "{what}: data became a heading: {stream}"
            );
        }
        for app in errors_expected {
            let (_, message) = EXPECTED.iter().find(|(a, _)| a == app).unwrap();
            let line = run
                .stderr
                .lines()
                .find(|l| l.contains(&format!("\"{app}\"")) && l.contains(message));
            assert!(
                line.is_some(),
                "{what}: no error for {app} saying {message:?}: {}",
                run.stderr
            );
        }
    }
}

#[test]
fn a_hostile_repository_cannot_reach_the_machine_or_the_cluster() {
    let h = hostile();
    let dir = h.repo.path();
    let mut runs = Vec::new();
    for args in [
        vec!["tree"],
        vec!["tree", "-o", "json"],
        vec!["render"],
        vec!["render", "-o", "json"],
        vec!["diff"],
        vec!["diff", "-o", "json"],
        vec!["diff", "-o", "markdown"],
    ] {
        let (run, peak_kib) = crate::harness::gitops_in_measured(dir, &args);
        // The alias bombs, the deep nesting, the huge file and the template loops are refused
        // within their budgets: the run stays small.
        assert!(
            peak_kib < MEMORY_BOUND_KIB,
            "{args:?} peaked at {} MiB",
            peak_kib / 1024
        );
        runs.push((args.join(" "), run));
    }
    let all: Vec<&str> = EXPECTED.iter().map(|(a, _)| *a).collect();
    check_runs(&h, &runs, &all);

    // The good app still works, and its data is shown escaped.
    let tree = &runs[1].1;
    assert!(tree.stdout.contains("\"name\": \"good\""), "{tree:#?}");
    let diff_text = &runs[4].1;
    assert!(
        diff_text.stdout.contains("good: OutOfSync (1 added"),
        "{diff_text:#?}"
    );
    assert!(diff_text.stdout.contains("\\e[2J"), "{diff_text:#?}");
    let md = &runs[6].1.stdout;
    assert!(md.contains("### `good`: OutOfSync"), "{md}");
    // The ignoreDifferences rule did not unmask the Secret: keys are named, values masked.
    let json: serde_json::Value = serde_json::from_str(&runs[5].1.stdout).unwrap();
    let app = json["apps"]
        .as_array()
        .unwrap()
        .iter()
        .find(|a| a["name"] == "ignore-kind")
        .unwrap();
    assert_eq!(
        app["objects"][0]["secretKeys"],
        serde_json::json!(["token"]),
        "{app}"
    );
    assert!(
        app["objects"][0]["diff"]
            .as_str()
            .unwrap()
            .contains("++++++++"),
        "{app}"
    );
    // The server refused the Secret; its message is reduced to the field.
    let secret_error = json["apps"]
        .as_array()
        .unwrap()
        .iter()
        .find(|a| a["name"] == "secret-error")
        .unwrap();
    let message = secret_error["errors"][0].as_str().unwrap();
    assert!(message.contains(".stringData.pin"), "{message}");

    // Revision against revision: the same errors on the new side, nothing leaks.
    let mut runs = Vec::new();
    for format in ["text", "json", "markdown"] {
        let args = ["diff", "--from", "HEAD~1", "--to", "HEAD", "-o", format];
        runs.push((args.join(" "), gitops_in(dir, &args)));
    }
    check_runs(&h, &runs, &all);

    assert_no_request_left_the_namespaces(&h);
}

/// The API server's audit log: every request the plugin made names only the test's own
/// namespace (or no namespace: discovery, cluster-scoped lists).
fn assert_no_request_left_the_namespaces(h: &Hostile) {
    let ours = crate::harness::audit_events();
    let mine: Vec<&serde_json::Value> = ours
        .iter()
        .filter(|e| {
            e["requestURI"]
                .as_str()
                .is_some_and(|u| u.contains(&h.ns.name))
        })
        .collect();
    assert!(
        !mine.is_empty(),
        "the plugin's requests are in the audit log"
    );
    // Other tests run the plugin at the same time in their own namespaces; none of them, and
    // none of ours, may touch the victim's namespace, which only this test knows.
    for e in &ours {
        let uri = e["requestURI"].as_str().unwrap_or_default();
        assert!(
            !uri.contains(&h.victim.name),
            "a request reached the victim's namespace: {e}"
        );
        let ns = e["objectRef"]["namespace"].as_str().unwrap_or("default");
        assert!(
            ns.bytes()
                .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'-'),
            "a request named an invalid namespace: {e}"
        );
    }
}

/// Big but honest manifests pass: a 2 MB file of 400 ConfigMaps and 64-deep nesting.
#[test]
fn real_sized_manifests_are_within_the_budgets() {
    let repo = GitRepo::new();
    repo.git(&["remote", "add", "origin", URL]);
    let value = "x".repeat(5000);
    let mut many = String::new();
    for i in 0..400 {
        many.push_str(&format!(
            "apiVersion: v1\nkind: ConfigMap\nmetadata: {{name: c{i}}}\ndata: {{v: {value}}}\n---\n"
        ));
    }
    assert!(many.len() > 2_000_000);
    let mut deep =
        String::from("apiVersion: v1\nkind: ConfigMap\nmetadata: {name: deep}\ndata: {a: b}\nx:\n");
    for i in 0..64 {
        deep.push_str(&"  ".repeat(i + 1));
        deep.push_str("a:\n");
    }
    deep.push_str(&"  ".repeat(66));
    deep.push_str("b: 1\n");
    repo.write(
        "root.yaml",
        &application("big", &format!("{{repoURL: {URL}, path: big}}"), "big", ""),
    )
    .write("big/many.yaml", &many)
    .write("big/deep.yaml", &deep);
    repo.commit("big");
    let out = crate::harness::gitops_offline(repo.path(), &["render", "-o", "json"]).success();
    let doc: serde_json::Value = serde_json::from_str(&out.stdout).unwrap();
    assert_eq!(doc["items"].as_array().unwrap().len(), 401);
}
