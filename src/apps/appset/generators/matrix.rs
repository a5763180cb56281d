//! The matrix generator: the cartesian product of exactly two child generators, the second one
//! rendered with each parameter set of the first (so it can use `{{.path.path}}` and the like).

use serde_json::Value;

use super::{
    Depth, GenCtx, MAX_PARAM_SETS, child_list, child_params, deep_override, spend, too_many,
};
use crate::apps::appset::error::GenError;
use crate::apps::appset::params::{Params, go_sprint};

const KIND: &str = "matrix";

/// Parameter sets of a `matrix` generator spec; `depth` is where its children sit.
pub fn generate(spec: &Value, cx: &GenCtx, depth: Depth) -> Result<Vec<Params>, GenError> {
    let children = child_list(
        spec,
        KIND,
        "found less than two generators, Matrix support only two",
    )?;
    if children.len() > 2 {
        return Err(GenError::invalid(
            KIND,
            "found more than two generators, Matrix support only two",
        ));
    }
    let first = child_params(&children[0], None, cx, depth, KIND).map_err(|e| e.within(KIND))?;
    let mut out = Vec::new();
    for a in &first {
        let second =
            child_params(&children[1], Some(a), cx, depth, KIND).map_err(|e| e.within(KIND))?;
        // Stop as soon as the product passes the limit, before building the rest of it.
        if out.len() + second.len() > MAX_PARAM_SETS {
            return Err(too_many(KIND));
        }
        spend(cx, KIND, second.len())?;
        for b in second {
            out.push(if cx.renderer.is_go() {
                // Maps merge deeply; on a conflict the first child's value wins.
                let mut merged = b;
                deep_override(&mut merged, a);
                merged
            } else {
                combine_strings(a, &b)?
            });
        }
    }
    Ok(out)
}

/// fasttemplate: both children's parameters as strings; a key with two different values is
/// an error.
fn combine_strings(a: &Params, b: &Params) -> Result<Params, GenError> {
    let as_string = |v: &Value| match v {
        Value::String(s) => s.clone(),
        other => go_sprint(other),
    };
    let mut out: Params = a
        .iter()
        .map(|(k, v)| (k.clone(), Value::String(as_string(v))))
        .collect();
    for (k, v) in b {
        let v = as_string(v);
        if let Some(Value::String(cur)) = out.get(k)
            && *cur != v
        {
            return Err(GenError::invalid(
                KIND,
                format!("found duplicate key {k} with different value, a: {cur} ,b: {v}"),
            ));
        }
        out.insert(k.clone(), Value::String(v));
    }
    Ok(out)
}
