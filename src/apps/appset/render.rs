//! Renders strings and whole JSON trees with one parameter set, in the ApplicationSet's
//! templating mode. Every string value and every map key is a template, as in Argo CD.

use std::cell::RefCell;
use std::collections::HashMap;
use std::rc::Rc;

use serde_json::Value;

use gotemplate::{Budget, Env, LimitError, Limits, MissingKey, Template, Value as GoValue};

use super::error::{SpecError, TemplateError};
use super::fasttemplate;
use super::funcs::argo_funcs;
use super::params::Params;

/// The templating mode of one ApplicationSet, with parsed Go templates cached across
/// parameter sets (the same strings are rendered once per generated Application), and the
/// budget that bounds the work of the whole ApplicationSet's templates.
pub struct Renderer {
    go: Option<Env>,
    budget: Budget,
    cache: RefCell<HashMap<String, Rc<Template>>>,
}

/// Parameters prepared for one mode.
pub enum Scope<'a> {
    /// fasttemplate: flat string parameters.
    Fast(&'a Params),
    /// goTemplate: the parameters as one Go map.
    Go(GoValue),
}

impl Renderer {
    /// A renderer for `goTemplate` with its `goTemplateOptions`, within `limits`.
    pub fn new(
        go_template: bool,
        options: &[String],
        limits: &Limits,
    ) -> Result<Renderer, SpecError> {
        let go = if go_template {
            let mut missing_key = MissingKey::Invalid;
            for o in options {
                missing_key = MissingKey::from_option(o)
                    .map_err(|_| SpecError::UnknownOption { option: o.clone() })?;
            }
            Some(Env {
                funcs: argo_funcs().clone(),
                missing_key,
                limits: limits.clone(),
            })
        } else {
            None
        };
        Ok(Renderer {
            go,
            budget: Budget::new(limits),
            cache: RefCell::new(HashMap::new()),
        })
    }

    /// Charges `steps` of generator work to the ApplicationSet's budget, so generators and
    /// templates together stay within its time and step limits.
    pub fn spend(&self, steps: u64) -> Result<(), LimitError> {
        self.budget.spend(steps)
    }

    /// True in goTemplate mode.
    pub fn is_go(&self) -> bool {
        self.go.is_some()
    }

    /// Prepares a parameter set for rendering.
    pub fn scope<'a>(&self, params: &'a Params) -> Scope<'a> {
        if self.go.is_some() {
            Scope::Go(GoValue::from_json(&Value::Object(params.clone())))
        } else {
            Scope::Fast(params)
        }
    }

    /// Renders one string.
    pub fn render_str(&self, s: &str, scope: &Scope) -> Result<String, TemplateError> {
        match (scope, &self.go) {
            (Scope::Go(data), Some(env)) => {
                // Text without an action renders to itself; skip the parser.
                if !s.contains("{{") {
                    return Ok(s.to_string());
                }
                let tmpl = self.parsed(s, env)?;
                tmpl.execute(data, env, &self.budget)
                    .map_err(|source| TemplateError::Execute {
                        template: shown(s).into_owned(),
                        source: Box::new(source),
                    })
            }
            (Scope::Fast(params), _) => Ok(fasttemplate::render(s, params)?),
            (Scope::Go(_), None) => Ok(fasttemplate::render(s, &Params::new())?),
        }
    }

    fn parsed(&self, s: &str, env: &Env) -> Result<Rc<Template>, TemplateError> {
        if let Some(t) = self.cache.borrow().get(s) {
            return Ok(t.clone());
        }
        let t = Rc::new(
            Template::parse(s, env).map_err(|source| TemplateError::Parse {
                template: shown(s).into_owned(),
                source: Box::new(source),
            })?,
        );
        self.cache.borrow_mut().insert(s.to_string(), t.clone());
        Ok(t)
    }

    /// Renders every string and map key of `v`; other scalars are kept.
    pub fn render_value(&self, v: &Value, scope: &Scope) -> Result<Value, TemplateError> {
        Ok(match v {
            Value::String(s) => Value::String(self.render_str(s, scope)?),
            Value::Array(a) => Value::Array(
                a.iter()
                    .map(|x| self.render_value(x, scope))
                    .collect::<Result<_, _>>()?,
            ),
            Value::Object(m) => {
                let mut out = serde_json::Map::with_capacity(m.len());
                for (k, x) in m {
                    // Go skips nil map values when it copies the template.
                    if x.is_null() {
                        continue;
                    }
                    out.insert(self.render_str(k, scope)?, self.render_value(x, scope)?);
                }
                Value::Object(out)
            }
            other => other.clone(),
        })
    }
}

/// The template text as error messages quote it: Argo CD prints it whole; a hostile template
/// can be huge, so past a screenful it is cut.
fn shown(s: &str) -> std::borrow::Cow<'_, str> {
    const MAX: usize = 400;
    if s.len() <= MAX {
        return s.into();
    }
    let mut end = MAX;
    while !s.is_char_boundary(end) {
        end -= 1;
    }
    format!("{}...", &s[..end]).into()
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn params(v: Value) -> Params {
        v.as_object().cloned().unwrap()
    }

    #[test]
    fn fasttemplate_mode_renders_values_and_keys() {
        let r = Renderer::new(false, &[], &Limits::default()).unwrap();
        let p = params(json!({"cluster": "prod"}));
        let out = r
            .render_value(
                &json!({"name": "{{cluster}}-app", "labels": {"env-{{cluster}}": "x"}, "n": 3}),
                &r.scope(&p),
            )
            .unwrap();
        assert_eq!(
            out,
            json!({"name": "prod-app", "labels": {"env-prod": "x"}, "n": 3})
        );
    }

    #[test]
    fn gotemplate_mode_renders_with_go_semantics() {
        let r = Renderer::new(true, &["missingkey=error".to_string()], &Limits::default()).unwrap();
        let p = params(json!({"cluster": {"name": "Prod"}}));
        let scope = r.scope(&p);
        assert_eq!(
            r.render_str("{{.cluster.name | lower}}", &scope).unwrap(),
            "prod"
        );
        let err = r.render_str("{{.nope}}", &scope).unwrap_err();
        assert!(
            err.to_string().contains("map has no entry for key"),
            "{err}"
        );
    }
}
