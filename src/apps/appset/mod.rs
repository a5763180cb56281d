//! Local ApplicationSet expansion: the Applications Argo CD's ApplicationSet controller would
//! generate, computed from the manifest, the repositories (through [`GitFiles`]) and the known
//! clusters, with no Argo CD installed.
//!
//! Supported generators: `list`, `git` (directories and files), `clusters`, `matrix`, `merge`.
//! Templates: fasttemplate (the default) and `goTemplate: true` (Go `text/template` with Sprig),
//! `goTemplateOptions`, per-generator `template`, `templatePatch`, generator `selector`.

pub mod cluster_secret;
mod error;
mod fasttemplate;
mod funcs;
mod generators;
mod glob;
mod params;
mod patch;
mod render;
mod selector;
#[cfg(test)]
mod tests;

use std::collections::{BTreeMap, HashSet};

use gotemplate::Limits;
use serde_json::{Map, Value};

use crate::source::SourceError;

pub use error::{
    AppSetError, FastTemplateError, GitFileError, GitReadError, PatchError, RepoRef, SpecError,
    TemplateError,
};
pub use selector::SelectorError;

use generators::{Depth, GenCtx};
use params::Params;
use render::Renderer;

/// Files of one repository at one revision, as the git generators see them.
pub trait GitFiles {
    /// Every file path in the repo, '/'-separated, relative to the root, sorted.
    fn files(&self, repo_url: &str, revision: &str) -> Result<Vec<String>, SourceError>;
    /// Bytes of one file.
    fn read(&self, repo_url: &str, revision: &str, path: &str) -> Result<Vec<u8>, SourceError>;
}

/// A cluster for the cluster generator: an Argo CD cluster secret, a kubeconfig context
/// standing for one, or the local cluster (which, as in Argo CD, has no secret and no labels).
/// Never holds the secret's credentials (its `config`).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ClusterInfo {
    /// Cluster name (`{{name}}`).
    pub name: String,
    /// API server URL (`{{server}}`); `https://kubernetes.default.svc` marks the local cluster.
    pub server: String,
    /// Labels matched by the generator's selector (`{{metadata.labels.<k>}}`).
    pub labels: BTreeMap<String, String>,
    /// Annotations (`{{metadata.annotations.<k>}}`).
    pub annotations: BTreeMap<String, String>,
    /// The project a scoped cluster belongs to (`{{project}}`).
    pub project: String,
}

/// The label Argo CD puts on every cluster secret, and lists them by.
pub const SECRET_TYPE_LABEL: &str = "argocd.argoproj.io/secret-type";
/// Its value for cluster secrets.
pub const SECRET_TYPE_CLUSTER: &str = "cluster";

impl ClusterInfo {
    /// The local cluster without a secret of its own: Argo CD's implicit `in-cluster`.
    pub fn is_implicit_local(&self) -> bool {
        self.server.trim_end_matches('/') == generators::IN_CLUSTER_SERVER && self.labels.is_empty()
    }
}

/// What expansion may read.
pub struct ExpandContext<'a> {
    /// Repository contents for git generators.
    pub git: &'a dyn GitFiles,
    /// Clusters for the cluster generator.
    pub clusters: &'a [ClusterInfo],
}

/// The finalizer Argo CD puts on generated Applications so deleting one deletes its resources.
const RESOURCES_FINALIZER: &str = "resources-finalizer.argocd.argoproj.io";

/// Settings read once from `spec`.
struct AppSetSpec<'a> {
    name: &'a str,
    namespace: Option<&'a str>,
    template: Value,
    template_patch: Option<&'a str>,
    preserve_resources: bool,
    generators: &'a [Value],
}

/// Expand one ApplicationSet manifest into the Application manifests it generates, in
/// generator order.
pub fn expand(appset: &Value, ctx: &ExpandContext) -> Result<Vec<Value>, AppSetError> {
    expand_with_warnings(appset, ctx).map(|(apps, _)| apps)
}

/// [`expand`], with the warnings of its generators (a cluster selector matching no cluster).
pub fn expand_with_warnings(
    appset: &Value,
    ctx: &ExpandContext,
) -> Result<(Vec<Value>, Vec<String>), AppSetError> {
    let name = appset
        .pointer("/metadata/name")
        .and_then(Value::as_str)
        .unwrap_or("<unnamed>");
    let invalid = |source: SpecError| AppSetError::InvalidSpec {
        appset: name.to_string(),
        source,
    };
    let spec = appset
        .get("spec")
        .and_then(Value::as_object)
        .ok_or_else(|| invalid(SpecError::NoSpec))?;
    let go_template = bool_field(spec, "goTemplate").map_err(invalid)?;
    let options = string_list(spec.get("goTemplateOptions")).map_err(invalid)?;
    let renderer = Renderer::new(go_template, &options, &Limits::default()).map_err(invalid)?;
    let generators: &[Value] = match spec.get("generators") {
        None | Some(Value::Null) => &[],
        Some(Value::Array(g)) => g,
        Some(_) => return Err(invalid(SpecError::GeneratorsNotAList)),
    };
    let template = match spec.get("template") {
        None | Some(Value::Null) => Value::Object(Map::new()),
        Some(t @ Value::Object(_)) => t.clone(),
        Some(_) => return Err(invalid(SpecError::TemplateNotAMap)),
    };
    let template_patch = match spec.get("templatePatch") {
        None | Some(Value::Null) => None,
        Some(Value::String(s)) => Some(s.as_str()),
        Some(_) => return Err(invalid(SpecError::TemplatePatchNotAString)),
    };
    let sync_policy = spec.get("syncPolicy").and_then(Value::as_object);
    let preserve_resources = match sync_policy {
        Some(sp) => bool_field(sp, "preserveResourcesOnDeletion").map_err(invalid)?,
        None => false,
    };
    let s = AppSetSpec {
        name,
        namespace: appset
            .pointer("/metadata/namespace")
            .and_then(Value::as_str),
        template,
        template_patch,
        preserve_resources,
        generators,
    };
    let cx = GenCtx {
        git: ctx.git,
        clusters: ctx.clusters,
        renderer: &renderer,
        apply_nested_selectors: bool_field(spec, "applyNestedSelectors").map_err(invalid)?,
        warnings: Default::default(),
    };
    let apps = generate(&s, &cx)?;

    let mut seen = HashSet::new();
    for app in &apps {
        let app_name = app
            .pointer("/metadata/name")
            .and_then(Value::as_str)
            .unwrap_or("");
        if !seen.insert(app_name) {
            return Err(AppSetError::DuplicateName {
                appset: name.to_string(),
                name: app_name.to_string(),
            });
        }
    }
    Ok((apps, cx.warnings.into_inner()))
}

fn generate(s: &AppSetSpec, cx: &GenCtx) -> Result<Vec<Value>, AppSetError> {
    let mut apps = Vec::new();
    for (index, entry) in s.generators.iter().enumerate() {
        let results = generators::transform(entry, &s.template, None, cx, Depth::Top)
            .map_err(|e| e.into_appset_error(s.name, index))?;
        let count: usize = results.iter().map(|r| r.params.len()).sum();
        if apps.len() + count > generators::MAX_PARAM_SETS {
            return Err(AppSetError::TooManyApplications {
                appset: s.name.to_string(),
                limit: generators::MAX_PARAM_SETS,
            });
        }
        for result in results {
            let template_app = template_application(&result.template);
            let template_err = |source: TemplateError| AppSetError::Template {
                appset: s.name.to_string(),
                index,
                kind: result.kind.to_string(),
                source,
            };
            for params in &result.params {
                let mut app = render_application(&template_app, params, cx.renderer, s)
                    .map_err(template_err)?;
                if let Some(patch_text) = s.template_patch {
                    let scope = cx.renderer.scope(params);
                    let rendered = cx
                        .renderer
                        .render_str(patch_text, &scope)
                        .map_err(template_err)?;
                    let parsed = patch::parse_patch(&rendered).map_err(|source| {
                        AppSetError::TemplatePatch {
                            appset: s.name.to_string(),
                            index,
                            kind: result.kind.to_string(),
                            source,
                        }
                    })?;
                    if let Some(p) = parsed {
                        patch::apply(&mut app, &p);
                    }
                }
                apps.push(finish_application(app, s.namespace));
            }
        }
    }
    Ok(apps)
}

/// The part of an ApplicationSet template that becomes an Application: Argo CD copies only
/// these metadata fields, and the spec.
fn template_application(template: &Value) -> Value {
    let mut metadata = Map::new();
    if let Some(m) = template.get("metadata").and_then(Value::as_object) {
        for key in ["name", "namespace", "labels", "annotations", "finalizers"] {
            if let Some(v) = m.get(key).filter(|v| !v.is_null()) {
                metadata.insert(key.to_string(), v.clone());
            }
        }
    }
    let mut app = Map::new();
    app.insert("metadata".into(), Value::Object(metadata));
    app.insert(
        "spec".into(),
        template
            .get("spec")
            .filter(|v| !v.is_null())
            .cloned()
            .unwrap_or_else(|| Value::Object(Map::new())),
    );
    Value::Object(app)
}

/// Renders the template with one parameter set and adds the resources finalizer.
fn render_application(
    template_app: &Value,
    params: &Params,
    renderer: &Renderer,
    s: &AppSetSpec,
) -> Result<Value, TemplateError> {
    // Argo CD returns the template untouched (no rendering, no finalizer) for an empty
    // parameter set, e.g. a list element `{}`.
    if params.is_empty() {
        return Ok(template_app.clone());
    }
    let scope = renderer.scope(params);
    let mut app = renderer.render_value(template_app, &scope)?;
    let has_finalizers = app
        .pointer("/metadata/finalizers")
        .and_then(Value::as_array)
        .is_some_and(|f| !f.is_empty());
    if !s.preserve_resources
        && !has_finalizers
        && let Some(Value::Object(meta)) = app.get_mut("metadata")
    {
        meta.insert(
            "finalizers".into(),
            Value::Array(vec![Value::String(RESOURCES_FINALIZER.to_string())]),
        );
    }
    Ok(app)
}

/// The full manifest: kind and apiVersion, the ApplicationSet's namespace (Argo CD's security
/// boundary: a template cannot place Applications elsewhere), empty metadata fields left out.
fn finish_application(app: Value, namespace: Option<&str>) -> Value {
    let mut app = match app {
        Value::Object(m) => m,
        _ => Map::new(),
    };
    let mut metadata = match app.remove("metadata") {
        Some(Value::Object(m)) => m,
        _ => Map::new(),
    };
    match namespace {
        Some(ns) => {
            metadata.insert("namespace".into(), Value::String(ns.to_string()));
        }
        None => {
            metadata.remove("namespace");
        }
    }
    metadata.retain(|_, v| match v {
        Value::Null => false,
        Value::Object(m) => !m.is_empty(),
        Value::Array(a) => !a.is_empty(),
        Value::String(s) => !s.is_empty(),
        _ => true,
    });
    let mut out = Map::new();
    out.insert(
        "apiVersion".into(),
        Value::String("argoproj.io/v1alpha1".into()),
    );
    out.insert("kind".into(), Value::String("Application".into()));
    out.insert("metadata".into(), Value::Object(metadata));
    out.insert(
        "spec".into(),
        app.remove("spec")
            .unwrap_or_else(|| Value::Object(Map::new())),
    );
    Value::Object(out)
}

fn bool_field(obj: &Map<String, Value>, field: &'static str) -> Result<bool, SpecError> {
    match obj.get(field) {
        None | Some(Value::Null) => Ok(false),
        Some(Value::Bool(b)) => Ok(*b),
        Some(_) => Err(SpecError::NotABool { field }),
    }
}

/// `goTemplateOptions`: absent is none.
fn string_list(v: Option<&Value>) -> Result<Vec<String>, SpecError> {
    match v {
        None | Some(Value::Null) => Ok(Vec::new()),
        Some(Value::Array(items)) => items
            .iter()
            .map(|i| {
                i.as_str()
                    .map(String::from)
                    .ok_or(SpecError::OptionsNotStrings)
            })
            .collect(),
        Some(_) => Err(SpecError::OptionsNotStrings),
    }
}
