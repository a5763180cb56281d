//! The cluster generator over the clusters the caller knows: Argo CD cluster secrets (from a
//! file or the cluster's Argo CD namespace), or kubeconfig contexts standing for them. As in
//! Argo CD (`applicationset/generators/cluster.go`), the local cluster (`in-cluster`,
//! `https://kubernetes.default.svc`) comes last, only when the selector is empty and no secret
//! already registers that server.

use std::collections::BTreeMap;

use serde_json::{Map, Value};

use super::{GenCtx, append_values};
use crate::apps::appset::ClusterInfo;
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
    let selector =
        Selector::parse(spec.get("selector")).map_err(|e| GenError::selector(KIND, e))?;
    let flat_list = spec
        .get("flatList")
        .and_then(Value::as_bool)
        .unwrap_or(false);
    let values = spec.get("values");
    let go = cx.renderer.is_go();

    // Argo CD's `GenerateParams`: every cluster secret the selector matches, in list order;
    // then the local cluster, which has no secret and so no labels, only when the selector
    // is empty and no secret already registers its server.
    let mut out = Vec::new();
    let mut covered = false;
    let mut local_name = IN_CLUSTER_NAME;
    for cluster in cx.clusters {
        if cluster.is_implicit_local() {
            local_name = &cluster.name;
            continue;
        }
        covered |= cluster.server.trim_end_matches('/') == IN_CLUSTER_SERVER;
        if !selector.matches(&cluster.labels) {
            continue;
        }
        let mut p = base_params(
            &cluster.name,
            &sanitize_name(&cluster.name),
            &cluster.server,
            &cluster.project,
        );
        add_metadata(&mut p, cluster, go);
        append_values(values, &mut p, cx, KIND)?;
        out.push(p);
    }
    if selector.is_empty() && !covered {
        let mut params = base_params(local_name, local_name, IN_CLUSTER_SERVER, "");
        append_values(values, &mut params, cx, KIND)?;
        out.push(params);
    }
    if out.is_empty() && !selector.is_empty() {
        let known: Vec<&str> = cx
            .clusters
            .iter()
            .filter(|c| !c.is_implicit_local())
            .map(|c| c.name.as_str())
            .collect();
        cx.warn(format!(
            "the clusters generator's selector matches no cluster (known: {}), so it generates nothing",
            if known.is_empty() {
                "none but the local cluster, which has no labels".to_string()
            } else {
                known.join(", ")
            }
        ));
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

fn base_params(name: &str, normalized: &str, server: &str, project: &str) -> Params {
    let mut p = Params::new();
    p.insert("name".into(), Value::String(name.to_string()));
    p.insert(
        "nameNormalized".into(),
        Value::String(normalized.to_string()),
    );
    p.insert("server".into(), Value::String(server.to_string()));
    // A cluster secret's `project` (scoped clusters); empty otherwise.
    p.insert("project".into(), Value::String(project.to_string()));
    p
}

/// The secret's labels and annotations: `metadata.labels.<k>` and `metadata.annotations.<k>`
/// with fasttemplate, a `metadata` map of both with Go templates.
fn add_metadata(params: &mut Params, cluster: &ClusterInfo, go: bool) {
    let as_map = |m: &BTreeMap<String, String>| -> Value {
        Value::Object(
            m.iter()
                .map(|(k, v)| (k.clone(), Value::String(v.clone())))
                .collect(),
        )
    };
    if go {
        let mut meta = Map::new();
        meta.insert("labels".into(), as_map(&cluster.labels));
        meta.insert("annotations".into(), as_map(&cluster.annotations));
        params.insert("metadata".into(), Value::Object(meta));
    } else {
        for (k, v) in &cluster.annotations {
            params.insert(
                format!("metadata.annotations.{k}"),
                Value::String(v.clone()),
            );
        }
        for (k, v) in &cluster.labels {
            params.insert(format!("metadata.labels.{k}"), Value::String(v.clone()));
        }
    }
}
