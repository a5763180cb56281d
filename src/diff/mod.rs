//! Comparing a desired object with its live counterpart, the way Argo CD's diff does.
//!
//! Everything here is a pure function over `serde_json::Value`: the cluster side (server-side
//! apply dry-run, listing live objects) hands in the two sides, this module prepares and renders
//! them. The steps, in Argo CD's order (or all at once with [`compare`]):
//!
//! 1. [`normalize`] both sides (server-owned metadata, `status`, last-applied annotation, Secret
//!    `stringData` folded into `data`).
//! 2. [`apply_ignores`] with the app's `ignoreDifferences` ([`parse_ignore_differences`]); the
//!    `managedFieldsManagers` rule reads the live managedFields, passed separately because
//!    normalising drops them.
//! 3. [`mask_secrets`] so no Secret value reaches any output, keeping "changed" visible.
//! 4. [`diff_objects`] renders a unified YAML diff; [`drift_managers`] names who changed live.
//!
//! A side that does not exist (object to create, object to prune) is `Value::Null` where a
//! function takes `&mut Value`, and `None` where it takes `Option`.

mod cluster;
mod compare;
mod drift;
mod fields;
mod ignore;
mod jq;
mod mask;
mod noop;
mod normalize;
mod object;
mod pointer;
mod report;
mod revisions;
mod text;

pub use cluster::report;
pub use compare::{Comparison, compare};
pub use drift::{drift_managers, parse_rfc3339};
pub use fields::{FieldSet, FieldsError, PathElement};
pub use ignore::{
    IgnoreRule, IgnoreRuleError, IgnoreWarning, apply_ignores, keep_live_values,
    parse_ignore_differences,
};
pub use jq::{JqError, JqPathExpression};
pub use mask::{SecretChanges, mask_secrets};
pub use noop::apply_is_noop;
pub use normalize::normalize;
pub(crate) use object::{IgnoreNotes, compare_pair, ignore_rules};
pub use pointer::{JsonPointer, PointerError};
pub use report::{AppDiff, AppStatus, Change, DiffReport, ObjectChange};
pub use revisions::{RevisionLabels, diff_revisions};
pub use text::{DiffKind, ObjectDiff, diff_objects};

use serde_json::Value;

/// The API group of an object, from its `apiVersion` (`""` for the core group, as Argo CD writes it).
pub(crate) fn api_group(obj: &Value) -> &str {
    let api_version = obj.get("apiVersion").and_then(Value::as_str).unwrap_or("");
    match api_version.split_once('/') {
        Some((group, _version)) => group,
        None => "",
    }
}

/// The object's `kind`, or `""` when it has none.
pub(crate) fn kind(obj: &Value) -> &str {
    obj.get("kind").and_then(Value::as_str).unwrap_or("")
}

/// A string field of `metadata` (`name`, `namespace`), `""` when absent.
pub(crate) fn meta_str<'a>(obj: &'a Value, field: &str) -> &'a str {
    obj.get("metadata")
        .and_then(|m| m.get(field))
        .and_then(Value::as_str)
        .unwrap_or("")
}

/// Whether the object is a core-group Secret, the only kind whose values are masked.
pub(crate) fn is_secret(obj: &Value) -> bool {
    kind(obj) == "Secret" && api_group(obj).is_empty()
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn api_group_of_core_and_named_groups() {
        assert_eq!(api_group(&json!({"apiVersion": "v1"})), "");
        assert_eq!(api_group(&json!({"apiVersion": "apps/v1"})), "apps");
        assert_eq!(api_group(&json!({})), "");
    }

    #[test]
    fn only_core_secrets_are_secrets() {
        assert!(is_secret(&json!({"apiVersion": "v1", "kind": "Secret"})));
        assert!(!is_secret(
            &json!({"apiVersion": "bitnami.com/v1alpha1", "kind": "Secret"})
        ));
        assert!(!is_secret(
            &json!({"apiVersion": "v1", "kind": "ConfigMap"})
        ));
    }
}
