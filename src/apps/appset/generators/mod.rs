//! Turns one `spec.generators[]` entry into parameter sets, as Argo CD's `Transform` does: every
//! generator kind present in the entry runs, its own `template` is merged over the
//! ApplicationSet's, its parameter sets are filtered by the entry's `selector`, and inside a
//! matrix the entry is first rendered with the other child's parameters.

mod clusters;
mod git;
mod list;
mod matrix;
mod merge;

pub use clusters::IN_CLUSTER_SERVER;

use serde_json::{Map, Value};

use super::error::{GenCause, GenError};
use super::params::{Params, flatten};
use super::render::Renderer;
use super::selector::Selector;
use super::{ClusterInfo, GitFiles};

/// Most parameter sets one generator, and most Applications one ApplicationSet, may produce:
/// far above real ApplicationSets (tens to hundreds), far below what a matrix of two large
/// lists multiplies to (two lists of 10,000 would make 100,000,000).
pub const MAX_PARAM_SETS: usize = 10_000;

/// The error for a generator past [`MAX_PARAM_SETS`].
pub fn too_many(kind: &str) -> GenError {
    GenError::invalid(
        kind,
        format!(
            "{kind} generator produces more than {MAX_PARAM_SETS} parameter sets (limit {MAX_PARAM_SETS} per ApplicationSet)"
        ),
    )
}

/// Pays for `n` parameter sets from the ApplicationSet's time and step budget, so generators
/// that loop (a matrix rendering its second child once per set of the first) stay bounded
/// like templates.
pub fn spend(cx: &GenCtx, kind: &str, n: usize) -> Result<(), GenError> {
    cx.renderer
        .spend(n as u64)
        .map_err(|e| GenError::new(kind, GenCause::Limit(e)))
}

/// What generators may read, and how the ApplicationSet renders.
pub struct GenCtx<'a> {
    /// Repository contents for the git generator.
    pub git: &'a dyn GitFiles,
    /// Known clusters for the cluster generator.
    pub clusters: &'a [ClusterInfo],
    /// The ApplicationSet's templating mode.
    pub renderer: &'a Renderer,
    /// `spec.applyNestedSelectors`.
    pub apply_nested_selectors: bool,
    /// What generators noticed that is not an error (a selector matching no cluster).
    pub warnings: std::cell::RefCell<Vec<String>>,
}

impl GenCtx<'_> {
    /// Records a warning once (a matrix may run a generator once per parameter set).
    pub fn warn(&self, message: String) {
        let mut w = self.warnings.borrow_mut();
        if !w.contains(&message) {
            w.push(message);
        }
    }
}

/// Parameter sets from one generator kind, with the template they fill.
pub struct TransformResult {
    /// The kind that produced them (`list`, `git`, ...).
    pub kind: &'static str,
    /// One set per Application to generate.
    pub params: Vec<Params>,
    /// The generator's `template` merged over the base template.
    pub template: Value,
}

/// Generator kinds in the order of Argo CD's `ApplicationSetGenerator` struct fields.
const KINDS: &[&str] = &[
    "list",
    "clusters",
    "git",
    "scmProvider",
    "clusterDecisionResource",
    "pullRequest",
    "matrix",
    "merge",
    "plugin",
];

/// What an unsupported generator would need to reach.
fn unsupported_needs(kind: &str) -> Option<&'static str> {
    match kind {
        "scmProvider" => Some("an SCM provider API (GitHub, GitLab, Bitbucket, ...)"),
        "pullRequest" => Some("an SCM provider's pull-request API"),
        "clusterDecisionResource" => {
            Some("a duck-typed decision resource in the Argo CD control plane")
        }
        "plugin" => Some("an ApplicationSet plugin service"),
        _ => None,
    }
}

/// How deep a generator sits: top level, inside one matrix/merge, or inside two.
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
pub enum Depth {
    /// `spec.generators[]`.
    Top,
    /// A child of a top-level matrix or merge (may itself be a matrix or merge).
    Nested,
    /// A child of a nested matrix or merge (only plain generators allowed).
    Terminal,
}

impl Depth {
    fn deeper(self) -> Depth {
        match self {
            Depth::Top => Depth::Nested,
            _ => Depth::Terminal,
        }
    }
}

/// Runs one generator entry. `interp` holds a matrix sibling's parameters to render the entry
/// with first; `base_template` is the template the entry's own `template` is merged over.
pub fn transform(
    entry: &Value,
    base_template: &Value,
    interp: Option<&Params>,
    cx: &GenCtx,
    depth: Depth,
) -> Result<Vec<TransformResult>, GenError> {
    let obj = entry
        .as_object()
        .ok_or_else(|| GenError::invalid("generator", "a generator must be a map"))?;
    let present: Vec<&'static str> = KINDS
        .iter()
        .copied()
        .filter(|k| obj.get(*k).is_some_and(|v| !v.is_null()))
        .collect();
    if present.is_empty() {
        let keys: Vec<&str> = obj.keys().map(String::as_str).collect();
        return Err(GenError::invalid(
            "unknown",
            format!("unrecognized generator (keys: {})", keys.join(", ")),
        ));
    }
    if let Some(kind) = present.iter().find(|k| unsupported_needs(k).is_some()) {
        let needs = unsupported_needs(kind).unwrap_or("an external service");
        return Err(GenError::new(kind, GenCause::Unsupported(needs)));
    }
    let selector_value = obj.get("selector").filter(|v| !v.is_null());
    let selector =
        Selector::parse(selector_value).map_err(|e| GenError::selector(present[0], e))?;

    let interpolated;
    let source = match interp {
        Some(p) if !p.is_empty() => {
            let scope = cx.renderer.scope(p);
            interpolated = cx
                .renderer
                .render_value(entry, &scope)
                .map_err(|e| GenError::template(present[0], e))?;
            &interpolated
        }
        _ => entry,
    };

    let mut results = Vec::with_capacity(present.len());
    for kind in present {
        let spec = &source[kind];
        if (kind == "matrix" || kind == "merge") && depth == Depth::Terminal {
            return Err(GenError::invalid(
                kind,
                "matrix and merge generators can be nested only one level deep",
            ));
        }
        let template = merge_template(spec.get("template"), base_template);
        let params = match kind {
            "list" => list::generate(spec, cx),
            "clusters" => clusters::generate(spec, cx),
            "git" => git::generate(spec, cx),
            "matrix" => matrix::generate(spec, cx, depth.deeper()),
            "merge" => merge::generate(spec, cx, depth.deeper()),
            other => Err(GenError::invalid(other, "unsupported generator")),
        }?;
        if params.len() > MAX_PARAM_SETS {
            return Err(too_many(kind));
        }
        let params = if selector_value.is_some() {
            params
                .into_iter()
                .filter(|p| selector.matches(&flatten(p)))
                .collect()
        } else {
            params
        };
        results.push(TransformResult {
            kind,
            params,
            template,
        });
    }
    Ok(results)
}

/// mergo's `Merge(dst=generatorTemplate, src=specTemplate)`: fields the generator template
/// leaves empty (absent, "", 0, false, empty list or map) are taken from the spec's template.
/// A generator template cannot therefore turn a `true` from spec.template into `false`, as in
/// Argo CD.
fn merge_template(generator_template: Option<&Value>, base: &Value) -> Value {
    let mut out = match generator_template {
        Some(v @ Value::Object(_)) => v.clone(),
        _ => Value::Object(Map::new()),
    };
    fill_empty(&mut out, base);
    out
}

fn is_empty_value(v: &Value) -> bool {
    match v {
        Value::Null => true,
        Value::Bool(b) => !b,
        Value::Number(n) => n.as_f64() == Some(0.0),
        Value::String(s) => s.is_empty(),
        Value::Array(a) => a.is_empty(),
        Value::Object(m) => m.is_empty(),
    }
}

fn fill_empty(dst: &mut Value, src: &Value) {
    let (Value::Object(d), Value::Object(s)) = (dst, src) else {
        return;
    };
    for (k, sv) in s {
        match d.get_mut(k) {
            Some(dv @ Value::Object(_)) if sv.is_object() => fill_empty(dv, sv),
            Some(dv) if is_empty_value(dv) => *dv = sv.clone(),
            Some(_) => {}
            None => {
                d.insert(k.clone(), sv.clone());
            }
        }
    }
}

/// Parameter sets of a matrix/merge child: its template is ignored and only one generator kind
/// may be set, as in Argo CD's `getParams`.
pub fn child_params(
    child: &Value,
    interp: Option<&Params>,
    cx: &GenCtx,
    depth: Depth,
    parent: &str,
) -> Result<Vec<Params>, GenError> {
    let mut child = child.clone();
    if !cx.apply_nested_selectors {
        // Selectors on a nested matrix/merge's children only apply with applyNestedSelectors.
        for kind in ["matrix", "merge"] {
            if let Some(gens) = child
                .get_mut(kind)
                .and_then(|m| m.get_mut("generators"))
                .and_then(Value::as_array_mut)
            {
                for g in gens.iter_mut().filter_map(Value::as_object_mut) {
                    g.remove("selector");
                }
            }
        }
    }
    let empty = Value::Object(Map::new());
    let mut results = transform(&child, &empty, interp, cx, depth)?;
    match results.len() {
        0 => Err(GenError::bare("child generator generated no parameters")),
        1 => Ok(results.remove(0).params),
        _ => Err(GenError::bare(format!(
            "found more than one generator in {parent}.generators"
        ))),
    }
}

/// Argo CD's `appendTemplatedValues`: each `values` entry rendered with the parameters built so
/// far, stored as `values.<key>` (fasttemplate) or under a `values` map (goTemplate).
pub fn append_values(
    values: Option<&Value>,
    params: &mut Params,
    cx: &GenCtx,
    kind: &str,
) -> Result<(), GenError> {
    let Some(values) = values.filter(|v| !v.is_null()) else {
        return Ok(());
    };
    let values = values
        .as_object()
        .ok_or_else(|| GenError::invalid(kind, "values must be a map of strings"))?;
    if values.is_empty() {
        return Ok(());
    }
    let mut rendered = Map::new();
    {
        let scope = cx.renderer.scope(params);
        for (k, v) in values {
            let text = v
                .as_str()
                .ok_or_else(|| GenError::invalid(kind, format!("values.{k} must be a string")))?;
            let out = cx
                .renderer
                .render_str(text, &scope)
                .map_err(|e| GenError::template(kind, e))?;
            rendered.insert(k.clone(), Value::String(out));
        }
    }
    if cx.renderer.is_go() {
        params.insert("values".to_string(), Value::Object(rendered));
    } else {
        for (k, v) in rendered {
            params.insert(format!("values.{k}"), v);
        }
    }
    Ok(())
}

/// mergo's `Merge(dst, src, WithOverride)` on parameter maps: nested maps merge, anything
/// else from `src` wins.
pub fn deep_override(dst: &mut Params, src: &Params) {
    for (k, v) in src {
        match (dst.get_mut(k), v) {
            (Some(Value::Object(d)), Value::Object(s)) => deep_override(d, s),
            _ => {
                dst.insert(k.clone(), v.clone());
            }
        }
    }
}

/// Reads an optional string field of a generator spec.
pub fn str_field<'a>(spec: &'a Value, field: &str, kind: &str) -> Result<&'a str, GenError> {
    match spec.get(field) {
        None | Some(Value::Null) => Ok(""),
        Some(Value::String(s)) => Ok(s),
        Some(_) => Err(GenError::invalid(kind, format!("{field} must be a string"))),
    }
}

/// The child generators of a matrix or merge generator: a list of at least two, else the
/// generator's error (`too_few` in Argo CD's words).
pub(super) fn child_list<'a>(
    spec: &'a Value,
    kind: &'static str,
    too_few: &'static str,
) -> Result<&'a [Value], GenError> {
    let children = spec
        .get("generators")
        .and_then(Value::as_array)
        .ok_or_else(|| GenError::invalid(kind, "generators must be a list"))?;
    if children.len() < 2 {
        return Err(GenError::invalid(kind, too_few));
    }
    Ok(children)
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn generator_template_fills_from_spec_template() {
        let merged = merge_template(
            Some(&json!({"metadata": {"name": "override"}, "spec": {"project": ""}})),
            &json!({"metadata": {"name": "base", "labels": {"a": "b"}}, "spec": {"project": "p", "destination": {"server": "s"}}}),
        );
        assert_eq!(
            merged,
            json!({"metadata": {"name": "override", "labels": {"a": "b"}}, "spec": {"project": "p", "destination": {"server": "s"}}})
        );
    }

    #[test]
    fn deep_override_merges_maps_and_replaces_the_rest() {
        let mut dst = json!({"path": {"path": "b", "segments": ["b"]}, "x": 1})
            .as_object()
            .cloned()
            .unwrap();
        let src = json!({"path": {"path": "a"}, "y": 2})
            .as_object()
            .cloned()
            .unwrap();
        deep_override(&mut dst, &src);
        assert_eq!(
            Value::Object(dst),
            json!({"path": {"path": "a", "segments": ["b"]}, "x": 1, "y": 2})
        );
    }
}
