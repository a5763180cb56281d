//! Executes a parsed template with Go's `text/template` semantics: field lookup on maps with the
//! `missingkey` option, typed function arguments, pipelines, variable scopes, `range` order.

use std::collections::BTreeMap;

use super::funcs::{self, FnCtx, Kind};
use super::parse::{Arg, Cmd, Node, NumberLit, Pipe};
use super::value::TValue;

/// What a missing map key evaluates to (`goTemplateOptions: ["missingkey=..."]`).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub enum MissingKey {
    /// `default` / `invalid`: the "no value" that prints `<no value>`.
    #[default]
    Invalid,
    /// `zero`: the zero value of `interface{}` (nil, which also prints `<no value>`).
    Zero,
    /// `error`: execution stops with "map has no entry for key".
    Error,
}

/// Options of one execution.
#[derive(Clone, Copy, Debug, Default)]
pub struct ExecOptions {
    /// The `missingkey` option.
    pub missing_key: MissingKey,
}

/// An execution error, with the operand being evaluated when it happened.
#[derive(Debug)]
pub struct ExecError {
    at: Option<String>,
    msg: String,
}

impl ExecError {
    pub(super) fn new(msg: impl Into<String>) -> ExecError {
        ExecError {
            at: None,
            msg: msg.into(),
        }
    }

    fn located(mut self, arg: &dyn std::fmt::Display) -> ExecError {
        if self.at.is_none() {
            self.at = Some(arg.to_string());
        }
        self
    }
}

impl std::fmt::Display for ExecError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match &self.at {
            Some(at) => write!(f, "executing at <{at}>: {}", self.msg),
            None => write!(f, "executing: {}", self.msg),
        }
    }
}

type Res<T> = Result<T, ExecError>;

enum Flow {
    Normal,
    Break,
    Continue,
}

struct State<'a> {
    opts: &'a ExecOptions,
    vars: Vec<(String, TValue)>,
    out: String,
    depth: usize,
}

/// Runs `nodes` with `data` as `.` and `$`.
pub fn execute(
    nodes: &[Node],
    data: &TValue,
    opts: &ExecOptions,
    depth: usize,
) -> Result<String, ExecError> {
    let mut st = State {
        opts,
        vars: vec![("$".to_string(), data.clone())],
        out: String::new(),
        depth,
    };
    st.walk(data, nodes)?;
    Ok(st.out)
}

impl State<'_> {
    fn walk(&mut self, dot: &TValue, nodes: &[Node]) -> Res<Flow> {
        for node in nodes {
            match self.walk_node(dot, node)? {
                Flow::Normal => {}
                flow => return Ok(flow),
            }
        }
        Ok(Flow::Normal)
    }

    fn walk_node(&mut self, dot: &TValue, node: &Node) -> Res<Flow> {
        match node {
            Node::Text(t) => self.out.push_str(t),
            Node::Action(pipe) => {
                let v = self.eval_pipeline(dot, pipe)?;
                if pipe.decl.is_empty() {
                    self.out.push_str(&v.print_output());
                }
            }
            Node::If(pipe, list, else_list) | Node::With(pipe, list, else_list) => {
                let mark = self.vars.len();
                let v = self.eval_pipeline(dot, pipe)?;
                let flow = if v.truth() {
                    let new_dot = if matches!(node, Node::With(..)) {
                        v
                    } else {
                        dot.clone()
                    };
                    self.walk(&new_dot, list)
                } else {
                    self.walk(dot, else_list)
                };
                self.vars.truncate(mark);
                return flow;
            }
            Node::Range(pipe, list, else_list) => {
                let mark = self.vars.len();
                let flow = self.walk_range(dot, pipe, list, else_list);
                self.vars.truncate(mark);
                return flow;
            }
            Node::Break => return Ok(Flow::Break),
            Node::Continue => return Ok(Flow::Continue),
        }
        Ok(Flow::Normal)
    }

    fn walk_range(
        &mut self,
        dot: &TValue,
        pipe: &Pipe,
        list: &[Node],
        else_list: &[Node],
    ) -> Res<Flow> {
        let val = self.eval_pipeline(dot, pipe)?;
        let items: Vec<(TValue, TValue)> = match &val {
            TValue::List(l) => l
                .iter()
                .enumerate()
                .map(|(i, v)| (TValue::Int(i as i64), v.clone()))
                .collect(),
            TValue::Map(m) => m
                .borrow()
                .iter()
                .map(|(k, v)| (TValue::str(k.as_str()), v.clone()))
                .collect(),
            TValue::Int(n) => {
                if pipe.decl.len() > 1 {
                    return Err(ExecError::new(format!(
                        "can't use {n} to iterate over more than one variable"
                    )));
                }
                (0..(*n).max(0))
                    .map(|i| (TValue::Int(i), TValue::Int(i)))
                    .collect()
            }
            TValue::Missing | TValue::Nil => Vec::new(),
            other => {
                return Err(ExecError::new(format!(
                    "range can't iterate over {}",
                    other.fmt_v()
                )));
            }
        };
        if items.is_empty() {
            return self.walk(dot, else_list);
        }
        let mark = self.vars.len();
        for (index, elem) in items {
            self.bind_range_vars(pipe, index, elem.clone())?;
            let flow = self.walk(&elem, list);
            self.vars.truncate(mark);
            match flow? {
                Flow::Break => break,
                Flow::Normal | Flow::Continue => {}
            }
        }
        Ok(Flow::Normal)
    }

    fn bind_range_vars(&mut self, pipe: &Pipe, index: TValue, elem: TValue) -> Res<()> {
        match pipe.decl.len() {
            0 => Ok(()),
            1 => self.bind_one(pipe, 0, 1, elem),
            _ => {
                self.bind_one(pipe, 0, 2, index)?;
                self.bind_one(pipe, 1, 1, elem)
            }
        }
    }

    /// Sets a range variable: declared ones sit on top of the stack (`top` counts from it),
    /// assigned ones are looked up by name.
    fn bind_one(&mut self, pipe: &Pipe, decl: usize, top: usize, v: TValue) -> Res<()> {
        if pipe.is_assign {
            return self.set_var(&pipe.decl[decl], v);
        }
        let len = self.vars.len();
        if let Some(slot) = len.checked_sub(top).and_then(|i| self.vars.get_mut(i)) {
            slot.1 = v;
        }
        Ok(())
    }

    fn set_var(&mut self, name: &str, v: TValue) -> Res<()> {
        match self.vars.iter_mut().rev().find(|(n, _)| n == name) {
            Some(slot) => {
                slot.1 = v;
                Ok(())
            }
            None => Err(ExecError::new(format!("undefined variable: {name}"))),
        }
    }

    fn var_value(&self, name: &str) -> Res<TValue> {
        self.vars
            .iter()
            .rev()
            .find(|(n, _)| n == name)
            .map(|(_, v)| v.clone())
            .ok_or_else(|| ExecError::new(format!("undefined variable: {name}")))
    }

    fn eval_pipeline(&mut self, dot: &TValue, pipe: &Pipe) -> Res<TValue> {
        let mut value: Option<TValue> = None;
        for cmd in &pipe.cmds {
            let v = self.eval_command(dot, cmd, value.take())?;
            // Go digs a nil interface{} down to "no value" between pipeline stages.
            value = Some(if let TValue::Nil = v {
                TValue::Missing
            } else {
                v
            });
        }
        let value = value.unwrap_or(TValue::Missing);
        for name in &pipe.decl {
            if pipe.is_assign {
                self.set_var(name, value.clone())?;
            } else {
                self.vars.push((name.clone(), value.clone()));
            }
        }
        Ok(value)
    }

    fn not_a_function(args: &[Arg], final_: &Option<TValue>) -> Res<()> {
        if args.len() > 1 || final_.is_some() {
            return Err(ExecError::new(format!(
                "can't give argument to non-function {}",
                args[0]
            )));
        }
        Ok(())
    }

    fn eval_command(&mut self, dot: &TValue, cmd: &Cmd, final_: Option<TValue>) -> Res<TValue> {
        let first = &cmd.args[0];
        let result = match first {
            Arg::Field(idents) => self.eval_field_chain(dot.clone(), idents, &cmd.args, final_),
            Arg::Chain(node, fields) => self.eval_chain(dot, node, fields, &cmd.args, final_),
            Arg::Ident(name) => self.eval_function(dot, name, &cmd.args, final_),
            Arg::Pipe(p) => {
                Self::not_a_function(&cmd.args, &final_).and_then(|()| self.eval_pipeline(dot, p))
            }
            Arg::Var(name, fields) => self.eval_variable(name, fields, &cmd.args, final_),
            _ => Self::not_a_function(&cmd.args, &final_).and_then(|()| match first {
                Arg::Bool(b) => Ok(TValue::Bool(*b)),
                Arg::Dot => Ok(dot.clone()),
                Arg::Nil => Err(ExecError::new("nil is not a command")),
                Arg::Number(n) => ideal_constant(n),
                Arg::Str(s) => Ok(TValue::str(s.as_str())),
                _ => Err(ExecError::new(format!("can't evaluate command {first}"))),
            }),
        };
        result.map_err(|e| e.located(first))
    }

    fn eval_variable(
        &mut self,
        name: &str,
        fields: &[String],
        args: &[Arg],
        final_: Option<TValue>,
    ) -> Res<TValue> {
        let value = self.var_value(name)?;
        if fields.is_empty() {
            Self::not_a_function(args, &final_)?;
            return Ok(value);
        }
        self.eval_field_chain(value, fields, args, final_)
    }

    fn eval_chain(
        &mut self,
        dot: &TValue,
        node: &Arg,
        fields: &[String],
        args: &[Arg],
        final_: Option<TValue>,
    ) -> Res<TValue> {
        let base = match node {
            Arg::Nil => {
                return Err(ExecError::new(format!(
                    "indirection through explicit nil in {node}"
                )));
            }
            Arg::Ident(name) => self.eval_function(dot, name, std::slice::from_ref(node), None)?,
            Arg::Pipe(p) => self.eval_pipeline(dot, p)?,
            other => self.eval_arg(dot, other, Kind::Any)?,
        };
        let base = if let TValue::Nil = base {
            TValue::Missing
        } else {
            base
        };
        self.eval_field_chain(base, fields, args, final_)
    }

    fn eval_field_chain(
        &mut self,
        mut receiver: TValue,
        idents: &[String],
        args: &[Arg],
        final_: Option<TValue>,
    ) -> Res<TValue> {
        if idents.is_empty() {
            return Ok(receiver);
        }
        let n = idents.len();
        for name in &idents[..n - 1] {
            receiver = self.eval_field(&receiver, name, false)?;
        }
        let has_args = args.len() > 1 || final_.is_some();
        self.eval_field(&receiver, &idents[n - 1], has_args)
    }

    fn eval_field(&self, receiver: &TValue, name: &str, has_args: bool) -> Res<TValue> {
        match receiver {
            TValue::Missing => {
                if self.opts.missing_key == MissingKey::Error {
                    return Err(ExecError::new(format!(
                        "nil data; no entry for key {name:?}"
                    )));
                }
                Ok(TValue::Missing)
            }
            TValue::Nil => Err(ExecError::new(format!(
                "nil pointer evaluating interface {{}}.{name}"
            ))),
            TValue::Map(m) => {
                if has_args {
                    return Err(ExecError::new(format!(
                        "{name} is not a method but has arguments"
                    )));
                }
                match m.borrow().get(name) {
                    Some(v) => Ok(v.clone()),
                    None => match self.opts.missing_key {
                        MissingKey::Invalid => Ok(TValue::Missing),
                        MissingKey::Zero => Ok(TValue::Nil),
                        MissingKey::Error => {
                            Err(ExecError::new(format!("map has no entry for key {name:?}")))
                        }
                    },
                }
            }
            other => Err(ExecError::new(format!(
                "can't evaluate field {name} in type {}",
                other.type_name()
            ))),
        }
    }

    fn eval_function(
        &mut self,
        dot: &TValue,
        name: &str,
        args: &[Arg],
        final_: Option<TValue>,
    ) -> Res<TValue> {
        let Some(def) = funcs::lookup(name) else {
            return Err(ExecError::new(funcs::not_defined_message(name)));
        };
        let fn_args = &args[1..];
        let given = fn_args.len() + usize::from(final_.is_some());
        let fixed = def.params.len();
        if def.variadic.is_some() {
            if given < fixed {
                return Err(ExecError::new(format!(
                    "wrong number of args for {name}: want at least {fixed} got {given}"
                )));
            }
        } else if given != fixed {
            return Err(ExecError::new(format!(
                "wrong number of args for {name}: want {fixed} got {given}"
            )));
        }
        let kind_at = |i: usize| {
            def.params
                .get(i)
                .copied()
                .or(def.variadic)
                .unwrap_or(Kind::Any)
        };
        // `and` and `or` stop at the first operand that decides the result.
        if name == "and" || name == "or" {
            let want = name == "or";
            let mut last = TValue::Missing;
            for arg in fn_args {
                last = self.eval_arg(dot, arg, Kind::Raw)?;
                if last.truth() == want {
                    return Ok(last);
                }
            }
            if let Some(f) = final_ {
                last = f;
            }
            return Ok(last);
        }
        let mut argv = Vec::with_capacity(given);
        for (i, arg) in fn_args.iter().enumerate() {
            argv.push(self.eval_arg(dot, arg, kind_at(i))?);
        }
        if let Some(f) = final_ {
            argv.push(validate(f, kind_at(fn_args.len()))?);
        }
        let mut ctx = FnCtx {
            opts: self.opts,
            depth: self.depth,
        };
        (def.imp)(&mut ctx, argv).map_err(|e| ExecError::new(format!("error calling {name}: {e}")))
    }

    fn eval_arg(&mut self, dot: &TValue, arg: &Arg, kind: Kind) -> Res<TValue> {
        let v = match arg {
            Arg::Dot => validate(dot.clone(), kind),
            Arg::Nil => match kind {
                Kind::Any | Kind::Map => Ok(TValue::Nil),
                Kind::Raw => Ok(TValue::Missing),
                k => Err(ExecError::new(format!(
                    "cannot assign nil to {}",
                    k.go_name()
                ))),
            },
            Arg::Field(idents) => self
                .eval_field_chain(dot.clone(), idents, std::slice::from_ref(arg), None)
                .and_then(|v| validate(v, kind)),
            Arg::Var(name, fields) => self
                .eval_variable(name, fields, std::slice::from_ref(arg), None)
                .and_then(|v| validate(v, kind)),
            Arg::Pipe(p) => self.eval_pipeline(dot, p).and_then(|v| validate(v, kind)),
            Arg::Ident(name) => self
                .eval_function(dot, name, std::slice::from_ref(arg), None)
                .and_then(|v| validate(v, kind)),
            Arg::Chain(node, fields) => self
                .eval_chain(dot, node, fields, std::slice::from_ref(arg), None)
                .and_then(|v| validate(v, kind)),
            Arg::Bool(b) => match kind {
                Kind::Bool | Kind::Any | Kind::Raw => Ok(TValue::Bool(*b)),
                k => Err(literal_mismatch(k, arg)),
            },
            Arg::Str(s) => match kind {
                Kind::Str | Kind::Any | Kind::Raw => Ok(TValue::str(s.as_str())),
                k => Err(literal_mismatch(k, arg)),
            },
            Arg::Number(n) => match kind {
                Kind::Int => n
                    .int
                    .map(TValue::Int)
                    .ok_or_else(|| ExecError::new(format!("expected integer; found {arg}"))),
                Kind::Any | Kind::Raw => ideal_constant(n),
                k => Err(literal_mismatch(k, arg)),
            },
        };
        v.map_err(|e| e.located(arg))
    }
}

fn literal_mismatch(kind: Kind, arg: &Arg) -> ExecError {
    match kind {
        Kind::Str => ExecError::new(format!("expected string; found {arg}")),
        Kind::Bool => ExecError::new(format!("expected bool; found {arg}")),
        Kind::Int => ExecError::new(format!("expected integer; found {arg}")),
        k => ExecError::new(format!(
            "can't handle {arg} for arg of type {}",
            k.go_name()
        )),
    }
}

/// An untyped number constant in an `interface{}` position: float if written like one.
fn ideal_constant(n: &NumberLit) -> Res<TValue> {
    if n.is_char {
        return Ok(TValue::Int(n.int.unwrap_or(0)));
    }
    let body = n.text.trim_start_matches(['+', '-']).to_ascii_lowercase();
    let hex_int = body.starts_with("0x") && !body.contains('p');
    if let Some(f) = n.float
        && !hex_int
        && n.text.contains(['.', 'e', 'E', 'p', 'P'])
    {
        return Ok(TValue::Float(f));
    }
    match (n.int, n.float) {
        (Some(i), _) => Ok(TValue::Int(i)),
        (None, Some(f)) => Ok(TValue::Float(f)),
        _ => Err(ExecError::new(format!("{} overflows int", n.text))),
    }
}

/// Go's `validateType`: is a computed value acceptable where a function wants `kind`?
fn validate(v: TValue, kind: Kind) -> Res<TValue> {
    let ok = match (&v, kind) {
        (_, Kind::Raw) => return Ok(v),
        (TValue::Missing, Kind::Any) => return Ok(TValue::Nil),
        (TValue::Missing, Kind::Map) => return Ok(TValue::map(BTreeMap::new())),
        (TValue::Missing, k) => {
            return Err(ExecError::new(format!(
                "invalid value; expected {}",
                k.go_name()
            )));
        }
        (_, Kind::Any) => true,
        (TValue::Str(_), Kind::Str)
        | (TValue::Int(_), Kind::Int)
        | (TValue::Bool(_), Kind::Bool)
        | (TValue::Map(_), Kind::Map) => true,
        _ => false,
    };
    if ok {
        Ok(v)
    } else {
        Err(ExecError::new(format!(
            "wrong type for value; expected {}; got {}",
            kind.go_name(),
            v.type_name()
        )))
    }
}
