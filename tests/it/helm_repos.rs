//! Helm as real Argo CD repositories use it: charts from a chart repository (`index.yaml` over
//! HTTP, served on loopback by the test) and from an OCI registry (distribution's registry,
//! built by tools/build.sh), wrapper charts whose dependencies are built on a private copy and
//! cached, `--offline` from the cache, `.Capabilities` from the cluster, flags or the app, and
//! kustomize `helmCharts` with build options from the command line or the tree's argocd-cm.

use std::path::{Path, PathBuf};
use std::process::Command;

use crate::dumb_http::DumbHttp;
use crate::gitrepo::GitRepo;
use crate::harness::{Run, cluster_kubeconfig, json, kubectl, kubectl_ok, kubectl_stdin, run};
use crate::oci_registry::OciRegistry;

const URL: &str = "https://git.example.com/lab/charts.git";

/// Per-test homes for helm (repository cache, registry config) and for the plugin's cache, so
/// parallel tests never share a chart cache and the runner's own helm configuration is unused.
struct Homes {
    dir: tempfile::TempDir,
}

impl Homes {
    fn new() -> Homes {
        Homes {
            dir: crate::harness::tempdir(),
        }
    }

    fn apply(&self, cmd: &mut Command) {
        for (var, sub) in [
            ("XDG_CACHE_HOME", "cache"),
            ("XDG_CONFIG_HOME", "config"),
            ("XDG_DATA_HOME", "data"),
        ] {
            cmd.env(var, self.dir.path().join(sub));
        }
    }

    /// The plugin's cache directory.
    fn cache(&self) -> PathBuf {
        self.dir.path().join("cache/kubectl-gitops")
    }

    /// `helm ARGS` in `cwd`, asserting success.
    #[track_caller]
    fn helm(&self, cwd: &Path, args: &[&str]) -> String {
        let mut cmd = Command::new("helm");
        self.apply(&mut cmd);
        let out = run(cmd.args(args).current_dir(cwd));
        assert_eq!(out.code, 0, "helm {args:?}: {out:#?}");
        out.stdout
    }

    /// `kubectl gitops ARGS` in `dir`, without a cluster.
    fn gitops(&self, dir: &Path, args: &[&str]) -> Run {
        let mut cmd = kubectl(None);
        self.apply(&mut cmd);
        run(cmd.current_dir(dir).arg("gitops").args(args))
    }

    /// `kubectl gitops ARGS` in `dir`, against the test cluster.
    fn gitops_cluster(&self, dir: &Path, args: &[&str]) -> Run {
        let kc = cluster_kubeconfig();
        let mut cmd = kubectl(Some(&kc));
        self.apply(&mut cmd);
        run(cmd.current_dir(dir).arg("gitops").args(args))
    }
}

/// Writes a small chart `name` at `version` into `dir/name`: one ConfigMap named after the
/// release and chart, with `message` from its values.
fn write_chart(dir: &Path, name: &str, version: &str, extra_files: &[(&str, &str)]) -> PathBuf {
    let chart = dir.join(name);
    std::fs::create_dir_all(chart.join("templates")).unwrap();
    std::fs::write(
        chart.join("Chart.yaml"),
        format!("apiVersion: v2\nname: {name}\nversion: {version}\n"),
    )
    .unwrap();
    std::fs::write(
        chart.join("values.yaml"),
        format!("message: {name}-{version}-default\nlayer: chart\n"),
    )
    .unwrap();
    std::fs::write(
        chart.join("templates/cm.yaml"),
        "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: {{ .Release.Name }}-{{ .Chart.Name }}\ndata:\n  message: {{ .Values.message | quote }}\n  layer: {{ .Values.layer | quote }}\n  version: {{ .Chart.Version | quote }}\n",
    )
    .unwrap();
    for (rel, text) in extra_files {
        let p = chart.join(rel);
        std::fs::create_dir_all(p.parent().unwrap()).unwrap();
        std::fs::write(p, text).unwrap();
    }
    chart
}

/// A chart repository directory: `demo` 0.1.0 and 0.2.0 packaged and indexed.
fn chart_repository(homes: &Homes) -> tempfile::TempDir {
    let src = crate::harness::tempdir();
    let repo = crate::harness::tempdir();
    for v in ["0.1.0", "0.2.0"] {
        let chart = write_chart(
            &src.path().join(v),
            "demo",
            v,
            &[(
                "values-prod.yaml",
                "message: from-chart-values-prod\nlayer: chart-file\n",
            )],
        );
        homes.helm(
            src.path(),
            &[
                "package",
                &chart.display().to_string(),
                "-d",
                &repo.path().display().to_string(),
            ],
        );
    }
    homes.helm(repo.path(), &["repo", "index", "."]);
    repo
}

/// Pushes `demo` 0.1.0 and 0.2.0 to `oci://<registry>/charts`.
fn push_charts(homes: &Homes, registry: &OciRegistry) {
    let src = crate::harness::tempdir();
    for v in ["0.1.0", "0.2.0"] {
        let chart = write_chart(&src.path().join(v), "demo", v, &[]);
        homes.helm(
            src.path(),
            &["package", &chart.display().to_string(), "-d", "out"],
        );
        homes.helm(
            src.path(),
            &[
                "push",
                &format!("out/demo-{v}.tgz"),
                &format!("oci://{}/charts", registry.host()),
                "--plain-http",
            ],
        );
    }
}

fn chart_app(name: &str, repo_url: &str, chart: &str, revision: &str, helm: &str) -> String {
    format!(
        "apiVersion: argoproj.io/v1alpha1\nkind: Application\nmetadata: {{name: {name}, namespace: argocd}}\nspec:\n  destination: {{server: \"https://kubernetes.default.svc\", namespace: charts}}\n  source:\n    repoURL: {repo_url}\n    chart: {chart}\n    targetRevision: \"{revision}\"\n{helm}---\n"
    )
}

fn git_app(name: &str, path: &str) -> String {
    format!(
        "apiVersion: argoproj.io/v1alpha1\nkind: Application\nmetadata: {{name: {name}, namespace: argocd}}\nspec:\n  destination: {{server: \"https://kubernetes.default.svc\", namespace: charts}}\n  source:\n    repoURL: {URL}\n    path: {path}\n---\n"
    )
}

fn new_repo() -> GitRepo {
    let repo = GitRepo::new();
    repo.git(&["remote", "add", "origin", URL]);
    repo
}

/// The ConfigMaps of a `render -o json`, by name.
fn configmaps(run: &Run) -> std::collections::BTreeMap<String, serde_json::Value> {
    json(run)["items"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|o| o["kind"] == "ConfigMap")
        .map(|o| {
            (
                o["metadata"]["name"].as_str().unwrap().to_string(),
                o["data"].clone(),
            )
        })
        .collect()
}

fn tgz_requests(server: &DumbHttp, file: &str) -> usize {
    server
        .requests()
        .iter()
        .filter(|r| r.path.ends_with(file))
        .count()
}

#[test]
fn chart_sources_from_a_chart_repository_use_the_cache_and_work_offline() {
    let homes = Homes::new();
    let charts = chart_repository(&homes);
    let server = DumbHttp::serve(charts.path(), None);
    let repo_url = server.url("").trim_end_matches('/').to_string();
    let repo = new_repo();
    repo.write("values/envs/prod.yaml", "layer: ref-file\n");
    let exact = format!(
        "apiVersion: argoproj.io/v1alpha1\nkind: Application\nmetadata: {{name: exact, namespace: argocd}}\nspec:\n  destination: {{server: \"https://kubernetes.default.svc\", namespace: charts}}\n  sources:\n  - repoURL: {URL}\n    ref: vals\n  - repoURL: {repo_url}\n    chart: demo\n    targetRevision: 0.1.0\n    helm:\n      valueFiles: [values-prod.yaml, $vals/values/envs/prod.yaml]\n      parameters:\n      - {{name: message, value: $ARGOCD_APP_NAME-param}}\n---\n"
    );
    repo.write(
        "root.yaml",
        &(exact + &chart_app("range", &repo_url, "demo", "0.*", "")),
    );
    repo.commit("chart sources");
    let dir = repo.path();

    let first = homes.gitops(dir, &["render", "-o", "json"]).success();
    let cms = configmaps(&first);
    let exact = &cms["exact-demo"];
    assert_eq!(exact["version"], "0.1.0");
    assert_eq!(
        exact["message"], "exact-param",
        "parameters, with $ARGOCD_APP_NAME"
    );
    assert_eq!(
        exact["layer"], "ref-file",
        "chart value file, then the $ref file"
    );
    assert_eq!(
        cms["range-demo"]["version"], "0.2.0",
        "0.* resolves to the highest"
    );
    let tree = json(&homes.gitops(dir, &["tree", "-o", "json"]).success());
    let source = &tree["apps"][0]["sources"][1];
    assert_eq!(
        (&source["chart"], &source["revision"], &source["type"]),
        (&"demo".into(), &"0.1.0".into(), &"helm".into())
    );
    assert_eq!(
        tgz_requests(&server, "demo-0.1.0.tgz"),
        1,
        "pulled once, then cached"
    );

    // Offline, from the cache: the exact version and the constraint both resolve.
    drop(server);
    let offline = homes
        .gitops(dir, &["render", "-o", "json", "--offline"])
        .success();
    assert_eq!(configmaps(&offline), cms);

    // A version never pulled fails that app, clearly; the others still render.
    repo.write(
        "root.yaml",
        &(chart_app("missing", &repo_url, "demo", "0.3.0", "")
            + &chart_app("range", &repo_url, "demo", "0.*", "")),
    );
    let out = homes
        .gitops(dir, &["render", "-o", "json", "--offline"])
        .code(2)
        .no_panic();
    assert!(
        out.stderr.contains("app \"missing\"")
            && out
                .stderr
                .contains("chart \"demo\" version 0.3.0 from http://127.0.0.1:")
            && out
                .stderr
                .contains("not in the chart cache and --offline forbids downloading it"),
        "{out:#?}"
    );
    assert!(configmaps(&out).contains_key("range-demo"));
}

#[test]
fn chart_sources_from_an_oci_registry_with_or_without_the_scheme() {
    let homes = Homes::new();
    let registry = OciRegistry::start();
    push_charts(&homes, &registry);
    let host = registry.host();
    let repo = new_repo();
    repo.write(
        "root.yaml",
        &(chart_app(
            "scheme",
            &format!("oci://{host}/charts"),
            "demo",
            "0.1.0",
            "",
        ) + &chart_app("bare", &format!("{host}/charts"), "demo", "~0.2", "")),
    );
    repo.commit("oci charts");
    let dir = repo.path();
    let args = [
        "render",
        "-o",
        "json",
        "--plain-http-registry",
        host.as_str(),
    ];
    let cms = configmaps(&homes.gitops(dir, &args).success());
    assert_eq!(cms["scheme-demo"]["version"], "0.1.0");
    assert_eq!(
        cms["bare-demo"]["version"], "0.2.0",
        "constraints resolve against the tags"
    );

    drop(registry);
    let offline = homes
        .gitops(dir, &["render", "-o", "json", "--offline"])
        .success();
    assert_eq!(configmaps(&offline), cms);
}

#[test]
fn wrapper_charts_build_their_dependencies_on_a_private_copy_once() {
    let homes = Homes::new();
    let charts = chart_repository(&homes);
    let server = DumbHttp::serve(charts.path(), None);
    let registry = OciRegistry::start();
    push_charts(&homes, &registry);
    let repo = new_repo();
    let wrapper = |name: &str, deps: &str| {
        repo.write(
            &format!("wrappers/{name}/Chart.yaml"),
            &format!("apiVersion: v2\nname: {name}\nversion: 1.0.0\ndependencies:\n{deps}"),
        );
        repo.write(
            &format!("wrappers/{name}/values.yaml"),
            &format!("demo:\n  message: wrapped-by-{name}\n"),
        );
    };
    wrapper(
        "from-http",
        &format!(
            "- name: demo\n  version: 0.1.0\n  repository: {}\n",
            server.url("").trim_end_matches('/')
        ),
    );
    wrapper(
        "from-oci",
        &format!(
            "- name: demo\n  version: 0.2.0\n  repository: oci://{}/charts\n",
            registry.host()
        ),
    );
    wrapper(
        "from-file",
        "- name: common\n  version: 0.1.0\n  repository: file://../../common\n",
    );
    repo.write(
        "common/Chart.yaml",
        "apiVersion: v2\nname: common\nversion: 0.1.0\n",
    );
    repo.write(
        "common/templates/cm.yaml",
        "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: {{ .Release.Name }}-common\ndata:\n  from: common\n",
    );
    repo.write(
        "root.yaml",
        &(git_app("from-http", "wrappers/from-http")
            + &git_app("from-oci", "wrappers/from-oci")
            + &git_app("from-file", "wrappers/from-file")),
    );
    let sha = repo.commit("wrapper charts");
    let dir = repo.path();
    let host = registry.host();
    let online = [
        "render",
        "-o",
        "json",
        "--plain-http-registry",
        host.as_str(),
    ];

    for args in [
        &online[..],
        &[&online[..], &["--revision", "HEAD"]].concat(),
    ] {
        let cms = configmaps(&homes.gitops(dir, args).success());
        assert_eq!(cms["from-http-demo"]["message"], "wrapped-by-from-http");
        assert_eq!(cms["from-http-demo"]["version"], "0.1.0");
        assert_eq!(cms["from-oci-demo"]["message"], "wrapped-by-from-oci");
        assert_eq!(cms["from-oci-demo"]["version"], "0.2.0");
        assert_eq!(cms["from-file-common"]["from"], "common");
    }
    // Neither the work tree nor the shared commit tree got a charts/ directory.
    for name in ["from-http", "from-oci", "from-file"] {
        assert!(!dir.join(format!("wrappers/{name}/charts")).exists());
        assert!(
            !homes
                .cache()
                .join(format!("trees/{sha}/wrappers/{name}/charts"))
                .exists()
        );
    }
    assert!(repo.git(&["status", "--porcelain"]).is_empty());
    // The work tree and the commit have the same Chart.yaml: one download in all.
    assert_eq!(tgz_requests(&server, "demo-0.1.0.tgz"), 1);

    // Offline, every dependency comes from the cache.
    drop(server);
    drop(registry);
    let cms = configmaps(
        &homes
            .gitops(dir, &["render", "-o", "json", "--offline"])
            .success(),
    );
    assert_eq!(cms["from-oci-demo"]["message"], "wrapped-by-from-oci");
    // A changed Chart.yaml needs a new build, which --offline refuses clearly.
    repo.write(
        "wrappers/from-http/Chart.yaml",
        "apiVersion: v2\nname: from-http\nversion: 1.0.1\ndependencies:\n- name: demo\n  version: 0.2.0\n  repository: https://charts.example.com\n",
    );
    let out = homes
        .gitops(dir, &["render", "-o", "json", "--offline"])
        .code(2)
        .no_panic();
    assert!(
        out.stderr.contains("app \"from-http\"")
            && out
                .stderr
                .contains("dependency \"demo\" from https://charts.example.com")
            && out.stderr.contains("--offline forbids"),
        "{out:#?}"
    );
}

#[test]
fn a_file_dependency_leaving_the_repository_is_refused() {
    let homes = Homes::new();
    let outside = crate::harness::tempdir();
    write_chart(outside.path(), "secret", "0.1.0", &[]);
    std::fs::write(
        outside.path().join("secret/templates/cm.yaml"),
        "apiVersion: v1\nkind: ConfigMap\nmetadata: {name: stolen}\ndata: {token: outside-token-42}\n",
    )
    .unwrap();
    let repo = new_repo();
    let escape = format!(
        "file://{}",
        "../".repeat(8)
            + outside
                .path()
                .join("secret")
                .to_str()
                .unwrap()
                .trim_start_matches('/')
    );
    repo.write(
        "evil/Chart.yaml",
        &format!("apiVersion: v2\nname: evil\nversion: 1.0.0\ndependencies:\n- name: secret\n  version: 0.1.0\n  repository: {escape}\n"),
    );
    repo.write(
        "abs/Chart.yaml",
        &format!(
            "apiVersion: v2\nname: abs\nversion: 1.0.0\ndependencies:\n- name: secret\n  version: 0.1.0\n  repository: file://{}\n",
            outside.path().join("secret").display()
        ),
    );
    repo.write(
        "root.yaml",
        &(git_app("evil", "evil") + &git_app("abs", "abs")),
    );
    repo.commit("escape");
    for rev in [None, Some("HEAD")] {
        let mut args = vec!["render", "-o", "json"];
        args.extend(rev.iter().flat_map(|r| ["--revision", *r]));
        let out = homes.gitops(repo.path(), &args).code(2).no_panic();
        assert!(!out.stdout.contains("outside-token-42"), "{out:#?}");
        for (app, why) in [
            ("evil", "leaves the repository"),
            ("abs", "is an absolute path"),
        ] {
            assert!(
                out.stderr
                    .lines()
                    .any(|l| l.contains(&format!("app \"{app}\""))
                        && l.contains("dependency \"secret\"")
                        && l.contains(why)
                        && l.contains("file:// dependencies must stay inside the repository")),
                "{app}: {out:#?}"
            );
        }
    }
}

/// A CRD of a group of its own (CRDs are cluster-wide and tests run in parallel), deleted when
/// dropped.
struct TestCrd {
    group: String,
}

impl TestCrd {
    fn install() -> TestCrd {
        static N: std::sync::atomic::AtomicU32 = std::sync::atomic::AtomicU32::new(0);
        let group = format!(
            "w{}-{}.helm.test.kgitops.io",
            std::process::id(),
            N.fetch_add(1, std::sync::atomic::Ordering::Relaxed)
        );
        let crd = format!(
            "apiVersion: apiextensions.k8s.io/v1\nkind: CustomResourceDefinition\nmetadata: {{name: widgets.{group}}}\nspec:\n  group: {group}\n  scope: Namespaced\n  names: {{plural: widgets, singular: widget, kind: Widget, listKind: WidgetList}}\n  versions:\n  - name: v1\n    served: true\n    storage: true\n    schema: {{openAPIV3Schema: {{type: object, x-kubernetes-preserve-unknown-fields: true}}}}\n"
        );
        kubectl_stdin(&["apply", "-f", "-"], &crd).success();
        kubectl_ok(&[
            "wait",
            "--for=condition=Established",
            "--timeout=60s",
            &format!("crd/widgets.{group}"),
        ]);
        TestCrd { group }
    }
}

impl Drop for TestCrd {
    fn drop(&mut self) {
        let kc = cluster_kubeconfig();
        let _ = kubectl(Some(&kc))
            .args([
                "delete",
                "crd",
                &format!("widgets.{}", self.group),
                "--ignore-not-found",
                "--wait=false",
            ])
            .output();
    }
}

#[test]
fn capabilities_come_from_the_cluster_the_flags_or_the_app() {
    let homes = Homes::new();
    let crd = TestCrd::install();
    let group = &crd.group;
    let repo = new_repo();
    let caps_chart = |path: &str, kube_version: &str| {
        repo.write(
            &format!("{path}/Chart.yaml"),
            &format!("apiVersion: v2\nname: caps\nversion: 1.0.0\n{kube_version}"),
        );
        repo.write(
            &format!("{path}/templates/cm.yaml"),
            &format!(
                "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: {{{{ .Release.Name }}}}-caps\ndata:\n  kube: {{{{ .Capabilities.KubeVersion.Version | quote }}}}\n  widget: {{{{ .Capabilities.APIVersions.Has \"{group}/v1/Widget\" | quote }}}}\n  group: {{{{ .Capabilities.APIVersions.Has \"{group}/v1\" | quote }}}}\n"
            ),
        );
    };
    caps_chart("caps", "");
    caps_chart("modern", "kubeVersion: \">=1.25.0-0\"\n");
    let own = git_app("own", "caps").replace(
        "    path: caps\n",
        &format!("    path: caps\n    helm:\n      kubeVersion: \"1.29.4\"\n      apiVersions: [\"{group}/v1/Widget\"]\n"),
    );
    repo.write(
        "root.yaml",
        &(git_app("caps", "caps") + &git_app("modern", "modern") + &own),
    );
    repo.commit("capabilities");
    let dir = repo.path();
    let server = kubectl_ok(&["version", "-o", "json"]);
    let server_version = json(&server)["serverVersion"]["gitVersion"]
        .as_str()
        .unwrap()
        .to_string();

    // From the cluster: its version and its API versions, the test's CRD included.
    let cms = configmaps(
        &homes
            .gitops_cluster(dir, &["render", "-o", "json"])
            .success(),
    );
    assert_eq!(cms["caps-caps"]["kube"], server_version.as_str());
    assert_eq!(cms["caps-caps"]["widget"], "true");
    assert_eq!(cms["caps-caps"]["group"], "true");
    // The app's own kubeVersion and apiVersions win.
    assert_eq!(cms["own-caps"]["kube"], "v1.29.4");
    assert_eq!(cms["own-caps"]["widget"], "true");
    assert_eq!(
        cms["own-caps"]["group"], "false",
        "apiVersions replace the cluster's list"
    );

    // --kube-version stands in for the cluster's version, and gates charts on it.
    let out = homes
        .gitops_cluster(dir, &["render", "-o", "json", "--kube-version", "1.20.0"])
        .code(2)
        .no_panic();
    assert!(
        out.stderr
            .lines()
            .any(|l| l.contains("app \"modern\"")
                && l.contains("incompatible with Kubernetes v1.20.0")),
        "{out:#?}"
    );
    let cms = configmaps(&out);
    assert_eq!(cms["caps-caps"]["kube"], "v1.20.0");
    assert_eq!(
        cms["caps-caps"]["widget"], "true",
        "the cluster's API versions stay"
    );

    // No cluster: Helm's defaults (Kubernetes v1.20.0), with a hint for charts that need more,
    // and what the flags say.
    let out = homes
        .gitops(dir, &["render", "-o", "json"])
        .code(2)
        .no_panic();
    assert!(
        out.stderr.lines().any(|l| l.contains("app \"modern\"")
            && l.contains("incompatible with Kubernetes v1.20.0")
            && l.contains("pass --kube-version")),
        "{out:#?}"
    );
    let cms = configmaps(&out);
    assert_eq!(cms["caps-caps"]["widget"], "false");
    let widget = format!("{group}/v1/Widget");
    let cms = configmaps(
        &homes
            .gitops(
                dir,
                &[
                    "render",
                    "-o",
                    "json",
                    "--api-versions",
                    &widget,
                    "--kube-version",
                    "v1.31.2",
                ],
            )
            .success(),
    );
    assert_eq!(cms["caps-caps"]["widget"], "true");
    assert_eq!(cms["caps-caps"]["kube"], "v1.31.2");
}

#[test]
fn kustomize_helm_charts_with_build_options_from_the_flag_or_argocd_cm() {
    let homes = Homes::new();
    let charts = chart_repository(&homes);
    let server = DumbHttp::serve(charts.path(), None);
    let repo = new_repo();
    repo.write(
        "kz/kustomization.yaml",
        &format!(
            "helmCharts:\n- name: demo\n  repo: {}\n  version: 0.1.0\n  releaseName: kz\n  valuesInline: {{message: from-kustomize}}\n",
            server.url("").trim_end_matches('/')
        ),
    );
    let settings = |options: &str| {
        repo.write(
            "settings/argocd-cm.yaml",
            &format!(
                "apiVersion: v1\nkind: ConfigMap\nmetadata: {{name: argocd-cm, namespace: argocd}}\ndata:\n  kustomize.buildOptions: \"{options}\"\n"
            ),
        );
    };
    repo.write("root.yaml", &git_app("kz", "kz"));
    repo.commit("kustomize with helm charts");
    let dir = repo.path();

    // Without --enable-helm kustomize refuses helmCharts.
    let out = homes
        .gitops(dir, &["render", "-o", "json"])
        .code(2)
        .no_panic();
    assert!(
        out.stderr.contains("app \"kz\"") && out.stderr.contains("enable-helm"),
        "{out:#?}"
    );

    // From the command line.
    let with_flag = [
        "render",
        "-o",
        "json",
        "--kustomize-build-options=--enable-helm",
    ];
    let cms = configmaps(&homes.gitops(dir, &with_flag).success());
    assert_eq!(cms["kz-demo"]["message"], "from-kustomize");
    assert!(
        !dir.join("kz/charts").exists(),
        "kustomize pulled into a private copy"
    );

    // From the argocd-cm the tree deploys.
    settings("--enable-helm --load-restrictor LoadRestrictionsRootOnly");
    repo.write(
        "root.yaml",
        &(git_app("kz", "kz") + &git_app("settings", "settings")),
    );
    let cms = configmaps(&homes.gitops(dir, &["render", "-o", "json"]).success());
    assert_eq!(cms["kz-demo"]["message"], "from-kustomize");

    // The repository may not turn on what runs programs.
    settings("--enable-helm --enable-exec");
    let out = homes
        .gitops(dir, &["render", "-o", "json"])
        .code(2)
        .no_panic();
    assert!(
        out.stderr.contains("settings/argocd-cm.yaml")
            && out.stderr.contains("argocd-cm: kustomize.buildOptions: kustomize build option \"--enable-exec\" runs programs or containers the repository names"),
        "{out:#?}"
    );
    assert!(!out.stderr.contains("panicked"));

    // Offline, a chart kustomize would pull is a clear error.
    let out = homes
        .gitops(dir, &[&with_flag[..], &["--offline"]].concat())
        .code(2)
        .no_panic();
    assert!(
        out.stderr.contains("helmCharts entry \"demo\"")
            && out.stderr.contains("--offline forbids pulling it"),
        "{out:#?}"
    );
}
