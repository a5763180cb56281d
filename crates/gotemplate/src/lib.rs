//! Go's `text/template` with the Sprig function library, for programs that must render
//! templates written for Go tools (Argo CD ApplicationSets, Helm-style snippets) exactly as Go
//! would, without trusting them: every way a template could make the work grow without bound
//! is capped by [`Limits`].
//!
//! ```
//! use gotemplate::{Env, FuncMap, Template, Value};
//!
//! let env = Env::new(FuncMap::new());
//! let t = Template::parse("{{ .name | upper }}-{{ len .list }}", &env).unwrap();
//! let data = Value::from_json(&serde_json::json!({"name": "web", "list": [1, 2]}));
//! assert_eq!(t.execute(&data, &env, &env.budget()).unwrap(), "WEB-2");
//! ```
//!
//! The crate knows nothing of the programs that use it: a caller adds its own functions with
//! [`FuncMap::insert`]. See the README for the limits, the tests against Go and the known
//! divergences.

#![warn(missing_docs)]

mod error;
mod exec;
mod funcs;
mod lex;
mod limits;
mod parse;
mod printf;
mod time;
mod value;

pub use error::Error;
pub use funcs::{Call, Func, FuncError, FuncImpl, FuncMap, FuncResult, Param};
pub use limits::{Budget, LimitError, Limits};
pub use value::{Elem, List, Map, MapRef, Overflow, Sink, Value, go_quote};

/// What a missing map key evaluates to (Go's `missingkey` option).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub enum MissingKey {
    /// `missingkey=default` / `invalid`: the "no value" that prints `<no value>`.
    #[default]
    Invalid,
    /// `missingkey=zero`: the zero value of the map's element type.
    Zero,
    /// `missingkey=error`: execution stops with "map has no entry for key".
    Error,
}

impl MissingKey {
    /// Reads one of Go's `template.Option` strings (`missingkey=error`...).
    pub fn from_option(option: &str) -> Result<MissingKey, String> {
        match option {
            "missingkey=default" | "missingkey=invalid" => Ok(MissingKey::Invalid),
            "missingkey=zero" => Ok(MissingKey::Zero),
            "missingkey=error" => Ok(MissingKey::Error),
            other => Err(format!("unrecognized option: {other}")),
        }
    }
}

/// Everything parsing and execution depend on besides the template and its data: the functions,
/// the options and the limits.
#[derive(Clone, Debug)]
pub struct Env {
    /// The functions templates may call.
    pub funcs: FuncMap,
    /// The `missingkey` option.
    pub missing_key: MissingKey,
    /// The caps on work.
    pub limits: Limits,
}

impl Env {
    /// `funcs` with Go's default options and the default limits.
    pub fn new(funcs: FuncMap) -> Env {
        Env {
            funcs,
            missing_key: MissingKey::Invalid,
            limits: Limits::default(),
        }
    }

    /// A fresh budget of this environment's steps and time.
    pub fn budget(&self) -> Budget {
        Budget::new(&self.limits)
    }
}

/// A parsed template, with the templates it `{{define}}`s.
#[derive(Debug, Clone)]
pub struct Template {
    name: String,
    text: String,
    tree: parse::Tree,
}

impl Template {
    /// Parses template text, named `""` as Argo CD names its templates.
    pub fn parse(text: &str, env: &Env) -> Result<Template, Error> {
        Template::parse_named("", text, env)
    }

    /// Parses template text under a name (which appears in error messages and can be called
    /// with `{{template "name"}}`).
    pub fn parse_named(name: &str, text: &str, env: &Env) -> Result<Template, Error> {
        let tree =
            parse::parse(text, &env.funcs, env.limits.max_depth).map_err(|f| Error::Parse {
                name: name.to_string(),
                line: f.line,
                message: f.message,
                limit: f.limit,
            })?;
        Ok(Template {
            name: name.to_string(),
            text: text.to_string(),
            tree,
        })
    }

    /// The template's name.
    pub fn name(&self) -> &str {
        &self.name
    }

    /// Renders the template with `data` as dot, spending from `budget`.
    pub fn execute(&self, data: &Value, env: &Env, budget: &Budget) -> Result<String, Error> {
        self.execute_at_depth(data, env, budget, 0)
    }

    pub(crate) fn execute_at_depth(
        &self,
        data: &Value,
        env: &Env,
        budget: &Budget,
        depth: usize,
    ) -> Result<String, Error> {
        budget.timed(|| exec::execute(self, data, env, budget, depth).map_err(|e| *e))
    }
}
