//! The parse tree of a Go template, built with the rules of `text/template/parse`: variables
//! must be declared before use, functions must exist, `{{break}}` only inside `{{range}}`,
//! `else if` chains share one `end`, `{{define}}` adds named templates. Every node keeps its
//! byte offset, and prints back the way Go's nodes do, because both appear in error messages.

use std::collections::BTreeMap;
use std::fmt;

use crate::funcs::FuncMap;
use crate::lex::{Keyword, Kind, Tok, lex, unquote};
use crate::limits::LimitError;
use crate::value::go_quote;

/// A number constant, read the way `text/template/parse` reads it.
#[derive(Clone, Debug)]
pub struct NumberLit {
    /// Source text (for messages and the int-or-float decision).
    pub text: String,
    /// Its value as an int, when it is one (`1e3` is).
    pub int: Option<i64>,
    /// Its value as an unsigned int, when it is one.
    pub uint: Option<u64>,
    /// Its value as a float, when it is one.
    pub float: Option<f64>,
}

impl NumberLit {
    fn parse(text: &str) -> Result<NumberLit, String> {
        if text.starts_with('\'') {
            let s = unquote(text).map_err(|_| format!("malformed character constant: {text}"))?;
            let c = s.chars().next().map_or(0, |c| c as i64);
            return Ok(NumberLit {
                text: text.to_string(),
                int: Some(c),
                uint: Some(c as u64),
                float: Some(c as f64),
            });
        }
        let wide = parse_go_int(text);
        let uint = wide.and_then(|v| u64::try_from(v).ok());
        let int = wide.and_then(|v| i64::try_from(v).ok());
        let mut n = NumberLit {
            text: text.to_string(),
            int,
            uint,
            float: None,
        };
        if let Some(i) = int {
            n.float = Some(i as f64);
        } else if let Some(u) = uint {
            n.float = Some(u as f64);
        } else if let Some(f) = parse_go_float(text) {
            if !text.contains(['.', 'e', 'E', 'p', 'P']) {
                return Err(format!("integer overflow: {}", go_quote(text)));
            }
            n.float = Some(f);
            if f.fract() == 0.0 && f.abs() < 9.223_372_036_854_775e18 {
                n.int = Some(f as i64);
            }
            if f.fract() == 0.0 && (0.0..1.844_674_407_370_955e19).contains(&f) {
                n.uint = Some(f as u64);
            }
        }
        if n.int.is_none() && n.uint.is_none() && n.float.is_none() {
            return Err(format!("illegal number syntax: {}", go_quote(text)));
        }
        Ok(n)
    }
}

/// Go's `strconv.ParseInt(text, 0, 64)` widened: sign, then `0x`/`0o`/`0b` or a leading `0`
/// for octal, underscores between digits.
fn parse_go_int(text: &str) -> Option<i128> {
    let (neg, body) = match text.as_bytes().first() {
        Some(b'-') => (true, &text[1..]),
        Some(b'+') => (false, &text[1..]),
        _ => (false, text),
    };
    let lower = body.to_ascii_lowercase();
    let (radix, digits) = if let Some(d) = lower.strip_prefix("0x") {
        (16, d)
    } else if let Some(d) = lower.strip_prefix("0o") {
        (8, d)
    } else if let Some(d) = lower.strip_prefix("0b") {
        (2, d)
    } else if lower.len() > 1 && lower.starts_with('0') {
        (8, &lower[1..])
    } else {
        (10, lower.as_str())
    };
    if digits.is_empty() || digits.starts_with('_') && radix == 10 || digits.ends_with('_') {
        return None;
    }
    if digits.contains("__") {
        return None;
    }
    let digits: String = digits.chars().filter(|c| *c != '_').collect();
    if digits.is_empty() || !digits.chars().all(|c| c.is_digit(radix)) {
        return None;
    }
    let v = i128::from_str_radix(&digits, radix).ok()?;
    Some(if neg { -v } else { v })
}

/// Go's `strconv.ParseFloat(text, 64)` for decimal and hex floats.
fn parse_go_float(text: &str) -> Option<f64> {
    let (neg, body) = match text.as_bytes().first() {
        Some(b'-') => (true, &text[1..]),
        Some(b'+') => (false, &text[1..]),
        _ => (false, text),
    };
    let lower = body.to_ascii_lowercase();
    let v = if let Some(hex) = lower.strip_prefix("0x") {
        parse_hex_float(&hex.replace('_', ""))?
    } else {
        if lower.contains('_') || lower.is_empty() || lower.contains("inf") || lower == "nan" {
            return None;
        }
        lower.parse::<f64>().ok()?
    };
    Some(if neg { -v } else { v })
}

fn parse_hex_float(s: &str) -> Option<f64> {
    let (mant, exp) = match s.split_once('p') {
        Some((m, e)) => (m, e.parse::<i32>().ok()?),
        None => return None,
    };
    let (int_part, frac_part) = mant.split_once('.').unwrap_or((mant, ""));
    if int_part.is_empty() && frac_part.is_empty() {
        return None;
    }
    let mut v = 0f64;
    for c in int_part.chars() {
        v = v * 16.0 + f64::from(c.to_digit(16)?);
    }
    let mut scale = 1.0 / 16.0;
    for c in frac_part.chars() {
        v += f64::from(c.to_digit(16)?) * scale;
        scale /= 16.0;
    }
    Some(v * 2f64.powi(exp))
}

/// One operand of a command.
#[derive(Clone, Debug)]
pub struct Arg {
    /// Byte offset in the template text.
    pub pos: usize,
    /// What the operand is.
    pub kind: ArgKind,
}

/// The operand kinds of Go's parse tree.
#[derive(Clone, Debug)]
pub enum ArgKind {
    /// `.`
    Dot,
    /// `nil`
    Nil,
    /// `true` / `false`
    Bool(bool),
    /// A number or character constant.
    Number(NumberLit),
    /// A string constant: its value, and the literal as written.
    Str(String, String),
    /// `.a.b`
    Field(Vec<String>),
    /// `$x.a.b`: the variable name with its dollar, then fields.
    Var(Vec<String>),
    /// A function name.
    Ident(String),
    /// `(pipeline).a.b` or `fn.a`.
    Chain(Box<Arg>, Vec<String>),
    /// `(pipeline)`
    Pipe(Box<Pipe>),
}

impl fmt::Display for Arg {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match &self.kind {
            ArgKind::Dot => f.write_str("."),
            ArgKind::Nil => f.write_str("nil"),
            ArgKind::Bool(b) => write!(f, "{b}"),
            ArgKind::Number(n) => f.write_str(&n.text),
            ArgKind::Str(_, quoted) => f.write_str(quoted),
            ArgKind::Field(fields) => {
                for name in fields {
                    write!(f, ".{name}")?;
                }
                Ok(())
            }
            ArgKind::Var(idents) => f.write_str(&idents.join(".")),
            ArgKind::Ident(i) => f.write_str(i),
            ArgKind::Chain(node, fields) => {
                if let ArgKind::Pipe(p) = &node.kind {
                    write!(f, "({p})")?;
                } else {
                    write!(f, "{node}")?;
                }
                for name in fields {
                    write!(f, ".{name}")?;
                }
                Ok(())
            }
            ArgKind::Pipe(p) => write!(f, "{p}"),
        }
    }
}

/// A command: a function and its arguments, or a single operand.
#[derive(Clone, Debug)]
pub struct Cmd {
    /// Byte offset in the template text.
    pub pos: usize,
    /// The words of the command.
    pub args: Vec<Arg>,
}

impl fmt::Display for Cmd {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        for (i, a) in self.args.iter().enumerate() {
            if i > 0 {
                f.write_str(" ")?;
            }
            if let ArgKind::Pipe(p) = &a.kind {
                write!(f, "({p})")?;
            } else {
                write!(f, "{a}")?;
            }
        }
        Ok(())
    }
}

/// A pipeline with optional variable declarations (`$x := ...`, `$i, $e := ...`).
#[derive(Clone, Debug)]
pub struct Pipe {
    /// Byte offset in the template text.
    pub pos: usize,
    /// Declared or assigned variables (with their dollar).
    pub decl: Vec<String>,
    /// `=` rather than `:=`.
    pub is_assign: bool,
    /// Commands joined by `|`.
    pub cmds: Vec<Cmd>,
}

impl fmt::Display for Pipe {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if !self.decl.is_empty() {
            f.write_str(&self.decl.join(", "))?;
            f.write_str(if self.is_assign { " = " } else { " := " })?;
        }
        for (i, c) in self.cmds.iter().enumerate() {
            if i > 0 {
                f.write_str(" | ")?;
            }
            write!(f, "{c}")?;
        }
        Ok(())
    }
}

/// `if`, `with` and `range`: a pipeline, a body and an optional `else` body.
#[derive(Clone, Debug)]
pub struct Branch {
    /// Byte offset (of the pipeline, as in Go).
    pub pos: usize,
    /// The condition or collection.
    pub pipe: Pipe,
    /// The body.
    pub list: Vec<Node>,
    /// The `{{else}}` body.
    pub else_list: Option<Vec<Node>>,
}

/// A node of a template body.
#[derive(Clone, Debug)]
pub enum Node {
    /// Literal text.
    Text {
        /// Byte offset.
        pos: usize,
        /// The text.
        text: String,
    },
    /// `{{pipeline}}`
    Action {
        /// Byte offset.
        pos: usize,
        /// What to evaluate.
        pipe: Pipe,
    },
    /// `{{if}}...{{end}}`
    If(Branch),
    /// `{{with}}...{{end}}`
    With(Branch),
    /// `{{range}}...{{end}}`
    Range(Branch),
    /// `{{break}}`
    Break {
        /// Byte offset.
        pos: usize,
    },
    /// `{{continue}}`
    Continue {
        /// Byte offset.
        pos: usize,
    },
    /// `{{template "name" pipeline}}`
    Template {
        /// Byte offset.
        pos: usize,
        /// The template to run.
        name: String,
        /// Its data.
        pipe: Option<Pipe>,
    },
}

impl Node {
    /// Byte offset in the template text.
    pub fn pos(&self) -> usize {
        match self {
            Node::Text { pos, .. }
            | Node::Action { pos, .. }
            | Node::Break { pos }
            | Node::Continue { pos }
            | Node::Template { pos, .. } => *pos,
            Node::If(b) | Node::With(b) | Node::Range(b) => b.pos,
        }
    }
}

/// Go's `ListNode.String()`: the nodes one after the other.
pub struct ListDisplay<'a>(pub &'a [Node]);

impl fmt::Display for ListDisplay<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        for n in self.0 {
            write!(f, "{n}")?;
        }
        Ok(())
    }
}

impl fmt::Display for Node {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let branch = |f: &mut fmt::Formatter<'_>, word: &str, b: &Branch| {
            write!(f, "{{{{{word} {}}}}}{}", b.pipe, ListDisplay(&b.list))?;
            if let Some(e) = &b.else_list {
                write!(f, "{{{{else}}}}{}", ListDisplay(e))?;
            }
            f.write_str("{{end}}")
        };
        match self {
            Node::Text { text, .. } => f.write_str(text),
            Node::Action { pipe, .. } => write!(f, "{{{{{pipe}}}}}"),
            Node::If(b) => branch(f, "if", b),
            Node::With(b) => branch(f, "with", b),
            Node::Range(b) => branch(f, "range", b),
            Node::Break { .. } => f.write_str("{{break}}"),
            Node::Continue { .. } => f.write_str("{{continue}}"),
            Node::Template { name, pipe, .. } => match pipe {
                Some(p) => write!(f, "{{{{template {} {p}}}}}", go_quote(name)),
                None => write!(f, "{{{{template {}}}}}", go_quote(name)),
            },
        }
    }
}

/// A parse failure: Go's message and the line it refers to.
#[derive(Debug, Clone)]
pub struct ParseFailure {
    /// 1-based line.
    pub line: usize,
    /// Go's message (without the `template: name:line:` prefix).
    pub message: String,
    /// Set when a nesting limit was hit.
    pub limit: Option<LimitError>,
}

/// A parsed template text: its body and the templates it `{{define}}`s.
#[derive(Debug, Clone)]
pub struct Tree {
    /// The body.
    pub root: Vec<Node>,
    /// Named templates from `{{define}}` and `{{block}}`.
    pub defs: BTreeMap<String, Vec<Node>>,
}

enum Item {
    Node(Node),
    End,
    Else,
}

struct Parser<'f> {
    toks: Vec<Tok>,
    pos: usize,
    /// The furthest token looked at, whose line Go's errors report.
    seen: usize,
    vars: Vec<String>,
    range_depth: usize,
    depth: usize,
    max_depth: usize,
    funcs: &'f FuncMap,
    defs: BTreeMap<String, Vec<Node>>,
}

type PResult<T> = Result<T, ParseFailure>;

/// Parses template text; `funcs` decides which function names exist.
pub fn parse(text: &str, funcs: &FuncMap, max_depth: usize) -> PResult<Tree> {
    let mut p = Parser {
        toks: lex(text),
        pos: 0,
        seen: 0,
        vars: vec!["$".to_string()],
        range_depth: 0,
        depth: 0,
        max_depth,
        funcs,
        defs: BTreeMap::new(),
    };
    let mut root = Vec::new();
    loop {
        if p.peek().kind == Kind::Eof {
            break;
        }
        if p.peek().kind == Kind::LeftDelim {
            let mark = p.pos;
            p.next();
            if p.next_non_space().kind == Kind::Keyword(Keyword::Define) {
                p.definition()?;
                continue;
            }
            p.pos = mark;
        }
        match p.text_or_action()? {
            Item::Node(n) => root.push(n),
            Item::End => return Err(p.fail("unexpected {{end}}")),
            Item::Else => return Err(p.fail("unexpected {{else}}")),
        }
    }
    Ok(Tree { root, defs: p.defs })
}

impl Parser<'_> {
    fn tok(&self, i: usize) -> &Tok {
        // The lexer always ends the list with Eof or Error, and `next` never moves past it.
        &self.toks[i.min(self.toks.len() - 1)]
    }

    fn peek(&mut self) -> Tok {
        self.seen = self.seen.max(self.pos);
        self.tok(self.pos).clone()
    }

    fn next(&mut self) -> Tok {
        let t = self.peek();
        // Past the end, the last token (Eof or Error) repeats; `pos` still moves so that
        // `backup` returns to the token just read.
        if self.pos < self.toks.len() {
            self.pos += 1;
        }
        t
    }

    fn backup(&mut self) {
        self.pos = self.pos.saturating_sub(1);
    }

    fn next_non_space(&mut self) -> Tok {
        loop {
            let t = self.next();
            if !matches!(t.kind, Kind::Space(_)) {
                return t;
            }
        }
    }

    fn peek_non_space(&mut self) -> Tok {
        let mark = self.pos;
        let t = self.next_non_space();
        self.pos = mark;
        t
    }

    fn fail(&self, message: impl Into<String>) -> ParseFailure {
        ParseFailure {
            line: self.tok(self.seen).line,
            message: message.into(),
            limit: None,
        }
    }

    fn unexpected(&self, t: &Tok, context: &str) -> ParseFailure {
        if let Kind::Error(msg) = &t.kind {
            return ParseFailure {
                line: t.line,
                message: msg.clone(),
                limit: None,
            };
        }
        self.fail(format!("unexpected {} in {context}", t.describe()))
    }

    fn expect(&mut self, want: &Kind, context: &str) -> PResult<Tok> {
        let t = self.next_non_space();
        if &t.kind != want {
            return Err(self.unexpected(&t, context));
        }
        Ok(t)
    }

    fn enter(&mut self) -> PResult<()> {
        self.depth += 1;
        if self.depth > self.max_depth {
            let limit = LimitError::Depth(self.max_depth);
            return Err(ParseFailure {
                line: self.tok(self.seen).line,
                message: limit.to_string(),
                limit: Some(limit),
            });
        }
        Ok(())
    }

    fn leave(&mut self) {
        self.depth -= 1;
    }

    /// `{{define "name"}}...{{end}}`, the `{{define` already read.
    fn definition(&mut self) -> PResult<()> {
        let context = "define clause";
        let t = self.next_non_space();
        let Kind::Str(lit) = &t.kind else {
            return Err(self.unexpected(&t, context));
        };
        let name = unquote(lit).map_err(|e| self.fail(e))?;
        self.expect(&Kind::RightDelim, context)?;
        let saved = std::mem::replace(&mut self.vars, vec!["$".to_string()]);
        let body = self.item_list();
        self.vars = saved;
        let (list, end) = body?;
        if !matches!(end, Item::End) {
            return Err(self.fail(format!("unexpected {{{{else}}}} in {context}")));
        }
        self.add_def(name, list)
    }

    /// Go's `Tree.add`: an empty body does not replace an existing definition, and two
    /// non-empty ones are an error.
    fn add_def(&mut self, name: String, list: Vec<Node>) -> PResult<()> {
        let is_empty = |l: &[Node]| {
            l.iter().all(|n| match n {
                Node::Text { text, .. } => text.trim().is_empty(),
                _ => false,
            })
        };
        match self.defs.get(&name) {
            Some(old) if !is_empty(old) => {
                if is_empty(&list) {
                    return Ok(());
                }
                Err(self.fail(format!(
                    "template: multiple definition of template {}",
                    go_quote(&name)
                )))
            }
            _ => {
                self.defs.insert(name, list);
                Ok(())
            }
        }
    }

    fn text_or_action(&mut self) -> PResult<Item> {
        let t = self.next_non_space();
        match t.kind {
            Kind::Text(text) => Ok(Item::Node(Node::Text { pos: t.pos, text })),
            Kind::LeftDelim => self.action(),
            _ => Err(self.unexpected(&t, "input")),
        }
    }

    /// Nodes up to the `{{end}}` or `{{else}}` that closes a control structure.
    fn item_list(&mut self) -> PResult<(Vec<Node>, Item)> {
        let mut nodes = Vec::new();
        loop {
            if self.peek_non_space().kind == Kind::Eof {
                return Err(self.fail("unexpected EOF"));
            }
            match self.text_or_action()? {
                Item::Node(n) => nodes.push(n),
                end => return Ok((nodes, end)),
            }
        }
    }

    fn action(&mut self) -> PResult<Item> {
        let t = self.next_non_space();
        match t.kind {
            Kind::Keyword(Keyword::Block) => self.block().map(Item::Node),
            Kind::Keyword(Keyword::Break) => {
                let n = self.loop_control("{{break}}", t.pos)?;
                Ok(Item::Node(Node::Break { pos: n }))
            }
            Kind::Keyword(Keyword::Continue) => {
                let n = self.loop_control("{{continue}}", t.pos)?;
                Ok(Item::Node(Node::Continue { pos: n }))
            }
            Kind::Keyword(Keyword::Else) => {
                // Like Go's peekNonSpace, skip the spaces but leave the keyword to read.
                let peek = self.next_non_space();
                self.backup();
                if matches!(peek.kind, Kind::Keyword(Keyword::If | Keyword::With)) {
                    return Ok(Item::Else);
                }
                self.expect(&Kind::RightDelim, "else")?;
                Ok(Item::Else)
            }
            Kind::Keyword(Keyword::End) => {
                self.expect(&Kind::RightDelim, "end")?;
                Ok(Item::End)
            }
            Kind::Keyword(Keyword::If) => self.control("if").map(Item::Node),
            Kind::Keyword(Keyword::Range) => self.control("range").map(Item::Node),
            Kind::Keyword(Keyword::With) => self.control("with").map(Item::Node),
            Kind::Keyword(Keyword::Template) => self.template_call().map(Item::Node),
            Kind::Keyword(Keyword::Define) => Err(self.unexpected(&t, "command")),
            _ => {
                self.backup();
                let pos = self.peek().pos;
                let pipe = self.pipeline("command", &Kind::RightDelim)?;
                Ok(Item::Node(Node::Action { pos, pipe }))
            }
        }
    }

    fn loop_control(&mut self, what: &str, pos: usize) -> PResult<usize> {
        let t = self.next_non_space();
        if t.kind != Kind::RightDelim {
            return Err(self.unexpected(&t, what));
        }
        if self.range_depth == 0 {
            return Err(self.fail(format!("{what} outside {{{{range}}}}")));
        }
        Ok(pos)
    }

    fn template_name(&mut self, context: &str) -> PResult<(String, usize)> {
        let t = self.next_non_space();
        match &t.kind {
            Kind::Str(lit) => Ok((unquote(lit).map_err(|e| self.fail(e))?, t.pos)),
            _ => Err(self.unexpected(&t, context)),
        }
    }

    fn template_call(&mut self) -> PResult<Node> {
        let context = "template clause";
        let (name, pos) = self.template_name(context)?;
        let pipe = if self.next_non_space().kind != Kind::RightDelim {
            self.backup();
            Some(self.pipeline(context, &Kind::RightDelim)?)
        } else {
            None
        };
        Ok(Node::Template { pos, name, pipe })
    }

    fn block(&mut self) -> PResult<Node> {
        let context = "block clause";
        let (name, pos) = self.template_name(context)?;
        let pipe = self.pipeline(context, &Kind::RightDelim)?;
        let saved = std::mem::replace(&mut self.vars, vec!["$".to_string()]);
        self.enter()?;
        let body = self.item_list();
        self.leave();
        self.vars = saved;
        let (list, end) = body?;
        if !matches!(end, Item::End) {
            return Err(self.fail(format!("unexpected {{{{else}}}} in {context}")));
        }
        self.add_def(name.clone(), list)?;
        Ok(Node::Template {
            pos,
            name,
            pipe: Some(pipe),
        })
    }

    fn control(&mut self, context: &'static str) -> PResult<Node> {
        self.enter()?;
        let mark = self.vars.len();
        let result = self.control_inner(context);
        self.vars.truncate(mark);
        self.leave();
        result
    }

    fn control_inner(&mut self, context: &'static str) -> PResult<Node> {
        let pipe = self.pipeline(context, &Kind::RightDelim)?;
        if context == "range" {
            self.range_depth += 1;
        }
        let body = self.item_list();
        if context == "range" {
            self.range_depth -= 1;
        }
        let (list, next) = body?;
        let mut else_list = None;
        if let Item::Else = next {
            let peek = self.peek();
            if context == "if" && peek.kind == Kind::Keyword(Keyword::If) {
                self.next();
                else_list = Some(vec![self.control("if")?]);
            } else if context == "with" && peek.kind == Kind::Keyword(Keyword::With) {
                self.next();
                else_list = Some(vec![self.control("with")?]);
            } else {
                let (l, end) = self.item_list()?;
                if !matches!(end, Item::End) {
                    return Err(self.fail("expected end; found {{else}}"));
                }
                else_list = Some(l);
            }
        }
        let branch = Branch {
            pos: pipe.pos,
            pipe,
            list,
            else_list,
        };
        Ok(match context {
            "if" => Node::If(branch),
            "with" => Node::With(branch),
            _ => Node::Range(branch),
        })
    }

    fn pipeline(&mut self, context: &str, end: &Kind) -> PResult<Pipe> {
        let pos = self.peek_non_space().pos;
        let mut pipe = Pipe {
            pos,
            decl: Vec::new(),
            is_assign: false,
            cmds: Vec::new(),
        };
        self.declarations(context, &mut pipe)?;
        loop {
            let t = self.next_non_space();
            if &t.kind == end {
                self.check_pipeline(&pipe, context)?;
                return Ok(pipe);
            }
            match t.kind {
                Kind::Bool(_)
                | Kind::Char(_)
                | Kind::Dot
                | Kind::Field(_)
                | Kind::Ident(_)
                | Kind::Number(_)
                | Kind::Nil
                | Kind::Str(_)
                | Kind::Var(_)
                | Kind::LParen => {
                    self.backup();
                    let cmd = self.command()?;
                    pipe.cmds.push(cmd);
                }
                _ => return Err(self.unexpected(&t, context)),
            }
        }
    }

    fn declarations(&mut self, context: &str, pipe: &mut Pipe) -> PResult<()> {
        loop {
            let start = self.pos;
            let v = self.peek_non_space();
            let Kind::Var(name) = v.kind else {
                return Ok(());
            };
            self.next_non_space();
            let after_var = self.peek();
            let next = self.peek_non_space();
            match next.kind {
                Kind::Assign | Kind::Declare => {
                    pipe.is_assign = next.kind == Kind::Assign;
                    self.next_non_space();
                    pipe.decl.push(name.clone());
                    self.vars.push(name);
                    return Ok(());
                }
                Kind::Char1(',') => {
                    self.next_non_space();
                    pipe.decl.push(name.clone());
                    self.vars.push(name);
                    if context == "range" && pipe.decl.len() < 2 {
                        match self.peek_non_space().kind {
                            Kind::Var(_) | Kind::RightDelim | Kind::RParen => continue,
                            _ => return Err(self.fail("range can only initialize variables")),
                        }
                    }
                    return Err(self.fail(format!("too many declarations in {context}")));
                }
                _ => {
                    // `$x` is an operand, not a declaration; Go keeps the space after it.
                    let _ = after_var;
                    self.pos = start;
                    return Ok(());
                }
            }
        }
    }

    fn check_pipeline(&self, pipe: &Pipe, context: &str) -> PResult<()> {
        if pipe.cmds.is_empty() {
            return Err(self.fail(format!("missing value for {context}")));
        }
        for (i, c) in pipe.cmds.iter().enumerate().skip(1) {
            if matches!(
                c.args.first().map(|a| &a.kind),
                Some(
                    ArgKind::Bool(_)
                        | ArgKind::Dot
                        | ArgKind::Nil
                        | ArgKind::Number(_)
                        | ArgKind::Str(..)
                )
            ) {
                return Err(self.fail(format!(
                    "non executable command in pipeline stage {}",
                    i + 1
                )));
            }
        }
        Ok(())
    }

    fn command(&mut self) -> PResult<Cmd> {
        let pos = self.peek_non_space().pos;
        let mut args = Vec::new();
        loop {
            self.peek_non_space();
            if let Some(op) = self.operand()? {
                args.push(op);
            }
            let t = self.next();
            match t.kind {
                Kind::Space(_) => continue,
                Kind::RightDelim | Kind::RParen => self.backup(),
                Kind::Pipe => {}
                _ => return Err(self.unexpected(&t, "operand")),
            }
            break;
        }
        if args.is_empty() {
            return Err(self.fail("empty command"));
        }
        Ok(Cmd { pos, args })
    }

    fn operand(&mut self) -> PResult<Option<Arg>> {
        let Some(term) = self.term()? else {
            return Ok(None);
        };
        if !matches!(self.peek().kind, Kind::Field(_)) {
            return Ok(Some(term));
        }
        // Go positions a chain at its first added field.
        let chain_pos = self.peek().pos;
        let mut fields = Vec::new();
        while let Kind::Field(f) = self.peek().kind {
            fields.push(f);
            self.next();
        }
        Ok(Some(match term.kind {
            ArgKind::Field(mut base) => {
                base.extend(fields);
                Arg {
                    pos: chain_pos,
                    kind: ArgKind::Field(base),
                }
            }
            ArgKind::Var(mut base) => {
                base.extend(fields);
                Arg {
                    pos: chain_pos,
                    kind: ArgKind::Var(base),
                }
            }
            ArgKind::Bool(_)
            | ArgKind::Str(..)
            | ArgKind::Number(_)
            | ArgKind::Nil
            | ArgKind::Dot => {
                return Err(self.fail(format!(
                    "unexpected . after term {}",
                    go_quote(&term.to_string())
                )));
            }
            _ => Arg {
                pos: chain_pos,
                kind: ArgKind::Chain(Box::new(term), fields),
            },
        }))
    }

    fn term(&mut self) -> PResult<Option<Arg>> {
        let t = self.next_non_space();
        let kind = match t.kind {
            Kind::Ident(name) => {
                if !self.funcs.contains(&name) {
                    return Err(self.fail(self.funcs.not_defined_message(&name)));
                }
                ArgKind::Ident(name)
            }
            Kind::Dot => ArgKind::Dot,
            Kind::Nil => ArgKind::Nil,
            Kind::Var(name) => {
                if !self.vars.contains(&name) {
                    return Err(self.fail(format!("undefined variable {}", go_quote(&name))));
                }
                ArgKind::Var(vec![name])
            }
            Kind::Field(f) => ArgKind::Field(vec![f]),
            Kind::Bool(b) => ArgKind::Bool(b),
            Kind::Number(text) | Kind::Char(text) => {
                ArgKind::Number(NumberLit::parse(&text).map_err(|e| self.fail(e))?)
            }
            Kind::Str(lit) => {
                let s = unquote(&lit).map_err(|e| self.fail(e))?;
                ArgKind::Str(s, lit)
            }
            Kind::LParen => {
                self.enter()?;
                let pipe = self.pipeline("parenthesized pipeline", &Kind::RParen);
                self.leave();
                ArgKind::Pipe(Box::new(pipe?))
            }
            _ => {
                self.backup();
                return Ok(None);
            }
        };
        Ok(Some(Arg { pos: t.pos, kind }))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parse_src(src: &str) -> PResult<Tree> {
        parse(src, &FuncMap::new(), 100)
    }

    #[test]
    fn nodes_print_back_like_go() {
        let t = parse_src("{{ .a.b | lower | printf \"%s-x\" }}").unwrap();
        assert_eq!(t.root[0].to_string(), "{{.a.b | lower | printf \"%s-x\"}}");
        let t = parse_src("{{if $x := .a}}A{{else if .b}}B{{else}}C{{end}}").unwrap();
        assert_eq!(
            t.root[0].to_string(),
            "{{if $x := .a}}A{{else}}{{if .b}}B{{else}}C{{end}}{{end}}"
        );
        let t = parse_src("{{ (index .m `k`).x }}").unwrap();
        assert_eq!(t.root[0].to_string(), "{{(index .m `k`).x}}");
    }

    #[test]
    fn chains_are_positioned_at_their_last_fields() {
        let t = parse_src("{{ .a.b }}").unwrap();
        let Node::Action { pipe, .. } = &t.root[0] else {
            panic!("not an action")
        };
        assert_eq!(pipe.cmds[0].args[0].pos, 5);
    }

    #[test]
    fn undefined_function_and_variable_are_parse_errors() {
        let e = parse_src("{{ nosuchfunc .a }}").unwrap_err();
        assert_eq!(e.message, "function \"nosuchfunc\" not defined");
        let e = parse_src("{{ $x }}").unwrap_err();
        assert_eq!(e.message, "undefined variable \"$x\"");
    }

    #[test]
    fn define_adds_named_templates() {
        let t = parse_src("{{define \"a\"}}x{{.}}{{end}}b").unwrap();
        assert_eq!(t.root.len(), 1);
        assert!(t.defs.contains_key("a"));
    }

    #[test]
    fn break_outside_range_is_rejected() {
        assert!(
            parse_src("{{break}}")
                .unwrap_err()
                .message
                .contains("outside")
        );
        assert!(parse_src("{{range .x}}{{break}}{{end}}").is_ok());
    }

    #[test]
    fn nesting_is_bounded() {
        let deep = format!(
            "{}1{}",
            "{{".to_string() + &"(".repeat(201),
            ")".repeat(201) + "}}"
        );
        let e = parse_src(&deep).unwrap_err();
        assert_eq!(e.limit, Some(LimitError::Depth(100)));
        let ifs = "{{if 1}}".repeat(150) + &"{{end}}".repeat(150);
        assert_eq!(
            parse_src(&ifs).unwrap_err().limit,
            Some(LimitError::Depth(100))
        );
    }

    #[test]
    fn numbers_follow_go_rules() {
        let n = NumberLit::parse("0x1F").unwrap();
        assert_eq!(n.int, Some(31));
        let n = NumberLit::parse("1e3").unwrap();
        assert_eq!(n.int, Some(1000));
        let n = NumberLit::parse("1.5").unwrap();
        assert_eq!((n.int, n.float), (None, Some(1.5)));
        assert_eq!(NumberLit::parse("010").unwrap().int, Some(8));
        assert_eq!(NumberLit::parse("1_000").unwrap().int, Some(1000));
        assert_eq!(NumberLit::parse("0x1p4").unwrap().float, Some(16.0));
        assert!(NumberLit::parse("99999999999999999999").is_err());
    }
}
