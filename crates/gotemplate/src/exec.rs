//! Executes a parsed template with the semantics of Go's `text/template` (`exec.go`): field
//! lookup on maps with the `missingkey` option, typed function arguments, pipelines, variable
//! scopes, `range` order, and errors that point at the node being evaluated as Go's do. Every
//! node walked and command run is paid for from the [`Budget`]; output, ranges and nesting are
//! capped by the [`Limits`](crate::Limits).

use crate::error::Error;
use crate::funcs::{Call, Func, Param, Special};
use crate::limits::{Budget, LimitError};
use crate::parse::{Arg, ArgKind, Branch, Cmd, Node, NumberLit, Pipe};
use crate::value::{Elem, Overflow, Sink, Value};
use crate::{Env, MissingKey, Template};

type Res<T> = Result<T, Box<Error>>;

enum Flow {
    Normal,
    Break,
    Continue,
}

/// The node being evaluated, for error messages (Go's `state.at`).
#[derive(Clone, Copy)]
enum At<'a> {
    None,
    Node(&'a Node),
    Pipe(&'a Pipe),
    Cmd(&'a Cmd),
    Arg(&'a Arg),
}

/// Longest node text quoted in an error; a huge text node would otherwise flood the message.
const MAX_CONTEXT: usize = 256;

impl At<'_> {
    fn pos(&self) -> usize {
        match self {
            At::None => 0,
            At::Node(n) => n.pos(),
            At::Pipe(p) => p.pos,
            At::Cmd(c) => c.pos,
            At::Arg(a) => a.pos,
        }
    }

    fn context(&self) -> String {
        let s = match self {
            At::None => String::new(),
            At::Node(n) => n.to_string(),
            At::Pipe(p) => p.to_string(),
            At::Cmd(c) => c.to_string(),
            At::Arg(a) => a.to_string(),
        };
        if s.len() <= MAX_CONTEXT {
            return s;
        }
        let mut end = MAX_CONTEXT;
        while !s.is_char_boundary(end) {
            end -= 1;
        }
        format!("{}...", &s[..end])
    }
}

/// A variable: its value, and whether Go would hold it as an `interface{}` (a range element of
/// a `[]interface{}`), which only shows in the type named by some error messages.
struct Var {
    name: String,
    value: Value,
    iface: bool,
}

struct State<'a> {
    tmpl: &'a Template,
    /// The template being run (a `{{define}}`d one inside `{{template}}`).
    name: &'a str,
    env: &'a Env,
    budget: &'a Budget,
    vars: Vec<Var>,
    /// Whether dot is an `interface{}` (inside a range over `[]interface{}`).
    dot_iface: bool,
    out: Sink,
    at: At<'a>,
    depth: usize,
    range_iterations: u64,
}

/// Runs `tmpl` with `data` as dot and `$`; `depth` counts enclosing executions (`tpl`).
pub(crate) fn execute(
    tmpl: &Template,
    data: &Value,
    env: &Env,
    budget: &Budget,
    depth: usize,
) -> Res<String> {
    if depth > env.limits.max_depth {
        return Err(Box::new(Error::Limit {
            name: tmpl.name.clone(),
            limit: LimitError::Depth(env.limits.max_depth),
        }));
    }
    let mut st = State {
        tmpl,
        name: &tmpl.name,
        env,
        budget,
        vars: vec![Var {
            name: "$".to_string(),
            value: data.clone(),
            iface: false,
        }],
        dot_iface: false,
        out: Sink::new(env.limits.max_output),
        at: At::None,
        depth,
        range_iterations: 0,
    };
    st.walk_list(data, &tmpl.tree.root)?;
    Ok(st.out.into_string())
}

impl<'a> State<'a> {
    // ---- errors -------------------------------------------------------------------------

    fn location(&self) -> String {
        let pos = self.at.pos().min(self.tmpl.text.len());
        let before = &self.tmpl.text[..pos];
        let line = 1 + before.matches('\n').count();
        let col = match before.rfind('\n') {
            Some(i) => pos - (i + 1),
            None => pos,
        };
        format!("{}:{line}:{col}", self.tmpl.name)
    }

    fn error(&self, message: String, limit: Option<LimitError>) -> Box<Error> {
        Box::new(Error::Exec {
            name: self.name.to_string(),
            location: self.location(),
            context: self.at.context(),
            message,
            limit,
        })
    }

    fn err<T>(&self, message: impl Into<String>) -> Res<T> {
        Err(self.error(message.into(), None))
    }

    fn limit<T>(&self, limit: LimitError) -> Res<T> {
        Err(self.error(limit.to_string(), Some(limit)))
    }

    fn step(&self) -> Res<()> {
        self.budget.spend(1).or_else(|l| self.limit(l))
    }

    fn write(&mut self, s: &str) -> Res<()> {
        if self.out.push_str(s).is_err() {
            return self.limit(LimitError::Output(self.env.limits.max_output));
        }
        self.budget.spend_bytes(s.len()).or_else(|l| self.limit(l))
    }

    fn enter(&mut self) -> Res<()> {
        self.depth += 1;
        if self.depth > self.env.limits.max_depth {
            self.depth -= 1;
            return self.limit(LimitError::Depth(self.env.limits.max_depth));
        }
        Ok(())
    }

    fn leave(&mut self) {
        self.depth -= 1;
    }

    // ---- variables ----------------------------------------------------------------------

    fn var_value(&self, name: &str) -> Res<(Value, bool)> {
        match self.vars.iter().rev().find(|v| v.name == name) {
            Some(v) => Ok((v.value.clone(), v.iface)),
            None => self.err(format!("undefined variable: {name}")),
        }
    }

    fn set_var(&mut self, name: &str, v: Value, iface: bool) -> Res<()> {
        match self.vars.iter_mut().rev().find(|v| v.name == name) {
            Some(slot) => {
                slot.value = v;
                slot.iface = iface;
                Ok(())
            }
            None => self.err(format!("undefined variable: {name}")),
        }
    }

    // ---- walking ------------------------------------------------------------------------

    fn walk_list(&mut self, dot: &Value, nodes: &'a [Node]) -> Res<Flow> {
        for node in nodes {
            match self.walk(dot, node)? {
                Flow::Normal => {}
                flow => return Ok(flow),
            }
        }
        Ok(Flow::Normal)
    }

    fn walk(&mut self, dot: &Value, node: &'a Node) -> Res<Flow> {
        self.at = At::Node(node);
        self.step()?;
        match node {
            Node::Text { text, .. } => self.write(text)?,
            Node::Action { pipe, .. } => {
                // Variables declared here persist until the enclosing {{end}}.
                let v = self.eval_pipeline(dot, pipe)?;
                if pipe.decl.is_empty() {
                    self.print_value(node, &v)?;
                }
            }
            Node::If(b) => return self.walk_if_or_with(dot, b, false),
            Node::With(b) => return self.walk_if_or_with(dot, b, true),
            Node::Range(b) => return self.walk_range(dot, node, b),
            Node::Break { .. } => return Ok(Flow::Break),
            Node::Continue { .. } => return Ok(Flow::Continue),
            Node::Template { name, pipe, .. } => self.walk_template(dot, node, name, pipe)?,
        }
        Ok(Flow::Normal)
    }

    fn print_value(&mut self, node: &'a Node, v: &Value) -> Res<()> {
        self.at = At::Node(node);
        if let Value::Missing = v {
            return self.write("<no value>");
        }
        let before = self.out.len();
        match v.write_v(&mut self.out) {
            Ok(()) => {}
            Err(Overflow::Size) => {
                return self.limit(LimitError::Output(self.env.limits.max_output));
            }
            Err(Overflow::Depth) => {
                return self.limit(LimitError::ValueDepth(crate::value::MAX_VALUE_DEPTH));
            }
        }
        let written = self.out.len() - before;
        self.budget.spend_bytes(written).or_else(|l| self.limit(l))
    }

    fn walk_if_or_with(&mut self, dot: &Value, b: &'a Branch, with: bool) -> Res<Flow> {
        let mark = self.vars.len();
        let result = self.if_or_with_body(dot, b, with);
        self.vars.truncate(mark);
        result
    }

    fn if_or_with_body(&mut self, dot: &Value, b: &'a Branch, with: bool) -> Res<Flow> {
        let v = self.eval_pipeline(dot, &b.pipe)?;
        self.enter()?;
        let flow = if v.truth() {
            if with {
                // A pipeline's value is never an interface: Go digs into it.
                let saved = std::mem::replace(&mut self.dot_iface, false);
                let flow = self.walk_list(&v, &b.list);
                self.dot_iface = saved;
                flow
            } else {
                self.walk_list(dot, &b.list)
            }
        } else if let Some(e) = &b.else_list {
            self.walk_list(dot, e)
        } else {
            Ok(Flow::Normal)
        };
        self.leave();
        flow
    }

    fn walk_range(&mut self, dot: &Value, node: &'a Node, b: &'a Branch) -> Res<Flow> {
        self.at = At::Node(node);
        let mark = self.vars.len();
        let result = self.range_body(dot, node, b);
        self.vars.truncate(mark);
        result.map(|()| Flow::Normal)
    }

    fn range_body(&mut self, dot: &Value, node: &'a Node, b: &'a Branch) -> Res<()> {
        let val = self.eval_pipeline(dot, &b.pipe)?;
        // The range variables sit on top of the stack from here on.
        let mark = self.vars.len();
        // Elements of `[]interface{}` and `map[string]interface{}` are interfaces in Go.
        let elem_iface = match &val {
            Value::List(l) => l.elem == Elem::Any,
            Value::Map(m) => m.borrow().elem == Elem::Any,
            _ => false,
        };
        let source = match &val {
            Value::Int(_) | Value::Int64(_) | Value::Uint8(_) | Value::Uint64(_) => {
                if b.pipe.decl.len() > 1 {
                    let shown = val.fmt_v(MAX_CONTEXT).unwrap_or_default();
                    return self.err(format!(
                        "can't use {shown} to iterate over more than one variable"
                    ));
                }
                Source::Count(val.clone())
            }
            Value::List(l) => Source::Items(
                l.items
                    .iter()
                    .enumerate()
                    .map(|(i, v)| (Value::Int(i as i64), v.clone()))
                    .collect(),
            ),
            // A copy of the entries: the body may change the map with `set`.
            Value::Map(m) => Source::Items(
                m.borrow()
                    .entries
                    .iter()
                    .map(|(k, v)| (Value::str(k.as_str()), v.clone()))
                    .collect(),
            ),
            Value::Missing | Value::Nil => Source::Items(Vec::new()),
            other => {
                let shown = other.fmt_v(MAX_CONTEXT).unwrap_or_default();
                return self.err(format!("range can't iterate over {shown}"));
            }
        };
        let count = source.len();
        if count == 0 {
            if let Some(e) = &b.else_list {
                self.enter()?;
                let flow = self.walk_list(dot, e);
                self.leave();
                flow?;
            }
            return Ok(());
        }
        self.enter()?;
        let saved = std::mem::replace(&mut self.dot_iface, elem_iface);
        let result = self.range_loop(node, b, mark, &source);
        self.dot_iface = saved;
        self.leave();
        result
    }

    fn range_loop(
        &mut self,
        node: &'a Node,
        b: &'a Branch,
        mark: usize,
        source: &Source,
    ) -> Res<()> {
        for i in 0..source.len() {
            self.at = At::Node(node);
            self.range_iterations += 1;
            if self.range_iterations > self.env.limits.max_range_iterations {
                return self.limit(LimitError::RangeIterations(
                    self.env.limits.max_range_iterations,
                ));
            }
            self.step()?;
            let (index, elem) = source.get(i);
            self.bind_range_vars(&b.pipe, mark, index, elem.clone())?;
            let flow = self.walk_list(&elem, &b.list);
            self.vars.truncate(mark);
            match flow? {
                Flow::Break => break,
                Flow::Normal | Flow::Continue => {}
            }
        }
        Ok(())
    }

    fn bind_range_vars(&mut self, pipe: &Pipe, mark: usize, index: Value, elem: Value) -> Res<()> {
        let iface = self.dot_iface;
        match (pipe.decl.len(), pipe.is_assign) {
            (0, _) => Ok(()),
            (1, true) => self.set_var(&pipe.decl[0], elem, iface),
            (_, true) => {
                self.set_var(&pipe.decl[0], index, false)?;
                self.set_var(&pipe.decl[1], elem, iface)
            }
            (n, false) => {
                // Declared variables were pushed by the pipeline; the last is the element.
                if let Some(slot) = self.vars.get_mut(mark - 1) {
                    slot.value = elem;
                    slot.iface = iface;
                }
                if n > 1
                    && let Some(slot) = self.vars.get_mut(mark - 2)
                {
                    slot.value = index;
                    slot.iface = false;
                }
                Ok(())
            }
        }
    }

    fn walk_template(
        &mut self,
        dot: &Value,
        node: &'a Node,
        name: &'a str,
        pipe: &'a Option<Pipe>,
    ) -> Res<()> {
        self.at = At::Node(node);
        let body: &'a [Node] = match self.tmpl.tree.defs.get(name) {
            Some(body) => body,
            None if name == self.tmpl.name => &self.tmpl.tree.root,
            None => {
                return self.err(format!(
                    "template {} not defined",
                    crate::value::go_quote(name)
                ));
            }
        };
        self.enter()?;
        // Variables declared by the pipeline persist; the callee sees only `$`.
        let new_dot = match pipe {
            Some(p) => match self.eval_pipeline(dot, p) {
                Ok(v) => v,
                Err(e) => {
                    self.leave();
                    return Err(e);
                }
            },
            None => Value::Missing,
        };
        let saved_vars = std::mem::replace(
            &mut self.vars,
            vec![Var {
                name: "$".to_string(),
                value: new_dot.clone(),
                iface: false,
            }],
        );
        let saved_name = std::mem::replace(&mut self.name, name);
        let saved_iface = std::mem::replace(&mut self.dot_iface, false);
        let result = self.walk_list(&new_dot, body);
        self.vars = saved_vars;
        self.name = saved_name;
        self.dot_iface = saved_iface;
        self.leave();
        result.map(|_| ())
    }

    // ---- evaluation ---------------------------------------------------------------------

    fn eval_pipeline(&mut self, dot: &Value, pipe: &'a Pipe) -> Res<Value> {
        self.at = At::Pipe(pipe);
        let mut value: Option<Value> = None;
        for cmd in &pipe.cmds {
            let v = self.eval_command(dot, cmd, value.take())?;
            // Go digs a nil interface{} down to "no value" between pipeline stages.
            value = Some(match v {
                Value::Nil => Value::Missing,
                v => v,
            });
        }
        let value = value.unwrap_or(Value::Missing);
        for name in &pipe.decl {
            if pipe.is_assign {
                self.set_var(name, value.clone(), false)?;
            } else {
                self.vars.push(Var {
                    name: name.clone(),
                    value: value.clone(),
                    iface: false,
                });
            }
        }
        Ok(value)
    }

    fn not_a_function(&self, args: &[Arg], final_: &Option<Value>) -> Res<()> {
        if args.len() > 1 || final_.is_some() {
            return self.err(format!("can't give argument to non-function {}", args[0]));
        }
        Ok(())
    }

    fn eval_command(&mut self, dot: &Value, cmd: &'a Cmd, final_: Option<Value>) -> Res<Value> {
        self.step()?;
        let first = &cmd.args[0];
        match &first.kind {
            ArgKind::Field(idents) => {
                self.at = At::Arg(first);
                let iface = self.dot_iface;
                return self.eval_field_chain(dot, dot.clone(), iface, idents, &cmd.args, final_);
            }
            ArgKind::Chain(node, fields) => {
                return self.eval_chain(dot, first, node, fields, &cmd.args, final_);
            }
            ArgKind::Ident(name) => {
                return self.eval_function(dot, first, name, At::Cmd(cmd), &cmd.args, final_);
            }
            ArgKind::Pipe(p) => {
                self.not_a_function(&cmd.args, &final_)?;
                self.enter()?;
                let v = self.eval_pipeline(dot, p);
                self.leave();
                return v;
            }
            ArgKind::Var(idents) => {
                return self.eval_variable(dot, first, idents, &cmd.args, final_);
            }
            _ => {}
        }
        self.at = At::Arg(first);
        self.not_a_function(&cmd.args, &final_)?;
        match &first.kind {
            ArgKind::Bool(b) => Ok(Value::Bool(*b)),
            ArgKind::Dot => Ok(dot.clone()),
            ArgKind::Nil => self.err("nil is not a command"),
            ArgKind::Number(n) => self.ideal_constant(first, n),
            ArgKind::Str(s, _) => Ok(Value::str(s.as_str())),
            _ => self.err(format!("can't evaluate command {}", first)),
        }
    }

    /// An untyped number constant in an `interface{}` position: the syntax decides its type.
    fn ideal_constant(&mut self, arg: &'a Arg, n: &NumberLit) -> Res<Value> {
        self.at = At::Arg(arg);
        let t = &n.text;
        let is_rune = t.starts_with('\'');
        let is_hex_int = t.len() > 2
            && t.starts_with('0')
            && matches!(t.as_bytes()[1], b'x' | b'X')
            && !t.contains(['p', 'P']);
        if let Some(f) = n.float
            && !is_hex_int
            && !is_rune
            && t.contains(['.', 'e', 'E', 'p', 'P'])
        {
            return Ok(Value::Float(f));
        }
        if let Some(i) = n.int {
            return Ok(Value::Int(i));
        }
        if n.uint.is_some() {
            return self.err(format!("{t} overflows int"));
        }
        Ok(Value::Missing)
    }

    fn eval_chain(
        &mut self,
        dot: &Value,
        chain: &'a Arg,
        node: &'a Arg,
        fields: &'a [String],
        args: &'a [Arg],
        final_: Option<Value>,
    ) -> Res<Value> {
        self.at = At::Arg(chain);
        if let ArgKind::Nil = node.kind {
            return self.err(format!("indirection through explicit nil in {chain}"));
        }
        let base = self.eval_arg_untyped(dot, node)?;
        self.eval_field_chain(dot, base, false, fields, args, final_)
    }

    fn eval_variable(
        &mut self,
        dot: &Value,
        arg: &'a Arg,
        idents: &'a [String],
        args: &'a [Arg],
        final_: Option<Value>,
    ) -> Res<Value> {
        self.at = At::Arg(arg);
        let (value, iface) = self.var_value(&idents[0])?;
        if idents.len() == 1 {
            self.not_a_function(args, &final_)?;
            return Ok(value);
        }
        self.eval_field_chain(dot, value, iface, &idents[1..], args, final_)
    }

    fn eval_field_chain(
        &mut self,
        dot: &Value,
        mut receiver: Value,
        mut iface: bool,
        idents: &'a [String],
        args: &'a [Arg],
        final_: Option<Value>,
    ) -> Res<Value> {
        let n = idents.len();
        for name in &idents[..n - 1] {
            (receiver, iface) = self.eval_field(dot, name, &[], None, receiver, iface)?;
        }
        self.eval_field(dot, &idents[n - 1], args, final_, receiver, iface)
            .map(|(v, _)| v)
    }

    /// `.name` on `receiver`; `args` are the command's words (the field itself first) when the
    /// field is the command, so a method can take them. `iface` says the receiver is held as an
    /// `interface{}`; so is the result, when it comes out of a `map[string]interface{}`.
    fn eval_field(
        &mut self,
        dot: &Value,
        name: &str,
        args: &'a [Arg],
        final_: Option<Value>,
        receiver: Value,
        iface: bool,
    ) -> Res<(Value, bool)> {
        let has_args = args.len() > 1 || final_.is_some();
        match &receiver {
            Value::Missing => {
                if self.env.missing_key == MissingKey::Error {
                    return self.err(format!(
                        "nil data; no entry for key {}",
                        crate::value::go_quote(name)
                    ));
                }
                Ok((Value::Missing, false))
            }
            Value::Nil => self.err(format!("nil pointer evaluating interface {{}}.{name}")),
            Value::Map(m) => {
                if has_args {
                    return self.err(format!("{name} is not a method but has arguments"));
                }
                let m = m.borrow();
                let elem_iface = m.elem == Elem::Any;
                if let Some(v) = m.entries.get(name) {
                    return Ok((v.clone(), elem_iface));
                }
                match self.env.missing_key {
                    MissingKey::Invalid => Ok((Value::Missing, false)),
                    MissingKey::Zero => Ok((zero_of(m.elem), elem_iface)),
                    MissingKey::Error => self.err(format!(
                        "map has no entry for key {}",
                        crate::value::go_quote(name)
                    )),
                }
            }
            Value::Time(_) | Value::Semver(_) => {
                match crate::funcs::sprig::method(&receiver, name) {
                    Some(method) => {
                        let rest = if args.is_empty() { args } else { &args[1..] };
                        let at = self.at;
                        self.call(dot, &method, name, at, rest, final_)
                            .map(|v| (v, false))
                    }
                    None => self.err(format!(
                        "can't evaluate field {name} in type {}",
                        if iface {
                            "interface {}".into()
                        } else {
                            receiver.type_name()
                        }
                    )),
                }
            }
            other => self.err(format!(
                "can't evaluate field {name} in type {}",
                if iface {
                    "interface {}".into()
                } else {
                    other.type_name()
                }
            )),
        }
    }

    fn eval_function(
        &mut self,
        dot: &Value,
        ident: &'a Arg,
        name: &str,
        cmd: At<'a>,
        args: &'a [Arg],
        final_: Option<Value>,
    ) -> Res<Value> {
        self.at = At::Arg(ident);
        let env = self.env;
        let Some(func) = env.funcs.get(name) else {
            return self.err(format!(
                "{} is not a defined function",
                crate::value::go_quote(name)
            ));
        };
        let rest = if args.is_empty() { args } else { &args[1..] };
        self.call(dot, func, name, cmd, rest, final_)
    }

    /// Go's `evalCall`: checks the argument count, evaluates the arguments against the
    /// parameter types, runs the function and checks what it returns against the limits.
    fn call(
        &mut self,
        dot: &Value,
        func: &Func,
        name: &str,
        node: At<'a>,
        args: &'a [Arg],
        final_: Option<Value>,
    ) -> Res<Value> {
        let num_in = args.len() + usize::from(final_.is_some());
        let fixed = func.params.len();
        if func.variadic.is_some() {
            if num_in < fixed {
                return self.err(format!(
                    "wrong number of args for {name}: want at least {fixed} got {}",
                    args.len()
                ));
            }
        } else if num_in != fixed {
            return self.err(format!(
                "wrong number of args for {name}: want {fixed} got {num_in}"
            ));
        }
        if matches!(func.special, Special::And | Special::Or) {
            let want = func.special == Special::Or;
            let mut v = Value::Missing;
            for arg in args {
                v = self.eval_arg(dot, Param::Reflect, arg)?;
                if v.truth() == want {
                    return Ok(v);
                }
            }
            if let Some(f) = final_ {
                v = f;
            }
            return Ok(v);
        }
        let mut argv = Vec::with_capacity(num_in + 1);
        for (i, arg) in args.iter().enumerate() {
            argv.push(self.eval_arg(dot, func.param(i), arg)?);
        }
        if let Some(f) = final_ {
            let v = self.validate(f, func.param(args.len()))?;
            argv.push(v);
        }
        if func.special == Special::Call {
            let callee = match args.first() {
                Some(a) => a.to_string(),
                None => argv
                    .first()
                    .map(|v| v.fmt_v(MAX_CONTEXT).unwrap_or_default())
                    .unwrap_or_default(),
            };
            argv.insert(0, Value::str(callee));
        }
        let mut call = Call {
            env: self.env,
            budget: self.budget,
            depth: self.depth,
            name: self.name,
        };
        let result = (func.imp)(&mut call, argv);
        match result {
            Ok(v) => {
                // Go leaves its position where the last argument put it; only a failed call
                // moves it to the command.
                let last = self.at;
                self.at = node;
                self.check_result(name, &v)?;
                self.at = last;
                Ok(v)
            }
            Err(e) => {
                self.at = node;
                Err(self.error(format!("error calling {name}: {e}"), e.limit_hit().cloned()))
            }
        }
    }

    /// The central check after every call: no function may hand back a string or list past
    /// the limits, whatever it does inside.
    fn check_result(&self, name: &str, v: &Value) -> Res<()> {
        let limits = &self.env.limits;
        let (limit, bytes) = match v {
            Value::Str(s) if s.len() > limits.max_string => {
                (Some(LimitError::String(limits.max_string)), 0)
            }
            Value::Str(s) => (None, s.len()),
            Value::List(l) if l.items.len() > limits.max_list => {
                (Some(LimitError::List(limits.max_list)), 0)
            }
            Value::List(l) => (None, l.items.len() * 16),
            _ => (None, 0),
        };
        let limit = match limit {
            Some(l) => Some(l),
            None => self.budget.spend_bytes(bytes).err(),
        };
        match limit {
            Some(l) => Err(self.error(format!("error calling {name}: {l}"), Some(l))),
            None => Ok(()),
        }
    }

    /// Go's `validateType`: is a computed value acceptable for a parameter of type `p`?
    fn validate(&self, v: Value, p: Param) -> Res<Value> {
        if let Value::Missing = v {
            return match p {
                Param::Reflect => Ok(Value::Missing),
                Param::Any => Ok(Value::Nil),
                Param::Map => Ok(Value::nil_map()),
                Param::List => Ok(Value::list(Vec::new())),
                _ => self.err(format!("invalid value; expected {}", p.go_name())),
            };
        }
        let ok = match p {
            Param::Any | Param::Reflect => true,
            Param::Str => matches!(v, Value::Str(_)),
            Param::Int => matches!(v, Value::Int(_)),
            Param::Uint32 => false,
            Param::Float => matches!(v, Value::Float(_)),
            Param::Bool => matches!(v, Value::Bool(_)),
            Param::Map => matches!(&v, Value::Map(m) if m.borrow().elem == Elem::Any),
            Param::List => matches!(&v, Value::List(l) if l.elem == Elem::Any),
            Param::Time => matches!(v, Value::Time(_)),
        };
        if ok {
            Ok(v)
        } else {
            self.err(format!(
                "wrong type for value; expected {}; got {}",
                p.go_name(),
                v.type_name()
            ))
        }
    }

    /// Go's `evalArg` with no expected type (the base of a chain).
    fn eval_arg_untyped(&mut self, dot: &Value, arg: &'a Arg) -> Res<Value> {
        self.at = At::Arg(arg);
        match &arg.kind {
            ArgKind::Dot => Ok(dot.clone()),
            ArgKind::Pipe(p) => {
                self.enter()?;
                let v = self.eval_pipeline(dot, p);
                self.leave();
                v
            }
            ArgKind::Field(idents) => {
                let iface = self.dot_iface;
                self.eval_field_chain(dot, dot.clone(), iface, idents, &[], None)
            }
            ArgKind::Var(idents) => self.eval_variable(dot, arg, idents, &[], None),
            ArgKind::Ident(name) => self.eval_function(dot, arg, name, At::Arg(arg), &[], None),
            ArgKind::Chain(node, fields) => self.eval_chain(dot, arg, node, fields, &[], None),
            ArgKind::Bool(b) => Ok(Value::Bool(*b)),
            ArgKind::Str(s, _) => Ok(Value::str(s.as_str())),
            ArgKind::Number(n) => self.ideal_constant(arg, n),
            ArgKind::Nil => Ok(Value::Missing),
        }
    }

    /// Go's `evalArg`: evaluates an argument for a parameter of type `p`, reading literals
    /// as that type and checking computed values.
    fn eval_arg(&mut self, dot: &Value, p: Param, arg: &'a Arg) -> Res<Value> {
        self.at = At::Arg(arg);
        match &arg.kind {
            ArgKind::Dot => return self.validate(dot.clone(), p),
            ArgKind::Nil => {
                return match p {
                    Param::Any => Ok(Value::Nil),
                    Param::Reflect => Ok(Value::Missing),
                    Param::Map => Ok(Value::nil_map()),
                    Param::List => Ok(Value::list(Vec::new())),
                    _ => self.err(format!("cannot assign nil to {}", p.go_name())),
                };
            }
            ArgKind::Field(idents) => {
                let iface = self.dot_iface;
                let v = self.eval_field_chain(dot, dot.clone(), iface, idents, &[], None)?;
                return self.validate(v, p);
            }
            ArgKind::Var(idents) => {
                let v = self.eval_variable(dot, arg, idents, &[], None)?;
                return self.validate(v, p);
            }
            ArgKind::Pipe(pipe) => {
                self.enter()?;
                let v = self.eval_pipeline(dot, pipe);
                self.leave();
                return self.validate(v?, p);
            }
            ArgKind::Ident(name) => {
                let v = self.eval_function(dot, arg, name, At::Arg(arg), &[], None)?;
                return self.validate(v, p);
            }
            ArgKind::Chain(node, fields) => {
                let v = self.eval_chain(dot, arg, node, fields, &[], None)?;
                return self.validate(v, p);
            }
            _ => {}
        }
        match p {
            Param::Any | Param::Reflect => match &arg.kind {
                ArgKind::Bool(b) => Ok(Value::Bool(*b)),
                ArgKind::Str(s, _) => Ok(Value::str(s.as_str())),
                ArgKind::Number(n) => self.ideal_constant(arg, n),
                _ => self.err(format!(
                    "can't handle assignment of {arg} to empty interface argument"
                )),
            },
            Param::Bool => match &arg.kind {
                ArgKind::Bool(b) => Ok(Value::Bool(*b)),
                _ => self.err(format!("expected bool; found {arg}")),
            },
            Param::Str => match &arg.kind {
                ArgKind::Str(s, _) => Ok(Value::str(s.as_str())),
                _ => self.err(format!("expected string; found {arg}")),
            },
            Param::Int => match &arg.kind {
                ArgKind::Number(NumberLit { int: Some(i), .. }) => Ok(Value::Int(*i)),
                _ => self.err(format!("expected integer; found {arg}")),
            },
            Param::Uint32 => match &arg.kind {
                // Go's reflect SetUint truncates to the parameter's width.
                ArgKind::Number(NumberLit { uint: Some(u), .. }) => {
                    Ok(Value::Uint64(u64::from(*u as u32)))
                }
                _ => self.err(format!("expected unsigned integer; found {arg}")),
            },
            Param::Float => match &arg.kind {
                ArgKind::Number(NumberLit { float: Some(f), .. }) => Ok(Value::Float(*f)),
                _ => self.err(format!("expected float; found {arg}")),
            },
            Param::Map | Param::List | Param::Time => self.err(format!(
                "can't handle {arg} for arg of type {}",
                p.go_name()
            )),
        }
    }
}

/// What a `range` walks over: a count (ranging over an integer) or elements.
enum Source {
    Count(Value),
    Items(Vec<(Value, Value)>),
}

impl Source {
    fn len(&self) -> u64 {
        match self {
            Source::Count(Value::Int(n) | Value::Int64(n)) => (*n).max(0) as u64,
            Source::Count(Value::Uint8(n)) => u64::from(*n),
            Source::Count(Value::Uint64(n)) => *n,
            Source::Count(_) => 0,
            Source::Items(items) => items.len() as u64,
        }
    }

    /// The index and element of iteration `i`; ranging over an integer has no index, and
    /// yields values of the integer's type.
    fn get(&self, i: u64) -> (Value, Value) {
        match self {
            Source::Count(Value::Int64(_)) => (Value::Missing, Value::Int64(i as i64)),
            Source::Count(Value::Uint8(_)) => (Value::Missing, Value::Uint8(i as u8)),
            Source::Count(Value::Uint64(_)) => (Value::Missing, Value::Uint64(i)),
            Source::Count(_) => (Value::Missing, Value::Int(i as i64)),
            Source::Items(items) => items
                .get(i as usize)
                .cloned()
                .unwrap_or((Value::Missing, Value::Missing)),
        }
    }
}

/// The zero value of a map's element type (`missingkey=zero`).
fn zero_of(elem: Elem) -> Value {
    match elem {
        Elem::Any => Value::Nil,
        Elem::Str => Value::str(""),
        Elem::Int => Value::Int(0),
    }
}
