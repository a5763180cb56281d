//! Tokens of a Go template: text between actions, and the words inside `{{ }}`, with Go's trim
//! markers (`{{- `, ` -}}`) and comments (`{{/* */}}`) already applied.

/// Keywords that start or end control structures.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Keyword {
    If,
    Else,
    End,
    Range,
    With,
    Break,
    Continue,
    Define,
    Template,
    Block,
}

/// One lexical item.
#[derive(Clone, Debug, PartialEq)]
pub enum Tok {
    /// Literal text outside actions.
    Text(String),
    /// `{{`.
    LeftDelim,
    /// `}}`.
    RightDelim,
    /// A run of spaces inside an action (it separates arguments).
    Space,
    /// A function name.
    Ident(String),
    /// A control keyword.
    Keyword(Keyword),
    /// `.name` (the name without the dot).
    Field(String),
    /// `$name` or `$` (with the dollar).
    Var(String),
    /// A lone `.`.
    Dot,
    /// `true` / `false`.
    Bool(bool),
    /// `nil`.
    Nil,
    /// A string constant, unquoted.
    Str(String),
    /// A character constant: its code point and source text.
    Char(i64, String),
    /// A number constant in source form.
    Number(String),
    /// `|`.
    Pipe,
    /// `(`.
    LParen,
    /// `)`.
    RParen,
    /// `:=`.
    Declare,
    /// `=`.
    Assign,
    /// `,`.
    Comma,
    /// End of input.
    Eof,
}

impl Tok {
    /// How the token reads in an error message.
    pub fn describe(&self) -> String {
        match self {
            Tok::Text(t) => format!("text {t:?}"),
            Tok::LeftDelim => "\"{{\"".to_string(),
            Tok::RightDelim => "\"}}\"".to_string(),
            Tok::Space => "space".to_string(),
            Tok::Ident(s) => format!("identifier {s:?}"),
            Tok::Keyword(k) => format!("keyword {:?}", format!("{k:?}").to_lowercase()),
            Tok::Field(f) => format!("field \".{f}\""),
            Tok::Var(v) => format!("variable {v:?}"),
            Tok::Dot => "\".\"".to_string(),
            Tok::Bool(b) => format!("{b}"),
            Tok::Nil => "nil".to_string(),
            Tok::Str(s) => format!("string {s:?}"),
            Tok::Char(_, t) | Tok::Number(t) => format!("number {t:?}"),
            Tok::Pipe => "\"|\"".to_string(),
            Tok::LParen => "\"(\"".to_string(),
            Tok::RParen => "\")\"".to_string(),
            Tok::Declare => "\":=\"".to_string(),
            Tok::Assign => "\"=\"".to_string(),
            Tok::Comma => "\",\"".to_string(),
            Tok::Eof => "EOF".to_string(),
        }
    }
}

fn is_space(c: char) -> bool {
    matches!(c, ' ' | '\t' | '\r' | '\n')
}

fn is_alnum(c: char) -> bool {
    c == '_' || c.is_alphanumeric()
}

struct Lexer<'a> {
    src: &'a str,
    pos: usize,
    toks: Vec<Tok>,
    paren_depth: i32,
    /// A ` -}}` or `-}}` ended the last action: trim leading spaces of the next text.
    trim_next: bool,
}

/// Splits a template into tokens; errors read like Go's (`unclosed action`, `bad number syntax`).
pub fn lex(src: &str) -> Result<Vec<Tok>, String> {
    let mut lx = Lexer {
        src,
        pos: 0,
        toks: Vec::new(),
        paren_depth: 0,
        trim_next: false,
    };
    lx.run()?;
    Ok(lx.toks)
}

impl Lexer<'_> {
    fn rest(&self) -> &str {
        &self.src[self.pos..]
    }

    fn peek(&self) -> Option<char> {
        self.rest().chars().next()
    }

    fn run(&mut self) -> Result<(), String> {
        loop {
            let start = self.pos;
            let Some(idx) = self.rest().find("{{") else {
                self.push_text(&self.src[start..]);
                self.toks.push(Tok::Eof);
                return Ok(());
            };
            let delim_at = start + idx;
            let after = &self.src[delim_at + 2..];
            let left_trim = after.starts_with('-') && after[1..].starts_with(is_space);
            let mut text = &self.src[start..delim_at];
            if left_trim {
                text = text.trim_end_matches(is_space);
            }
            self.push_text(text);
            self.pos = delim_at + 2 + if left_trim { 2 } else { 0 };
            if self.rest().starts_with("/*") {
                self.lex_comment()?;
                continue;
            }
            self.toks.push(Tok::LeftDelim);
            self.paren_depth = 0;
            self.lex_action()?;
        }
    }

    fn push_text(&mut self, text: &str) {
        let text = if std::mem::take(&mut self.trim_next) {
            text.trim_start_matches(is_space)
        } else {
            text
        };
        if !text.is_empty() {
            self.toks.push(Tok::Text(text.to_string()));
        }
    }

    /// Checks for `}}` or ` -}}` at the current position; returns (is delimiter, trims).
    fn at_right_delim(&self) -> (bool, bool) {
        let r = self.rest();
        if r.starts_with("}}") {
            return (true, false);
        }
        let mut chars = r.chars();
        if let (Some(c), Some('-')) = (chars.next(), chars.next())
            && is_space(c)
            && r[c.len_utf8() + 1..].starts_with("}}")
        {
            return (true, true);
        }
        (false, false)
    }

    fn lex_comment(&mut self) -> Result<(), String> {
        // The body starts after `/*`: in `{{/*/ c */}}` the first `*/` is not the end.
        self.pos += 2;
        let Some(end) = self.rest().find("*/") else {
            return Err("unclosed comment".to_string());
        };
        self.pos += end + 2;
        let (delim, trim) = self.at_right_delim();
        if !delim {
            return Err("comment ends before closing delimiter".to_string());
        }
        self.pos += if trim { 2 } else { 0 } + 2;
        self.trim_next = trim;
        Ok(())
    }

    fn lex_action(&mut self) -> Result<(), String> {
        loop {
            let (delim, trim) = self.at_right_delim();
            if delim {
                if self.paren_depth > 0 {
                    return Err("unclosed left paren".to_string());
                }
                self.pos += if trim { 2 } else { 0 } + 2;
                self.toks.push(Tok::RightDelim);
                self.trim_next = trim;
                return Ok(());
            }
            let Some(c) = self.peek() else {
                return Err("unclosed action".to_string());
            };
            match c {
                c if is_space(c) => self.lex_space(),
                '=' => {
                    self.pos += 1;
                    self.toks.push(Tok::Assign);
                }
                ':' => {
                    if !self.rest().starts_with(":=") {
                        return Err("expected :=".to_string());
                    }
                    self.pos += 2;
                    self.toks.push(Tok::Declare);
                }
                '|' => {
                    self.pos += 1;
                    self.toks.push(Tok::Pipe);
                }
                ',' => {
                    self.pos += 1;
                    self.toks.push(Tok::Comma);
                }
                '(' => {
                    self.pos += 1;
                    self.paren_depth += 1;
                    self.toks.push(Tok::LParen);
                }
                ')' => {
                    self.pos += 1;
                    self.paren_depth -= 1;
                    if self.paren_depth < 0 {
                        return Err("unexpected right paren".to_string());
                    }
                    self.toks.push(Tok::RParen);
                }
                '"' => self.lex_quote()?,
                '`' => self.lex_raw_quote()?,
                '\'' => self.lex_char()?,
                '$' => self.lex_variable()?,
                '.' => {
                    let next = self.rest()[1..].chars().next();
                    if next.is_some_and(|n| n.is_ascii_digit()) {
                        self.lex_number()?;
                    } else {
                        self.lex_field()?;
                    }
                }
                '+' | '-' | '0'..='9' => self.lex_number()?,
                c if is_alnum(c) => self.lex_identifier()?,
                c => return Err(format!("unrecognized character in action: {c:?}")),
            }
        }
    }

    fn lex_space(&mut self) {
        let start = self.pos;
        while self.peek().is_some_and(is_space) {
            self.pos += 1;
        }
        // A space directly before `-}}` belongs to the trim marker.
        let last_space = self.pos - 1;
        let tail = &self.src[last_space..];
        if tail.len() > 1 && tail[1..].starts_with("-}}") {
            self.pos = last_space;
            if last_space == start {
                return;
            }
        }
        self.toks.push(Tok::Space);
    }

    fn at_terminator(&self) -> bool {
        match self.peek() {
            None => true,
            Some(c) if is_space(c) => true,
            Some('.' | ',' | '|' | ':' | ')' | '(') => true,
            _ => self.rest().starts_with("}}"),
        }
    }

    fn take_alnum(&mut self) -> &str {
        let start = self.pos;
        while self.peek().is_some_and(is_alnum) {
            self.pos += self.peek().map_or(1, char::len_utf8);
        }
        &self.src[start..self.pos]
    }

    fn lex_identifier(&mut self) -> Result<(), String> {
        let word = self.take_alnum().to_string();
        if !self.at_terminator() {
            return Err(format!("bad character {:?}", self.peek().unwrap_or(' ')));
        }
        let tok = match word.as_str() {
            "true" => Tok::Bool(true),
            "false" => Tok::Bool(false),
            "nil" => Tok::Nil,
            "if" => Tok::Keyword(Keyword::If),
            "else" => Tok::Keyword(Keyword::Else),
            "end" => Tok::Keyword(Keyword::End),
            "range" => Tok::Keyword(Keyword::Range),
            "with" => Tok::Keyword(Keyword::With),
            "break" => Tok::Keyword(Keyword::Break),
            "continue" => Tok::Keyword(Keyword::Continue),
            "define" => Tok::Keyword(Keyword::Define),
            "template" => Tok::Keyword(Keyword::Template),
            "block" => Tok::Keyword(Keyword::Block),
            _ => Tok::Ident(word),
        };
        self.toks.push(tok);
        Ok(())
    }

    fn lex_field(&mut self) -> Result<(), String> {
        self.pos += 1;
        if !self.peek().is_some_and(is_alnum) {
            self.toks.push(Tok::Dot);
            return Ok(());
        }
        let name = self.take_alnum().to_string();
        if !self.at_terminator() {
            return Err(format!("bad character {:?}", self.peek().unwrap_or(' ')));
        }
        self.toks.push(Tok::Field(name));
        Ok(())
    }

    fn lex_variable(&mut self) -> Result<(), String> {
        self.pos += 1;
        let name = format!("${}", self.take_alnum());
        if !self.at_terminator() {
            return Err(format!("bad character {:?}", self.peek().unwrap_or(' ')));
        }
        self.toks.push(Tok::Var(name));
        Ok(())
    }

    fn accept(&mut self, set: &str) -> bool {
        if let Some(c) = self.peek()
            && set.contains(c)
        {
            self.pos += 1;
            return true;
        }
        false
    }

    fn accept_run(&mut self, set: &str) {
        while self.accept(set) {}
    }

    fn lex_number(&mut self) -> Result<(), String> {
        let start = self.pos;
        self.accept("+-");
        let mut digits = "0123456789_";
        if self.accept("0") {
            if self.accept("xX") {
                digits = "0123456789abcdefABCDEF_";
            } else if self.accept("oO") {
                digits = "01234567_";
            } else if self.accept("bB") {
                digits = "01_";
            }
        }
        self.accept_run(digits);
        if self.accept(".") {
            self.accept_run(digits);
        }
        if digits.len() == 11 && self.accept("eE") {
            self.accept("+-");
            self.accept_run("0123456789_");
        }
        if digits.len() == 23 && self.accept("pP") {
            self.accept("+-");
            self.accept_run("0123456789_");
        }
        if self.peek().is_some_and(is_alnum) {
            self.pos += self.peek().map_or(1, char::len_utf8);
            return Err(format!(
                "bad number syntax: {:?}",
                &self.src[start..self.pos]
            ));
        }
        self.toks
            .push(Tok::Number(self.src[start..self.pos].to_string()));
        Ok(())
    }

    fn lex_quote(&mut self) -> Result<(), String> {
        let start = self.pos;
        self.pos += 1;
        loop {
            match self.peek() {
                None | Some('\n') => return Err("unterminated quoted string".to_string()),
                Some('\\') => {
                    self.pos += 1;
                    match self.peek() {
                        None | Some('\n') => {
                            return Err("unterminated quoted string".to_string());
                        }
                        Some(c) => self.pos += c.len_utf8(),
                    }
                }
                Some('"') => {
                    self.pos += 1;
                    break;
                }
                Some(c) => self.pos += c.len_utf8(),
            }
        }
        let raw = &self.src[start + 1..self.pos - 1];
        let s = unescape(raw, '"')?;
        self.toks.push(Tok::Str(s));
        Ok(())
    }

    fn lex_raw_quote(&mut self) -> Result<(), String> {
        let body_start = self.pos + 1;
        let Some(end) = self.src[body_start..].find('`') else {
            return Err("unterminated raw quoted string".to_string());
        };
        let s = self.src[body_start..body_start + end].replace('\r', "");
        self.pos = body_start + end + 1;
        self.toks.push(Tok::Str(s));
        Ok(())
    }

    fn lex_char(&mut self) -> Result<(), String> {
        let start = self.pos;
        self.pos += 1;
        loop {
            match self.peek() {
                None | Some('\n') => return Err("unterminated character constant".to_string()),
                Some('\\') => {
                    self.pos += 1;
                    if let Some(c) = self.peek() {
                        self.pos += c.len_utf8();
                    }
                }
                Some('\'') => {
                    self.pos += 1;
                    break;
                }
                Some(c) => self.pos += c.len_utf8(),
            }
        }
        let text = &self.src[start..self.pos];
        let body = unescape(&text[1..text.len() - 1], '\'')?;
        let mut chars = body.chars();
        match (chars.next(), chars.next()) {
            (Some(c), None) => {
                self.toks.push(Tok::Char(c as i64, text.to_string()));
                Ok(())
            }
            _ => Err(format!("malformed character constant: {text}")),
        }
    }
}

/// Go's `strconv.Unquote` escapes inside a quoted string or character constant.
fn unescape(raw: &str, quote: char) -> Result<String, String> {
    let mut out = String::with_capacity(raw.len());
    let mut chars = raw.chars().peekable();
    let bad = || format!("invalid syntax in quoted string: {raw:?}");
    while let Some(c) = chars.next() {
        if c != '\\' {
            out.push(c);
            continue;
        }
        let Some(e) = chars.next() else {
            return Err(bad());
        };
        match e {
            'a' => out.push('\u{7}'),
            'b' => out.push('\u{8}'),
            'f' => out.push('\u{c}'),
            'n' => out.push('\n'),
            'r' => out.push('\r'),
            't' => out.push('\t'),
            'v' => out.push('\u{b}'),
            '\\' => out.push('\\'),
            c if c == quote => out.push(c),
            'x' | 'u' | 'U' => {
                let n = match e {
                    'x' => 2,
                    'u' => 4,
                    _ => 8,
                };
                let hex: String = (0..n).filter_map(|_| chars.next()).collect();
                let code = u32::from_str_radix(&hex, 16).map_err(|_| bad())?;
                if hex.len() != n {
                    return Err(bad());
                }
                out.push(char::from_u32(code).ok_or_else(bad)?);
            }
            '0'..='7' => {
                let mut oct = String::from(e);
                for _ in 0..2 {
                    oct.push(chars.next().ok_or_else(bad)?);
                }
                let code = u32::from_str_radix(&oct, 8).map_err(|_| bad())?;
                if code > 255 {
                    return Err(bad());
                }
                out.push(char::from_u32(code).ok_or_else(bad)?);
            }
            _ => return Err(bad()),
        }
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn trim_markers_remove_surrounding_whitespace() {
        let toks = lex("a  {{- .x -}}\n  b").unwrap();
        assert_eq!(
            toks,
            vec![
                Tok::Text("a".into()),
                Tok::LeftDelim,
                Tok::Field("x".into()),
                Tok::RightDelim,
                Tok::Text("b".into()),
                Tok::Eof
            ]
        );
    }

    #[test]
    fn negative_number_is_not_a_trim_marker() {
        let toks = lex("{{-3}}").unwrap();
        assert_eq!(toks[1], Tok::Number("-3".into()));
    }

    #[test]
    fn comments_vanish_and_strings_may_hold_delimiters() {
        let toks = lex("x {{/* c */}} {{ \"}}\" }}").unwrap();
        assert_eq!(toks[0], Tok::Text("x ".into()));
        assert_eq!(toks[1], Tok::Text(" ".into()));
        assert!(toks.contains(&Tok::Str("}}".into())));
    }

    #[test]
    fn unclosed_action_is_an_error() {
        assert!(lex("{{ .a ").unwrap_err().contains("unclosed action"));
    }

    #[test]
    fn comment_body_starts_after_its_opening_marker() {
        let toks = lex("{{/*/ c */}}x").unwrap();
        assert_eq!(toks, vec![Tok::Text("x".into()), Tok::Eof]);
    }
}
