//! Nothing is dropped without a word: ignoreDifferences rules that fail are warnings naming the
//! app and the rule; errors are one line in the user's terms.

use crate::gitrepo::GitRepo;
use crate::harness::{Run, TestNamespace, gitops_in, json, kubectl_ok};

const URL: &str = "https://git.example.com/lab/drops.git";

fn root_app(ns: &str, extra_spec: &str) -> String {
    format!(
        "apiVersion: argoproj.io/v1alpha1\nkind: Application\nmetadata: {{name: web, namespace: argocd}}\nspec:\n  source: {{repoURL: \"{URL}\", path: web}}\n  destination: {{server: \"https://kubernetes.default.svc\", namespace: {ns}}}\n{extra_spec}"
    )
}

fn diff(repo: &GitRepo, ns: &TestNamespace, args: &[&str]) -> Run {
    let mut all = vec!["diff", "root.yaml", "--records-namespace", &ns.name];
    all.extend_from_slice(args);
    gitops_in(repo.path(), &all)
}

#[test]
fn failing_ignore_differences_rules_are_warnings_naming_app_and_rule() {
    let ns = TestNamespace::new("ignwarn");
    kubectl_ok(&[
        "create",
        "configmap",
        "settings",
        "-n",
        &ns.name,
        "--from-literal=a=old",
        "--from-literal=ignored=live",
    ]);
    // Rule 0 was written for Deployments but matches every kind; rule 1 points through a
    // string; rule 2 works and must still apply.
    let rules = "  ignoreDifferences:\n  - {group: \"*\", kind: \"*\", jqPathExpressions: [\".spec.template.spec.containers[]\"]}\n  - {kind: ConfigMap, jsonPointers: [/data/a/b]}\n  - {kind: ConfigMap, jsonPointers: [/data/ignored]}\n";
    let repo = GitRepo::new();
    repo.git(&["remote", "add", "origin", URL]);
    repo.write("root.yaml", &root_app(&ns.name, rules)).write(
        "web/cm.yaml",
        "apiVersion: v1\nkind: ConfigMap\nmetadata: {name: settings}\ndata: {a: new, ignored: git}\n",
    );
    repo.commit("rules");
    let out = diff(&repo, &ns, &[]);
    assert_eq!(out.code, 1, "{out:#?}");
    let object = format!("ConfigMap {}/settings", ns.name);
    assert_eq!(
        out.stderr.lines().collect::<Vec<_>>(),
        [
            format!(
                "warning: app \"web\": spec.ignoreDifferences[0]: jq expression '.spec.template.spec.containers[]' failed: cannot use null as iterable (array or object) (on {object}); this part of the rule was skipped there"
            ),
            format!(
                "warning: app \"web\": spec.ignoreDifferences[1]: JSON pointer '/data/a/b' does not fit the object: /data/a is not a mapping or a list it can go into (on {object}); this part of the rule was skipped there"
            ),
        ],
        "{out:#?}"
    );
    assert!(out.stdout.contains("+  a: new"), "{out:#?}");
    assert!(
        !out.stdout.contains("ignored"),
        "rule 2 still applies: {out:#?}"
    );
    let doc = json(&diff(&repo, &ns, &["-o", "json"]));
    assert_eq!(doc["warnings"].as_array().unwrap().len(), 2, "{doc:#}");
    let md = diff(&repo, &ns, &["-o", "markdown"]).stdout;
    assert!(
        md.contains("spec.ignoreDifferences[1]: JSON pointer"),
        "{md}"
    );
}

#[test]
fn errors_name_the_field_and_its_type_and_each_place_once() {
    let repo = GitRepo::new();
    let app = |name: &str, path: &str| {
        format!(
            "apiVersion: argoproj.io/v1alpha1\nkind: Application\nmetadata: {{name: {name}, namespace: argocd}}\nspec:\n  source: {{repoURL: \"{URL}\", path: {path}}}\n  destination: {{server: \"https://kubernetes.default.svc\", namespace: web}}\n"
        )
    };
    repo.git(&["remote", "add", "origin", URL]);
    repo.write(
        "apps/apps.yaml",
        &[
            app("web", "web"),
            app("web", "web"),
            "apiVersion: argoproj.io/v1alpha1\nkind: Application\nmetadata: {name: typo, namespace: argocd}\nspec:\n  source: {repoURL: 5, path: web}\n".to_string(),
        ]
        .join("---\n"),
    )
    .write(
        "web/cm.yaml",
        "apiVersion: v1\nkind: ConfigMap\nmetadata: settings\ndata: {a: b}\n",
    );
    repo.commit("broken");
    let out = crate::harness::gitops_offline(repo.path(), &["tree", "apps"]);
    assert_eq!(out.code, 2, "{out:#?}");
    let lines: Vec<&str> = out.stderr.lines().collect();
    let dup = lines
        .iter()
        .find(|l| l.contains("duplicate app name \"web\""))
        .unwrap_or_else(|| panic!("{out:#?}"));
    assert!(
        dup.ends_with("apps/apps.yaml (documents 1 and 2); the second is ignored"),
        "{dup}"
    );
    assert_eq!(dup.matches("apps/apps.yaml").count(), 1, "{dup}");
    assert_eq!(dup.matches(" at work tree").count(), 1, "{dup}");
    assert!(
        lines.iter().any(|l| l.ends_with(
            "apps/apps.yaml (document 3): invalid Application: app \"typo\": spec.source.repoURL must be a string, not a number"
        )),
        "{out:#?}"
    );
    assert!(
        lines.iter().any(|l| l.contains("app \"web\"")
            && l.ends_with("web/cm.yaml (document 1): metadata must be a mapping, not a string")),
        "{out:#?}"
    );
    assert!(!out.stderr.contains("invalid type"), "{out:#?}");
    assert!(!out.stderr.contains("missing"), "{out:#?}");
}
