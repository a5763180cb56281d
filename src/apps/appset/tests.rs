//! End-to-end tests of [`expand`] with an in-memory repository and cluster list.

use std::collections::BTreeMap;

use serde_json::{Value, json};

use super::*;

/// A repository held in memory: one file tree per repoURL, any revision.
#[derive(Default)]
struct MemGit {
    repos: BTreeMap<String, BTreeMap<String, String>>,
}

impl MemGit {
    fn with(mut self, repo: &str, files: &[(&str, &str)]) -> MemGit {
        let tree = self.repos.entry(repo.to_string()).or_default();
        for (path, body) in files {
            tree.insert(path.to_string(), body.to_string());
        }
        self
    }
}

impl MemGit {
    /// The files of `repo_url`; an unknown URL is what an unmapped one is offline.
    fn tree(&self, repo_url: &str) -> Result<&BTreeMap<String, String>, SourceError> {
        self.repos
            .get(repo_url)
            .ok_or_else(|| SourceError::NotAvailableOffline {
                url: repo_url.to_string(),
            })
    }
}

impl GitFiles for MemGit {
    fn files(&self, repo_url: &str, _revision: &str) -> Result<Vec<String>, SourceError> {
        Ok(self.tree(repo_url)?.keys().cloned().collect())
    }

    fn read(&self, repo_url: &str, _revision: &str, path: &str) -> Result<Vec<u8>, SourceError> {
        match self.tree(repo_url)?.get(path) {
            Some(b) => Ok(b.as_bytes().to_vec()),
            None => Err(SourceError::NotFound {
                repo: repo_url.into(),
                snapshot: crate::source::Snapshot::WorkTree,
                path: crate::source::RepoPath::new(path)?,
            }),
        }
    }
}

const REPO: &str = "https://git.example.com/org/gitops.git";

fn sample_repo() -> MemGit {
    MemGit::default().with(
        REPO,
        &[
            ("README.md", "# repo"),
            ("apps/guestbook/kustomization.yaml", "resources: []"),
            ("apps/web_App/deploy.yaml", "kind: Deployment"),
            ("apps/excluded/deploy.yaml", "kind: Deployment"),
            ("apps/web_App/sub/extra.yaml", "kind: ConfigMap"),
            ("apps/.hidden/x.yaml", "kind: ConfigMap"),
            (
                "clusters/dev/config.json",
                r#"{"cluster": {"name": "dev", "address": "https://1.2.3.4"}, "replicas": 1}"#,
            ),
            (
                "clusters/prod/config.yaml",
                "cluster:\n  name: prod\n  address: https://5.6.7.8\nreplicas: 3\n",
            ),
            (
                "clusters/multi/list.yaml",
                "- cluster: {name: m1, address: https://m1}\n- cluster: {name: m2, address: https://m2}\n",
            ),
        ],
    )
}

fn expand_with(
    appset: Value,
    git: &MemGit,
    clusters: &[ClusterInfo],
) -> Result<Vec<Value>, AppSetError> {
    expand(&appset, &ExpandContext { git, clusters })
}

fn expand_ok(appset: Value) -> Vec<Value> {
    expand_with(appset, &sample_repo(), &[]).unwrap()
}

fn names(apps: &[Value]) -> Vec<&str> {
    apps.iter()
        .map(|a| {
            a.pointer("/metadata/name")
                .and_then(Value::as_str)
                .unwrap_or("")
        })
        .collect()
}

fn field<'a>(app: &'a Value, pointer: &str) -> &'a str {
    app.pointer(pointer)
        .and_then(Value::as_str)
        .unwrap_or("<none>")
}

fn appset(spec: Value) -> Value {
    json!({
        "apiVersion": "argoproj.io/v1alpha1",
        "kind": "ApplicationSet",
        "metadata": {"name": "demo", "namespace": "argocd"},
        "spec": spec
    })
}

fn cluster(name: &str, server: &str, labels: &[(&str, &str)]) -> ClusterInfo {
    ClusterInfo {
        name: name.to_string(),
        server: server.to_string(),
        labels: labels
            .iter()
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect(),
        ..Default::default()
    }
}

#[test]
fn list_generator_fasttemplate_builds_full_manifests() {
    let apps = expand_ok(appset(json!({
        "generators": [{"list": {"elements": [
            {"cluster": "engineering-dev", "url": "https://1.2.3.4"},
            {"cluster": "engineering-prod", "url": "https://2.4.6.8", "values": {"tier": "gold"}}
        ]}}],
        "template": {
            "metadata": {"name": "{{cluster}}-guestbook", "namespace": "elsewhere", "labels": {"tier": "{{values.tier}}"}},
            "spec": {
                "project": "default",
                "source": {"repoURL": REPO, "path": "guestbook/{{ cluster }}", "targetRevision": "HEAD"},
                "destination": {"server": "{{url}}", "namespace": "guestbook"}
            }
        }
    })));
    assert_eq!(
        names(&apps),
        ["engineering-dev-guestbook", "engineering-prod-guestbook"]
    );
    let dev = &apps[0];
    assert_eq!(field(dev, "/apiVersion"), "argoproj.io/v1alpha1");
    assert_eq!(field(dev, "/kind"), "Application");
    // The template's namespace is overridden by the ApplicationSet's.
    assert_eq!(field(dev, "/metadata/namespace"), "argocd");
    assert_eq!(field(dev, "/spec/destination/server"), "https://1.2.3.4");
    assert_eq!(field(dev, "/spec/source/path"), "guestbook/engineering-dev");
    assert_eq!(
        dev.pointer("/metadata/finalizers"),
        Some(&json!(["resources-finalizer.argocd.argoproj.io"]))
    );
    // Unknown keys stay verbatim in fasttemplate mode.
    assert_eq!(field(dev, "/metadata/labels/tier"), "{{values.tier}}");
    assert_eq!(field(&apps[1], "/metadata/labels/tier"), "gold");
}

#[test]
fn list_generator_elements_yaml_and_gotemplate() {
    let apps = expand_ok(appset(json!({
        "goTemplate": true,
        "generators": [{"list": {
            "elements": [{"cluster": "a", "replicas": 2}],
            "elementsYaml": "- cluster: b\n  replicas: 1000000\n"
        }}],
        "template": {
            "metadata": {"name": "{{.cluster}}-app"},
            "spec": {"project": "default", "source": {"helm": {"parameters": [{"name": "replicas", "value": "{{.replicas}}"}]}},
                     "destination": {"server": "https://kubernetes.default.svc", "namespace": "{{.cluster}}"}}
        }
    })));
    assert_eq!(names(&apps), ["a-app", "b-app"]);
    assert_eq!(field(&apps[0], "/spec/source/helm/parameters/0/value"), "2");
    // Numbers are float64 in Go templates, and print like Go prints them.
    assert_eq!(
        field(&apps[1], "/spec/source/helm/parameters/0/value"),
        "1e+06"
    );
    assert_eq!(field(&apps[1], "/spec/destination/namespace"), "b");
}

#[test]
fn list_generator_fasttemplate_rejects_non_string_values() {
    let err = expand_with(
        appset(json!({
            "generators": [{"list": {"elements": [{"cluster": "a", "n": 1}]}}],
            "template": {"metadata": {"name": "{{cluster}}"}, "spec": {}}
        })),
        &sample_repo(),
        &[],
    )
    .unwrap_err();
    assert!(
        matches!(&err, AppSetError::Generator { index: 0, kind, .. } if kind == "list"),
        "{err}"
    );
}

#[test]
fn git_directories_generator_fasttemplate_params() {
    let apps = expand_ok(appset(json!({
        "generators": [{"git": {
            "repoURL": REPO, "revision": "HEAD",
            "directories": [{"path": "apps/*"}, {"path": "apps/excluded", "exclude": true}]
        }}],
        "template": {
            "metadata": {"name": "{{path.basenameNormalized}}"},
            "spec": {"project": "default",
                     "source": {"repoURL": REPO, "path": "{{path}}", "targetRevision": "HEAD"},
                     "destination": {"namespace": "{{path[1]}}-{{path.basename}}", "server": "https://kubernetes.default.svc"}}
        }
    })));
    // `*` does not descend into apps/web_App/sub; dot directories and excluded ones are skipped.
    assert_eq!(names(&apps), ["guestbook", "web-app"]);
    assert_eq!(field(&apps[1], "/spec/source/path"), "apps/web_App");
    assert_eq!(
        field(&apps[1], "/spec/destination/namespace"),
        "web_App-web_App"
    );
}

#[test]
fn git_directories_exclude_wins_regardless_of_order() {
    let apps = expand_ok(appset(json!({
        "generators": [{"git": {
            "repoURL": REPO,
            "directories": [{"path": "apps/excluded", "exclude": true}, {"path": "apps/*"}, {"path": "apps/*/sub"}]
        }}],
        "template": {"metadata": {"name": "{{path.basenameNormalized}}"}, "spec": {"project": "default"}}
    })));
    assert_eq!(names(&apps), ["guestbook", "web-app", "sub"]);
}

#[test]
fn git_directories_gotemplate_with_path_param_prefix() {
    let apps = expand_ok(appset(json!({
        "goTemplate": true,
        "goTemplateOptions": ["missingkey=error"],
        "generators": [{"git": {
            "repoURL": REPO, "pathParamPrefix": "app",
            "directories": [{"path": "apps/guestbook"}],
            "values": {"ns": "team-{{.app.path.basename}}"}
        }}],
        "template": {
            "metadata": {"name": "{{.app.path.basename}}-{{index .app.path.segments 0}}"},
            "spec": {"project": "default", "source": {"path": "{{.app.path.path}}"},
                     "destination": {"namespace": "{{.values.ns}}"}}
        }
    })));
    assert_eq!(names(&apps), ["guestbook-apps"]);
    assert_eq!(field(&apps[0], "/spec/source/path"), "apps/guestbook");
    assert_eq!(
        field(&apps[0], "/spec/destination/namespace"),
        "team-guestbook"
    );
}

#[test]
fn git_files_generator_fasttemplate_flattens_and_sorts() {
    let apps = expand_ok(appset(json!({
        "generators": [{"git": {
            "repoURL": REPO, "revision": "main",
            "files": [{"path": "clusters/**"}, {"path": "clusters/multi/*", "exclude": true}]
        }}],
        "template": {
            "metadata": {"name": "{{cluster.name}}-{{path.basename}}"},
            "spec": {"project": "default",
                     "source": {"path": "{{path}}", "helm": {"valueFiles": ["{{path.filename}}"], "parameters": [{"name": "r", "value": "{{replicas}}"}]}},
                     "destination": {"server": "{{cluster.address}}", "namespace": "{{path[1]}}"}}
        }
    })));
    // Files in path order: clusters/dev/config.json, clusters/prod/config.yaml.
    assert_eq!(names(&apps), ["dev-dev", "prod-prod"]);
    assert_eq!(
        field(&apps[0], "/spec/destination/server"),
        "https://1.2.3.4"
    );
    assert_eq!(
        field(&apps[0], "/spec/source/helm/valueFiles/0"),
        "config.json"
    );
    assert_eq!(field(&apps[1], "/spec/source/helm/parameters/0/value"), "3");
    assert_eq!(field(&apps[1], "/spec/destination/namespace"), "prod");
}

#[test]
fn git_files_generator_lists_give_one_set_per_element_in_gotemplate() {
    let apps = expand_ok(appset(json!({
        "goTemplate": true,
        "generators": [{"git": {"repoURL": REPO, "files": [{"path": "clusters/multi/list.yaml"}]}}],
        "template": {
            "metadata": {"name": "{{.cluster.name}}"},
            "spec": {"project": "default", "source": {"path": "{{.path.path}}/{{.path.filenameNormalized}}"},
                     "destination": {"server": "{{.cluster.address}}"}}
        }
    })));
    assert_eq!(names(&apps), ["m1", "m2"]);
    assert_eq!(
        field(&apps[1], "/spec/source/path"),
        "clusters/multi/list.yaml"
    );
    assert_eq!(field(&apps[1], "/spec/destination/server"), "https://m2");
}

#[test]
fn git_generator_reports_repository_errors() {
    let err = expand_with(
        appset(json!({
            "generators": [{"list": {"elements": [{"a": "x"}]}}, {"git": {"repoURL": "https://nowhere/r.git", "revision": "v1", "directories": [{"path": "*"}]}}],
            "template": {"metadata": {"name": "{{a}}{{path}}"}, "spec": {}}
        })),
        &sample_repo(),
        &[],
    )
    .unwrap_err();
    match &err {
        AppSetError::Git {
            appset,
            index,
            repo,
            ..
        } => {
            assert_eq!((appset.as_str(), *index), ("demo", 1));
            assert_eq!(
                (repo.url.as_str(), repo.revision.as_str()),
                ("https://nowhere/r.git", "v1")
            );
        }
        other => panic!("unexpected error {other}"),
    }
    assert!(
        err.to_string()
            .contains("repository https://nowhere/r.git at v1: repository https://nowhere/r.git is not available offline"),
        "{err}"
    );
}

#[test]
fn cluster_generator_adds_in_cluster_only_without_selector() {
    let clusters = [
        cluster("prod-eu", "https://prod.example.com", &[("env", "prod")]),
        cluster(
            "Staging_1",
            "https://staging.example.com",
            &[("env", "staging")],
        ),
    ];
    let spec = |selector: Value| {
        appset(json!({
            "generators": [{"clusters": {"selector": selector, "values": {"revision": "rev-{{name}}"}}}],
            "template": {
                "metadata": {"name": "{{nameNormalized}}-app", "labels": {"env": "{{metadata.labels.env}}"}},
                "spec": {"project": "default", "source": {"targetRevision": "{{values.revision}}"},
                         "destination": {"server": "{{server}}"}}
            }
        }))
    };
    let all = expand_with(spec(json!({})), &sample_repo(), &clusters).unwrap();
    assert_eq!(
        names(&all),
        ["prod-eu-app", "staging-1-app", "in-cluster-app"],
        "the local cluster comes last, as in Argo CD"
    );
    assert_eq!(
        field(&all[2], "/spec/destination/server"),
        "https://kubernetes.default.svc"
    );
    assert_eq!(field(&all[0], "/spec/source/targetRevision"), "rev-prod-eu");
    assert_eq!(field(&all[1], "/metadata/labels/env"), "staging");

    let prod = expand_with(
        spec(json!({"matchExpressions": [{"key": "env", "operator": "In", "values": ["prod"]}]})),
        &sample_repo(),
        &clusters,
    )
    .unwrap();
    assert_eq!(names(&prod), ["prod-eu-app"]);
}

#[test]
fn cluster_generator_does_not_duplicate_a_known_local_cluster() {
    let clusters = [cluster("in-cluster", "https://kubernetes.default.svc", &[])];
    let apps = expand_with(
        appset(json!({
            "goTemplate": true,
            "generators": [{"clusters": {}}],
            "template": {"metadata": {"name": "{{.name}}"}, "spec": {"destination": {"server": "{{.server}}"}}}
        })),
        &sample_repo(),
        &clusters,
    )
    .unwrap();
    assert_eq!(names(&apps), ["in-cluster"]);
}

#[test]
fn matrix_of_git_and_list_interpolates_the_second_child() {
    let apps = expand_ok(appset(json!({
        "goTemplate": true,
        "goTemplateOptions": ["missingkey=error"],
        "generators": [{"matrix": {"generators": [
            {"git": {"repoURL": REPO, "directories": [{"path": "apps/guestbook"}, {"path": "apps/web_App"}]}},
            {"list": {"elements": [
                {"env": "dev", "dir": "{{.path.basename}}"},
                {"env": "prod", "dir": "{{.path.basename}}"}
            ]}}
        ]}}],
        "template": {
            "metadata": {"name": "{{.path.basenameNormalized}}-{{.env}}"},
            "spec": {"project": "default", "source": {"path": "{{.path.path}}/overlays/{{.env}}"},
                     "destination": {"namespace": "{{.dir}}"}}
        }
    })));
    assert_eq!(
        names(&apps),
        [
            "guestbook-dev",
            "guestbook-prod",
            "web-app-dev",
            "web-app-prod"
        ]
    );
    assert_eq!(
        field(&apps[3], "/spec/source/path"),
        "apps/web_App/overlays/prod"
    );
    // The list child was rendered with the git child's parameters.
    assert_eq!(field(&apps[3], "/spec/destination/namespace"), "web_App");
}

#[test]
fn matrix_fasttemplate_combines_flat_params() {
    let clusters = [cluster("c1", "https://c1", &[])];
    let apps = expand_with(
        appset(json!({
            "generators": [{"matrix": {"generators": [
                {"git": {"repoURL": REPO, "directories": [{"path": "apps/guestbook"}]}},
                {"clusters": {"selector": {"matchLabels": {}}}}
            ]}}],
            "template": {"metadata": {"name": "{{path.basename}}-{{name}}"}, "spec": {"destination": {"server": "{{server}}"}}}
        })),
        &sample_repo(),
        &clusters,
    )
    .unwrap();
    assert_eq!(names(&apps), ["guestbook-c1", "guestbook-in-cluster"]);
}

#[test]
fn matrix_needs_exactly_two_children() {
    let err = expand_with(
        appset(json!({
            "generators": [{"matrix": {"generators": [{"list": {"elements": []}}]}}],
            "template": {"metadata": {"name": "x"}, "spec": {}}
        })),
        &sample_repo(),
        &[],
    )
    .unwrap_err();
    assert!(
        err.to_string().contains("less than two generators"),
        "{err}"
    );
}

#[test]
fn merge_generator_overrides_by_merge_keys() {
    let clusters = [
        cluster("a", "https://a", &[]),
        cluster("b", "https://b", &[]),
    ];
    let apps = expand_with(
        appset(json!({
            "generators": [{"merge": {
                "mergeKeys": ["server"],
                "generators": [
                    {"clusters": {"values": {"kafka": "true", "redis": "false"}}},
                    {"clusters": {"selector": {"matchLabels": {"use-kafka": "false"}}, "values": {"kafka": "false"}}},
                    {"list": {"elements": [
                        {"server": "https://b", "values.redis": "true"},
                        {"server": "https://unknown", "values.redis": "true"}
                    ]}}
                ]
            }}],
            "template": {
                "metadata": {"name": "{{name}}"},
                "spec": {"source": {"helm": {"parameters": [
                    {"name": "kafka", "value": "{{values.kafka}}"},
                    {"name": "redis", "value": "{{values.redis}}"}
                ]}}, "destination": {"server": "{{server}}"}}
            }
        })),
        &sample_repo(),
        &clusters,
    )
    .unwrap();
    // Base order is kept; the unmatched list element is dropped.
    assert_eq!(names(&apps), ["a", "b", "in-cluster"]);
    assert_eq!(
        field(&apps[1], "/spec/source/helm/parameters/1/value"),
        "true"
    );
    assert_eq!(
        field(&apps[0], "/spec/source/helm/parameters/1/value"),
        "false"
    );
    assert_eq!(
        field(&apps[0], "/spec/source/helm/parameters/0/value"),
        "true"
    );
}

#[test]
fn merge_generator_gotemplate_deep_merges_and_rejects_duplicate_keys() {
    let apps = expand_ok(appset(json!({
        "goTemplate": true,
        "generators": [{"merge": {
            "mergeKeys": ["app"],
            "generators": [
                {"list": {"elements": [{"app": "a", "cfg": {"replicas": "1", "tier": "web"}}, {"app": "b", "cfg": {"replicas": "1"}}]}},
                {"list": {"elements": [{"app": "a", "cfg": {"replicas": "3"}}]}}
            ]
        }}],
        "template": {"metadata": {"name": "{{.app}}-{{.cfg.replicas}}-{{.cfg.tier}}"}, "spec": {}}
    })));
    assert_eq!(names(&apps), ["a-3-web", "b-1-<no value>"]);

    let err = expand_with(
        appset(json!({
            "generators": [{"merge": {"mergeKeys": ["app"], "generators": [
                {"list": {"elements": [{"app": "a"}, {"app": "a"}]}},
                {"list": {"elements": []}}
            ]}}],
            "template": {"metadata": {"name": "{{app}}"}, "spec": {}}
        })),
        &sample_repo(),
        &[],
    )
    .unwrap_err();
    assert!(
        err.to_string()
            .contains("not unique by the given mergeKeys"),
        "{err}"
    );
}

#[test]
fn duplicate_generated_names_are_an_error() {
    let err = expand_with(
        appset(json!({
            "generators": [{"list": {"elements": [{"cluster": "a"}, {"cluster": "b"}]}}],
            "template": {"metadata": {"name": "{{.cluster}}-guestbook"}, "spec": {}}
        })),
        &sample_repo(),
        &[],
    )
    .unwrap_err();
    match err {
        AppSetError::DuplicateName { appset, name } => {
            assert_eq!(appset, "demo");
            assert_eq!(name, "{{.cluster}}-guestbook");
        }
        other => panic!("unexpected error {other}"),
    }
}

#[test]
fn missingkey_error_names_the_missing_key_and_generator() {
    let err = expand_with(
        appset(json!({
            "goTemplate": true,
            "goTemplateOptions": ["missingkey=error"],
            "generators": [{"list": {"elements": [{"cluster": "a"}]}}],
            "template": {"metadata": {"name": "{{.cluster}}-{{.region}}"}, "spec": {}}
        })),
        &sample_repo(),
        &[],
    )
    .unwrap_err();
    match &err {
        AppSetError::Template {
            appset,
            index,
            kind,
            source,
        } => {
            assert_eq!(
                (appset.as_str(), *index, kind.as_str()),
                ("demo", 0, "list")
            );
            assert!(
                source
                    .to_string()
                    .contains("map has no entry for key \"region\""),
                "{source}"
            );
        }
        other => panic!("unexpected error {other}"),
    }
    // Without the option the same template renders `<no value>`.
    let apps = expand_ok(appset(json!({
        "goTemplate": true,
        "generators": [{"list": {"elements": [{"cluster": "a"}]}}],
        "template": {"metadata": {"name": "{{.cluster}}-{{.region}}"}, "spec": {}}
    })));
    assert_eq!(names(&apps), ["a-<no value>"]);
}

#[test]
fn template_patch_merges_into_each_application_but_keeps_project() {
    let apps = expand_ok(appset(json!({
        "goTemplate": true,
        "generators": [{"list": {"elements": [
            {"name": "a", "autoSync": true, "prune": true},
            {"name": "b", "autoSync": false}
        ]}}],
        "template": {
            "metadata": {"name": "{{.name}}"},
            "spec": {"project": "team", "source": {"repoURL": REPO, "path": "apps/{{.name}}"},
                     "destination": {"server": "https://kubernetes.default.svc", "namespace": "{{.name}}"}}
        },
        "templatePatch": "spec:\n  project: hijacked\n{{- if .autoSync }}\n  syncPolicy:\n    automated:\n      prune: {{ .prune }}\n{{- end }}\n"
    })));
    assert_eq!(names(&apps), ["a", "b"]);
    assert_eq!(
        apps[0].pointer("/spec/syncPolicy/automated/prune"),
        Some(&json!(true))
    );
    assert_eq!(apps[1].pointer("/spec/syncPolicy"), None);
    assert_eq!(field(&apps[0], "/spec/project"), "team");
    assert_eq!(field(&apps[0], "/spec/source/path"), "apps/a");
}

#[test]
fn per_generator_template_overrides_fieldwise() {
    let apps = expand_ok(appset(json!({
        "generators": [
            {"list": {"elements": [{"n": "one"}]}},
            {"list": {"elements": [{"n": "two"}], "template": {
                "metadata": {"name": "custom-{{n}}"},
                "spec": {"destination": {"namespace": "special"}}
            }}}
        ],
        "template": {
            "metadata": {"name": "{{n}}"},
            "spec": {"project": "default", "destination": {"server": "https://kubernetes.default.svc", "namespace": "common"}}
        }
    })));
    assert_eq!(names(&apps), ["one", "custom-two"]);
    assert_eq!(field(&apps[1], "/spec/destination/namespace"), "special");
    assert_eq!(
        field(&apps[1], "/spec/destination/server"),
        "https://kubernetes.default.svc"
    );
    assert_eq!(field(&apps[1], "/spec/project"), "default");
}

#[test]
fn finalizer_is_not_added_when_preserving_or_already_set() {
    let base = |extra: Value| {
        let mut spec = json!({
            "generators": [{"list": {"elements": [{"n": "x"}]}}],
            "template": {"metadata": {"name": "{{n}}"}, "spec": {}}
        });
        if let (Some(s), Some(e)) = (spec.as_object_mut(), extra.as_object()) {
            for (k, v) in e {
                s.insert(k.clone(), v.clone());
            }
        }
        appset(spec)
    };
    let kept = expand_ok(base(
        json!({"syncPolicy": {"preserveResourcesOnDeletion": true}}),
    ));
    assert_eq!(kept[0].pointer("/metadata/finalizers"), None);
    let own = expand_ok(base(
        json!({"template": {"metadata": {"name": "{{n}}", "finalizers": ["mine"]}, "spec": {}}}),
    ));
    assert_eq!(
        own[0].pointer("/metadata/finalizers"),
        Some(&json!(["mine"]))
    );
}

#[test]
fn generator_selector_filters_parameter_sets() {
    let apps = expand_ok(appset(json!({
        "generators": [{
            "list": {"elements": [{"env": "dev", "n": "a"}, {"env": "prod", "n": "b"}]},
            "selector": {"matchLabels": {"env": "prod"}}
        }],
        "template": {"metadata": {"name": "{{n}}"}, "spec": {}}
    })));
    assert_eq!(names(&apps), ["b"]);
}

#[test]
fn unsupported_generators_are_typed_errors() {
    for (kind, body) in [
        (
            "pullRequest",
            json!({"github": {"owner": "o", "repo": "r"}}),
        ),
        ("scmProvider", json!({"github": {"organization": "o"}})),
        ("clusterDecisionResource", json!({"configMapRef": "x"})),
        ("plugin", json!({"configMapRef": {"name": "p"}})),
    ] {
        let err = expand_with(
            appset(json!({
                "generators": [{"list": {"elements": [{"n": "a"}]}}, {kind: body}],
                "template": {"metadata": {"name": "{{n}}"}, "spec": {}}
            })),
            &sample_repo(),
            &[],
        )
        .unwrap_err();
        match &err {
            AppSetError::UnsupportedGenerator {
                appset,
                index,
                kind: k,
                ..
            } => {
                assert_eq!((appset.as_str(), *index, k.as_str()), ("demo", 1, kind));
            }
            other => panic!("unexpected error {other}"),
        }
        assert!(err.to_string().contains("not supported"), "{err}");
    }
    // Nested inside a matrix, the error names the path of kinds.
    let err = expand_with(
        appset(json!({
            "generators": [{"matrix": {"generators": [{"list": {"elements": [{"n": "a"}]}}, {"pullRequest": {}}]}}],
            "template": {"metadata": {"name": "{{n}}"}, "spec": {}}
        })),
        &sample_repo(),
        &[],
    )
    .unwrap_err();
    assert!(
        matches!(&err, AppSetError::UnsupportedGenerator { kind, .. } if kind == "matrix/pullRequest"),
        "{err}"
    );
}

#[test]
fn gotemplate_sprig_functions_in_a_template() {
    let apps = expand_ok(appset(json!({
        "goTemplate": true,
        "generators": [{"list": {"elements": [{"cluster": "Prod_EU-1", "url": "https://x", "tags": ["b", "a"]}]}}],
        "template": {
            "metadata": {
                "name": "{{ .cluster | normalize }}",
                "annotations": {
                    "slug": "{{ .cluster | slugify }}",
                    "upper": "{{ .cluster | upper | trimSuffix \"-1\" }}",
                    "tags": "{{ .tags | sortAlpha | join \",\" }}",
                    "hash": "{{ .cluster | sha256sum | trunc 8 }}",
                    "default": "{{ .region | default \"eu-west-1\" }}",
                    "json": "{{ dict \"k\" .cluster | toJson }}",
                    "cond": "{{ if hasPrefix \"Prod\" .cluster }}production{{ else }}other{{ end }}"
                }
            },
            "spec": {"destination": {"server": "{{ .url }}"}}
        }
    })));
    let app = &apps[0];
    assert_eq!(field(app, "/metadata/name"), "prod-eu-1");
    assert_eq!(field(app, "/metadata/annotations/slug"), "prod-eu-1");
    assert_eq!(field(app, "/metadata/annotations/upper"), "PROD_EU");
    assert_eq!(field(app, "/metadata/annotations/tags"), "a,b");
    assert_eq!(field(app, "/metadata/annotations/hash").len(), 8);
    assert_eq!(field(app, "/metadata/annotations/default"), "eu-west-1");
    assert_eq!(
        field(app, "/metadata/annotations/json"),
        "{\"k\":\"Prod_EU-1\"}"
    );
    assert_eq!(field(app, "/metadata/annotations/cond"), "production");
}

#[test]
fn applicationset_without_namespace_leaves_it_unset() {
    let apps = expand_ok(json!({
        "kind": "ApplicationSet",
        "metadata": {"name": "nons"},
        "spec": {
            "generators": [{"list": {"elements": [{"n": "a"}]}}],
            "template": {"metadata": {"name": "{{n}}", "namespace": "argocd"}, "spec": {}}
        }
    }));
    assert_eq!(apps[0].pointer("/metadata/namespace"), None);
}

#[test]
fn invalid_specs_name_the_applicationset() {
    let err =
        expand_with(json!({"metadata": {"name": "broken"}}), &sample_repo(), &[]).unwrap_err();
    assert!(
        matches!(&err, AppSetError::InvalidSpec { appset, .. } if appset == "broken"),
        "{err}"
    );
    let err = expand_with(
        appset(json!({"goTemplate": true, "goTemplateOptions": ["missingkey=maybe"], "generators": []})),
        &sample_repo(),
        &[],
    )
    .unwrap_err();
    assert!(err.to_string().contains("missingkey=maybe"), "{err}");
}

#[test]
fn cluster_selector_never_matches_the_unlabelled_local_cluster() {
    // As the caller passes it: the current context as in-cluster, without labels.
    let clusters = [
        cluster("in-cluster", "https://kubernetes.default.svc", &[]),
        cluster("dev", "https://dev", &[("env", "dev")]),
    ];
    let apps = expand_with(
        appset(json!({
            "generators": [{"clusters": {"selector": {"matchExpressions": [
                {"key": "env", "operator": "NotIn", "values": ["prod"]}
            ]}}}],
            "template": {"metadata": {"name": "{{name}}"}, "spec": {}}
        })),
        &sample_repo(),
        &clusters,
    )
    .unwrap();
    assert_eq!(names(&apps), ["dev"]);
}

#[test]
fn cluster_generator_flat_list_gives_one_parameter_set() {
    let clusters = [
        cluster("a", "https://a", &[]),
        cluster("b", "https://b", &[]),
    ];
    let apps = expand_with(
        appset(json!({
            "goTemplate": true,
            "generators": [{"clusters": {"flatList": true}}],
            "template": {
                "metadata": {"name": "all"},
                "spec": {"source": {"helm": {"values": "{{range .clusters}}{{.name}};{{end}}"}}}
            }
        })),
        &sample_repo(),
        &clusters,
    )
    .unwrap();
    assert_eq!(names(&apps), ["all"]);
    assert_eq!(
        field(&apps[0], "/spec/source/helm/values"),
        "a;b;in-cluster;"
    );
}

#[test]
fn git_directories_skip_malformed_patterns_and_match_single_levels() {
    let apps = expand_ok(appset(json!({
        "generators": [{"git": {"repoURL": REPO, "directories": [
            {"path": "apps/[web"},
            {"path": "*"},
            {"path": "apps/?uestbook"}
        ]}}],
        "template": {"metadata": {"name": "{{path.basenameNormalized}}"}, "spec": {}}
    })));
    // `*` is the top level only; the malformed pattern matches nothing; directories come in
    // depth-first walk order, as Argo CD lists them.
    assert_eq!(names(&apps), ["apps", "guestbook", "clusters"]);
}

#[test]
fn git_files_accept_tab_indented_json() {
    let git = MemGit::default().with(
        REPO,
        &[(
            "envs/qa/env.json",
            "{\n\t\"env\": \"qa\",\n\t\"replicas\": 2\n}\n",
        )],
    );
    let apps = expand_with(
        appset(json!({
            "generators": [{"git": {"repoURL": REPO, "files": [{"path": "envs/*/env.json"}]}}],
            "template": {"metadata": {"name": "{{env}}-{{replicas}}"}, "spec": {}}
        })),
        &git,
        &[],
    )
    .unwrap();
    assert_eq!(names(&apps), ["qa-2"]);
}

#[test]
fn matrix_nesting_is_limited_to_one_level() {
    let leaf = json!({"list": {"elements": [{"a": "1"}]}});
    let inner =
        json!({"matrix": {"generators": [leaf.clone(), {"list": {"elements": [{"b": "2"}]}}]}});
    let ok = expand_ok(appset(json!({
        "generators": [{"matrix": {"generators": [inner.clone(), {"list": {"elements": [{"c": "3"}]}}]}}],
        "template": {"metadata": {"name": "{{a}}{{b}}{{c}}"}, "spec": {}}
    })));
    assert_eq!(names(&ok), ["123"]);
    let too_deep = json!({"matrix": {"generators": [inner, leaf.clone()]}});
    let err = expand_with(
        appset(json!({
            "generators": [{"matrix": {"generators": [too_deep, leaf]}}],
            "template": {"metadata": {"name": "x"}, "spec": {}}
        })),
        &sample_repo(),
        &[],
    )
    .unwrap_err();
    assert!(
        err.to_string().contains("nested only one level deep"),
        "{err}"
    );
}

#[test]
fn gotemplate_can_emit_literal_helm_braces() {
    let apps = expand_ok(appset(json!({
        "goTemplate": true,
        "generators": [{"list": {"elements": [{"n": "a"}]}}],
        "template": {
            "metadata": {"name": "{{.n}}"},
            "spec": {"source": {"helm": {"values": "image: {{`{{ .Values.tag }}`}}"}}}
        }
    })));
    assert_eq!(
        field(&apps[0], "/spec/source/helm/values"),
        "image: {{ .Values.tag }}"
    );
}

/// A list generator of `n` elements `{"i": "<k>"}`.
fn numbered(n: usize) -> Value {
    let elements: Vec<Value> = (0..n).map(|i| json!({"i": i.to_string()})).collect();
    json!({"list": {"elements": elements}})
}

fn minimal_template(name: &str) -> Value {
    json!({
        "metadata": {"name": name},
        "spec": {"project": "default", "source": {"repoURL": REPO, "path": "p"},
                 "destination": {"server": "https://kubernetes.default.svc", "namespace": "x"}}
    })
}

#[test]
fn a_matrix_explosion_stops_at_the_parameter_set_limit() {
    let start = std::time::Instant::now();
    let err = expand_with(
        appset(json!({
            "goTemplate": true,
            "generators": [{"matrix": {"generators": [numbered(2000), numbered(2000)]}}],
            "template": minimal_template("app-{{.i}}")
        })),
        &sample_repo(),
        &[],
    )
    .unwrap_err();
    assert_eq!(
        err.to_string(),
        "ApplicationSet demo: generator 0 (matrix): matrix generator produces more than 10000 parameter sets (limit 10000 per ApplicationSet)"
    );
    assert!(
        start.elapsed() < std::time::Duration::from_secs(30),
        "{:?}",
        start.elapsed()
    );
}

#[test]
fn generators_are_capped_alone_and_together() {
    let err = expand_with(
        appset(json!({
            "generators": [numbered(10_001)],
            "template": minimal_template("app-{{i}}")
        })),
        &sample_repo(),
        &[],
    )
    .unwrap_err();
    assert!(
        err.to_string()
            .contains("list generator produces more than 10000 parameter sets"),
        "{err}"
    );
    let err = expand_with(
        appset(json!({
            "generators": [numbered(6000), numbered(6000)],
            "template": minimal_template("app-{{i}}")
        })),
        &sample_repo(),
        &[],
    )
    .unwrap_err();
    assert_eq!(
        err.to_string(),
        "ApplicationSet demo generates more than 10000 Applications (limit 10000 per ApplicationSet)"
    );
}

#[test]
fn hostile_go_templates_fail_with_the_limit_they_hit() {
    for (template, limit) in [
        (
            r#"{{printf "%99999d" 1}}"#,
            "printf width or precision 99999 too large (limit 10000)",
        ),
        (
            "{{until 999999999}}",
            "list too long (limit 100000 elements)",
        ),
        (
            r#"{{repeat 999999999 "x"}}"#,
            "string value too large (limit 1 MiB)",
        ),
        (
            "{{range until 100000}}{{range until 100000}}{{end}}{{end}}",
            "too many range iterations (limit 100000)",
        ),
    ] {
        let err = expand_with(
            appset(json!({
                "goTemplate": true,
                "generators": [{"list": {"elements": [{"n": "a"}]}}],
                "template": minimal_template(template)
            })),
            &sample_repo(),
            &[],
        )
        .unwrap_err();
        let text = err.to_string();
        assert!(
            text.starts_with(
                "ApplicationSet demo: generator 0 (list): failed to execute go template"
            ) && text.contains(limit),
            "{template}: {text}"
        );
    }
}

#[test]
fn cluster_secret_labels_and_annotations_template_both_ways_and_a_lost_selector_warns() {
    let mut prod = cluster(
        "prod",
        "https://prod",
        &[
            ("argocd.argoproj.io/secret-type", "cluster"),
            ("enable_ingress_nginx", "true"),
        ],
    );
    prod.annotations
        .insert("addons_repo_revision".into(), "v1.2.0".into());
    prod.project = "platform".into();
    // A secret registering the local server: no implicit in-cluster is added then.
    let local = cluster(
        "in-cluster",
        "https://kubernetes.default.svc",
        &[("argocd.argoproj.io/secret-type", "cluster")],
    );
    let clusters = [prod, local];
    let fast = expand_with(
        appset(json!({
            "generators": [{"clusters": {"selector": {"matchLabels": {"enable_ingress_nginx": "true"}}}}],
            "template": {"metadata": {"name": "ingress-{{name}}"},
                "spec": {"project": "{{project}}", "source": {"targetRevision": "{{metadata.annotations.addons_repo_revision}}"}}}
        })),
        &sample_repo(),
        &clusters,
    )
    .unwrap();
    assert_eq!(names(&fast), ["ingress-prod"]);
    assert_eq!(field(&fast[0], "/spec/source/targetRevision"), "v1.2.0");
    assert_eq!(field(&fast[0], "/spec/project"), "platform");
    let go = expand_with(
        appset(json!({
            "goTemplate": true,
            "generators": [{"clusters": {}}],
            "template": {"metadata": {"name": "{{.name}}"},
                "spec": {"source": {"targetRevision": "{{default \"none\" (index .metadata.annotations \"addons_repo_revision\")}}"}}}
        })),
        &sample_repo(),
        &clusters,
    )
    .unwrap();
    assert_eq!(names(&go), ["prod", "in-cluster"]);
    assert_eq!(field(&go[0], "/spec/source/targetRevision"), "v1.2.0");
    assert_eq!(field(&go[1], "/spec/source/targetRevision"), "none");

    let (apps, warnings) = crate::apps::appset::expand_with_warnings(
        &appset(json!({
            "generators": [{"clusters": {"selector": {"matchLabels": {"env": "nowhere"}}}}],
            "template": {"metadata": {"name": "{{name}}"}, "spec": {}}
        })),
        &ExpandContext {
            git: &sample_repo(),
            clusters: &clusters,
        },
    )
    .unwrap();
    assert!(apps.is_empty());
    assert_eq!(warnings.len(), 1);
    assert!(
        warnings[0].contains("matches no cluster (known: prod, in-cluster)"),
        "{warnings:?}"
    );
}
