//! An Application's `spec.ignoreDifferences`: parsing the rules and applying them to both sides.

use globset::{Glob, GlobMatcher};
use serde_json::Value;

use super::fields::managed_entries;
use super::jq::JqPathExpression;
use super::pointer::JsonPointer;
use super::{api_group, is_secret, kind, meta_str};

/// Why an `ignoreDifferences` entry was rejected; `index` is its position in the list.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum IgnoreRuleError {
    /// `ignoreDifferences` is present but not a list.
    #[error("ignoreDifferences must be a list")]
    NotAList,
    /// An entry is not a mapping.
    #[error("ignoreDifferences[{index}] must be a mapping")]
    NotAnObject {
        /// Position in the list.
        index: usize,
    },
    /// An entry lacks `kind`, which the Application CRD requires.
    #[error("ignoreDifferences[{index}]: kind is required")]
    MissingKind {
        /// Position in the list.
        index: usize,
    },
    /// A field has the wrong type (a number where a string belongs, a string for a list...).
    #[error("ignoreDifferences[{index}].{field}: {expected}")]
    WrongType {
        /// Position in the list.
        index: usize,
        /// The field name as written in the Application.
        field: &'static str,
        /// What the field must be.
        expected: &'static str,
    },
    /// `group` or `kind` is not a valid glob.
    #[error("ignoreDifferences[{index}].{field}: invalid pattern '{pattern}': {reason}")]
    InvalidGlob {
        /// Position in the list.
        index: usize,
        /// `group` or `kind`.
        field: &'static str,
        /// The pattern as written.
        pattern: String,
        /// What the glob parser said.
        reason: String,
    },
    /// A `jsonPointers` entry is not an RFC 6901 pointer.
    #[error("ignoreDifferences[{index}].jsonPointers: invalid pointer '{pointer}': {reason}")]
    InvalidPointer {
        /// Position in the list.
        index: usize,
        /// The pointer as written.
        pointer: String,
        /// What is wrong with it.
        reason: String,
    },
    /// A `jqPathExpressions` entry does not compile as `del(<expr>)`.
    #[error(
        "ignoreDifferences[{index}].jqPathExpressions: invalid expression '{expression}': {reason}"
    )]
    InvalidJq {
        /// Position in the list.
        index: usize,
        /// The expression as written.
        expression: String,
        /// What the jq parser or compiler said.
        reason: String,
    },
}

/// Something a rule could not do to one object; the object is still compared without it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct IgnoreWarning {
    /// Position of the rule in `ignoreDifferences`.
    pub rule: usize,
    /// What went wrong (never quotes a Secret's content).
    pub message: String,
}

/// One parsed `ignoreDifferences` entry.
#[derive(Debug)]
pub struct IgnoreRule {
    /// Position in the Application's list, for messages.
    pub index: usize,
    group: GlobMatcher,
    kind: GlobMatcher,
    /// Exact object name; empty matches any.
    pub name: String,
    /// Exact namespace; empty matches any.
    pub namespace: String,
    /// Fields removed from both sides.
    pub json_pointers: Vec<JsonPointer>,
    /// Expressions whose selection is deleted from both sides.
    pub jq_path_expressions: Vec<JqPathExpression>,
    /// Managers whose fields in live are taken over into desired.
    pub managed_fields_managers: Vec<String>,
}

/// Parses `spec.ignoreDifferences` (`Null` or absent means no rules).
pub fn parse_ignore_differences(list: &Value) -> Result<Vec<IgnoreRule>, IgnoreRuleError> {
    match list {
        Value::Null => Ok(Vec::new()),
        Value::Array(entries) => entries
            .iter()
            .enumerate()
            .map(|(i, e)| IgnoreRule::parse(i, e))
            .collect(),
        _ => Err(IgnoreRuleError::NotAList),
    }
}

impl IgnoreRule {
    /// Parses entry `index` of `ignoreDifferences`.
    pub fn parse(index: usize, entry: &Value) -> Result<Self, IgnoreRuleError> {
        let Value::Object(map) = entry else {
            return Err(IgnoreRuleError::NotAnObject { index });
        };
        let string = |field: &'static str| -> Result<String, IgnoreRuleError> {
            match map.get(field) {
                None | Some(Value::Null) => Ok(String::new()),
                Some(Value::String(s)) => Ok(s.clone()),
                Some(_) => Err(IgnoreRuleError::WrongType {
                    index,
                    field,
                    expected: "must be a string",
                }),
            }
        };
        let strings = |field: &'static str| -> Result<Vec<String>, IgnoreRuleError> {
            let wrong = IgnoreRuleError::WrongType {
                index,
                field,
                expected: "must be a list of strings",
            };
            match map.get(field) {
                None | Some(Value::Null) => Ok(Vec::new()),
                Some(Value::Array(items)) => items
                    .iter()
                    .map(|v| v.as_str().map(str::to_string).ok_or(wrong.clone()))
                    .collect(),
                Some(_) => Err(wrong),
            }
        };
        let glob = |field: &'static str, pattern: &str| -> Result<GlobMatcher, IgnoreRuleError> {
            Glob::new(pattern)
                .map(|g| g.compile_matcher())
                .map_err(|e| IgnoreRuleError::InvalidGlob {
                    index,
                    field,
                    pattern: pattern.to_string(),
                    reason: e.kind().to_string(),
                })
        };

        let kind = string("kind")?;
        if kind.is_empty() {
            return Err(IgnoreRuleError::MissingKind { index });
        }
        // An omitted group is the empty pattern, which matches only the core group.
        let group = string("group")?;
        let json_pointers = strings("jsonPointers")?
            .into_iter()
            .map(|p| {
                JsonPointer::parse(&p).map_err(|e| IgnoreRuleError::InvalidPointer {
                    index,
                    reason: e.to_string(),
                    pointer: p,
                })
            })
            .collect::<Result<_, _>>()?;
        let jq_path_expressions = strings("jqPathExpressions")?
            .into_iter()
            .map(|expr| {
                JqPathExpression::compile(&expr).map_err(|e| IgnoreRuleError::InvalidJq {
                    index,
                    expression: expr,
                    reason: e.to_string(),
                })
            })
            .collect::<Result<_, _>>()?;
        Ok(Self {
            index,
            group: glob("group", &group)?,
            kind: glob("kind", &kind)?,
            name: string("name")?,
            namespace: string("namespace")?,
            json_pointers,
            jq_path_expressions,
            managed_fields_managers: strings("managedFieldsManagers")?,
        })
    }

    /// Whether the rule applies to `obj` (group/kind by glob, name/namespace exact or any).
    pub fn matches(&self, obj: &Value) -> bool {
        self.group.is_match(api_group(obj))
            && self.kind.is_match(kind(obj))
            && (self.name.is_empty() || self.name == meta_str(obj, "name"))
            && (self.namespace.is_empty() || self.namespace == meta_str(obj, "namespace"))
    }
}

/// Applies the rules that match the object to both sides (`Value::Null` = side absent):
/// first `managedFieldsManagers` (their fields are copied from live into desired, using
/// `live_managed_fields`, the live object's `metadata.managedFields`), then `jsonPointers` and
/// `jqPathExpressions` removals on both sides. Maps and lists that a removal leaves empty are
/// dropped, so a removed last annotation does not show as `annotations: {}`.
pub fn apply_ignores(
    rules: &[IgnoreRule],
    desired: &mut Value,
    live: &mut Value,
    live_managed_fields: &Value,
) -> Vec<IgnoreWarning> {
    let mut warnings = Vec::new();
    // Both sides describe the same object; whichever exists names it.
    let identity: &Value = if desired.is_null() { live } else { desired };
    let matched: Vec<&IgnoreRule> = rules.iter().filter(|r| r.matches(identity)).collect();
    if matched.is_empty() {
        return warnings;
    }
    let secret = is_secret(identity);

    if !desired.is_null() && !live.is_null() {
        take_managers_fields(&matched, desired, live, live_managed_fields, &mut warnings);
    }
    let removes = matched
        .iter()
        .any(|r| !r.json_pointers.is_empty() || !r.jq_path_expressions.is_empty());
    for side in [desired, live] {
        if side.is_null() || !removes {
            continue;
        }
        let before = side.clone();
        for rule in &matched {
            for pointer in &rule.json_pointers {
                if let Err(misfit) = pointer.remove(side) {
                    warnings.push(IgnoreWarning {
                        rule: rule.index,
                        message: pointer_misfit(pointer, &misfit),
                    });
                }
            }
            for jq in &rule.jq_path_expressions {
                match jq.apply(side) {
                    Ok(v) => *side = v,
                    Err(e) => warnings.push(IgnoreWarning {
                        rule: rule.index,
                        message: jq_failure(jq.expression(), &e, secret),
                    }),
                }
            }
        }
        drop_newly_empty(side, &before);
    }
    warnings
}

/// Argo CD's `RespectIgnoreDifferences=true`: the fields the rules ignore keep their live values
/// when the object is applied (copied from live into the manifest, or removed from it when
/// live has none), so a sync does not undo what the rules say to leave alone. Only for objects
/// that exist; a rule that fails is skipped, as it is for diffs, and said in the warnings.
pub fn keep_live_values(
    rules: &[IgnoreRule],
    desired: &mut Value,
    live: &Value,
) -> Vec<IgnoreWarning> {
    let mut warnings = Vec::new();
    use super::jq::{Part, delete, get, set};
    let matched: Vec<&IgnoreRule> = rules.iter().filter(|r| r.matches(live)).collect();
    let to_parts = |tokens: &[String], doc: &Value| -> Vec<Part> {
        let mut parts = Vec::new();
        let mut cur = Some(doc);
        for t in tokens {
            let part = match cur {
                Some(Value::Array(_)) => match t.parse::<usize>() {
                    Ok(i) => Part::Index(i),
                    Err(_) => Part::Key(t.clone()),
                },
                _ => Part::Key(t.clone()),
            };
            cur = cur.and_then(|c| match &part {
                Part::Key(k) => c.get(k),
                Part::Index(i) => c.get(*i),
            });
            parts.push(part);
        }
        parts
    };
    let keep = |path: Vec<Part>, desired: &mut Value| match get(live, &path) {
        Some(v) => set(desired, &path, v.clone()),
        None => delete(desired, &path),
    };
    let secret = is_secret(live);
    for rule in &matched {
        for pointer in &rule.json_pointers {
            if let Err(misfit) = pointer.check(live).and_then(|()| pointer.check(desired)) {
                warnings.push(IgnoreWarning {
                    rule: rule.index,
                    message: pointer_misfit(pointer, &misfit),
                });
                continue;
            }
            let path = to_parts(pointer.tokens(), live);
            keep(path, desired);
        }
        for jq in &rule.jq_path_expressions {
            let found = jq.paths(live).and_then(|mut p| {
                jq.paths(desired).map(|d| {
                    p.extend(d);
                    p
                })
            });
            let mut paths = match found {
                Ok(p) => p,
                Err(e) => {
                    warnings.push(IgnoreWarning {
                        rule: rule.index,
                        message: jq_failure(jq.expression(), &e, secret),
                    });
                    continue;
                }
            };
            // Deepest and last first, so removals keep earlier positions valid.
            paths.sort_by_key(|p| std::cmp::Reverse(p.len()));
            for p in paths {
                keep(p, desired);
            }
        }
    }
    let managed = live
        .pointer("/metadata/managedFields")
        .cloned()
        .unwrap_or(Value::Null);
    take_managers_fields(&matched, desired, live, &managed, &mut warnings);
    warnings
}

fn take_managers_fields(
    matched: &[&IgnoreRule],
    desired: &mut Value,
    live: &Value,
    live_managed_fields: &Value,
    warnings: &mut Vec<IgnoreWarning>,
) {
    let with_managers: Vec<&&IgnoreRule> = matched
        .iter()
        .filter(|r| !r.managed_fields_managers.is_empty())
        .collect();
    let Some(first) = with_managers.first() else {
        return;
    };
    let (entries, problems) = managed_entries(live_managed_fields);
    warnings.extend(problems.into_iter().map(|message| IgnoreWarning {
        rule: first.index,
        message,
    }));
    for rule in with_managers {
        for entry in &entries {
            if rule.managed_fields_managers.contains(&entry.manager) {
                entry.fields.copy_owned(live, desired);
            }
        }
    }
}

/// A pointer that does not fit the object (it names no value, it goes through one).
fn pointer_misfit(pointer: &JsonPointer, misfit: &super::pointer::PointerMisfit) -> String {
    format!("JSON pointer '{pointer}' does not fit the object: {misfit}")
}

/// jq runtime errors quote the value they failed on, which for a Secret is its data.
fn jq_failure(expression: &str, error: &super::JqError, secret: bool) -> String {
    if secret {
        format!("jq expression '{expression}' failed on a Secret (details hidden)")
    } else {
        format!("jq expression '{expression}' failed: {error}")
    }
}

/// Removes maps and lists that are empty now but were not empty (or not there) before, so
/// deletions do not leave `{}` behind, while empty values that were in the object stay.
fn drop_newly_empty(value: &mut Value, before: &Value) {
    match value {
        Value::Object(map) => {
            let keys: Vec<String> = map.keys().cloned().collect();
            for key in keys {
                let old = before.get(&key).unwrap_or(&Value::Null);
                let now_empty = match map.get_mut(&key) {
                    Some(child) => {
                        drop_newly_empty(child, old);
                        is_empty_container(child) && !is_empty_container(old)
                    }
                    None => false,
                };
                if now_empty {
                    map.shift_remove(&key);
                }
            }
        }
        Value::Array(items) => {
            // Indexes may have shifted after removals; comparing by position is good enough to
            // decide whether an item was emptied, and never removes a non-empty item.
            let mut i = 0;
            while i < items.len() {
                let old = before.get(i).unwrap_or(&Value::Null);
                drop_newly_empty(&mut items[i], old);
                if is_empty_container(&items[i]) && !is_empty_container(old) {
                    items.remove(i);
                } else {
                    i += 1;
                }
            }
        }
        _ => {}
    }
}

fn is_empty_container(v: &Value) -> bool {
    match v {
        Value::Object(m) => m.is_empty(),
        Value::Array(a) => a.is_empty(),
        _ => false,
    }
}

#[cfg(test)]
mod warning_tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn failing_rules_are_warnings_naming_the_rule_and_the_rest_still_applies() {
        let rules = parse_ignore_differences(&json!([
            {"group": "*", "kind": "*", "jqPathExpressions": [".spec.template.spec.containers[]"]},
            {"kind": "ConfigMap", "jsonPointers": ["/data/a/b"]},
            {"kind": "ConfigMap", "jsonPointers": ["/data/ignored"]}
        ]))
        .unwrap();
        let mut desired = json!({"apiVersion": "v1", "kind": "ConfigMap",
            "metadata": {"name": "c"}, "data": {"a": "y", "ignored": "git"}});
        let mut live = json!({"apiVersion": "v1", "kind": "ConfigMap",
            "metadata": {"name": "c"}, "data": {"a": "x", "ignored": "live"}});
        let warnings = apply_ignores(&rules, &mut desired, &mut live, &Value::Null);
        assert_eq!(desired["data"], json!({"a": "y"}), "rule 2 still applies");
        let by_rule: Vec<usize> = warnings.iter().map(|w| w.rule).collect();
        assert_eq!(by_rule, [0, 1, 0, 1], "{warnings:?}");
        assert!(
            warnings[0]
                .message
                .starts_with("jq expression '.spec.template.spec.containers[]' failed"),
            "{warnings:?}"
        );
        assert_eq!(
            warnings[1].message,
            "JSON pointer '/data/a/b' does not fit the object: /data/a is not a mapping or a list it can go into"
        );
        let mut desired = json!({"apiVersion": "v1", "kind": "ConfigMap",
            "metadata": {"name": "c"}, "data": {"a": "y"}});
        let live = json!({"apiVersion": "v1", "kind": "ConfigMap",
            "metadata": {"name": "c"}, "data": {"a": "x", "ignored": "live"}});
        let warnings = keep_live_values(&rules, &mut desired, &live);
        assert_eq!(desired["data"]["ignored"], "live");
        assert_eq!(
            warnings.iter().map(|w| w.rule).collect::<Vec<_>>(),
            [0, 1],
            "{warnings:?}"
        );
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn rules(list: Value) -> Vec<IgnoreRule> {
        parse_ignore_differences(&list).unwrap()
    }

    fn deployment(image: &str, replicas: u64) -> Value {
        json!({
            "apiVersion": "apps/v1", "kind": "Deployment",
            "metadata": {"name": "web", "namespace": "shop",
                         "annotations": {"example.com/hash": "abc"}},
            "spec": {"replicas": replicas, "template": {"spec": {"containers": [
                {"name": "web", "image": "nginx:1.27"},
                {"name": "x", "image": image}
            ]}}}
        })
    }

    #[test]
    fn parses_a_full_entry() {
        let r = rules(json!([{
            "group": "apps", "kind": "Deployment", "name": "web", "namespace": "shop",
            "jsonPointers": ["/spec/replicas"],
            "jqPathExpressions": [".spec.template.spec.containers[] | select(.name == \"x\") | .image"],
            "managedFieldsManagers": ["kube-controller-manager"]
        }]));
        assert_eq!(r.len(), 1);
        assert_eq!(r[0].json_pointers[0].to_string(), "/spec/replicas");
        assert_eq!(r[0].managed_fields_managers, ["kube-controller-manager"]);
        assert!(r[0].matches(&deployment("a", 1)));
    }

    #[test]
    fn errors_name_the_entry() {
        let err = parse_ignore_differences(&json!([
            {"kind": "ConfigMap"},
            {"kind": "Deployment", "group": "apps", "jsonPointers": ["spec/replicas"]}
        ]))
        .unwrap_err();
        assert!(matches!(
            err,
            IgnoreRuleError::InvalidPointer { index: 1, .. }
        ));
        assert!(
            err.to_string()
                .starts_with("ignoreDifferences[1].jsonPointers")
        );

        let err = parse_ignore_differences(&json!([
            {"kind": "Deployment", "jqPathExpressions": [".spec | select("]}
        ]))
        .unwrap_err();
        assert!(
            matches!(err, IgnoreRuleError::InvalidJq { index: 0, .. }),
            "{err}"
        );

        let err = parse_ignore_differences(&json!([{"group": "apps"}])).unwrap_err();
        assert_eq!(err, IgnoreRuleError::MissingKind { index: 0 });
        let err =
            parse_ignore_differences(&json!([{"kind": "X", "jsonPointers": "/a"}])).unwrap_err();
        assert!(matches!(
            err,
            IgnoreRuleError::WrongType {
                field: "jsonPointers",
                ..
            }
        ));
        assert_eq!(
            parse_ignore_differences(&json!({"kind": "X"})).unwrap_err(),
            IgnoreRuleError::NotAList
        );
        assert_eq!(
            parse_ignore_differences(&json!(["x"])).unwrap_err(),
            IgnoreRuleError::NotAnObject { index: 0 }
        );
        assert!(parse_ignore_differences(&Value::Null).unwrap().is_empty());
    }

    #[test]
    fn matching_by_glob_and_exact_names() {
        let d = deployment("a", 1);
        let any_group = rules(json!([{"group": "*", "kind": "Deploy*"}]));
        assert!(any_group[0].matches(&d));
        // Omitted group means the core group only.
        let core = rules(json!([{"kind": "Deployment"}]));
        assert!(!core[0].matches(&d));
        assert!(core[0].matches(&json!({"apiVersion": "v1", "kind": "Deployment"})));
        let other_name = rules(json!([{"group": "apps", "kind": "*", "name": "api"}]));
        assert!(!other_name[0].matches(&d));
        let other_ns = rules(json!([{"group": "apps", "kind": "*", "namespace": "prod"}]));
        assert!(!other_ns[0].matches(&d));
        let glob_group = rules(json!([{"group": "*.k8s.io", "kind": "*"}]));
        assert!(glob_group[0].matches(&json!({
            "apiVersion": "networking.k8s.io/v1", "kind": "Ingress"})));
    }

    #[test]
    fn pointers_with_escapes_are_removed_from_both_sides() {
        let r = rules(json!([{"group": "apps", "kind": "Deployment",
            "jsonPointers": ["/metadata/annotations/example.com~1hash", "/spec/replicas"]}]));
        let mut desired = deployment("a", 1);
        let mut live = deployment("a", 5);
        live["metadata"]["annotations"]["example.com/hash"] = json!("def");
        let warnings = apply_ignores(&r, &mut desired, &mut live, &Value::Null);
        assert!(warnings.is_empty());
        assert_eq!(desired, live);
        // The emptied annotations map is gone rather than left as `{}`.
        assert!(desired["metadata"].get("annotations").is_none());
        assert!(desired["spec"].get("replicas").is_none());
    }

    #[test]
    fn jq_expression_deletes_selected_image_on_both_sides() {
        let r = rules(
            json!([{"group": "apps", "kind": "Deployment", "jqPathExpressions": [
            ".spec.template.spec.containers[] | select(.name == \"x\") | .image"]}]),
        );
        let mut desired = deployment("sidecar:1", 2);
        let mut live = deployment("sidecar:2", 2);
        apply_ignores(&r, &mut desired, &mut live, &Value::Null);
        assert_eq!(desired, live);
        assert_eq!(
            live["spec"]["template"]["spec"]["containers"][1],
            json!({"name": "x"})
        );
        assert_eq!(
            live["spec"]["template"]["spec"]["containers"][0]["image"],
            json!("nginx:1.27")
        );
    }

    #[test]
    fn non_matching_rules_change_nothing() {
        let r = rules(json!([{"group": "apps", "kind": "StatefulSet",
            "jsonPointers": ["/spec/replicas"]}]));
        let mut desired = deployment("a", 1);
        let mut live = deployment("a", 5);
        apply_ignores(&r, &mut desired, &mut live, &Value::Null);
        assert_eq!(desired["spec"]["replicas"], json!(1));
        assert_eq!(live["spec"]["replicas"], json!(5));
    }

    #[test]
    fn absent_side_is_left_absent() {
        let r = rules(json!([{"group": "apps", "kind": "Deployment",
            "jsonPointers": ["/spec/replicas"]}]));
        let mut desired = deployment("a", 1);
        let mut live = Value::Null;
        apply_ignores(&r, &mut desired, &mut live, &Value::Null);
        assert!(live.is_null());
        assert!(desired["spec"].get("replicas").is_none());
    }

    #[test]
    fn managers_fields_on_a_keyed_list_item_are_taken_from_live() {
        let r = rules(json!([{"group": "apps", "kind": "Deployment",
            "managedFieldsManagers": ["kubectl-edit"]}]));
        let mut desired = deployment("sidecar:1", 2);
        let mut live = deployment("sidecar:9", 4);
        let managed_fields = json!([
            {"manager": "kubectl-gitops", "operation": "Apply", "apiVersion": "apps/v1",
             "fieldsType": "FieldsV1", "fieldsV1": {"f:spec": {"f:replicas": {},
                "f:template": {"f:spec": {"f:containers": {
                    "k:{\"name\":\"web\"}": {".": {}, "f:name": {}, "f:image": {}}}}}}}},
            {"manager": "kubectl-edit", "operation": "Update", "apiVersion": "apps/v1",
             "fieldsType": "FieldsV1", "fieldsV1": {"f:spec": {"f:template": {"f:spec": {
                "f:containers": {"k:{\"name\":\"x\"}": {"f:image": {}}}}}}}}
        ]);
        let warnings = apply_ignores(&r, &mut desired, &mut live, &managed_fields);
        assert!(warnings.is_empty(), "{warnings:?}");
        assert_eq!(
            desired["spec"]["template"]["spec"]["containers"][1]["image"],
            json!("sidecar:9")
        );
        // Replicas are ours, not kubectl-edit's: still a difference.
        assert_eq!(desired["spec"]["replicas"], json!(2));
        assert_eq!(live["spec"]["replicas"], json!(4));
    }

    #[test]
    fn jq_failures_are_warnings_and_hide_secret_content() {
        let r = rules(json!([{"kind": "Secret", "jqPathExpressions": [".data[]"]}]));
        let mut desired = json!({"apiVersion": "v1", "kind": "Secret", "metadata": {"name": "s"},
            "data": "c2VjcmV0"});
        let mut live = desired.clone();
        let warnings = apply_ignores(&r, &mut desired, &mut live, &Value::Null);
        assert_eq!(warnings.len(), 2);
        for w in &warnings {
            assert!(!w.message.contains("c2VjcmV0"), "{}", w.message);
        }
    }

    #[test]
    fn pre_existing_empty_values_survive() {
        let r = rules(json!([{"kind": "Pod", "jsonPointers": ["/spec/nodeName"]}]));
        let pod = json!({"apiVersion": "v1", "kind": "Pod", "metadata": {"name": "p"},
            "spec": {"nodeName": "n1", "volumes": [{"name": "tmp", "emptyDir": {}}]}});
        let mut desired = pod.clone();
        let mut live = pod;
        apply_ignores(&r, &mut desired, &mut live, &Value::Null);
        assert_eq!(
            desired["spec"],
            json!({"volumes": [{"name": "tmp", "emptyDir": {}}]})
        );
    }

    #[test]
    fn rules_are_send_and_sync() {
        fn check<T: Send + Sync>() {}
        check::<IgnoreRule>();
    }

    #[test]
    fn respect_ignore_differences_keeps_live_values_in_what_is_applied() {
        let rules = parse_ignore_differences(&json!([
            {"group": "apps", "kind": "Deployment", "jsonPointers": ["/spec/replicas", "/metadata/labels/gone"]},
            {"group": "apps", "kind": "Deployment", "jqPathExpressions": [".spec.template.metadata.annotations"]}
        ]))
        .unwrap();
        let live = json!({"apiVersion": "apps/v1", "kind": "Deployment",
            "metadata": {"name": "d", "labels": {"app": "d"}},
            "spec": {"replicas": 5, "template": {"metadata": {"annotations": {"restartedAt": "now"}}}}});
        let mut desired = json!({"apiVersion": "apps/v1", "kind": "Deployment",
            "metadata": {"name": "d", "labels": {"app": "d", "gone": "x"}},
            "spec": {"replicas": 1, "template": {"metadata": {}, "spec": {"containers": []}}}});
        keep_live_values(&rules, &mut desired, &live);
        assert_eq!(desired["spec"]["replicas"], json!(5));
        assert!(
            desired["metadata"]["labels"].get("gone").is_none(),
            "{desired}"
        );
        assert_eq!(
            desired["spec"]["template"]["metadata"]["annotations"],
            json!({"restartedAt": "now"})
        );
        assert_eq!(
            desired["spec"]["template"]["spec"],
            json!({"containers": []})
        );
    }
}
