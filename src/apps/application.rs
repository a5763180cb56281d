//! Argo CD's `Application` (argoproj.io/v1alpha1), the fields this tool acts on.
//!
//! Fields we only pass along (`syncPolicy`, `ignoreDifferences`) stay as JSON so that nothing a
//! later stage needs is lost to a too-narrow type.

use serde::Deserialize;
use serde_json::Value;

impl Application {
    /// Decodes an Application manifest as Argo CD gets it from the API server: `null` stands
    /// for an absent field (the API server prunes nulls of fields that are not nullable, and
    /// Go decodes what is left into empty values), except inside `helm.valuesObject`, whose
    /// nulls Helm reads as "remove this default". Errors name the field path.
    pub fn from_manifest(body: &Value) -> Result<Application, crate::typed::TypeError> {
        let mut body = body.clone();
        drop_nulls(&mut body, &mut Vec::new());
        crate::typed::from_value(&body)
    }
}

/// Removes `null` members of mappings, recursively, leaving `helm.valuesObject` as written.
fn drop_nulls(v: &mut Value, path: &mut Vec<String>) {
    let in_helm = path.len() >= 2 && path[path.len() - 1] == "helm";
    match v {
        Value::Object(map) => {
            map.retain(|_, v| !v.is_null());
            for (k, child) in map.iter_mut() {
                if in_helm && k == "valuesObject" {
                    continue;
                }
                path.push(k.clone());
                drop_nulls(child, path);
                path.pop();
            }
        }
        Value::Array(items) => {
            for item in items {
                drop_nulls(item, path);
            }
        }
        _ => {}
    }
}

/// An Application manifest.
#[derive(Debug, Clone, Deserialize)]
pub struct Application {
    /// Name and namespace.
    pub metadata: Metadata,
    /// The spec.
    #[serde(default)]
    pub spec: ApplicationSpec,
}

/// The metadata fields used here.
#[derive(Debug, Clone, Default, Deserialize)]
pub struct Metadata {
    /// `metadata.name`.
    #[serde(default)]
    pub name: String,
    /// `metadata.namespace`.
    #[serde(default)]
    pub namespace: Option<String>,
    /// `metadata.annotations`.
    #[serde(default)]
    pub annotations: std::collections::BTreeMap<String, String>,
    /// `metadata.finalizers` (Argo CD's resources finalizer makes deletion cascade).
    #[serde(default)]
    pub finalizers: Vec<String>,
}

/// `spec` of an Application.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct ApplicationSpec {
    /// `project` (empty means `default`).
    #[serde(default)]
    pub project: String,
    /// `source`, ignored when `sources` is non-empty.
    pub source: Option<ApplicationSource>,
    /// `sources` (multi-source apps).
    #[serde(default)]
    pub sources: Vec<ApplicationSource>,
    /// `destination`.
    #[serde(default)]
    pub destination: Destination,
    /// `syncPolicy`, kept for sync.
    #[serde(default)]
    pub sync_policy: Option<Value>,
    /// `ignoreDifferences`, kept for diff.
    #[serde(default)]
    pub ignore_differences: Vec<Value>,
}

impl ApplicationSpec {
    /// The sources to render: `sources` if non-empty, else `source` (Argo CD's rule).
    pub fn effective_sources(&self) -> Vec<&ApplicationSource> {
        if self.sources.is_empty() {
            self.source.iter().collect()
        } else {
            self.sources.iter().collect()
        }
    }
}

/// `destination`: where the app's objects go.
#[derive(Debug, Clone, Default, Deserialize, PartialEq, Eq)]
pub struct Destination {
    /// API server URL (`https://kubernetes.default.svc` means the current context).
    #[serde(default)]
    pub server: Option<String>,
    /// Cluster name (`in-cluster` means the current context).
    #[serde(default)]
    pub name: Option<String>,
    /// Namespace for namespaced objects that name none.
    #[serde(default)]
    pub namespace: Option<String>,
}

impl Destination {
    /// How the destination reads in the tree: the cluster (name or server) and namespace.
    pub fn display(&self) -> String {
        let cluster = self
            .name
            .clone()
            .filter(|n| !n.is_empty())
            .or_else(|| self.server.clone().filter(|s| !s.is_empty()))
            .unwrap_or_else(|| "in-cluster".into());
        let cluster = if cluster == "https://kubernetes.default.svc" {
            "in-cluster".into()
        } else {
            cluster
        };
        match self.namespace.as_deref().filter(|n| !n.is_empty()) {
            Some(ns) => format!("{cluster}/{ns}"),
            None => cluster,
        }
    }
}

/// One source of an Application.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct ApplicationSource {
    /// Git (or Helm) repository URL.
    #[serde(rename = "repoURL", default)]
    pub repo_url: String,
    /// Directory inside the repo.
    #[serde(default)]
    pub path: Option<String>,
    /// Branch, tag or SHA (empty means HEAD).
    #[serde(default)]
    pub target_revision: Option<String>,
    /// Chart name, for sources that are Helm repositories rather than Git.
    #[serde(default)]
    pub chart: Option<String>,
    /// `ref`: the name other sources use as `$name` in value file paths.
    #[serde(rename = "ref", default)]
    pub ref_name: Option<String>,
    /// Helm options.
    #[serde(default)]
    pub helm: Option<HelmSource>,
    /// Kustomize options.
    #[serde(default)]
    pub kustomize: Option<Value>,
    /// Directory options.
    #[serde(default)]
    pub directory: Option<DirectorySource>,
    /// Config-management plugin (not supported without Argo CD).
    #[serde(default)]
    pub plugin: Option<Value>,
}

/// `source.directory`.
#[derive(Debug, Clone, Default, Deserialize)]
pub struct DirectorySource {
    /// Read subdirectories too.
    #[serde(default)]
    pub recurse: bool,
    /// Only matching files.
    #[serde(default)]
    pub include: Option<String>,
    /// Never matching files.
    #[serde(default)]
    pub exclude: Option<String>,
    /// Jsonnet options (not supported).
    #[serde(default)]
    pub jsonnet: Option<Value>,
}

/// `source.helm`: every field of Argo CD's `ApplicationSourceHelm`.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct HelmSource {
    /// Value files, relative to the chart or `$ref/...`.
    #[serde(default)]
    pub value_files: Vec<String>,
    /// Inline values as a YAML string.
    #[serde(default)]
    pub values: Option<String>,
    /// Inline values as an object (wins over `values`).
    #[serde(default)]
    pub values_object: Option<Value>,
    /// `--set` parameters.
    #[serde(default)]
    pub parameters: Vec<HelmParameter>,
    /// `--set-file` parameters.
    #[serde(default)]
    pub file_parameters: Vec<HelmFileParameter>,
    /// Release name (default: the app name).
    #[serde(default)]
    pub release_name: Option<String>,
    /// Release namespace (default: the destination namespace).
    #[serde(default)]
    pub namespace: Option<String>,
    /// Leave out the chart's CRDs.
    #[serde(default)]
    pub skip_crds: bool,
    /// Leave out test hooks.
    #[serde(default)]
    pub skip_tests: bool,
    /// Do not validate values against the chart's `values.schema.json`.
    #[serde(default)]
    pub skip_schema_validation: bool,
    /// Send repository credentials to every domain a chart download redirects to.
    #[serde(default)]
    pub pass_credentials: bool,
    /// Helm major version to render with (`v3`, or empty).
    #[serde(default)]
    pub version: Option<String>,
    /// A missing value file is not an error.
    #[serde(default)]
    pub ignore_missing_value_files: bool,
    /// Kubernetes version for `.Capabilities`.
    #[serde(default)]
    pub kube_version: Option<String>,
    /// API versions for `.Capabilities`.
    #[serde(default)]
    pub api_versions: Vec<String>,
}

/// One `helm.parameters` entry.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct HelmParameter {
    /// Key path.
    pub name: String,
    /// Value.
    #[serde(default)]
    pub value: String,
    /// Use `--set-string`.
    #[serde(default)]
    pub force_string: bool,
}

/// One `helm.fileParameters` entry.
#[derive(Debug, Clone, Default, Deserialize)]
pub struct HelmFileParameter {
    /// Key path.
    pub name: String,
    /// File, relative to the chart or `$ref/...`.
    pub path: String,
}

/// How a source is rendered, as Argo CD decides it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SourceType {
    /// Plain manifests.
    Directory,
    /// A kustomization.
    Kustomize,
    /// A Helm chart in Git.
    Helm,
}

impl std::fmt::Display for SourceType {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(match self {
            SourceType::Directory => "directory",
            SourceType::Kustomize => "kustomize",
            SourceType::Helm => "helm",
        })
    }
}

impl ApplicationSource {
    /// The source type from an explicit block, if any (Argo CD's first rule); several is an error.
    pub fn explicit_type(&self) -> Result<Option<SourceType>, &'static str> {
        let set = [
            self.helm.is_some().then_some(SourceType::Helm),
            self.kustomize.is_some().then_some(SourceType::Kustomize),
            self.directory.is_some().then_some(SourceType::Directory),
        ];
        let mut found = set.into_iter().flatten();
        let first = found.next();
        if found.next().is_some() || (first.is_some() && self.plugin.is_some()) {
            return Err(
                "multiple application sources defined (helm, kustomize, directory, plugin)",
            );
        }
        Ok(first)
    }

    /// The source type from the files at the root of the source path, when no block says it:
    /// a kustomization wins over a chart (Argo CD walks files in order, the later match wins).
    pub fn detect_from_files<'a>(names: impl IntoIterator<Item = &'a str>) -> SourceType {
        let mut found = SourceType::Directory;
        for name in names {
            if matches!(
                name,
                "kustomization.yaml" | "kustomization.yml" | "Kustomization"
            ) {
                return SourceType::Kustomize;
            }
            if name == "Chart.yaml" {
                found = SourceType::Helm;
            }
        }
        found
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn sources_win_over_source() {
        let app: Application = serde_json::from_value(json!({
            "metadata": {"name": "a"},
            "spec": {"source": {"repoURL": "r", "path": "one"},
                     "sources": [{"repoURL": "r", "path": "two"}, {"repoURL": "r", "ref": "values"}]}
        }))
        .unwrap();
        let paths: Vec<_> = app
            .spec
            .effective_sources()
            .iter()
            .map(|s| s.path.clone())
            .collect();
        assert_eq!(paths, [Some("two".to_string()), None]);
    }

    #[test]
    fn detection_follows_argo_cd() {
        assert_eq!(
            ApplicationSource::detect_from_files(["a.yaml"]),
            SourceType::Directory
        );
        assert_eq!(
            ApplicationSource::detect_from_files(["Chart.yaml", "values.yaml"]),
            SourceType::Helm
        );
        assert_eq!(
            ApplicationSource::detect_from_files(["Chart.yaml", "kustomization.yaml"]),
            SourceType::Kustomize
        );
        let both = ApplicationSource {
            helm: Some(HelmSource::default()),
            kustomize: Some(json!({})),
            ..Default::default()
        };
        assert!(both.explicit_type().is_err());
    }

    #[test]
    fn nulls_read_as_absent_fields_but_stay_in_values_object() {
        let app = Application::from_manifest(&json!({
            "metadata": {"name": "a", "annotations": null, "finalizers": null},
            "spec": {
                "project": null,
                "destination": null,
                "ignoreDifferences": null,
                "syncPolicy": {"automated": null, "syncOptions": null},
                "source": {"repoURL": "r", "path": "p", "targetRevision": null,
                    "helm": {"valueFiles": null, "parameters": [{"name": "x", "value": null}],
                             "valuesObject": {"drop": null}}}
            }
        }))
        .unwrap();
        let helm = app.spec.source.as_ref().unwrap().helm.as_ref().unwrap();
        assert_eq!(helm.parameters[0].value, "");
        assert_eq!(helm.values_object, Some(json!({"drop": null})));
        assert_eq!(app.spec.sync_policy, Some(json!({})));
        let app = Application::from_manifest(&json!({
            "metadata": {"name": "a"},
            "spec": {"source": {"repoURL": "r", "helm": {"parameters": null}}}
        }))
        .unwrap();
        assert!(app.spec.source.unwrap().helm.unwrap().parameters.is_empty());
    }

    #[test]
    fn decoding_errors_name_the_field_path() {
        let err = Application::from_manifest(&json!({
            "metadata": {"name": "a"},
            "spec": {"sources": [{"repoURL": "r"}, {"repoURL": "r",
                "helm": {"parameters": [{"name": "x", "value": 5}]}}]}
        }))
        .unwrap_err();
        assert_eq!(err.path, "spec.sources[1].helm.parameters[0].value");
        assert_eq!(err.message, "must be a string, not a number", "{err}");
        let err = Application::from_manifest(&json!({
            "metadata": {"name": "a"},
            "spec": {"source": {"repoURL": "r", "helm": {"fileParameters": [{"path": "f"}]}}}
        }))
        .unwrap_err();
        assert_eq!(
            err.to_string(),
            "spec.source.helm.fileParameters[0].name is required"
        );
    }

    #[test]
    fn destination_display() {
        let d = Destination {
            server: Some("https://kubernetes.default.svc".into()),
            name: None,
            namespace: Some("blog".into()),
        };
        assert_eq!(d.display(), "in-cluster/blog");
    }
}
