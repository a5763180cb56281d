//! Kubernetes label selectors (`matchLabels`, `matchExpressions`), used by the cluster
//! generator on cluster labels and by `generators[].selector` on flattened parameters. Values
//! are not restricted to label syntax: Argo CD relaxes that so selectors can match URLs.

use std::collections::BTreeMap;

use serde_json::Value;

/// A parsed selector; empty matches everything.
#[derive(Debug, Default)]
pub struct Selector {
    requirements: Vec<Requirement>,
}

#[derive(Debug)]
enum Op {
    In,
    NotIn,
    Exists,
    DoesNotExist,
}

#[derive(Debug)]
struct Requirement {
    key: String,
    op: Op,
    values: Vec<String>,
}

impl Selector {
    /// Reads a `LabelSelector` object; `null` or absent gives the empty selector.
    pub fn parse(v: Option<&Value>) -> Result<Selector, String> {
        let mut requirements = Vec::new();
        let Some(v) = v.filter(|v| !v.is_null()) else {
            return Ok(Selector::default());
        };
        let obj = v
            .as_object()
            .ok_or("selector must be an object with matchLabels/matchExpressions")?;
        if let Some(labels) = obj.get("matchLabels").filter(|l| !l.is_null()) {
            let labels = labels.as_object().ok_or("matchLabels must be a map")?;
            for (k, val) in labels {
                requirements.push(Requirement {
                    key: k.clone(),
                    op: Op::In,
                    values: vec![scalar(val, "matchLabels")?],
                });
            }
        }
        if let Some(exprs) = obj.get("matchExpressions").filter(|l| !l.is_null()) {
            let exprs = exprs.as_array().ok_or("matchExpressions must be a list")?;
            for e in exprs {
                requirements.push(Requirement::parse(e)?);
            }
        }
        Ok(Selector { requirements })
    }

    /// True when the selector has no requirement (and so matches everything).
    pub fn is_empty(&self) -> bool {
        self.requirements.is_empty()
    }

    /// Whether `labels` satisfy every requirement.
    pub fn matches(&self, labels: &BTreeMap<String, String>) -> bool {
        self.requirements.iter().all(|r| {
            let got = labels.get(&r.key);
            match r.op {
                Op::In => got.is_some_and(|v| r.values.contains(v)),
                Op::NotIn => got.is_none_or(|v| !r.values.contains(v)),
                Op::Exists => got.is_some(),
                Op::DoesNotExist => got.is_none(),
            }
        })
    }
}

fn scalar(v: &Value, what: &str) -> Result<String, String> {
    match v {
        Value::String(s) => Ok(s.clone()),
        Value::Bool(b) => Ok(b.to_string()),
        Value::Number(n) => Ok(n.to_string()),
        _ => Err(format!("{what} values must be strings")),
    }
}

impl Requirement {
    fn parse(e: &Value) -> Result<Requirement, String> {
        let key = e
            .get("key")
            .and_then(Value::as_str)
            .ok_or("matchExpressions entry needs a key")?
            .to_string();
        let op_name = e.get("operator").and_then(Value::as_str).unwrap_or("");
        let op = match op_name {
            "In" => Op::In,
            "NotIn" => Op::NotIn,
            "Exists" => Op::Exists,
            "DoesNotExist" => Op::DoesNotExist,
            other => return Err(format!("{other:?} is not a valid label selector operator")),
        };
        let values = match e.get("values") {
            None | Some(Value::Null) => Vec::new(),
            Some(Value::Array(a)) => a
                .iter()
                .map(|v| scalar(v, "matchExpressions"))
                .collect::<Result<_, _>>()?,
            Some(_) => return Err("matchExpressions values must be a list".to_string()),
        };
        match op {
            Op::In | Op::NotIn if values.is_empty() => Err(format!(
                "for 'in', 'notin' operators, values set can't be empty (key {key})"
            )),
            Op::Exists | Op::DoesNotExist if !values.is_empty() => Err(format!(
                "values set must be empty for exists and does not exist (key {key})"
            )),
            _ => Ok(Requirement { key, op, values }),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn labels(pairs: &[(&str, &str)]) -> BTreeMap<String, String> {
        pairs
            .iter()
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect()
    }

    #[test]
    fn match_labels_and_expressions() {
        let sel = Selector::parse(Some(&json!({
            "matchLabels": {"env": "prod"},
            "matchExpressions": [
                {"key": "region", "operator": "In", "values": ["eu", "us"]},
                {"key": "legacy", "operator": "DoesNotExist"}
            ]
        })))
        .unwrap();
        assert!(sel.matches(&labels(&[("env", "prod"), ("region", "eu")])));
        assert!(!sel.matches(&labels(&[("env", "dev"), ("region", "eu")])));
        assert!(!sel.matches(&labels(&[("env", "prod"), ("region", "ap")])));
        assert!(!sel.matches(&labels(&[
            ("env", "prod"),
            ("region", "eu"),
            ("legacy", "1")
        ])));
    }

    #[test]
    fn empty_selector_matches_all_and_bad_operators_fail() {
        assert!(Selector::parse(None).unwrap().matches(&labels(&[])));
        assert!(Selector::parse(Some(&json!({}))).unwrap().is_empty());
        assert!(
            Selector::parse(Some(
                &json!({"matchExpressions": [{"key": "a", "operator": "Gt"}]})
            ))
            .is_err()
        );
    }
}
