//! An Application's own `kustomize:` options, written into a copy of the kustomization the way
//! Argo CD's `kustomize edit set/add` calls do before it builds.

use std::path::{Path, PathBuf};

use serde_json::{Map, Value, json};

use super::error::RenderError;
use crate::yaml;

/// Names kustomize accepts for the kustomization file, in its order of preference.
const KUSTOMIZATION_FILES: &[&str] = &["kustomization.yaml", "kustomization.yml", "Kustomization"];

/// Options this tool applies; any other key is refused rather than ignored.
const SUPPORTED: &[&str] = &[
    "namePrefix",
    "nameSuffix",
    "namespace",
    "commonLabels",
    "commonAnnotations",
    "images",
    "replicas",
    "patches",
    "components",
    "forceCommonLabels",
    "forceCommonAnnotations",
];

/// Rewrites the kustomization in `dir` with the Application's `kustomize:` options.
pub fn apply_kustomize_options(
    dir: &Path,
    options: &Map<String, Value>,
) -> Result<(), RenderError> {
    if let Some(key) = options.keys().find(|k| !SUPPORTED.contains(&k.as_str())) {
        return Err(RenderError::Unsupported(format!(
            "the Application's kustomize option {key:?} is not supported"
        )));
    }
    let file = kustomization_file(dir)?;
    let io = |e| RenderError::Io {
        what: format!("kustomization {}", file.display()),
        source: e,
    };
    let text = std::fs::read_to_string(&file).map_err(io)?;
    let mut k = yaml::parse_one::<Value>(&text)
        .map_err(|e| RenderError::Unsupported(format!("{}: invalid YAML: {e}", file.display())))?;
    let Some(obj) = k.as_object_mut() else {
        return Err(RenderError::Unsupported(format!(
            "{}: not a mapping",
            file.display()
        )));
    };
    for key in ["namePrefix", "nameSuffix", "namespace"] {
        if let Some(v) = options
            .get(key)
            .filter(|v| v.as_str().is_some_and(|s| !s.is_empty()))
        {
            obj.insert(key.into(), v.clone());
        }
    }
    for key in ["commonLabels", "commonAnnotations"] {
        if let Some(Value::Object(add)) = options.get(key) {
            let entry = obj.entry(key).or_insert_with(|| json!({}));
            if let Some(map) = entry.as_object_mut() {
                map.extend(add.clone());
            }
        }
    }
    if let Some(Value::Array(images)) = options.get("images") {
        let mut list = take_list(obj, "images");
        for image in images.iter().filter_map(Value::as_str) {
            let entry = image_entry(image);
            let name = entry["name"].clone();
            list.retain(|e| e["name"] != name);
            list.push(entry);
        }
        obj.insert("images".into(), Value::Array(list));
    }
    if let Some(Value::Array(replicas)) = options.get("replicas") {
        let mut list = take_list(obj, "replicas");
        for r in replicas {
            list.retain(|e| e["name"] != r["name"]);
            list.push(json!({"name": r["name"], "count": r["count"]}));
        }
        obj.insert("replicas".into(), Value::Array(list));
    }
    for key in ["patches", "components"] {
        if let Some(Value::Array(more)) = options.get(key) {
            let mut list = take_list(obj, key);
            list.extend(more.iter().cloned());
            obj.insert(key.into(), Value::Array(list));
        }
    }
    let text = yaml::to_string(&k).map_err(|e| RenderError::Unsupported(e.to_string()))?;
    std::fs::write(&file, text).map_err(io)
}

fn kustomization_file(dir: &Path) -> Result<PathBuf, RenderError> {
    KUSTOMIZATION_FILES
        .iter()
        .map(|f| dir.join(f))
        .find(|p| p.is_file())
        .ok_or_else(|| {
            RenderError::Unsupported(format!("no kustomization file in {}", dir.display()))
        })
}

fn take_list(obj: &mut Map<String, Value>, key: &str) -> Vec<Value> {
    match obj.remove(key) {
        Some(Value::Array(list)) => list,
        _ => Vec::new(),
    }
}

/// `kustomize edit set image` forms: `name=newName:tag`, `name:tag`, `name@digest`, `name=newName`.
fn image_entry(spec: &str) -> Value {
    let (name, target) = match spec.split_once('=') {
        Some((n, t)) => (n.to_string(), t.to_string()),
        None => (String::new(), spec.to_string()),
    };
    let (image, digest) = match target.split_once('@') {
        Some((i, d)) => (i.to_string(), Some(d.to_string())),
        None => (target.clone(), None),
    };
    // A tag is the part after the last ':' that is not inside a registry host:port.
    let (image, tag) = match image.rsplit_once(':') {
        Some((i, t)) if !t.contains('/') => (i.to_string(), Some(t.to_string())),
        _ => (image, None),
    };
    let mut entry = Map::new();
    if name.is_empty() {
        entry.insert("name".into(), json!(image));
    } else {
        entry.insert("name".into(), json!(name));
        entry.insert("newName".into(), json!(image));
    }
    if let Some(t) = tag {
        entry.insert("newTag".into(), json!(t));
    }
    if let Some(d) = digest {
        entry.insert("digest".into(), json!(d));
    }
    Value::Object(entry)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn image_specs_follow_kustomize_edit_set_image() {
        assert_eq!(
            image_entry("nginx:1.27"),
            json!({"name": "nginx", "newTag": "1.27"})
        );
        assert_eq!(
            image_entry("nginx=registry.local:5000/nginx:2"),
            json!({"name": "nginx", "newName": "registry.local:5000/nginx", "newTag": "2"})
        );
        assert_eq!(
            image_entry("app@sha256:abc"),
            json!({"name": "app", "digest": "sha256:abc"})
        );
        assert_eq!(
            image_entry("registry.local:5000/app"),
            json!({"name": "registry.local:5000/app"})
        );
    }

    #[test]
    fn options_are_written_into_the_kustomization() {
        let dir = tempfile::tempdir().unwrap();
        std::fs::write(
            dir.path().join("kustomization.yaml"),
            "resources: [a.yaml]\ncommonLabels: {team: x}\nimages: [{name: nginx, newTag: '1'}]\n",
        )
        .unwrap();
        let opts = json!({"namePrefix": "prod-", "commonLabels": {"env": "prod"},
                          "images": ["nginx:2"], "replicas": [{"name": "web", "count": 3}]});
        apply_kustomize_options(dir.path(), opts.as_object().unwrap()).unwrap();
        let k: Value = yaml::parse_one(
            &std::fs::read_to_string(dir.path().join("kustomization.yaml")).unwrap(),
        )
        .unwrap();
        assert_eq!(k["namePrefix"], "prod-");
        assert_eq!(k["commonLabels"], json!({"team": "x", "env": "prod"}));
        assert_eq!(k["images"], json!([{"name": "nginx", "newTag": "2"}]));
        assert_eq!(k["replicas"], json!([{"name": "web", "count": 3}]));
        let bad = json!({"kubeVersion": "1.30"});
        let err = apply_kustomize_options(dir.path(), bad.as_object().unwrap()).unwrap_err();
        assert!(
            err.to_string().contains("\"kubeVersion\" is not supported"),
            "{err}"
        );
    }
}
