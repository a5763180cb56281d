//! The merge generator: the first child's parameter sets, each overridden by the sets of later
//! children that agree on every `mergeKeys` value. Unmatched sets of later children are dropped.

use std::collections::{BTreeMap, HashMap};

use serde_json::Value;

use super::{Depth, GenCtx, child_list, child_params, deep_override};
use crate::apps::appset::error::GenError;
use crate::apps::appset::params::{Params, go_sprint};

const KIND: &str = "merge";

/// Parameter sets of a `merge` generator spec; `depth` is where its children sit.
pub fn generate(spec: &Value, cx: &GenCtx, depth: Depth) -> Result<Vec<Params>, GenError> {
    let children = child_list(
        spec,
        KIND,
        "found less than two generators, Merge requires two or more",
    )?;
    let merge_keys: Vec<String> = match spec.get("mergeKeys") {
        Some(Value::Array(keys)) => keys
            .iter()
            .map(|k| {
                k.as_str()
                    .map(String::from)
                    .ok_or_else(|| GenError::invalid(KIND, "mergeKeys must be strings"))
            })
            .collect::<Result<_, _>>()?,
        None | Some(Value::Null) => Vec::new(),
        Some(_) => return Err(GenError::invalid(KIND, "mergeKeys must be a list")),
    };
    let mut sets = Vec::with_capacity(children.len());
    for (i, child) in children.iter().enumerate() {
        let params = child_params(child, None, cx, depth, KIND)
            .map_err(|e| e.within(&format!("{KIND}[{}/{}]", i + 1, children.len())))?;
        sets.push(params);
    }
    if merge_keys.is_empty() {
        return Err(GenError::invalid(
            KIND,
            "no merge keys were specified, Merge requires at least one",
        ));
    }

    let mut base = sets.remove(0);
    let base_keys = keys_of(&merge_keys, &base)?;
    let index: HashMap<&str, usize> = base_keys
        .iter()
        .enumerate()
        .map(|(i, k)| (k.as_str(), i))
        .collect();
    for others in &sets {
        let other_keys = keys_of(&merge_keys, others)?;
        for (key, over) in other_keys.iter().zip(others) {
            let Some(&i) = index.get(key.as_str()) else {
                continue;
            };
            if cx.renderer.is_go() {
                deep_override(&mut base[i], over);
            } else {
                let merged: Params = base[i]
                    .iter()
                    .chain(over.iter())
                    .map(|(k, v)| (k.clone(), Value::String(as_string(v))))
                    .collect();
                base[i] = merged;
            }
        }
    }
    Ok(base)
}

fn as_string(v: &Value) -> String {
    match v {
        Value::String(s) => s.clone(),
        other => go_sprint(other),
    }
}

/// The identity of each set under the merge keys (a missing key counts as null); two sets of one
/// child with the same identity are an error, as in Argo CD.
fn keys_of(merge_keys: &[String], sets: &[Params]) -> Result<Vec<String>, GenError> {
    let mut seen = HashMap::new();
    let mut out = Vec::with_capacity(sets.len());
    for set in sets {
        let identity: BTreeMap<&str, &Value> = merge_keys
            .iter()
            .map(|k| (k.as_str(), set.get(k).unwrap_or(&Value::Null)))
            .collect();
        let key = serde_json::to_string(&identity).unwrap_or_default();
        if seen.insert(key.clone(), ()).is_some() {
            return Err(GenError::invalid(
                KIND,
                format!(
                    "the parameters from a generator were not unique by the given mergeKeys, Merge requires all param sets to be unique. Duplicate key was {key}"
                ),
            ));
        }
        out.push(key);
    }
    Ok(out)
}
