//! The function registry: Go's builtins and Sprig's generic functions, and the way a caller adds
//! its own ([`FuncMap::insert`]). A function declares Go parameter types because Go checks them:
//! `trunc .n .s` fails when `.n` came from JSON (a float64), and must fail here too.

mod builtins;
pub(crate) mod sprig;

use std::collections::HashMap;
use std::fmt;
use std::sync::Arc;

use crate::error::Error;
use crate::limits::{Budget, LimitError, Limits};
use crate::value::{Overflow, Sink, Value};

/// The Go type of a function parameter, which decides what arguments Go accepts.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Param {
    /// `interface{}`: anything; a missing value arrives as nil.
    Any,
    /// `reflect.Value` (Go's builtins): anything, missing values included as [`Value::Missing`].
    Reflect,
    /// `string`
    Str,
    /// `int`
    Int,
    /// `uint32`
    Uint32,
    /// `float64`
    Float,
    /// `bool`
    Bool,
    /// `map[string]interface{}`
    Map,
    /// `[]interface{}`
    List,
    /// `time.Time`
    Time,
}

impl Param {
    /// The Go spelling, for error messages.
    pub fn go_name(self) -> &'static str {
        match self {
            Param::Any => "interface {}",
            Param::Reflect => "reflect.Value",
            Param::Str => "string",
            Param::Int => "int",
            Param::Uint32 => "uint32",
            Param::Float => "float64",
            Param::Bool => "bool",
            Param::Map => "map[string]interface {}",
            Param::List => "[]interface {}",
            Param::Time => "time.Time",
        }
    }
}

/// Why a function call failed. The message is what Go would print after
/// `error calling NAME: `.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct FuncError {
    message: String,
    limit: Option<LimitError>,
}

impl FuncError {
    /// A failure with Go's message.
    pub fn new(message: impl Into<String>) -> FuncError {
        FuncError {
            message: message.into(),
            limit: None,
        }
    }

    /// A limit was hit.
    pub fn limit(limit: LimitError) -> FuncError {
        FuncError {
            message: limit.to_string(),
            limit: Some(limit),
        }
    }

    /// A failure of a nested template, keeping its limit (if any) visible to the caller.
    pub fn nested(message: impl Into<String>, inner: &Error) -> FuncError {
        FuncError {
            message: message.into(),
            limit: inner.limit().cloned(),
        }
    }

    /// The message.
    pub fn message(&self) -> &str {
        &self.message
    }

    /// The limit that was hit, if that is why the call failed.
    pub fn limit_hit(&self) -> Option<&LimitError> {
        self.limit.as_ref()
    }
}

impl fmt::Display for FuncError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.message)
    }
}

impl From<String> for FuncError {
    fn from(message: String) -> FuncError {
        FuncError::new(message)
    }
}

impl From<&str> for FuncError {
    fn from(message: &str) -> FuncError {
        FuncError::new(message)
    }
}

/// What a function returns.
pub type FuncResult = Result<Value, FuncError>;

/// The signature of a function implementation: the call context and the arguments, already
/// checked against the declared parameter types.
pub type FuncImpl = dyn Fn(&mut Call<'_>, Vec<Value>) -> FuncResult + Send + Sync;

/// How the executor treats a function beyond calling it.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Special {
    /// An ordinary function.
    None,
    /// Go's builtin `and`: stops at the first false operand.
    And,
    /// Go's builtin `or`: stops at the first true operand.
    Or,
    /// Go's builtin `call`: gets the callee's name first.
    Call,
}

/// A template function: its Go parameter types and its implementation.
pub struct Func {
    pub(crate) params: Vec<Param>,
    pub(crate) variadic: Option<Param>,
    pub(crate) imp: Box<FuncImpl>,
    pub(crate) special: Special,
}

impl Func {
    /// A function with fixed parameters `params` and, if `variadic` is set, a final `...`
    /// parameter of that type.
    pub fn new(
        params: &[Param],
        variadic: Option<Param>,
        imp: impl Fn(&mut Call<'_>, Vec<Value>) -> FuncResult + Send + Sync + 'static,
    ) -> Func {
        Func {
            params: params.to_vec(),
            variadic,
            imp: Box::new(imp),
            special: Special::None,
        }
    }

    pub(crate) fn special(mut self, special: Special) -> Func {
        self.special = special;
        self
    }

    /// The type of the `i`th argument.
    pub(crate) fn param(&self, i: usize) -> Param {
        self.params
            .get(i)
            .copied()
            .or(self.variadic)
            .unwrap_or(Param::Any)
    }
}

impl fmt::Debug for Func {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Func")
            .field("params", &self.params)
            .field("variadic", &self.variadic)
            .finish()
    }
}

/// Sprig functions this interpreter does not implement, and why; they are "not defined" with
/// the reason appended, so a template author learns it is a known gap and not a typo.
const UNIMPLEMENTED: &[(&str, &str)] = &[
    ("bcrypt", "needs the bcrypt algorithm"),
    ("htpasswd", "needs the bcrypt algorithm"),
    (
        "genPrivateKey",
        "generating keys needs a cryptography library",
    ),
    (
        "buildCustomCert",
        "certificates need a cryptography library",
    ),
    ("genCA", "certificates need a cryptography library"),
    ("genCAWithKey", "certificates need a cryptography library"),
    (
        "genSelfSignedCert",
        "certificates need a cryptography library",
    ),
    (
        "genSelfSignedCertWithKey",
        "certificates need a cryptography library",
    ),
    ("genSignedCert", "certificates need a cryptography library"),
    (
        "genSignedCertWithKey",
        "certificates need a cryptography library",
    ),
];

/// A set of template functions by name (Go's `template.FuncMap`). Cloning is cheap; the map
/// is copied only when a clone is changed.
#[derive(Clone, Debug)]
pub struct FuncMap {
    funcs: Arc<HashMap<String, Arc<Func>>>,
}

impl Default for FuncMap {
    fn default() -> FuncMap {
        FuncMap::new()
    }
}

impl FuncMap {
    /// Go's builtins and Sprig's generic functions, minus `env`, `expandenv` and
    /// `getHostByName` (they would let a template read the machine's environment and network)
    /// and the cryptographic ones listed in the README. Sprig's `slice` replaces Go's, as
    /// in any program that adds Sprig's map to a template.
    pub fn new() -> FuncMap {
        let mut m = FuncMap::builtins();
        sprig::register(&mut m);
        m
    }

    /// Go's builtin functions only.
    pub fn builtins() -> FuncMap {
        let mut m = FuncMap {
            funcs: Arc::new(HashMap::new()),
        };
        builtins::register(&mut m);
        m
    }

    /// Adds or replaces a function (Go's `Funcs`: a later definition wins).
    pub fn insert(&mut self, name: &str, f: Func) {
        Arc::make_mut(&mut self.funcs).insert(name.to_string(), Arc::new(f));
    }

    /// Removes a function.
    pub fn remove(&mut self, name: &str) {
        Arc::make_mut(&mut self.funcs).remove(name);
    }

    /// Whether `name` is defined.
    pub fn contains(&self, name: &str) -> bool {
        self.funcs.contains_key(name)
    }

    /// The function called `name`.
    pub fn get(&self, name: &str) -> Option<&Arc<Func>> {
        self.funcs.get(name)
    }

    /// The names, sorted.
    pub fn names(&self) -> Vec<&str> {
        let mut v: Vec<&str> = self.funcs.keys().map(String::as_str).collect();
        v.sort_unstable();
        v
    }

    /// Go's parse error for an unknown function, with the reason when it is a Sprig function
    /// this interpreter leaves out.
    pub fn not_defined_message(&self, name: &str) -> String {
        let quoted = crate::value::go_quote(name);
        match UNIMPLEMENTED.iter().find(|(n, _)| *n == name) {
            Some((_, why)) => format!(
                "function {quoted} not defined (Sprig's {name} is not implemented here: {why})"
            ),
            None => format!("function {quoted} not defined"),
        }
    }
}

/// What a running function may use: the limits, the shared budget, and a way to render a
/// nested template with the same functions and options (Argo CD's `tpl`).
pub struct Call<'a> {
    pub(crate) env: &'a crate::Env,
    pub(crate) budget: &'a Budget,
    pub(crate) depth: usize,
    pub(crate) name: &'a str,
}

impl Call<'_> {
    /// The limits in force.
    pub fn limits(&self) -> &Limits {
        &self.env.limits
    }

    /// Spends `steps` of the shared budget (for functions whose work grows with their input).
    pub fn spend(&self, steps: u64) -> Result<(), FuncError> {
        self.budget.spend(steps).map_err(FuncError::limit)
    }

    /// A buffer capped at the string limit.
    pub fn sink(&self) -> Sink {
        Sink::new(self.env.limits.max_string)
    }

    /// The error for a string that outgrew the limit.
    pub fn too_long(&self) -> FuncError {
        FuncError::limit(LimitError::String(self.env.limits.max_string))
    }

    /// Turns a [`Sink`] overflow into the limit error it stands for.
    pub fn capped<T>(&self, r: Result<T, Overflow>) -> Result<T, FuncError> {
        r.map_err(|o| self.overflow(o))
    }

    /// The limit error an overflow stands for.
    pub fn overflow(&self, o: Overflow) -> FuncError {
        match o {
            Overflow::Size => self.too_long(),
            Overflow::Depth => {
                FuncError::limit(LimitError::ValueDepth(crate::value::MAX_VALUE_DEPTH))
            }
        }
    }

    /// Fails if a list of `n` elements would pass the list limit.
    pub fn check_list(&self, n: usize) -> Result<(), FuncError> {
        if n > self.env.limits.max_list {
            return Err(FuncError::limit(LimitError::List(self.env.limits.max_list)));
        }
        Ok(())
    }

    /// `v` as JSON, as `json.Marshal` then `json.Unmarshal` would see it, refused when its JSON
    /// text would pass the string limit (so a list holding one big string many times cannot
    /// blow up into many copies).
    pub fn to_json(&self, v: &Value) -> Result<serde_json::Value, FuncError> {
        match crate::value::go_json(v, false, None, self.env.limits.max_string) {
            Ok(_) | Err(crate::value::JsonError::Unsupported(_)) => {}
            Err(crate::value::JsonError::Overflow(o)) => return Err(self.overflow(o)),
        }
        v.to_json().map_err(|o| self.overflow(o))
    }

    /// `fmt.Sprint(v)` within the string limit.
    pub fn fmt_v(&self, v: &Value) -> Result<String, FuncError> {
        v.fmt_v(self.env.limits.max_string)
            .map_err(|o| self.overflow(o))
    }

    /// Parses `text` with this execution's functions and runs it with `data` as dot, with this
    /// execution's options and budget, one nesting level deeper. The nested template is named
    /// like the calling one.
    pub fn execute_nested(&mut self, text: &str, data: &Value) -> Result<String, Error> {
        let tmpl = crate::Template::parse_named(self.name, text, self.env)?;
        tmpl.execute_at_depth(data, self.env, self.budget, self.depth + 1)
    }
}
