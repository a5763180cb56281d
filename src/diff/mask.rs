//! Secret masking, as Argo CD's `HideSecretData` does: values never leave, changes stay visible.
//!
//! For each `data` key, the first distinct value seen (desired first, then live) becomes
//! `++++++++`, the next `++++++++++++` (four more `+` per distinct value). Equal values share a
//! mask, so a diff shows exactly which keys changed without showing any value. Because desired
//! is visited first, masking an already masked pair gives the same masks again.

use serde_json::{Map, Value};

use super::is_secret;
use super::normalize::{LAST_APPLIED, merge_string_data, remove_annotation};

/// The first mask; each further distinct value of the same key gets four more `+`.
const FIRST_MASK: &str = "++++++++";

/// Which `data` keys of a Secret differ between desired and live (names only, sorted).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct SecretChanges {
    /// Keys in desired only (a sync adds them).
    pub added: Vec<String>,
    /// Keys in live only (a sync removes them).
    pub removed: Vec<String>,
    /// Keys on both sides with different values.
    pub changed: Vec<String>,
}

impl SecretChanges {
    /// Whether no key differs.
    pub fn is_empty(&self) -> bool {
        self.added.is_empty() && self.removed.is_empty() && self.changed.is_empty()
    }
}

/// Masks the `data` values of a core Secret on both sides (`Value::Null` = side absent) and
/// returns the keys that differ. `stringData` is folded into `data` first and the last-applied
/// annotation (a full copy with values) is removed. Other kinds are left untouched.
///
/// `secret` says the object is a Secret by its identity (the key it was listed or applied
/// under). It decides, not the bodies: an `ignoreDifferences` rule may have removed their
/// `kind`, and a rule must never be able to turn masking off.
pub fn mask_secrets(desired: &mut Value, live: &mut Value, secret: bool) -> SecretChanges {
    if !secret && !is_secret(desired) && !is_secret(live) {
        return SecretChanges::default();
    }
    for side in [&mut *desired, &mut *live] {
        if side.is_null() {
            continue;
        }
        merge_string_data(side);
        if let Some(Value::Object(meta)) = side.get_mut("metadata") {
            remove_annotation(meta, LAST_APPLIED);
        }
        mask_non_map_data(side);
    }

    let desired_data = data_of(desired);
    let live_data = data_of(live);
    let changes = key_changes(desired_data.as_ref(), live_data.as_ref());

    let mut keys: Vec<String> = Vec::new();
    for data in [&desired_data, &live_data].into_iter().flatten() {
        for key in data.keys() {
            if !keys.contains(key) {
                keys.push(key.clone());
            }
        }
    }
    for key in &keys {
        let mut seen: Vec<(String, String)> = Vec::new();
        for side in [&mut *desired, &mut *live] {
            let Some(Value::Object(data)) = side.get_mut("data") else {
                continue;
            };
            let Some(value) = data.get_mut(key) else {
                continue;
            };
            let raw = comparable(value);
            let mask = match seen.iter().find(|(v, _)| *v == raw) {
                Some((_, mask)) => mask.clone(),
                None => {
                    let mask = format!("{FIRST_MASK}{}", "++++".repeat(seen.len()));
                    seen.push((raw, mask.clone()));
                    mask
                }
            };
            *value = Value::String(mask);
        }
    }
    changes
}

/// A `data` that is not a map is invalid, but it may still hold a value: hide it whole.
fn mask_non_map_data(side: &mut Value) {
    if let Some(data) = side.get_mut("data")
        && !data.is_object()
        && !data.is_null()
    {
        *data = Value::String(FIRST_MASK.to_string());
    }
}

fn data_of(obj: &Value) -> Option<Map<String, Value>> {
    obj.get("data").and_then(Value::as_object).cloned()
}

/// The text a value is compared by: the string itself, or JSON text for anything else.
fn comparable(v: &Value) -> String {
    match v {
        Value::String(s) => s.clone(),
        other => other.to_string(),
    }
}

fn key_changes(
    desired: Option<&Map<String, Value>>,
    live: Option<&Map<String, Value>>,
) -> SecretChanges {
    let empty = Map::new();
    let desired = desired.unwrap_or(&empty);
    let live = live.unwrap_or(&empty);
    let mut changes = SecretChanges::default();
    for (key, value) in desired {
        match live.get(key) {
            None => changes.added.push(key.clone()),
            Some(l) if comparable(l) != comparable(value) => changes.changed.push(key.clone()),
            Some(_) => {}
        }
    }
    for key in live.keys() {
        if !desired.contains_key(key) {
            changes.removed.push(key.clone());
        }
    }
    changes.added.sort();
    changes.removed.sort();
    changes.changed.sort();
    changes
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    /// base64 of values that must never appear in output.
    const SHARED: &str = "c2hhcmVkLXZhbHVl"; // "shared-value"
    const OLD: &str = "b2xkLXBhc3N3b3Jk"; // "old-password"

    fn desired_secret() -> Value {
        json!({
            "apiVersion": "v1", "kind": "Secret",
            "metadata": {"name": "db", "namespace": "shop"},
            "type": "Opaque",
            "data": {"user": SHARED, "token": SHARED},
            "stringData": {"password": "new-password", "host": "db.local"}
        })
    }

    fn live_secret() -> Value {
        json!({
            "apiVersion": "v1", "kind": "Secret",
            "metadata": {"name": "db", "namespace": "shop", "annotations": {
                LAST_APPLIED: format!(
                    "{{\"data\":{{\"password\":\"{OLD}\"}},\"kind\":\"Secret\"}}")
            }},
            "type": "Opaque",
            "data": {"user": SHARED, "password": OLD, "legacy": OLD,
                     "token": "ZGlmZmVyZW50"}
        })
    }

    fn assert_no_values(v: &Value) {
        let text = v.to_string();
        for secret in [
            SHARED,
            OLD,
            "ZGlmZmVyZW50",
            "new-password",
            "bmV3LXBhc3N3b3Jk",
            "db.local",
            "ZGIubG9jYWw=",
        ] {
            assert!(!text.contains(secret), "{secret} leaked in {text}");
        }
    }

    #[test]
    fn masks_every_value_consistently() {
        let mut desired = desired_secret();
        let mut live = live_secret();
        let changes = mask_secrets(&mut desired, &mut live, true);
        assert_no_values(&desired);
        assert_no_values(&live);
        assert!(desired.get("stringData").is_none());
        assert!(live["metadata"].get("annotations").is_none());

        // Same value on both sides: same mask. Different: different masks.
        assert_eq!(desired["data"]["user"], json!("++++++++"));
        assert_eq!(live["data"]["user"], json!("++++++++"));
        assert_eq!(desired["data"]["token"], json!("++++++++"));
        assert_eq!(live["data"]["token"], json!("++++++++++++"));
        assert_eq!(desired["data"]["password"], json!("++++++++"));
        assert_eq!(live["data"]["password"], json!("++++++++++++"));
        assert_eq!(live["data"]["legacy"], json!("++++++++"));

        assert_eq!(
            changes,
            SecretChanges {
                added: vec!["host".into()],
                removed: vec!["legacy".into()],
                changed: vec!["password".into(), "token".into()],
            }
        );
    }

    #[test]
    fn masking_twice_gives_the_same_result() {
        let mut desired = desired_secret();
        let mut live = live_secret();
        mask_secrets(&mut desired, &mut live, true);
        let (d1, l1) = (desired.clone(), live.clone());
        let changes = mask_secrets(&mut desired, &mut live, true);
        assert_eq!((desired, live), (d1, l1));
        assert_eq!(changes.changed, ["password", "token"]);
    }

    #[test]
    fn one_sided_secrets_are_masked() {
        let mut desired = desired_secret();
        let mut live = Value::Null;
        let changes = mask_secrets(&mut desired, &mut live, true);
        assert_no_values(&desired);
        assert!(live.is_null());
        assert_eq!(changes.added, ["host", "password", "token", "user"]);

        let mut desired = Value::Null;
        let mut live = live_secret();
        let changes = mask_secrets(&mut desired, &mut live, true);
        assert_no_values(&live);
        assert_eq!(changes.removed, ["legacy", "password", "token", "user"]);
    }

    #[test]
    fn odd_data_shapes_are_hidden_too() {
        let mut desired = json!({"apiVersion": "v1", "kind": "Secret", "metadata": {"name": "s"},
            "data": SHARED});
        let mut live = json!({"apiVersion": "v1", "kind": "Secret", "metadata": {"name": "s"},
            "data": {"n": 12345, "nothing": null}});
        mask_secrets(&mut desired, &mut live, true);
        assert_no_values(&desired);
        assert!(!live.to_string().contains("12345"));
        assert_eq!(live["data"]["nothing"], json!("++++++++"));
    }

    #[test]
    fn other_kinds_are_untouched() {
        let cm = json!({"apiVersion": "v1", "kind": "ConfigMap", "metadata": {"name": "c"},
            "data": {"k": "v"}});
        let (mut desired, mut live) = (cm.clone(), cm.clone());
        assert!(mask_secrets(&mut desired, &mut live, false).is_empty());
        assert_eq!(desired, cm);
        // Identity decides: a Secret whose body lost its kind is still masked.
        let (mut desired, mut live) = (cm.clone(), cm.clone());
        mask_secrets(&mut desired, &mut live, true);
        assert_eq!(desired["data"]["k"], json!("++++++++"));
    }
}
