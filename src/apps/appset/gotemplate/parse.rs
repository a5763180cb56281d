//! The parse tree of a Go template, built with Go's rules: variables must be declared before
//! use, functions must exist, `{{break}}` only inside `{{range}}`, `else if` chains share `end`.

use std::fmt;

use super::funcs;
use super::lex::{Keyword, Tok};

/// A number constant, read the way `text/template/parse` reads it.
#[derive(Clone, Debug)]
pub struct NumberLit {
    /// Source text (for error messages and the int-or-float decision).
    pub text: String,
    /// Its value as an integer, when it is one (`1e3` is).
    pub int: Option<i64>,
    /// Its value as a float, when it is one.
    pub float: Option<f64>,
    /// A character constant such as `'a'`.
    pub is_char: bool,
}

impl NumberLit {
    fn parse(text: &str) -> Result<NumberLit, String> {
        let int = parse_go_int(text);
        let float = match int {
            Some(i) => Some(i as f64),
            None => {
                let cleaned: String = text.chars().filter(|c| *c != '_').collect();
                let lower = cleaned.to_ascii_lowercase();
                let hexish = lower.trim_start_matches(['+', '-']).starts_with("0x");
                if hexish {
                    None
                } else {
                    cleaned.parse::<f64>().ok()
                }
            }
        };
        let int = int.or_else(|| {
            float.and_then(|f| (f.fract() == 0.0 && f.abs() < 9.2e18).then_some(f as i64))
        });
        if int.is_none() && float.is_none() {
            return Err(format!("illegal number syntax: {text:?}"));
        }
        Ok(NumberLit {
            text: text.to_string(),
            int,
            float,
            is_char: false,
        })
    }
}

/// Go's `strconv.ParseInt(text, 0, 64)`: sign, then 0x/0o/0b prefixes or a leading 0 for octal.
fn parse_go_int(text: &str) -> Option<i64> {
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
    let digits: String = digits.chars().filter(|c| *c != '_').collect();
    if digits.is_empty() {
        return None;
    }
    let v = i128::from_str_radix(&digits, radix).ok()?;
    let v = if neg { -v } else { v };
    i64::try_from(v).ok()
}

/// One operand of a command.
#[derive(Clone, Debug)]
pub enum Arg {
    /// `.`
    Dot,
    /// `nil`
    Nil,
    /// `true` / `false`
    Bool(bool),
    /// A number or character constant.
    Number(NumberLit),
    /// A string constant.
    Str(String),
    /// `.a.b`
    Field(Vec<String>),
    /// `$x.a.b` (name with the dollar, then fields).
    Var(String, Vec<String>),
    /// A function name.
    Ident(String),
    /// `(pipeline).a.b` or `fn.a`.
    Chain(Box<Arg>, Vec<String>),
    /// `(pipeline)`
    Pipe(Box<Pipe>),
}

impl fmt::Display for Arg {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Arg::Dot => f.write_str("."),
            Arg::Nil => f.write_str("nil"),
            Arg::Bool(b) => write!(f, "{b}"),
            Arg::Number(n) => f.write_str(&n.text),
            Arg::Str(s) => write!(f, "{s:?}"),
            Arg::Field(fields) => {
                for name in fields {
                    write!(f, ".{name}")?;
                }
                Ok(())
            }
            Arg::Var(v, fields) => {
                f.write_str(v)?;
                for name in fields {
                    write!(f, ".{name}")?;
                }
                Ok(())
            }
            Arg::Ident(i) => f.write_str(i),
            Arg::Chain(node, fields) => {
                write!(f, "{node}")?;
                for name in fields {
                    write!(f, ".{name}")?;
                }
                Ok(())
            }
            Arg::Pipe(p) => write!(f, "({p})"),
        }
    }
}

/// A command: a function and its arguments, or a single operand.
#[derive(Clone, Debug)]
pub struct Cmd {
    /// The words of the command.
    pub args: Vec<Arg>,
}

/// A pipeline with optional variable declarations (`$x := ...`, `$i, $e := ...`).
#[derive(Clone, Debug)]
pub struct Pipe {
    /// Declared or assigned variables.
    pub decl: Vec<String>,
    /// `=` rather than `:=`.
    pub is_assign: bool,
    /// Commands joined by `|`.
    pub cmds: Vec<Cmd>,
}

impl fmt::Display for Pipe {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if !self.decl.is_empty() {
            write!(
                f,
                "{} {} ",
                self.decl.join(", "),
                if self.is_assign { "=" } else { ":=" }
            )?;
        }
        for (i, c) in self.cmds.iter().enumerate() {
            if i > 0 {
                f.write_str(" | ")?;
            }
            for (j, a) in c.args.iter().enumerate() {
                if j > 0 {
                    f.write_str(" ")?;
                }
                write!(f, "{a}")?;
            }
        }
        Ok(())
    }
}

/// A node of the template body.
#[derive(Clone, Debug)]
pub enum Node {
    /// Literal text.
    Text(String),
    /// `{{pipeline}}`
    Action(Pipe),
    /// `{{if}}...{{else}}...{{end}}`
    If(Pipe, Vec<Node>, Vec<Node>),
    /// `{{with}}...{{else}}...{{end}}`
    With(Pipe, Vec<Node>, Vec<Node>),
    /// `{{range}}...{{else}}...{{end}}`
    Range(Pipe, Vec<Node>, Vec<Node>),
    /// `{{break}}`
    Break,
    /// `{{continue}}`
    Continue,
}

enum Item {
    Node(Node),
    End,
    Else,
}

struct Parser {
    toks: Vec<Tok>,
    pos: usize,
    vars: Vec<String>,
    range_depth: usize,
}

/// Parses tokens into a node list.
pub fn parse(toks: Vec<Tok>) -> Result<Vec<Node>, String> {
    let mut p = Parser {
        toks,
        pos: 0,
        vars: vec!["$".to_string()],
        range_depth: 0,
    };
    let mut nodes = Vec::new();
    loop {
        if p.peek() == &Tok::Eof {
            return Ok(nodes);
        }
        match p.text_or_action()? {
            Item::Node(n) => nodes.push(n),
            Item::End => return Err("unexpected {{end}}".to_string()),
            Item::Else => return Err("unexpected {{else}}".to_string()),
        }
    }
}

impl Parser {
    fn peek(&self) -> &Tok {
        self.toks.get(self.pos).unwrap_or(&Tok::Eof)
    }

    fn next(&mut self) -> Tok {
        let t = self.peek().clone();
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
            if t != Tok::Space {
                return t;
            }
        }
    }

    fn peek_non_space(&mut self) -> Tok {
        let t = self.next_non_space();
        self.backup();
        t
    }

    fn expect(&mut self, want: Tok, context: &str) -> Result<(), String> {
        let t = self.next_non_space();
        if t != want {
            return Err(format!("unexpected {} in {context}", t.describe()));
        }
        Ok(())
    }

    fn text_or_action(&mut self) -> Result<Item, String> {
        match self.next_non_space() {
            Tok::Text(t) => Ok(Item::Node(Node::Text(t))),
            Tok::LeftDelim => self.action(),
            t => Err(format!("unexpected {} in input", t.describe())),
        }
    }

    /// Nodes up to the `{{end}}` or `{{else}}` that closes a control structure.
    fn item_list(&mut self) -> Result<(Vec<Node>, Item), String> {
        let mut nodes = Vec::new();
        loop {
            if self.peek() == &Tok::Eof {
                return Err("unexpected EOF".to_string());
            }
            match self.text_or_action()? {
                Item::Node(n) => nodes.push(n),
                end => return Ok((nodes, end)),
            }
        }
    }

    fn action(&mut self) -> Result<Item, String> {
        match self.next_non_space() {
            Tok::Keyword(Keyword::If) => self.control("if").map(Item::Node),
            Tok::Keyword(Keyword::With) => self.control("with").map(Item::Node),
            Tok::Keyword(Keyword::Range) => self.control("range").map(Item::Node),
            Tok::Keyword(Keyword::End) => {
                self.expect(Tok::RightDelim, "end")?;
                Ok(Item::End)
            }
            Tok::Keyword(Keyword::Else) => {
                // `else if` / `else with`: leave the keyword for the enclosing control.
                if matches!(
                    self.peek_non_space(),
                    Tok::Keyword(Keyword::If | Keyword::With)
                ) {
                    return Ok(Item::Else);
                }
                self.expect(Tok::RightDelim, "else")?;
                Ok(Item::Else)
            }
            Tok::Keyword(k @ (Keyword::Break | Keyword::Continue)) => {
                let name = if k == Keyword::Break {
                    "break"
                } else {
                    "continue"
                };
                if self.range_depth == 0 {
                    return Err(format!("{{{{{name}}}}} outside {{{{range}}}}"));
                }
                self.expect(Tok::RightDelim, name)?;
                Ok(Item::Node(if k == Keyword::Break {
                    Node::Break
                } else {
                    Node::Continue
                }))
            }
            Tok::Keyword(k @ (Keyword::Define | Keyword::Template | Keyword::Block)) => {
                // Argo CD parses each field on its own, so named templates cannot be shared
                // between fields; they are not supported here.
                Err(format!(
                    "{{{{{}}}}} is not supported in ApplicationSet templates",
                    format!("{k:?}").to_lowercase()
                ))
            }
            _ => {
                self.backup();
                let pipe = self.pipeline("command", &Tok::RightDelim)?;
                Ok(Item::Node(Node::Action(pipe)))
            }
        }
    }

    fn control(&mut self, context: &'static str) -> Result<Node, String> {
        let vars_mark = self.vars.len();
        let result = self.control_inner(context);
        self.vars.truncate(vars_mark);
        result
    }

    fn control_inner(&mut self, context: &'static str) -> Result<Node, String> {
        let pipe = self.pipeline(context, &Tok::RightDelim)?;
        if context == "range" {
            self.range_depth += 1;
        }
        let body = self.item_list();
        if context == "range" {
            self.range_depth -= 1;
        }
        let (list, next) = body?;
        let mut else_list = Vec::new();
        if let Item::Else = next {
            let chained = match (context, self.peek_non_space()) {
                ("if", Tok::Keyword(Keyword::If)) => Some("if"),
                ("with", Tok::Keyword(Keyword::With)) => Some("with"),
                _ => None,
            };
            if let Some(inner) = chained {
                self.next_non_space();
                else_list.push(self.control(inner)?);
            } else {
                let (l, end) = self.item_list()?;
                if !matches!(end, Item::End) {
                    return Err("expected end; found {{else}}".to_string());
                }
                else_list = l;
            }
        }
        Ok(match context {
            "if" => Node::If(pipe, list, else_list),
            "with" => Node::With(pipe, list, else_list),
            _ => Node::Range(pipe, list, else_list),
        })
    }

    fn pipeline(&mut self, context: &str, end: &Tok) -> Result<Pipe, String> {
        let mut pipe = Pipe {
            decl: Vec::new(),
            is_assign: false,
            cmds: Vec::new(),
        };
        self.declarations(context, &mut pipe)?;
        loop {
            let t = self.next_non_space();
            if &t == end {
                self.check_pipeline(&pipe, context)?;
                return Ok(pipe);
            }
            match t {
                Tok::Bool(_)
                | Tok::Char(..)
                | Tok::Dot
                | Tok::Field(_)
                | Tok::Ident(_)
                | Tok::Number(_)
                | Tok::Nil
                | Tok::Var(_)
                | Tok::Str(_)
                | Tok::LParen => {
                    self.backup();
                    let cmd = self.command()?;
                    pipe.cmds.push(cmd);
                }
                t => return Err(format!("unexpected {} in {context}", t.describe())),
            }
        }
    }

    fn declarations(&mut self, context: &str, pipe: &mut Pipe) -> Result<(), String> {
        let start = self.pos;
        let Tok::Var(first) = self.next_non_space() else {
            self.pos = start;
            return Ok(());
        };
        match self.next_non_space() {
            Tok::Declare | Tok::Assign => {
                pipe.is_assign = self.toks[self.pos - 1] == Tok::Assign;
                pipe.decl.push(first.clone());
                self.vars.push(first);
                Ok(())
            }
            Tok::Comma if context == "range" => {
                pipe.decl.push(first.clone());
                self.vars.push(first);
                let Tok::Var(second) = self.next_non_space() else {
                    return Err("range can only initialize variables".to_string());
                };
                match self.next_non_space() {
                    Tok::Declare | Tok::Assign => {
                        pipe.is_assign = self.toks[self.pos - 1] == Tok::Assign;
                        pipe.decl.push(second.clone());
                        self.vars.push(second);
                        Ok(())
                    }
                    t => Err(format!("unexpected {} in range", t.describe())),
                }
            }
            Tok::Comma => Err(format!("too many declarations in {context}")),
            _ => {
                self.pos = start;
                Ok(())
            }
        }
    }

    fn check_pipeline(&self, pipe: &Pipe, context: &str) -> Result<(), String> {
        if pipe.cmds.is_empty() {
            return Err(format!("missing value for {context}"));
        }
        for (i, c) in pipe.cmds.iter().enumerate().skip(1) {
            if matches!(
                c.args.first(),
                Some(Arg::Bool(_) | Arg::Dot | Arg::Nil | Arg::Number(_) | Arg::Str(_))
            ) {
                return Err(format!(
                    "non executable command in pipeline stage {}",
                    i + 1
                ));
            }
        }
        Ok(())
    }

    fn command(&mut self) -> Result<Cmd, String> {
        let mut args = Vec::new();
        loop {
            self.peek_non_space();
            if let Some(op) = self.operand()? {
                args.push(op);
            }
            match self.next() {
                Tok::Space => continue,
                Tok::RightDelim | Tok::RParen => self.backup(),
                Tok::Pipe => {}
                t => return Err(format!("unexpected {} in operand", t.describe())),
            }
            break;
        }
        if args.is_empty() {
            return Err("empty command".to_string());
        }
        Ok(Cmd { args })
    }

    fn operand(&mut self) -> Result<Option<Arg>, String> {
        let Some(term) = self.term()? else {
            return Ok(None);
        };
        let mut fields = Vec::new();
        while let Tok::Field(f) = self.peek() {
            fields.push(f.clone());
            self.pos += 1;
        }
        if fields.is_empty() {
            return Ok(Some(term));
        }
        Ok(Some(match term {
            Arg::Field(mut base) => {
                base.extend(fields);
                Arg::Field(base)
            }
            Arg::Var(name, mut base) => {
                base.extend(fields);
                Arg::Var(name, base)
            }
            Arg::Bool(_) | Arg::Str(_) | Arg::Number(_) | Arg::Nil | Arg::Dot => {
                return Err(format!("unexpected . after term {:?}", term.to_string()));
            }
            other => Arg::Chain(Box::new(other), fields),
        }))
    }

    fn term(&mut self) -> Result<Option<Arg>, String> {
        Ok(Some(match self.next_non_space() {
            Tok::Ident(name) => {
                if !funcs::exists(&name) {
                    return Err(funcs::not_defined_message(&name));
                }
                Arg::Ident(name)
            }
            Tok::Dot => Arg::Dot,
            Tok::Nil => Arg::Nil,
            Tok::Var(name) => {
                if !self.vars.contains(&name) {
                    return Err(format!("undefined variable {name:?}"));
                }
                Arg::Var(name, Vec::new())
            }
            Tok::Field(f) => Arg::Field(vec![f]),
            Tok::Bool(b) => Arg::Bool(b),
            Tok::Number(text) => Arg::Number(NumberLit::parse(&text)?),
            Tok::Char(code, text) => Arg::Number(NumberLit {
                text,
                int: Some(code),
                float: Some(code as f64),
                is_char: true,
            }),
            Tok::Str(s) => Arg::Str(s),
            Tok::LParen => {
                let pipe = self.pipeline("parenthesized pipeline", &Tok::RParen)?;
                Arg::Pipe(Box::new(pipe))
            }
            _ => {
                self.backup();
                return Ok(None);
            }
        }))
    }
}

#[cfg(test)]
mod tests {
    use super::super::lex::lex;
    use super::*;

    fn parse_src(src: &str) -> Result<Vec<Node>, String> {
        parse(lex(src)?)
    }

    #[test]
    fn field_chains_and_pipelines_parse() {
        let nodes = parse_src("{{ .a.b | lower | printf \"%s-x\" }}").unwrap();
        let Node::Action(pipe) = &nodes[0] else {
            panic!("not an action")
        };
        assert_eq!(pipe.cmds.len(), 3);
        assert_eq!(pipe.to_string(), ".a.b | lower | printf \"%s-x\"");
    }

    #[test]
    fn undefined_function_and_variable_are_parse_errors() {
        assert!(
            parse_src("{{ nosuchfunc .a }}")
                .unwrap_err()
                .contains("not defined")
        );
        assert!(
            parse_src("{{ $x }}")
                .unwrap_err()
                .contains("undefined variable")
        );
    }

    #[test]
    fn else_if_chains_share_one_end() {
        let nodes = parse_src("{{if .a}}A{{else if .b}}B{{else}}C{{end}}").unwrap();
        let Node::If(_, _, else_list) = &nodes[0] else {
            panic!("not an if")
        };
        assert!(matches!(else_list[0], Node::If(..)));
    }

    #[test]
    fn break_outside_range_is_rejected() {
        assert!(parse_src("{{break}}").unwrap_err().contains("outside"));
        assert!(parse_src("{{range .x}}{{break}}{{end}}").is_ok());
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
    }
}
