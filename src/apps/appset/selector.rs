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

/// Why a selector could not be read; the messages are Kubernetes' where it has one.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum SelectorError {
    /// The selector is not a map.
    #[error("selector must be an object with matchLabels/matchExpressions")]
    NotAnObject,
    /// `matchLabels` is not a map.
    #[error("matchLabels must be a map")]
    MatchLabelsNotAMap,
    /// `matchExpressions` is not a list.
    #[error("matchExpressions must be a list")]
    MatchExpressionsNotAList,
    /// A value is a list or a map (`field` is `matchLabels` or `matchExpressions`).
    #[error("{field} values must be strings")]
    ValueNotAString {
        /// Where the value is.
        field: &'static str,
    },
    /// A `matchExpressions` entry has no `key`.
    #[error("matchExpressions entry needs a key")]
    MissingKey,
    /// The operator is not one of `In`, `NotIn`, `Exists`, `DoesNotExist`.
    #[error("{operator:?} is not a valid label selector operator")]
    InvalidOperator {
        /// The operator as written (empty when absent).
        operator: String,
    },
    /// A `matchExpressions` entry's `values` is not a list.
    #[error("matchExpressions values must be a list")]
    ValuesNotAList,
    /// `In` or `NotIn` without values.
    #[error("for 'in', 'notin' operators, values set can't be empty (key {key})")]
    EmptyValues {
        /// The requirement's key.
        key: String,
    },
    /// `Exists` or `DoesNotExist` with values.
    #[error("values set must be empty for exists and does not exist (key {key})")]
    UnexpectedValues {
        /// The requirement's key.
        key: String,
    },
}

impl Selector {
    /// Reads a `LabelSelector` object; `null` or absent gives the empty selector.
    pub fn parse(v: Option<&Value>) -> Result<Selector, SelectorError> {
        let mut requirements = Vec::new();
        let Some(v) = v.filter(|v| !v.is_null()) else {
            return Ok(Selector::default());
        };
        let obj = v.as_object().ok_or(SelectorError::NotAnObject)?;
        if let Some(labels) = obj.get("matchLabels").filter(|l| !l.is_null()) {
            let labels = labels
                .as_object()
                .ok_or(SelectorError::MatchLabelsNotAMap)?;
            for (k, val) in labels {
                requirements.push(Requirement {
                    key: k.clone(),
                    op: Op::In,
                    values: vec![scalar(val, "matchLabels")?],
                });
            }
        }
        if let Some(exprs) = obj.get("matchExpressions").filter(|l| !l.is_null()) {
            let exprs = exprs
                .as_array()
                .ok_or(SelectorError::MatchExpressionsNotAList)?;
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

fn scalar(v: &Value, field: &'static str) -> Result<String, SelectorError> {
    match v {
        Value::String(s) => Ok(s.clone()),
        Value::Bool(b) => Ok(b.to_string()),
        Value::Number(n) => Ok(n.to_string()),
        _ => Err(SelectorError::ValueNotAString { field }),
    }
}

impl Requirement {
    fn parse(e: &Value) -> Result<Requirement, SelectorError> {
        let key = e
            .get("key")
            .and_then(Value::as_str)
            .ok_or(SelectorError::MissingKey)?
            .to_string();
        let op_name = e.get("operator").and_then(Value::as_str).unwrap_or("");
        let op = match op_name {
            "In" => Op::In,
            "NotIn" => Op::NotIn,
            "Exists" => Op::Exists,
            "DoesNotExist" => Op::DoesNotExist,
            other => {
                return Err(SelectorError::InvalidOperator {
                    operator: other.to_string(),
                });
            }
        };
        let values = match e.get("values") {
            None | Some(Value::Null) => Vec::new(),
            Some(Value::Array(a)) => a
                .iter()
                .map(|v| scalar(v, "matchExpressions"))
                .collect::<Result<_, _>>()?,
            Some(_) => return Err(SelectorError::ValuesNotAList),
        };
        match op {
            Op::In | Op::NotIn if values.is_empty() => Err(SelectorError::EmptyValues { key }),
            Op::Exists | Op::DoesNotExist if !values.is_empty() => {
                Err(SelectorError::UnexpectedValues { key })
            }
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
