//! The cluster generator over the clusters the caller knows (kubeconfig contexts instead of
//! Argo CD cluster secrets). As in Argo CD, the local cluster (`in-cluster`,
//! `https://kubernetes.default.svc`) is added first when the selector is empty and no known
//! cluster already has that server.

use std::collections::BTreeMap;

use serde_json::{Map, Value};

use super::{GenCtx, append_values};
use crate::apps::appset::error::GenError;
use crate::apps::appset::params::{Params, sanitize_name};
use crate::apps::appset::selector::Selector;

const KIND: &str = "clusters";

/// The API server address Argo CD uses for the cluster it runs in.
pub const IN_CLUSTER_SERVER: &str = "https://kubernetes.default.svc";
/// The name Argo CD gives that cluster.
pub const IN_CLUSTER_NAME: &str = "in-cluster";

/// Parameter sets of a `clusters` generator spec.
pub fn generate(spec: &Value, cx: &GenCtx) -> Result<Vec<Params>, GenError> {
    let selector = Selector::parse(spec.get("selector"))
        .map_err(|e| GenError::invalid(KIND, format!("selector: {e}")))?;
    let flat_list = spec
        .get("flatList")
        .and_then(Value::as_bool)
        .unwrap_or(false);
    let values = spec.get("values");
    let go = cx.renderer.is_go();

    let mut out = Vec::new();
    let covered = cx.clusters.iter().any(|c| c.server == IN_CLUSTER_SERVER);
    if selector.is_empty() && !covered {
        let mut params = base_params(IN_CLUSTER_NAME, IN_CLUSTER_NAME, IN_CLUSTER_SERVER);
        append_values(values, &mut params, cx, KIND)?;
        out.push(params);
    }
    for cluster in cx.clusters {
        // An unlabelled local cluster stands for Argo CD's secret-less in-cluster: it has no
        // labels to match, so any selector at all leaves it out, and it has no metadata.
        let implicit_local = cluster.server == IN_CLUSTER_SERVER && cluster.labels.is_empty();
        let mut params = if implicit_local {
            if !selector.is_empty() {
                continue;
            }
            base_params(&cluster.name, &cluster.name, &cluster.server)
        } else {
            if !selector.matches(&cluster.labels) {
                continue;
            }
            let mut p = base_params(
                &cluster.name,
                &sanitize_name(&cluster.name),
                &cluster.server,
            );
            add_labels(&mut p, &cluster.labels, go);
            p
        };
        append_values(values, &mut params, cx, KIND)?;
        out.push(params);
    }
    if flat_list {
        let mut one = Params::new();
        one.insert(
            "clusters".into(),
            Value::Array(out.into_iter().map(Value::Object).collect()),
        );
        return Ok(vec![one]);
    }
    Ok(out)
}

fn base_params(name: &str, normalized: &str, server: &str) -> Params {
    let mut p = Params::new();
    p.insert("name".into(), Value::String(name.to_string()));
    p.insert(
        "nameNormalized".into(),
        Value::String(normalized.to_string()),
    );
    p.insert("server".into(), Value::String(server.to_string()));
    // Cluster secrets may name a project; kubeconfig contexts never do.
    p.insert("project".into(), Value::String(String::new()));
    p
}

fn add_labels(params: &mut Params, labels: &BTreeMap<String, String>, go: bool) {
    if go {
        let mut meta = Map::new();
        if !labels.is_empty() {
            meta.insert(
                "labels".into(),
                Value::Object(
                    labels
                        .iter()
                        .map(|(k, v)| (k.clone(), Value::String(v.clone())))
                        .collect(),
                ),
            );
        }
        params.insert("metadata".into(), Value::Object(meta));
    } else {
        for (k, v) in labels {
            params.insert(format!("metadata.labels.{k}"), Value::String(v.clone()));
        }
    }
}
