//! The list generator: `elements[]` (and the `elementsYaml` string) as parameter sets.

use serde_json::Value;

use super::GenCtx;
use crate::apps::appset::error::GenError;
use crate::apps::appset::params::Params;

const KIND: &str = "list";

/// Parameter sets of a `list` generator spec.
pub fn generate(spec: &Value, cx: &GenCtx) -> Result<Vec<Params>, GenError> {
    let mut out = Vec::new();
    match spec.get("elements") {
        None | Some(Value::Null) => {}
        Some(Value::Array(elements)) => {
            if elements.len() > super::MAX_PARAM_SETS {
                return Err(super::too_many(KIND));
            }
            for (i, element) in elements.iter().enumerate() {
                let obj = element.as_object().ok_or_else(|| {
                    GenError::invalid(KIND, format!("elements[{i}] is not a map"))
                })?;
                out.push(if cx.renderer.is_go() {
                    obj.clone()
                } else {
                    flat_element(obj, i)?
                });
            }
        }
        Some(_) => return Err(GenError::invalid(KIND, "elements must be a list")),
    }
    match spec.get("elementsYaml") {
        None | Some(Value::Null) => {}
        Some(Value::String(text)) if text.is_empty() => {}
        Some(Value::String(text)) => out.extend(elements_yaml(text)?),
        Some(_) => return Err(GenError::invalid(KIND, "elementsYaml must be a string")),
    }
    Ok(out)
}

/// fasttemplate elements must hold strings; a `values` map becomes `values.<key>`.
fn flat_element(obj: &Params, i: usize) -> Result<Params, GenError> {
    let mut params = Params::new();
    for (key, value) in obj {
        if key == "values" {
            let values = value.as_object().ok_or_else(|| {
                GenError::invalid(KIND, format!("elements[{i}]: error parsing values map"))
            })?;
            for (k, v) in values {
                let s = v.as_str().ok_or_else(|| {
                    GenError::invalid(
                        KIND,
                        format!("elements[{i}]: values.{k} is not a string (use goTemplate for other types)"),
                    )
                })?;
                params.insert(format!("values.{k}"), Value::String(s.to_string()));
            }
        } else {
            let s = value.as_str().ok_or_else(|| {
                GenError::invalid(
                    KIND,
                    format!(
                        "elements[{i}]: {key} is not a string (use goTemplate for other types)"
                    ),
                )
            })?;
            params.insert(key.clone(), Value::String(s.to_string()));
        }
    }
    Ok(params)
}

/// `elementsYaml` holds a YAML list of maps; its elements are used as they are, in both modes.
fn elements_yaml(text: &str) -> Result<Vec<Params>, GenError> {
    let bad = |m: String| GenError::invalid(KIND, format!("error unmarshalling elementsYaml: {m}"));
    let docs = crate::yaml::parse_documents(text).map_err(|e| bad(e.to_string()))?;
    match docs.into_iter().next() {
        None | Some(Value::Null) => Ok(Vec::new()),
        Some(Value::Array(items)) => items
            .into_iter()
            .map(|item| match item {
                Value::Object(m) => Ok(m),
                Value::Null => Ok(Params::new()),
                _ => Err(bad("an element is not a map".to_string())),
            })
            .collect(),
        Some(_) => Err(bad("not a list of maps".to_string())),
    }
}
