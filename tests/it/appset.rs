//! ApplicationSets in the tree: `tree` and `render` expand them with the list, git, clusters,
//! matrix and merge generators, in fasttemplate and goTemplate mode, over real Git repositories.

use serde_json::Value;

use crate::gitrepo::{GitRepo, app, configmap};
use crate::harness::{Run, app_names, gitops_offline, json, tempdir};

const URL: &str = "https://git.example.com/lab/apps.git";
const IN_CLUSTER: &str = "https://kubernetes.default.svc";

/// A repo whose `origin` is URL, with a root app over `apps/` (nothing committed yet).
fn lab() -> GitRepo {
    let repo = GitRepo::new();
    repo.git(&["remote", "add", "origin", URL]);
    repo.write("root.yaml", &app("root", URL, "apps", "argocd"));
    repo
}

/// Manifest text with `$URL` standing for the repo URL (templates are full of braces, so no
/// `format!`).
fn yaml(text: &str) -> String {
    text.replace("$URL", URL)
}

fn tree_json(repo: &GitRepo, extra: &[&str]) -> Value {
    let mut args = vec!["tree", "-o", "json"];
    args.extend_from_slice(extra);
    let out = gitops_offline(repo.path(), &args).success().no_panic();
    let tree = json(&out);
    assert_eq!(tree["errors"], Value::Array(vec![]), "{out:#?}");
    tree
}

#[track_caller]
fn node<'a>(tree: &'a Value, name: &str) -> &'a Value {
    tree["apps"]
        .as_array()
        .unwrap()
        .iter()
        .find(|a| a["name"] == name)
        .unwrap_or_else(|| panic!("no app {name:?} in {:?}", app_names(tree)))
}

fn text(v: &Value) -> String {
    v.as_str().unwrap_or_default().to_string()
}

/// The apps `appset` generated, in tree order: name, first source's path, destination server
/// and namespace.
fn generated(tree: &Value, appset: &str) -> Vec<[String; 4]> {
    tree["apps"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|a| a["generatedBy"] == appset)
        .map(|a| {
            [
                text(&a["name"]),
                text(&a["sources"][0]["path"]),
                text(&a["destination"]["server"]),
                text(&a["destination"]["namespace"]),
            ]
        })
        .collect()
}

/// Asserts that every app `appset` generated hangs below `parent`, rendered `objects` objects
/// and has no error.
#[track_caller]
fn assert_generated_under(tree: &Value, appset: &str, parent: &str, objects: u64) {
    let apps: Vec<&Value> = tree["apps"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|a| a["generatedBy"] == appset)
        .collect();
    assert!(!apps.is_empty(), "{appset} generated nothing: {tree:#}");
    for a in apps {
        assert_eq!(a["parent"], parent, "{a:#}");
        assert_eq!(a["objects"], objects, "{a:#}");
        assert_eq!(a["error"], Value::Null, "{a:#}");
        assert!(
            node(tree, parent)["children"]
                .as_array()
                .unwrap()
                .contains(&a["name"]),
            "{parent} does not list {} as a child: {tree:#}",
            a["name"]
        );
    }
}

/// A folder holding one ConfigMap, so an app pointing at it renders one object.
fn service(repo: &GitRepo, dir: &str) {
    let name = dir.replace('/', "-");
    repo.write(&format!("{dir}/cm.yaml"), &configmap(&name, dir));
}

#[test]
fn list_generator_fills_fasttemplate_placeholders() {
    let repo = lab();
    repo.write(
        "apps/guestbook.yaml",
        &yaml(
            r#"apiVersion: argoproj.io/v1alpha1
kind: ApplicationSet
metadata:
  name: guestbook
  namespace: argocd
spec:
  generators:
  - list:
      elements:
      - name: dev
        url: https://kubernetes.default.svc
        values:
          team: core
      - name: prod
        url: https://prod.example.com:6443
        values:
          team: payments
  template:
    metadata:
      name: 'guestbook-{{name}}'
    spec:
      project: default
      source:
        repoURL: $URL
        targetRevision: HEAD
        path: 'envs/{{name}}'
      destination:
        server: '{{url}}'
        namespace: 'gb-{{name}}-{{values.team}}'
"#,
        ),
    );
    service(&repo, "envs/dev");
    service(&repo, "envs/prod");
    repo.commit("list appset");

    let tree = tree_json(&repo, &[]);
    assert_eq!(
        app_names(&tree),
        ["root", "guestbook-dev", "guestbook-prod"]
    );
    assert_eq!(
        generated(&tree, "guestbook"),
        [
            ["guestbook-dev", "envs/dev", IN_CLUSTER, "gb-dev-core"],
            [
                "guestbook-prod",
                "envs/prod",
                "https://prod.example.com:6443",
                "gb-prod-payments"
            ],
        ]
    );
    assert_generated_under(&tree, "guestbook", "root", 1);
    // The generated apps point at where the ApplicationSet is written.
    assert_eq!(
        node(&tree, "guestbook-dev")["definedAt"]["file"],
        "apps/guestbook.yaml"
    );
    assert_eq!(
        node(&tree, "root")["objects"],
        0,
        "an ApplicationSet is no object"
    );

    // The text view shows them as children of root.
    let out = gitops_offline(repo.path(), &["tree"]).success();
    assert!(
        out.stdout
            .lines()
            .any(|l| l.starts_with("├── guestbook-dev ")
                && l.contains("envs/dev@worktree")
                && l.contains("in-cluster/gb-dev-core")),
        "{}",
        out.stdout
    );
    assert!(
        out.stdout
            .lines()
            .any(|l| l.starts_with("└── guestbook-prod ")
                && l.contains("https://prod.example.com:6443/gb-prod-payments")),
        "{}",
        out.stdout
    );
}

/// A git directories ApplicationSet over `services/*` without `services/legacy`.
const SERVICES: &str = r#"apiVersion: argoproj.io/v1alpha1
kind: ApplicationSet
metadata:
  name: services
  namespace: argocd
spec:
  generators:
  - git:
      repoURL: $URL
      revision: HEAD
      directories:
      - path: services/*
      - path: services/legacy
        exclude: true
  template:
    metadata:
      name: 'svc-{{path.basename}}'
    spec:
      project: default
      source:
        repoURL: $URL
        targetRevision: HEAD
        path: '{{path}}'
      destination:
        server: https://kubernetes.default.svc
        namespace: 'team-{{path[1]}}'
"#;

#[test]
fn git_directories_generator_reads_the_evaluated_revision() {
    let repo = lab();
    repo.write("apps/services.yaml", &yaml(SERVICES));
    service(&repo, "services/web");
    service(&repo, "services/api");
    service(&repo, "services/legacy");
    // Deeper folders do not match `services/*`.
    service(&repo, "services/web/overlays/prod");
    let first = repo.commit("web, api, legacy");
    service(&repo, "services/worker");
    let second = repo.commit("worker");
    // Not committed: only the work tree run sees it.
    service(&repo, "services/batch");

    let row = |name: &str| {
        [
            format!("svc-{name}"),
            format!("services/{name}"),
            IN_CLUSTER.to_string(),
            format!("team-{name}"),
        ]
    };

    let now = tree_json(&repo, &[]);
    assert_eq!(
        generated(&now, "services"),
        ["api", "batch", "web", "worker"].map(row),
        "work tree"
    );
    assert_generated_under(&now, "services", "root", 1);
    assert_eq!(
        node(&now, "svc-batch")["sources"][0]["revision"],
        Value::Null
    );

    let head = tree_json(&repo, &["--revision", "HEAD"]);
    assert_eq!(
        generated(&head, "services"),
        ["api", "web", "worker"].map(row),
        "HEAD"
    );
    assert_eq!(node(&head, "svc-web")["sources"][0]["revision"], second);

    let older = tree_json(&repo, &["--revision", "HEAD~1"]);
    assert_eq!(app_names(&older), ["root", "svc-api", "svc-web"]);
    assert_eq!(generated(&older, "services"), ["api", "web"].map(row));
    assert_eq!(node(&older, "svc-api")["sources"][0]["revision"], first);
    assert_generated_under(&older, "services", "root", 1);
}

#[test]
fn git_files_generator_turns_file_keys_into_params() {
    let repo = lab();
    repo.write(
        "apps/configs.yaml",
        &yaml(
            r#"apiVersion: argoproj.io/v1alpha1
kind: ApplicationSet
metadata:
  name: configs
  namespace: argocd
spec:
  generators:
  - git:
      repoURL: $URL
      revision: HEAD
      files:
      - path: clusters/*/config.json
  template:
    metadata:
      name: '{{cluster.name}}-cfg'
    spec:
      project: default
      source:
        repoURL: $URL
        targetRevision: HEAD
        path: 'workloads/{{path.basename}}'
      destination:
        server: '{{cluster.server}}'
        namespace: '{{namespace}}'
"#,
        ),
    )
    .write(
        "apps/regions.yaml",
        &yaml(
            r#"apiVersion: argoproj.io/v1alpha1
kind: ApplicationSet
metadata:
  name: regions
  namespace: argocd
spec:
  goTemplate: true
  generators:
  - git:
      repoURL: $URL
      revision: HEAD
      files:
      - path: regions/*.yaml
  template:
    metadata:
      name: '{{ .cluster.name }}-{{ .path.basename }}'
    spec:
      project: default
      source:
        repoURL: $URL
        targetRevision: HEAD
        path: 'workloads/{{ .cluster.name }}'
      destination:
        server: '{{ .cluster.server }}'
        namespace: '{{ default "bronze" .tier }}-{{ trimSuffix ".yaml" .path.filename }}'
"#,
        ),
    )
    .write(
        "clusters/dev/config.json",
        r#"{"cluster": {"name": "dev", "server": "https://dev.example.com:6443"}, "namespace": "dev-apps"}"#,
    )
    .write(
        "clusters/prod/config.json",
        "{\n\t\"cluster\": {\"name\": \"prod\", \"server\": \"https://prod.example.com:6443\"},\n\t\"namespace\": \"prod-apps\"\n}\n",
    )
    // Not matched by clusters/*/config.json.
    .write(
        "clusters/prod/extra.json",
        r#"{"cluster": {"name": "nope"}}"#,
    )
    .write(
        "regions/eu.yaml",
        "- cluster:\n    name: eu-1\n    server: https://eu-1.example.com\n  tier: gold\n- cluster:\n    name: eu-2\n    server: https://eu-2.example.com\n",
    );
    for w in ["dev", "prod", "eu-1", "eu-2"] {
        service(&repo, &format!("workloads/{w}"));
    }
    repo.commit("files appsets");

    for extra in [&[][..], &["--revision", "HEAD"][..]] {
        let tree = tree_json(&repo, extra);
        assert_eq!(
            generated(&tree, "configs"),
            [
                [
                    "dev-cfg",
                    "workloads/dev",
                    "https://dev.example.com:6443",
                    "dev-apps"
                ],
                [
                    "prod-cfg",
                    "workloads/prod",
                    "https://prod.example.com:6443",
                    "prod-apps"
                ],
            ],
            "{extra:?}"
        );
        assert_eq!(
            generated(&tree, "regions"),
            [
                [
                    "eu-1-regions",
                    "workloads/eu-1",
                    "https://eu-1.example.com",
                    "gold-eu"
                ],
                [
                    "eu-2-regions",
                    "workloads/eu-2",
                    "https://eu-2.example.com",
                    "bronze-eu"
                ],
            ],
            "{extra:?}"
        );
        assert_generated_under(&tree, "configs", "root", 1);
        assert_generated_under(&tree, "regions", "root", 1);
    }
}

#[test]
fn matrix_combines_git_directories_with_a_list() {
    let repo = lab();
    repo.write(
        "apps/matrix.yaml",
        &yaml(
            r#"apiVersion: argoproj.io/v1alpha1
kind: ApplicationSet
metadata:
  name: fleet
  namespace: argocd
spec:
  generators:
  - matrix:
      generators:
      - git:
          repoURL: $URL
          revision: HEAD
          directories:
          - path: services/*
      - list:
          elements:
          - cluster: staging
            server: https://staging.example.com
            ns: '{{path.basename}}-stg'
          - cluster: prod
            server: https://prod.example.com
            ns: '{{path.basename}}'
  template:
    metadata:
      name: '{{path.basename}}-{{cluster}}'
    spec:
      project: default
      source:
        repoURL: $URL
        targetRevision: HEAD
        path: '{{path}}'
      destination:
        server: '{{server}}'
        namespace: '{{ns}}'
"#,
        ),
    );
    service(&repo, "services/api");
    service(&repo, "services/web");
    repo.commit("matrix");

    let tree = tree_json(&repo, &[]);
    assert_eq!(
        generated(&tree, "fleet"),
        [
            [
                "api-staging",
                "services/api",
                "https://staging.example.com",
                "api-stg"
            ],
            [
                "api-prod",
                "services/api",
                "https://prod.example.com",
                "api"
            ],
            [
                "web-staging",
                "services/web",
                "https://staging.example.com",
                "web-stg"
            ],
            [
                "web-prod",
                "services/web",
                "https://prod.example.com",
                "web"
            ],
        ]
    );
    assert_generated_under(&tree, "fleet", "root", 1);
}

#[test]
fn merge_overrides_by_merge_keys_and_drops_unmatched() {
    let repo = lab();
    repo.write(
        "apps/merge.yaml",
        &yaml(
            r#"apiVersion: argoproj.io/v1alpha1
kind: ApplicationSet
metadata:
  name: merged
  namespace: argocd
spec:
  generators:
  - merge:
      mergeKeys: [path.basename]
      generators:
      - git:
          repoURL: $URL
          revision: HEAD
          directories:
          - path: services/*
          values:
            namespace: '{{path.basename}}'
            server: https://kubernetes.default.svc
      - list:
          elements:
          - path.basename: web
            values.namespace: frontend
          - path.basename: ghost
            values.namespace: nowhere
      - list:
          elements:
          - path.basename: api
            values.server: https://api.example.com
  template:
    metadata:
      name: 'm-{{path.basename}}'
    spec:
      project: default
      source:
        repoURL: $URL
        targetRevision: HEAD
        path: '{{path}}'
      destination:
        server: '{{values.server}}'
        namespace: '{{values.namespace}}'
"#,
        ),
    );
    for s in ["api", "web", "worker"] {
        service(&repo, &format!("services/{s}"));
    }
    repo.commit("merge");

    let tree = tree_json(&repo, &[]);
    assert_eq!(app_names(&tree), ["root", "m-api", "m-web", "m-worker"]);
    assert_eq!(
        generated(&tree, "merged"),
        [
            ["m-api", "services/api", "https://api.example.com", "api"],
            ["m-web", "services/web", IN_CLUSTER, "frontend"],
            ["m-worker", "services/worker", IN_CLUSTER, "worker"],
        ]
    );
    assert_generated_under(&tree, "merged", "root", 1);
}

#[test]
fn clusters_generator_uses_kubeconfig_contexts() {
    let repo = lab();
    repo.write(
        "apps/clusters.yaml",
        &yaml(
            r#"apiVersion: argoproj.io/v1alpha1
kind: ApplicationSet
metadata:
  name: per-cluster
  namespace: argocd
spec:
  generators:
  - clusters: {}
  template:
    metadata:
      name: '{{nameNormalized}}-guestbook'
    spec:
      project: default
      source:
        repoURL: $URL
        targetRevision: HEAD
        path: 'clusters/{{name}}'
      destination:
        server: '{{server}}'
        namespace: guestbook
"#,
        ),
    );
    for c in ["in-cluster", "lab", "Edge_West", "edge-admin"] {
        service(&repo, &format!("clusters/{c}"));
    }
    repo.commit("clusters appset");

    // Neither server answers: the tree must not need them.
    let dir = tempdir();
    let kubeconfig = dir.path().join("config");
    let two_contexts = "apiVersion: v1\nkind: Config\ncurrent-context: lab\nclusters:\n- name: lab-cluster\n  cluster: {server: 'https://127.0.0.1:1'}\n- name: edge-cluster\n  cluster: {server: 'https://127.0.0.1:2'}\nusers:\n- name: u\n  user: {token: not-a-real-token}\ncontexts:\n- name: lab\n  context: {cluster: lab-cluster, user: u, namespace: lab-ns}\n- name: Edge_West\n  context: {cluster: edge-cluster, user: u}\n";
    std::fs::write(&kubeconfig, two_contexts).unwrap();
    let kc = kubeconfig.to_str().unwrap();

    let tree = tree_json(&repo, &["--kubeconfig", kc]);
    assert_eq!(
        generated(&tree, "per-cluster"),
        [
            [
                "edge-west-guestbook",
                "clusters/Edge_West",
                "https://127.0.0.1:2",
                "guestbook"
            ],
            [
                "in-cluster-guestbook",
                "clusters/in-cluster",
                IN_CLUSTER,
                "guestbook"
            ],
        ]
    );
    assert_generated_under(&tree, "per-cluster", "root", 1);

    // Another current context: that one becomes in-cluster, `lab` a named cluster.
    let tree = tree_json(&repo, &["--kubeconfig", kc, "--context", "Edge_West"]);
    assert_eq!(
        generated(&tree, "per-cluster"),
        [
            [
                "lab-guestbook",
                "clusters/lab",
                "https://127.0.0.1:1",
                "guestbook"
            ],
            [
                "in-cluster-guestbook",
                "clusters/in-cluster",
                IN_CLUSTER,
                "guestbook"
            ],
        ]
    );

    // More contexts on the same two servers (other users or namespaces, a trailing slash) are
    // no more clusters: Argo CD knows each server once.
    let more = dir.path().join("more");
    let more_contexts = two_contexts
        .replace(
            "users:\n",
            "- name: edge-slash\n  cluster: {server: 'https://127.0.0.1:2/'}\nusers:\n",
        )
        .replace(
            "contexts:\n",
            "contexts:\n- name: lab-readonly\n  context: {cluster: lab-cluster, user: u, namespace: other}\n- name: edge-admin\n  context: {cluster: edge-slash, user: u}\n",
        )
        + "- name: edge-readonly\n  context: {cluster: edge-cluster, user: u}\n";
    std::fs::write(&more, more_contexts).unwrap();
    let tree = tree_json(&repo, &["--kubeconfig", more.to_str().unwrap()]);
    assert_eq!(
        generated(&tree, "per-cluster"),
        [
            [
                "edge-admin-guestbook",
                "clusters/edge-admin",
                "https://127.0.0.1:2/",
                "guestbook"
            ],
            [
                "in-cluster-guestbook",
                "clusters/in-cluster",
                IN_CLUSTER,
                "guestbook"
            ],
        ]
    );

    // No kubeconfig at all: only the local cluster.
    let tree = tree_json(&repo, &[]);
    assert_eq!(app_names(&tree), ["root", "in-cluster-guestbook"]);
}

#[test]
fn go_template_with_sprig_functions_and_template_patch() {
    let repo = lab();
    repo.write(
        "apps/sprig.yaml",
        &yaml(
            r#"apiVersion: argoproj.io/v1alpha1
kind: ApplicationSet
metadata:
  name: sprig
  namespace: argocd
spec:
  goTemplate: true
  generators:
  - list:
      elements:
      - name: web
        cluster: Production
        replicas: 3
      - name: api
        cluster: staging
        ns: api-system
  template:
    metadata:
      name: '{{ .name }}-{{ .cluster | lower | trunc 4 }}'
    spec:
      project: default
      source:
        repoURL: $URL
        targetRevision: HEAD
        path: '{{ printf "services/%s" .name }}'
      destination:
        server: '{{ if eq .cluster "staging" }}https://{{ .cluster }}.example.com{{ else }}https://kubernetes.default.svc{{ end }}'
        namespace: '{{ default "shared" .ns }}{{ with .replicas }}-{{ add . 1 }}{{ end }}'
"#,
        ),
    )
    .write(
        "apps/patched.yaml",
        &yaml(
            r#"apiVersion: argoproj.io/v1alpha1
kind: ApplicationSet
metadata:
  name: patched
  namespace: argocd
spec:
  goTemplate: true
  goTemplateOptions: ["missingkey=error"]
  generators:
  - list:
      elements:
      - name: web
        remote: true
      - name: api
        remote: false
  template:
    metadata:
      name: 'patched-{{ .name }}'
    spec:
      project: default
      source:
        repoURL: $URL
        targetRevision: HEAD
        path: not-there-until-patched
      destination:
        server: https://kubernetes.default.svc
        namespace: '{{ .name }}'
  templatePatch: |
    spec:
      project: escaped
      source:
        path: 'services/{{ .name }}'
    {{- if .remote }}
      destination:
        server: 'https://{{ .name | upper }}.example.com'
        namespace: '{{ .name }}-remote'
    {{- end }}
"#,
        ),
    );
    service(&repo, "services/web");
    service(&repo, "services/api");
    repo.commit("go templates");

    let tree = tree_json(&repo, &[]);
    assert_eq!(
        generated(&tree, "sprig"),
        [
            ["web-prod", "services/web", IN_CLUSTER, "shared-4"],
            [
                "api-stag",
                "services/api",
                "https://staging.example.com",
                "api-system"
            ],
        ]
    );
    assert_generated_under(&tree, "sprig", "root", 1);
    assert_eq!(
        generated(&tree, "patched"),
        [
            [
                "patched-web",
                "services/web",
                "https://WEB.example.com",
                "web-remote"
            ],
            ["patched-api", "services/api", IN_CLUSTER, "api"],
        ]
    );
    assert_generated_under(&tree, "patched", "root", 1);
    for a in ["patched-web", "patched-api"] {
        assert_eq!(
            node(&tree, a)["project"],
            "default",
            "templatePatch cannot move an app to another project"
        );
    }
}

#[test]
fn go_template_missingkey_error_fails_only_that_appset() {
    let repo = lab();
    repo.write(
        "apps/strict.yaml",
        &yaml(
            r#"apiVersion: argoproj.io/v1alpha1
kind: ApplicationSet
metadata:
  name: strict
  namespace: argocd
spec:
  goTemplate: true
  goTemplateOptions: ["missingkey=error"]
  generators:
  - list:
      elements:
      - name: web
        tier: gold
      - name: api
  template:
    metadata:
      name: 'strict-{{ .name }}'
    spec:
      project: default
      source:
        repoURL: $URL
        targetRevision: HEAD
        path: 'services/{{ .name }}'
      destination:
        server: https://kubernetes.default.svc
        namespace: '{{ .tier }}'
"#,
        ),
    )
    .write(
        "apps/lenient.yaml",
        &yaml(
            r#"apiVersion: argoproj.io/v1alpha1
kind: ApplicationSet
metadata:
  name: lenient
  namespace: argocd
spec:
  goTemplate: true
  generators:
  - list:
      elements:
      - name: web
        tier: gold
      - name: api
  template:
    metadata:
      name: 'lenient-{{ .name }}'
    spec:
      project: default
      source:
        repoURL: $URL
        targetRevision: HEAD
        path: 'services/{{ .name }}'
      destination:
        server: https://kubernetes.default.svc
        namespace: '{{ default "bronze" .tier }}'
"#,
        ),
    )
    .write(
        "apps/plain.yaml",
        &app("plain", URL, "services/web", "plain"),
    );
    service(&repo, "services/web");
    service(&repo, "services/api");
    repo.commit("strict and lenient");

    let out: Run = gitops_offline(repo.path(), &["tree", "-o", "json"])
        .code(2)
        .no_panic();
    assert!(
        out.stderr.contains("ApplicationSet \"strict\"")
            && out.stderr.contains("apps/strict.yaml")
            && out.stderr.contains("map has no entry for key"),
        "{out:#?}"
    );
    assert!(!out.stderr.contains("lenient"), "{out:#?}");
    let tree = json(&out);
    let errors = tree["errors"].as_array().unwrap();
    assert_eq!(errors.len(), 1, "{tree:#}");
    assert!(
        errors[0].as_str().unwrap().contains("\"strict\""),
        "{tree:#}"
    );
    // Argo CD generates nothing from a failing ApplicationSet; the rest of the tree stands.
    assert_eq!(
        app_names(&tree),
        ["root", "lenient-web", "lenient-api", "plain"],
        "{tree:#}"
    );
    assert_eq!(generated(&tree, "strict"), Vec::<[String; 4]>::new());
    assert_eq!(
        generated(&tree, "lenient"),
        [
            ["lenient-web", "services/web", IN_CLUSTER, "gold"],
            ["lenient-api", "services/api", IN_CLUSTER, "bronze"],
        ]
    );
    assert_generated_under(&tree, "lenient", "root", 1);

    // The text view prints too, and fails the same way.
    let text = gitops_offline(repo.path(), &["tree"]).code(2).no_panic();
    assert!(text.stdout.contains("lenient-api"), "{text:#?}");
    assert!(
        text.stderr.contains("ApplicationSet \"strict\""),
        "{text:#?}"
    );
}

#[test]
fn appset_inside_a_child_app_generates_grandchildren() {
    let repo = lab();
    repo.write(
        "apps/platform.yaml",
        &app("platform", URL, "platform", "platform"),
    )
    .write("platform/settings.yaml", &configmap("settings", "x"))
    .write(
        "platform/teams.yaml",
        &yaml(
            r#"apiVersion: argoproj.io/v1alpha1
kind: ApplicationSet
metadata:
  name: teams
  namespace: argocd
spec:
  generators:
  - list:
      elements:
      - team: alpha
      - team: beta
  template:
    metadata:
      name: 'team-{{team}}'
    spec:
      project: default
      source:
        repoURL: $URL
        targetRevision: HEAD
        path: 'teams/{{team}}'
      destination:
        server: https://kubernetes.default.svc
        namespace: 'team-{{team}}'
"#,
        ),
    );
    service(&repo, "teams/alpha");
    service(&repo, "teams/beta");
    repo.commit("platform with a teams ApplicationSet");

    let tree = tree_json(&repo, &[]);
    assert_eq!(
        app_names(&tree),
        ["root", "platform", "team-alpha", "team-beta"]
    );
    assert_eq!(
        node(&tree, "root")["children"],
        serde_json::json!(["platform"])
    );
    assert_eq!(node(&tree, "platform")["parent"], "root");
    assert_eq!(node(&tree, "platform")["generatedBy"], Value::Null);
    assert_eq!(
        node(&tree, "platform")["children"],
        serde_json::json!(["team-alpha", "team-beta"])
    );
    assert_eq!(
        node(&tree, "platform")["objects"],
        1,
        "the ApplicationSet is not one of platform's objects"
    );
    assert_eq!(
        generated(&tree, "teams"),
        [
            ["team-alpha", "teams/alpha", IN_CLUSTER, "team-alpha"],
            ["team-beta", "teams/beta", IN_CLUSTER, "team-beta"],
        ]
    );
    assert_generated_under(&tree, "teams", "platform", 1);
    assert_eq!(
        node(&tree, "team-beta")["definedAt"]["file"],
        "platform/teams.yaml"
    );

    // Same at a commit.
    let at_head = tree_json(&repo, &["--revision", "HEAD"]);
    assert_eq!(app_names(&at_head), app_names(&tree));
    assert_generated_under(&at_head, "teams", "platform", 1);

    // The ApplicationSet file as ROOT: its apps are top-level.
    let top = tree_json(&repo, &["platform/teams.yaml"]);
    assert_eq!(app_names(&top), ["team-alpha", "team-beta"]);
    for a in ["team-alpha", "team-beta"] {
        assert_eq!(node(&top, a)["parent"], Value::Null);
        assert_eq!(node(&top, a)["generatedBy"], "teams");
    }
}

#[test]
fn generated_apps_render_their_objects() {
    let repo = lab();
    repo.write(
        "apps/bundles.yaml",
        &yaml(
            r#"apiVersion: argoproj.io/v1alpha1
kind: ApplicationSet
metadata:
  name: bundles
  namespace: argocd
spec:
  generators:
  - list:
      elements:
      - bundle: small
      - bundle: large
      - bundle: kz
  template:
    metadata:
      name: 'bundle-{{bundle}}'
    spec:
      project: default
      source:
        repoURL: $URL
        targetRevision: HEAD
        path: 'bundles/{{bundle}}'
      destination:
        server: https://kubernetes.default.svc
        namespace: '{{bundle}}-ns'
"#,
        ),
    )
    .write("bundles/small/cm.yaml", &configmap("small", "1"))
    .write(
        "bundles/large/all.yaml",
        &format!(
            "{}---\n{}---\napiVersion: v1\nkind: Service\nmetadata:\n  name: large\nspec:\n  ports:\n  - port: 80\n",
            configmap("large-a", "a"),
            configmap("large-b", "b")
        ),
    )
    .write(
        "bundles/large/role.yaml",
        "apiVersion: rbac.authorization.k8s.io/v1\nkind: ClusterRole\nmetadata:\n  name: large-reader\nrules: []\n",
    )
    .write(
        "bundles/kz/kustomization.yaml",
        "resources: [cm.yaml]\nnamePrefix: kz-\n",
    )
    .write("bundles/kz/cm.yaml", &configmap("settings", "k"));
    repo.commit("bundles");

    for extra in [&[][..], &["--revision", "HEAD"][..]] {
        let tree = tree_json(&repo, extra);
        let counts: Vec<(String, u64, String)> = tree["apps"]
            .as_array()
            .unwrap()
            .iter()
            .map(|a| {
                (
                    text(&a["name"]),
                    a["objects"].as_u64().unwrap(),
                    text(&a["sources"][0]["type"]),
                )
            })
            .collect();
        let row = |n: &str, o: u64, t: &str| (n.to_string(), o, t.to_string());
        assert_eq!(
            counts,
            [
                row("root", 0, "directory"),
                row("bundle-small", 1, "directory"),
                row("bundle-large", 4, "directory"),
                row("bundle-kz", 1, "kustomize"),
            ],
            "{extra:?}"
        );
        assert_eq!(
            generated(&tree, "bundles"),
            [
                ["bundle-small", "bundles/small", IN_CLUSTER, "small-ns"],
                ["bundle-large", "bundles/large", IN_CLUSTER, "large-ns"],
                ["bundle-kz", "bundles/kz", IN_CLUSTER, "kz-ns"],
            ]
        );
    }

    let out = gitops_offline(
        repo.path(),
        &["render", "--app", "bundle-large", "-o", "json"],
    )
    .success();
    let items = json(&out)["items"].as_array().unwrap().clone();
    let mut seen: Vec<(String, String, String)> = items
        .iter()
        .map(|o| {
            (
                text(&o["kind"]),
                text(&o["metadata"]["name"]),
                text(&o["metadata"]["namespace"]),
            )
        })
        .collect();
    seen.sort();
    let obj = |k: &str, n: &str, ns: &str| (k.to_string(), n.to_string(), ns.to_string());
    assert_eq!(
        seen,
        [
            obj("ClusterRole", "large-reader", ""),
            obj("ConfigMap", "large-a", "large-ns"),
            obj("ConfigMap", "large-b", "large-ns"),
            obj("Service", "large", "large-ns"),
        ]
    );

    let all = json(&gitops_offline(repo.path(), &["render", "-o", "json"]).success());
    let items = all["items"].as_array().unwrap();
    assert_eq!(items.len(), 6, "{all:#}");
    assert!(
        items
            .iter()
            .all(|o| o["kind"] != "Application" && o["kind"] != "ApplicationSet"),
        "{all:#}"
    );
    let kz = items
        .iter()
        .find(|o| o["metadata"]["name"] == "kz-settings")
        .unwrap_or_else(|| panic!("{all:#}"));
    assert_eq!(kz["metadata"]["namespace"], "kz-ns");
}

/// A directory holding a `kubectl-gitops` that caps its own address space at 1 GiB before
/// running the real plugin: kubectl execs the plugin, so the cap applies to the plugin only,
/// and a template that made it allocate without bound would crash it instead of passing.
fn memory_capped_plugin_dir() -> tempfile::TempDir {
    use std::os::unix::fs::PermissionsExt;
    let dir = tempdir();
    let script = dir.path().join("kubectl-gitops");
    std::fs::write(
        &script,
        format!(
            "#!/bin/sh\nulimit -v 1048576 || exit 97\nexec '{}' \"$@\"\n",
            env!("CARGO_BIN_EXE_kubectl-gitops")
        ),
    )
    .unwrap();
    std::fs::set_permissions(&script, std::fs::Permissions::from_mode(0o755)).unwrap();
    dir
}

/// `elements` of a list generator with `n` entries `{key: "<i>"}`, as YAML lines indented
/// for a matrix child.
fn numbered_elements(n: usize, key: &str, indent: &str) -> String {
    (0..n)
        .map(|i| format!("{indent}- {{{key}: '{i}'}}\n"))
        .collect()
}

#[test]
fn hostile_applicationsets_fail_alone_and_the_plugin_stays_bounded() {
    let repo = lab();
    let hostile_template = |name: &str, field: &str| {
        yaml(&format!(
            r#"apiVersion: argoproj.io/v1alpha1
kind: ApplicationSet
metadata:
  name: {name}
  namespace: argocd
spec:
  goTemplate: true
  generators:
  - list:
      elements:
      - env: one
  template:
    metadata:
      name: '{field}'
    spec:
      project: default
      source:
        repoURL: $URL
        targetRevision: HEAD
        path: services/web
      destination:
        server: https://kubernetes.default.svc
        namespace: web
"#
        ))
    };
    repo.write(
        "apps/printf-bomb.yaml",
        &hostile_template("printf-bomb", r#"{{ printf "%999999d" 1 }}"#),
    )
    .write(
        "apps/until-bomb.yaml",
        &hostile_template("until-bomb", "{{ range until 999999999 }}x{{ end }}"),
    )
    .write(
        "apps/matrix-bomb.yaml",
        &yaml(&format!(
            r#"apiVersion: argoproj.io/v1alpha1
kind: ApplicationSet
metadata:
  name: matrix-bomb
  namespace: argocd
spec:
  generators:
  - matrix:
      generators:
      - list:
          elements:
{a}      - list:
          elements:
{b}  template:
    metadata:
      name: 'app-{{{{a}}}}-{{{{b}}}}'
    spec:
      project: default
      source:
        repoURL: $URL
        targetRevision: HEAD
        path: services/web
      destination:
        server: https://kubernetes.default.svc
        namespace: web
"#,
            a = numbered_elements(5000, "a", "          "),
            b = numbered_elements(5000, "b", "          ")
        )),
    )
    .write(
        "apps/plain.yaml",
        &app("plain", URL, "services/web", "plain"),
    );
    service(&repo, "services/web");
    repo.commit("hostile appsets");

    let plugins = memory_capped_plugin_dir();
    let path = format!(
        "{}:{}",
        plugins.path().display(),
        std::env::var("PATH").unwrap_or_default()
    );
    let start = std::time::Instant::now();
    let out = crate::harness::run(
        std::process::Command::new("kubectl")
            .current_dir(repo.path())
            .env("PATH", path)
            .env_remove("KUBECONFIG")
            .env("HOME", std::env::temp_dir())
            .env("NO_COLOR", "1")
            .args(["gitops", "tree", "-o", "json"]),
    );
    let out = out.code(2).no_panic();
    assert!(
        start.elapsed() < std::time::Duration::from_secs(120),
        "took {:?}",
        start.elapsed()
    );
    for (name, file, message) in [
        (
            "printf-bomb",
            "apps/printf-bomb.yaml",
            "printf width or precision 999999 too large (limit 10000)",
        ),
        (
            "until-bomb",
            "apps/until-bomb.yaml",
            "list too long (limit 100000 elements)",
        ),
        (
            "matrix-bomb",
            "apps/matrix-bomb.yaml",
            "matrix generator produces more than 10000 parameter sets (limit 10000 per ApplicationSet)",
        ),
    ] {
        let line = out
            .stderr
            .lines()
            .find(|l| l.contains(&format!("ApplicationSet \"{name}\"")))
            .unwrap_or_else(|| panic!("no error for {name}: {out:#?}"));
        assert!(
            line.contains(file) && line.contains(message),
            "{name}: {line}"
        );
    }
    let tree = json(&out);
    assert_eq!(tree["errors"].as_array().unwrap().len(), 3, "{tree:#}");
    assert_eq!(app_names(&tree), ["root", "plain"], "{tree:#}");
    assert_eq!(node(&tree, "plain")["objects"], 1, "{tree:#}");
}
