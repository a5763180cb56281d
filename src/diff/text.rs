//! Rendering one object's two sides as YAML and as a unified diff (plain or coloured).

use colored::Colorize;
use serde_json::{Map, Value};
use similar::TextDiff;

use super::{is_secret, mask_secrets};

/// How an object's desired state relates to the live one.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize)]
pub enum DiffKind {
    /// Desired only: a sync creates it.
    Added,
    /// Both exist and differ.
    Changed,
    /// Live only: a sync prunes it.
    Removed,
    /// Both exist and are equal (or neither exists).
    Unchanged,
}

/// One object's comparison, ready to print.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ObjectDiff {
    /// Added, changed, removed or unchanged.
    pub kind: DiffKind,
    /// The live side as YAML with sorted keys (empty when absent).
    pub live_yaml: String,
    /// The desired side as YAML with sorted keys (empty when absent).
    pub desired_yaml: String,
    /// Unified diff `--- live` / `+++ desired`, 3 lines of context; empty when unchanged.
    pub unified: String,
}

impl ObjectDiff {
    /// Whether a sync would change anything for this object.
    pub fn has_changes(&self) -> bool {
        self.kind != DiffKind::Unchanged
    }

    /// The unified diff with red `-`, green `+` and cyan `@@` lines. Colour follows
    /// `colored::control` (the caller sets it from `--color` / `NO_COLOR`).
    pub fn colored(&self) -> String {
        paint(&self.unified, |kind, line| {
            match kind {
                LineKind::Header => line.bold(),
                LineKind::Hunk => line.cyan(),
                LineKind::Removed => line.red(),
                LineKind::Added => line.green(),
                LineKind::Context => line.normal(),
            }
            .to_string()
        })
    }
}

/// What a line of a unified diff is, which decides its colour.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum LineKind {
    Header,
    Hunk,
    Removed,
    Added,
    Context,
}

/// Rewrites each line of `unified` (without its newline) through `style`.
fn paint(unified: &str, style: impl Fn(LineKind, &str) -> String) -> String {
    let mut out = String::with_capacity(unified.len() + 64);
    for (i, line) in unified.split_inclusive('\n').enumerate() {
        let (body, newline) = match line.strip_suffix('\n') {
            Some(body) => (body, "\n"),
            None => (line, ""),
        };
        // The first two lines are the `---`/`+++` headers; content lines may start with the
        // same characters, so position decides, not prefix.
        let kind = if i < 2 {
            LineKind::Header
        } else if body.starts_with("@@") {
            LineKind::Hunk
        } else if body.starts_with('-') {
            LineKind::Removed
        } else if body.starts_with('+') {
            LineKind::Added
        } else {
            LineKind::Context
        };
        out.push_str(&style(kind, body));
        out.push_str(newline);
    }
    out
}

/// Compares two prepared sides (normalised, ignore rules applied) and renders the diff.
/// Secrets (by identity, `secret`, or by body) are masked here again, so no value can reach
/// the text even if the caller forgot.
pub fn diff_objects(desired: Option<&Value>, live: Option<&Value>, secret: bool) -> ObjectDiff {
    let mut desired = desired.cloned().unwrap_or(Value::Null);
    let mut live = live.cloned().unwrap_or(Value::Null);
    if secret || is_secret(&desired) || is_secret(&live) {
        mask_secrets(&mut desired, &mut live, true);
    }
    let kind = match (desired.is_null(), live.is_null()) {
        (false, true) => DiffKind::Added,
        (true, false) => DiffKind::Removed,
        (true, true) => DiffKind::Unchanged,
        (false, false) if desired == live => DiffKind::Unchanged,
        (false, false) => DiffKind::Changed,
    };
    let desired_yaml = render(&desired);
    let live_yaml = render(&live);
    let unified = if kind == DiffKind::Unchanged {
        String::new()
    } else {
        TextDiff::from_lines(live_yaml.as_str(), desired_yaml.as_str())
            .unified_diff()
            .context_radius(3)
            .header("live", "desired")
            .to_string()
    };
    ObjectDiff {
        kind,
        live_yaml,
        desired_yaml,
        unified,
    }
}

/// YAML with keys sorted, as `kubectl get -o yaml` prints them, so key order never shows as a
/// change. `Null` (an absent side) renders as nothing.
fn render(v: &Value) -> String {
    if v.is_null() {
        return String::new();
    }
    let sorted = sorted_keys(v);
    match crate::yaml::to_string(&sorted) {
        Ok(mut text) => {
            if !text.ends_with('\n') {
                text.push('\n');
            }
            text
        }
        // Writing a plain JSON value as YAML has no failure path in practice; if it ever does,
        // pretty JSON (valid YAML) still shows the difference rather than hiding it.
        Err(_) => format!("{v:#}\n"),
    }
}

fn sorted_keys(v: &Value) -> Value {
    match v {
        Value::Object(map) => {
            let mut entries: Vec<(&String, &Value)> = map.iter().collect();
            entries.sort_by(|a, b| a.0.cmp(b.0));
            Value::Object(
                entries
                    .into_iter()
                    .map(|(k, v)| (k.clone(), sorted_keys(v)))
                    .collect::<Map<_, _>>(),
            )
        }
        Value::Array(items) => Value::Array(items.iter().map(sorted_keys).collect()),
        other => other.clone(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn configmap(value: &str) -> Value {
        json!({"apiVersion": "v1", "kind": "ConfigMap",
               "metadata": {"name": "settings", "namespace": "shop"},
               "data": {"a": "1", "b": "2", "c": "3", "d": "4", "e": "5", "mode": value,
                        "z1": "x", "z2": "x", "z3": "x", "z4": "x"}})
    }

    #[test]
    fn changed_object_gives_unified_diff_with_context() {
        let d = diff_objects(Some(&configmap("fast")), Some(&configmap("safe")), false);
        assert_eq!(d.kind, DiffKind::Changed);
        assert!(d.has_changes());
        let expected = "--- live\n+++ desired\n@@ -5,7 +5,7 @@\n   c: \"3\"\n   d: \"4\"\n   e: \"5\"\n-  mode: safe\n+  mode: fast\n   z1: x\n   z2: x\n   z3: x\n";
        assert_eq!(d.unified, expected, "{}", d.unified);
    }

    #[test]
    fn key_order_is_not_a_difference() {
        let a = json!({"kind": "ConfigMap", "apiVersion": "v1", "metadata": {"name": "x"}});
        let b = json!({"apiVersion": "v1", "metadata": {"name": "x"}, "kind": "ConfigMap"});
        let d = diff_objects(Some(&a), Some(&b), false);
        assert_eq!(d.kind, DiffKind::Unchanged);
        assert!(d.unified.is_empty());
        assert_eq!(d.live_yaml, d.desired_yaml);
    }

    #[test]
    fn added_and_removed_objects_diff_against_nothing() {
        let cm = configmap("fast");
        let added = diff_objects(Some(&cm), None, false);
        assert_eq!(added.kind, DiffKind::Added);
        assert!(added.live_yaml.is_empty());
        assert!(
            added
                .unified
                .starts_with("--- live\n+++ desired\n@@ -0,0 +1,")
        );
        assert!(added.unified.lines().skip(3).all(|l| l.starts_with('+')));

        let removed = diff_objects(None, Some(&cm), false);
        assert_eq!(removed.kind, DiffKind::Removed);
        assert!(removed.unified.lines().skip(3).all(|l| l.starts_with('-')));

        assert_eq!(diff_objects(None, None, false).kind, DiffKind::Unchanged);
    }

    #[test]
    fn yaml_quotes_ambiguous_strings() {
        let d = diff_objects(Some(&configmap("yes")), None, false);
        assert!(
            d.desired_yaml.contains("mode: \"yes\""),
            "{}",
            d.desired_yaml
        );
    }

    #[test]
    fn secret_values_never_reach_the_text() {
        let desired = json!({"apiVersion": "v1", "kind": "Secret", "metadata": {"name": "s"},
            "data": {"same": "c2FtZQ==", "pw": "bmV3"}, "stringData": {"extra": "plain-text"}});
        let live = json!({"apiVersion": "v1", "kind": "Secret", "metadata": {"name": "s"},
            "data": {"same": "c2FtZQ==", "pw": "b2xk"}});
        let d = diff_objects(Some(&desired), Some(&live), false);
        assert_eq!(d.kind, DiffKind::Changed);
        for text in [&d.unified, &d.live_yaml, &d.desired_yaml] {
            for value in ["c2FtZQ==", "bmV3", "b2xk", "plain-text", "cGxhaW4tdGV4dA=="] {
                assert!(!text.contains(value), "{value} leaked:\n{text}");
            }
        }
        // Changed value: two different masks; unchanged value: same mask, not in the diff.
        let expected =
            " data:\n-  pw: ++++++++++++\n+  extra: ++++++++\n+  pw: ++++++++\n   same: ++++++++\n";
        assert!(d.unified.contains(expected), "{}", d.unified);
    }

    #[test]
    fn lines_are_classified_for_colour() {
        let text = "--- live\n+++ desired\n@@ -1,3 +1,3 @@\n a: 1\n--- b: 2\n+b: 3\n";
        let tagged = paint(text, |kind, line| format!("{kind:?}|{line}"));
        assert_eq!(
            tagged,
            "Header|--- live\nHeader|+++ desired\nHunk|@@ -1,3 +1,3 @@\nContext| a: 1\n\
             Removed|--- b: 2\nAdded|+b: 3\n"
        );
    }

    #[test]
    fn colored_text_is_the_plain_text_plus_escapes() {
        // Whether escapes appear depends on `colored::control`, global state this test leaves
        // alone; without them the text must be identical to the plain one.
        let d = diff_objects(Some(&configmap("fast")), Some(&configmap("safe")), false);
        assert_eq!(strip_ansi(&d.colored()), d.unified);
    }

    fn strip_ansi(s: &str) -> String {
        let mut out = String::new();
        let mut chars = s.chars();
        while let Some(c) = chars.next() {
            if c == '\x1b' {
                for c in chars.by_ref() {
                    if c == 'm' {
                        break;
                    }
                }
            } else {
                out.push(c);
            }
        }
        out
    }
}
