//! `metadata.managedFields[].fieldsV1`: which fields each field manager owns.
//!
//! FieldsV1 is a trie in JSON. Each key names one step: `f:<name>` a map field, `k:<json>` the
//! list item whose key fields have those values, `v:<json>` the set item with that value,
//! `i:<n>` the list item at an index; `.` marks the node itself as owned. An empty object owns
//! the field it hangs under (and everything below it).

use std::mem;

use serde_json::{Map, Value};

/// Why a managedFields entry could not be read.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum FieldsError {
    /// A node of the trie is not a JSON object.
    #[error("a FieldsV1 node must be a JSON object")]
    NotAnObject,
    /// A key has none of the known prefixes.
    #[error("unknown FieldsV1 key '{0}' (expected f:, k:, v:, i: or .)")]
    UnknownKey(String),
    /// A `k:`, `v:` or `i:` key does not hold valid JSON (or a valid index).
    #[error("bad FieldsV1 key '{key}': {reason}")]
    BadKey {
        /// The key as written.
        key: String,
        /// What is wrong with it.
        reason: String,
    },
}

/// One step of a FieldsV1 path.
#[derive(Debug, Clone, PartialEq)]
pub enum PathElement {
    /// `f:<name>`: a field of a struct or a key of a map.
    Field(String),
    /// `k:{...}`: the list item whose key fields equal these values.
    Key(Map<String, Value>),
    /// `v:<json>`: the item of a set-like list equal to this value.
    Value(Value),
    /// `i:<n>`: the list item at this position.
    Index(usize),
}

/// A decoded FieldsV1 set: a trie of owned fields.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct FieldSet {
    /// Whether this node itself is in the set (`.` present, or a leaf).
    member: bool,
    children: Vec<(PathElement, FieldSet)>,
}

/// One step of a concrete path into an object: a map key or an array position.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub(crate) enum Step {
    Key(String),
    Index(usize),
}

impl FieldSet {
    /// Decodes a `fieldsV1` value.
    pub fn from_fields_v1(v: &Value) -> Result<Self, FieldsError> {
        let Value::Object(map) = v else {
            return Err(FieldsError::NotAnObject);
        };
        let mut set = FieldSet {
            // `{}` is a leaf: the field it hangs under is owned as a whole.
            member: map.is_empty(),
            children: Vec::new(),
        };
        for (key, child) in map {
            if key == "." {
                set.member = true;
                continue;
            }
            let element = parse_key(key)?;
            set.children
                .push((element, FieldSet::from_fields_v1(child)?));
        }
        Ok(set)
    }

    /// Whether the set owns nothing at all.
    pub fn is_empty(&self) -> bool {
        !self.member && self.children.is_empty()
    }

    /// Every owned path in the set, outermost step first.
    pub fn paths(&self) -> Vec<Vec<PathElement>> {
        let mut out = Vec::new();
        let mut prefix = Vec::new();
        self.collect_paths(&mut prefix, &mut out);
        out
    }

    fn collect_paths(&self, prefix: &mut Vec<PathElement>, out: &mut Vec<Vec<PathElement>>) {
        if self.member && !prefix.is_empty() {
            out.push(prefix.clone());
        }
        for (element, child) in &self.children {
            prefix.push(element.clone());
            child.collect_paths(prefix, out);
            prefix.pop();
        }
    }

    /// The owned paths that exist in `obj`, with list items resolved to their positions.
    pub(crate) fn resolve(&self, obj: &Value) -> Vec<Vec<Step>> {
        let mut out = Vec::new();
        let mut prefix = Vec::new();
        self.resolve_into(obj, &mut prefix, &mut out);
        out
    }

    fn resolve_into(&self, obj: &Value, prefix: &mut Vec<Step>, out: &mut Vec<Vec<Step>>) {
        if self.member && !prefix.is_empty() {
            out.push(prefix.clone());
        }
        for (element, child) in &self.children {
            let found = match element {
                PathElement::Field(name) => obj
                    .as_object()
                    .and_then(|m| m.get(name))
                    .map(|v| (Step::Key(name.clone()), v)),
                _ => obj
                    .as_array()
                    .and_then(|items| find_item(items, element))
                    .map(|i| (Step::Index(i), &obj[i])),
            };
            if let Some((step, value)) = found {
                prefix.push(step);
                child.resolve_into(value, prefix, out);
                prefix.pop();
            }
        }
    }

    /// Makes every field this set owns in `live` equal in `desired`: values are copied, list
    /// items are matched by their keys (inserted when the set owns the item), and owned fields
    /// that live lacks are removed from desired.
    pub(crate) fn copy_owned(&self, live: &Value, desired: &mut Value) {
        for (element, child) in &self.children {
            match element {
                PathElement::Field(name) => copy_field(name, child, live, desired),
                _ => copy_item(element, child, live, desired),
            }
        }
    }
}

fn copy_field(name: &str, child: &FieldSet, live: &Value, desired: &mut Value) {
    let (Some(live_map), Some(desired_map)) = (live.as_object(), desired.as_object_mut()) else {
        return;
    };
    let Some(live_value) = live_map.get(name) else {
        // Owned yet absent in live: live is the truth for owned fields, so desired loses it too.
        if child.member {
            desired_map.shift_remove(name);
        }
        return;
    };
    // Taking the value out (instead of cloning) keeps its position in the map.
    let existing = desired_map.get_mut(name).map(mem::take);
    match merged(child, live_value, existing) {
        Some(v) => {
            desired_map.insert(name.to_string(), v);
        }
        None => {
            desired_map.shift_remove(name);
        }
    }
}

fn copy_item(element: &PathElement, child: &FieldSet, live: &Value, desired: &mut Value) {
    let (Some(live_items), Some(desired_items)) = (live.as_array(), desired.as_array_mut()) else {
        return;
    };
    let Some(live_index) = find_item(live_items, element) else {
        return;
    };
    let live_item = &live_items[live_index];
    match find_item(desired_items, element) {
        Some(i) => {
            let existing = mem::take(&mut desired_items[i]);
            if let Some(v) = merged(child, live_item, Some(existing)) {
                desired_items[i] = v;
            }
        }
        // A whole item owned by the manager but missing in desired (a sidecar added by hand):
        // add it where live has it, seeded with its key fields so it keeps its identity.
        None if child.member => {
            let seed = match element {
                PathElement::Key(keys) => Some(Value::Object(keys.clone())),
                _ => None,
            };
            if let Some(v) = merged(child, live_item, seed) {
                let at = live_index.min(desired_items.len());
                desired_items.insert(at, v);
            }
        }
        None => {}
    }
}

/// The desired value after copying what `set` owns from `live_value`; `None` when desired had
/// nothing there and nothing owned was found (so no empty map or list is invented).
fn merged(set: &FieldSet, live_value: &Value, existing: Option<Value>) -> Option<Value> {
    if set.children.is_empty() {
        return Some(live_value.clone());
    }
    let had_value = existing.is_some();
    let mut base = match (live_value, existing) {
        (Value::Object(_), Some(v @ Value::Object(_))) => v,
        (Value::Array(_), Some(v @ Value::Array(_))) => v,
        (Value::Object(_), _) => Value::Object(Map::new()),
        (Value::Array(_), _) => Value::Array(Vec::new()),
        // Live holds a scalar where the set expects children: live wins as a whole.
        (scalar, _) => return Some(scalar.clone()),
    };
    set.copy_owned(live_value, &mut base);
    let empty = match &base {
        Value::Object(m) => m.is_empty(),
        Value::Array(a) => a.is_empty(),
        _ => false,
    };
    (had_value || !empty).then_some(base)
}

/// The position of the list item a `k:`, `v:` or `i:` step names.
fn find_item(items: &[Value], element: &PathElement) -> Option<usize> {
    match element {
        PathElement::Key(keys) => items.iter().position(|item| {
            item.as_object()
                .is_some_and(|m| keys.iter().all(|(k, v)| m.get(k) == Some(v)))
        }),
        PathElement::Value(v) => items.iter().position(|item| item == v),
        PathElement::Index(i) => (*i < items.len()).then_some(*i),
        PathElement::Field(_) => None,
    }
}

fn parse_key(key: &str) -> Result<PathElement, FieldsError> {
    let bad = |reason: String| FieldsError::BadKey {
        key: key.to_string(),
        reason,
    };
    let Some((prefix, rest)) = key.split_once(':') else {
        return Err(FieldsError::UnknownKey(key.to_string()));
    };
    match prefix {
        "f" => Ok(PathElement::Field(rest.to_string())),
        "k" => serde_json::from_str::<Map<String, Value>>(rest)
            .map(PathElement::Key)
            .map_err(|e| bad(e.to_string())),
        "v" => serde_json::from_str::<Value>(rest)
            .map(PathElement::Value)
            .map_err(|e| bad(e.to_string())),
        "i" => rest
            .parse::<usize>()
            .map(PathElement::Index)
            .map_err(|e| bad(e.to_string())),
        _ => Err(FieldsError::UnknownKey(key.to_string())),
    }
}

/// One `managedFields` entry, decoded.
#[derive(Debug, Clone)]
pub(crate) struct ManagedEntry {
    pub manager: String,
    /// When the manager last wrote, as RFC 3339 text (absent on very old objects).
    pub time: Option<String>,
    /// `status` (or another subresource) when the entry was written through one; else empty.
    pub subresource: String,
    pub fields: FieldSet,
}

/// Decodes a `metadata.managedFields` list; entries that cannot be read are reported by index
/// and skipped, so one odd entry does not hide the others.
pub(crate) fn managed_entries(managed_fields: &Value) -> (Vec<ManagedEntry>, Vec<String>) {
    let mut entries = Vec::new();
    let mut problems = Vec::new();
    let Some(list) = managed_fields.as_array() else {
        return (entries, problems);
    };
    for (i, entry) in list.iter().enumerate() {
        let manager = entry.get("manager").and_then(Value::as_str).unwrap_or("");
        let fields = match entry.get("fieldsV1") {
            None | Some(Value::Null) => Ok(FieldSet::default()),
            Some(v) => FieldSet::from_fields_v1(v),
        };
        match fields {
            Ok(fields) => entries.push(ManagedEntry {
                manager: manager.to_string(),
                time: entry
                    .get("time")
                    .and_then(Value::as_str)
                    .map(str::to_string),
                subresource: entry
                    .get("subresource")
                    .and_then(Value::as_str)
                    .unwrap_or("")
                    .to_string(),
                fields,
            }),
            Err(e) => problems.push(format!("managedFields[{i}] ({manager}): {e}")),
        }
    }
    (entries, problems)
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    /// What `kubectl edit` leaves after changing one container's image and adding a label.
    fn edit_fields() -> Value {
        json!({
            "f:metadata": {"f:labels": {"f:hotfix": {}}},
            "f:spec": {"f:template": {"f:spec": {"f:containers": {
                "k:{\"name\":\"web\"}": {"f:image": {}}
            }}}}
        })
    }

    fn live() -> Value {
        json!({
            "metadata": {"name": "web", "labels": {"app": "web", "hotfix": "yes"}},
            "spec": {"replicas": 2, "template": {"spec": {"containers": [
                {"name": "istio-proxy", "image": "proxy:1"},
                {"name": "web", "image": "nginx:1.27-hotfix", "ports": [
                    {"containerPort": 80, "protocol": "TCP"}
                ]}
            ]}}}
        })
    }

    #[test]
    fn decodes_all_key_kinds() {
        let set = FieldSet::from_fields_v1(&json!({
            "f:metadata": {"f:finalizers": {".": {}, "v:\"example.com/cleanup\"": {}}},
            "f:spec": {"f:ports": {"k:{\"port\":80,\"protocol\":\"TCP\"}": {
                ".": {}, "f:port": {}}}},
            "f:args": {"i:0": {}}
        }))
        .unwrap();
        let paths = set.paths();
        let mut key = Map::new();
        key.insert("port".into(), json!(80));
        key.insert("protocol".into(), json!("TCP"));
        assert!(paths.contains(&vec![
            PathElement::Field("metadata".into()),
            PathElement::Field("finalizers".into()),
            PathElement::Value(json!("example.com/cleanup")),
        ]));
        assert!(paths.contains(&vec![
            PathElement::Field("spec".into()),
            PathElement::Field("ports".into()),
            PathElement::Key(key.clone()),
        ]));
        assert!(paths.contains(&vec![
            PathElement::Field("spec".into()),
            PathElement::Field("ports".into()),
            PathElement::Key(key),
            PathElement::Field("port".into()),
        ]));
        assert!(paths.contains(&vec![
            PathElement::Field("args".into()),
            PathElement::Index(0)
        ]));
        // `f:metadata` has no `.`: the metadata node itself is not owned.
        assert!(!paths.contains(&vec![PathElement::Field("metadata".into())]));
    }

    #[test]
    fn rejects_malformed_sets() {
        assert_eq!(
            FieldSet::from_fields_v1(&json!({"x:y": {}})),
            Err(FieldsError::UnknownKey("x:y".into()))
        );
        assert!(matches!(
            FieldSet::from_fields_v1(&json!({"k:{oops": {}})),
            Err(FieldsError::BadKey { .. })
        ));
        assert!(matches!(
            FieldSet::from_fields_v1(&json!({"i:-1": {}})),
            Err(FieldsError::BadKey { .. })
        ));
        assert_eq!(
            FieldSet::from_fields_v1(&json!({"f:a": 1})),
            Err(FieldsError::NotAnObject)
        );
    }

    #[test]
    fn resolves_keyed_items_to_live_positions() {
        let set = FieldSet::from_fields_v1(&edit_fields()).unwrap();
        let paths = set.resolve(&live());
        let image = vec![
            Step::Key("spec".into()),
            Step::Key("template".into()),
            Step::Key("spec".into()),
            Step::Key("containers".into()),
            Step::Index(1),
            Step::Key("image".into()),
        ];
        assert!(paths.contains(&image), "{paths:?}");
        assert!(paths.contains(&vec![
            Step::Key("metadata".into()),
            Step::Key("labels".into()),
            Step::Key("hotfix".into()),
        ]));
    }

    #[test]
    fn copies_owned_list_item_field_by_key() {
        let set = FieldSet::from_fields_v1(&edit_fields()).unwrap();
        // Desired lists the containers in another order and lacks the sidecar entirely.
        let mut desired = json!({
            "metadata": {"name": "web", "labels": {"app": "web"}},
            "spec": {"replicas": 3, "template": {"spec": {"containers": [
                {"name": "web", "image": "nginx:1.27", "ports": [
                    {"containerPort": 80, "protocol": "TCP"}
                ]}
            ]}}}
        });
        set.copy_owned(&live(), &mut desired);
        assert_eq!(
            desired["spec"]["template"]["spec"]["containers"],
            json!([{"name": "web", "image": "nginx:1.27-hotfix", "ports": [
                {"containerPort": 80, "protocol": "TCP"}]}])
        );
        assert_eq!(
            desired["metadata"]["labels"],
            json!({"app": "web", "hotfix": "yes"})
        );
        // Not owned by this manager: untouched.
        assert_eq!(desired["spec"]["replicas"], json!(3));
    }

    #[test]
    fn inserts_whole_owned_item_missing_from_desired() {
        let set = FieldSet::from_fields_v1(&json!({"f:spec": {"f:template": {"f:spec": {
            "f:containers": {"k:{\"name\":\"istio-proxy\"}": {
                ".": {}, "f:name": {}, "f:image": {}}}}}}}))
        .unwrap();
        let mut desired = json!({"spec": {"template": {"spec": {"containers": [
            {"name": "web", "image": "nginx:1.27-hotfix", "ports": [
                {"containerPort": 80, "protocol": "TCP"}]}
        ]}}}});
        set.copy_owned(&live(), &mut desired);
        assert_eq!(
            desired["spec"]["template"]["spec"]["containers"],
            live()["spec"]["template"]["spec"]["containers"]
        );
    }

    #[test]
    fn creates_parents_only_when_something_is_copied() {
        let set = FieldSet::from_fields_v1(&json!({
            "f:metadata": {"f:annotations": {"f:example.com/missing": {}}},
            "f:spec": {"f:paused": {}}
        }))
        .unwrap();
        let mut desired = json!({"metadata": {"name": "web"}, "spec": {"paused": true}});
        set.copy_owned(&live(), &mut desired);
        // No `annotations: {}` invented; `paused` owned but absent in live: removed.
        assert_eq!(desired, json!({"metadata": {"name": "web"}, "spec": {}}));
    }

    #[test]
    fn set_items_and_indexes() {
        let set = FieldSet::from_fields_v1(&json!({
            "f:finalizers": {"v:\"b\"": {}},
            "f:args": {"i:1": {}}
        }))
        .unwrap();
        let live = json!({"finalizers": ["a", "b"], "args": ["x", "live"]});
        let mut desired = json!({"finalizers": ["a"], "args": ["x", "desired"]});
        set.copy_owned(&live, &mut desired);
        assert_eq!(desired, live);
    }

    #[test]
    fn managed_entries_skip_bad_ones_by_index() {
        let mf = json!([
            {"manager": "kubectl-edit", "operation": "Update", "time": "2025-01-01T00:00:00Z",
             "fieldsType": "FieldsV1", "fieldsV1": {"f:spec": {"f:replicas": {}}}},
            {"manager": "broken", "fieldsV1": {"zz": {}}}
        ]);
        let (entries, problems) = managed_entries(&mf);
        assert_eq!(entries.len(), 1);
        assert_eq!(entries[0].manager, "kubectl-edit");
        assert_eq!(entries[0].time.as_deref(), Some("2025-01-01T00:00:00Z"));
        assert_eq!(problems.len(), 1);
        assert!(problems[0].starts_with("managedFields[1] (broken)"));
    }
}
