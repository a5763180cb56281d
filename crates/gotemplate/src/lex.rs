//! Tokens of a Go template, as `text/template/parse`'s lexer produces them: text between
//! actions (with `{{- ` / ` -}}` trimming already applied, comments dropped) and the words
//! inside actions, each with its byte offset (for error positions) and line.

/// What a token is.
#[derive(Clone, Debug, PartialEq)]
pub enum Kind {
    /// Literal text outside actions.
    Text(String),
    /// `{{`
    LeftDelim,
    /// `}}`
    RightDelim,
    /// A run of spaces inside an action (it separates arguments).
    Space(String),
    /// A function name.
    Ident(String),
    /// A control keyword (`if`, `range`, `end`...).
    Keyword(Keyword),
    /// `.name`, without the dot.
    Field(String),
    /// `$name` or `$`, with the dollar.
    Var(String),
    /// A lone `.`.
    Dot,
    /// `true` / `false`.
    Bool(bool),
    /// `nil`
    Nil,
    /// A quoted or raw string as written, quotes included.
    Str(String),
    /// A character constant as written, quotes included.
    Char(String),
    /// A number as written.
    Number(String),
    /// `|`
    Pipe,
    /// `(`
    LParen,
    /// `)`
    RParen,
    /// `:=`
    Declare,
    /// `=`
    Assign,
    /// Any other printable ASCII character (`,` separates range variables; the parser rejects
    /// the rest with Go's "unexpected" message).
    Char1(char),
    /// A lexical error, with Go's message.
    Error(String),
    /// End of input.
    Eof,
}

/// Keywords that start or end control structures.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Keyword {
    /// `if`
    If,
    /// `else`
    Else,
    /// `end`
    End,
    /// `range`
    Range,
    /// `with`
    With,
    /// `break`
    Break,
    /// `continue`
    Continue,
    /// `define`
    Define,
    /// `template`
    Template,
    /// `block`
    Block,
}

impl Keyword {
    /// The keyword as written.
    pub fn word(self) -> &'static str {
        match self {
            Keyword::If => "if",
            Keyword::Else => "else",
            Keyword::End => "end",
            Keyword::Range => "range",
            Keyword::With => "with",
            Keyword::Break => "break",
            Keyword::Continue => "continue",
            Keyword::Define => "define",
            Keyword::Template => "template",
            Keyword::Block => "block",
        }
    }
}

/// One token.
#[derive(Clone, Debug, PartialEq)]
pub struct Tok {
    /// What it is.
    pub kind: Kind,
    /// Byte offset of its start in the template text.
    pub pos: usize,
    /// 1-based line of its start.
    pub line: usize,
}

impl Tok {
    /// How Go's parser names the token in "unexpected ..." messages (`item.String()`):
    /// keywords, `.` and `nil` in angle brackets, everything else quoted as written.
    pub fn describe(&self) -> String {
        match &self.kind {
            Kind::Keyword(k) => format!("<{}>", k.word()),
            Kind::Dot => "<.>".into(),
            Kind::Nil => "<nil>".into(),
            Kind::Error(e) => e.clone(),
            Kind::Eof => "EOF".into(),
            Kind::Text(t) | Kind::Space(t) | Kind::Ident(t) | Kind::Var(t) => go_q(t),
            Kind::Str(t) | Kind::Char(t) | Kind::Number(t) => go_q(t),
            Kind::Field(f) => go_q(&format!(".{f}")),
            Kind::Bool(b) => go_q(&b.to_string()),
            Kind::LeftDelim => go_q("{{"),
            Kind::RightDelim => go_q("}}"),
            Kind::Pipe => go_q("|"),
            Kind::LParen => go_q("("),
            Kind::RParen => go_q(")"),
            Kind::Declare => go_q(":="),
            Kind::Assign => go_q("="),
            Kind::Char1(c) => go_q(&c.to_string()),
        }
    }
}

/// `%q` of a short string, the way Go's item.String() shows text (long text is abbreviated).
fn go_q(s: &str) -> String {
    if s.chars().count() > 10 {
        let head: String = s.chars().take(10).collect();
        format!("{}...", crate::value::go_quote(&head))
    } else {
        crate::value::go_quote(s)
    }
}

fn is_space(c: char) -> bool {
    matches!(c, ' ' | '\t' | '\r' | '\n')
}

/// Go's `isAlphaNumeric`: letters, digits and underscore (Unicode included).
pub fn is_alnum(c: char) -> bool {
    c == '_' || c.is_alphabetic() || c.is_numeric()
}

fn trim_left_spaces(s: &str) -> &str {
    s.trim_start_matches(is_space)
}

fn has_left_trim_marker(s: &str) -> bool {
    let b = s.as_bytes();
    b.len() >= 2 && b[0] == b'-' && is_space(b[1] as char)
}

fn has_right_trim_marker(s: &str) -> bool {
    let b = s.as_bytes();
    b.len() >= 2 && is_space(b[0] as char) && b[1] == b'-'
}

struct Lexer<'a> {
    src: &'a str,
    pos: usize,
    start: usize,
    line: usize,
    start_line: usize,
    toks: Vec<Tok>,
    paren_depth: i32,
}

/// Splits a template into tokens. A lexical error ends the list with a [`Kind::Error`] token
/// (the parser reports it where it meets it, as Go does).
pub fn lex(src: &str) -> Vec<Tok> {
    let mut lx = Lexer {
        src,
        pos: 0,
        start: 0,
        line: 1,
        start_line: 1,
        toks: Vec::new(),
        paren_depth: 0,
    };
    if let Err(msg) = lx.run() {
        lx.toks.push(Tok {
            kind: Kind::Error(msg),
            pos: lx.start,
            line: lx.start_line,
        });
    }
    lx.toks
}

impl Lexer<'_> {
    fn rest(&self) -> &str {
        &self.src[self.pos..]
    }

    fn peek(&self) -> Option<char> {
        self.rest().chars().next()
    }

    fn next_char(&mut self) -> Option<char> {
        let c = self.peek()?;
        self.pos += c.len_utf8();
        if c == '\n' {
            self.line += 1;
        }
        Some(c)
    }

    fn backup(&mut self, c: char) {
        self.pos -= c.len_utf8();
        if c == '\n' {
            self.line -= 1;
        }
    }

    /// Emits the text from `start` to `pos` as a token of `kind`.
    fn emit(&mut self, kind: Kind) {
        self.toks.push(Tok {
            kind,
            pos: self.start,
            line: self.start_line,
        });
        self.ignore();
    }

    fn ignore(&mut self) {
        self.start = self.pos;
        self.start_line = self.line;
    }

    /// Moves over `n` bytes, counting lines.
    fn skip(&mut self, n: usize) {
        let skipped = &self.src[self.pos..self.pos + n];
        self.line += skipped.matches('\n').count();
        self.pos += n;
    }

    fn word(&self) -> &str {
        &self.src[self.start..self.pos]
    }

    fn run(&mut self) -> Result<(), String> {
        loop {
            // Text up to the next left delimiter.
            let Some(x) = self.rest().find("{{") else {
                self.pos = self.src.len();
                if self.pos > self.start {
                    let text = self.src[self.start..self.pos].to_string();
                    self.line += text.matches('\n').count();
                    self.emit(Kind::Text(text));
                }
                self.emit(Kind::Eof);
                return Ok(());
            };
            if x > 0 {
                let delim_at = self.pos + x;
                let after = &self.src[delim_at + 2..];
                let mut text_end = delim_at;
                if has_left_trim_marker(after) {
                    text_end = self.src[self.start..delim_at]
                        .trim_end_matches(is_space)
                        .len()
                        + self.start;
                }
                let text = self.src[self.start..text_end].to_string();
                self.line += self.src[self.start..delim_at].matches('\n').count();
                if !text.is_empty() {
                    self.toks.push(Tok {
                        kind: Kind::Text(text),
                        pos: self.start,
                        line: self.start_line,
                    });
                }
                self.pos = delim_at;
                self.ignore();
            }
            self.lex_left_delim()?;
        }
    }

    fn lex_left_delim(&mut self) -> Result<(), String> {
        self.pos += 2;
        let trim = has_left_trim_marker(self.rest());
        let after_marker = if trim { 2 } else { 0 };
        if self.src[self.pos + after_marker..].starts_with("/*") {
            self.skip(after_marker);
            self.ignore();
            return self.lex_comment();
        }
        let tok = Tok {
            kind: Kind::LeftDelim,
            pos: self.start,
            line: self.start_line,
        };
        self.toks.push(tok);
        self.skip(after_marker);
        self.ignore();
        self.paren_depth = 0;
        self.lex_inside_action()
    }

    fn lex_comment(&mut self) -> Result<(), String> {
        // The body starts after `/*`: in `{{/*/ c */}}` the first `*/` is not the end.
        self.pos += 2;
        let Some(x) = self.rest().find("*/") else {
            return Err("unclosed comment".into());
        };
        self.skip(x + 2);
        let (delim, trim) = self.at_right_delim();
        if !delim {
            return Err("comment ends before closing delimiter".into());
        }
        if trim {
            self.pos += 2;
        }
        self.pos += 2;
        if trim {
            let n = self.rest().len() - trim_left_spaces(self.rest()).len();
            self.skip(n);
        }
        self.ignore();
        Ok(())
    }

    fn at_right_delim(&self) -> (bool, bool) {
        let r = self.rest();
        if has_right_trim_marker(r) && r[2..].starts_with("}}") {
            return (true, true);
        }
        (r.starts_with("}}"), false)
    }

    fn lex_right_delim(&mut self) {
        let (_, trim) = self.at_right_delim();
        if trim {
            self.pos += 2;
            self.ignore();
        }
        self.pos += 2;
        self.emit(Kind::RightDelim);
        if trim {
            let n = self.rest().len() - trim_left_spaces(self.rest()).len();
            self.skip(n);
            self.ignore();
        }
    }

    fn at_terminator(&self) -> bool {
        match self.peek() {
            None => true,
            Some(c) if is_space(c) => true,
            Some('.' | ',' | '|' | ':' | ')' | '(') => true,
            _ => self.rest().starts_with("}}"),
        }
    }

    fn lex_inside_action(&mut self) -> Result<(), String> {
        loop {
            let (delim, _) = self.at_right_delim();
            if delim {
                if self.paren_depth == 0 {
                    self.lex_right_delim();
                    return Ok(());
                }
                return Err("unclosed left paren".into());
            }
            let Some(c) = self.next_char() else {
                return Err("unclosed action".into());
            };
            match c {
                c if is_space(c) => {
                    self.backup(c);
                    self.lex_space();
                }
                '=' => self.emit(Kind::Assign),
                ':' => {
                    if self.next_char() != Some('=') {
                        return Err("expected :=".into());
                    }
                    self.emit(Kind::Declare);
                }
                '|' => self.emit(Kind::Pipe),
                '"' => self.lex_quote()?,
                '`' => self.lex_raw_quote()?,
                '$' => self.lex_field_or_variable(true)?,
                '\'' => self.lex_char()?,
                '.' => {
                    if self.peek().is_some_and(|n| n.is_ascii_digit()) {
                        self.backup('.');
                        self.lex_number()?;
                    } else {
                        self.lex_field_or_variable(false)?;
                    }
                }
                '+' | '-' | '0'..='9' => {
                    self.backup(c);
                    self.lex_number()?;
                }
                c if is_alnum(c) => {
                    self.backup(c);
                    self.lex_identifier()?;
                }
                '(' => {
                    self.paren_depth += 1;
                    self.emit(Kind::LParen);
                }
                ')' => {
                    self.paren_depth -= 1;
                    if self.paren_depth < 0 {
                        return Err("unexpected right paren".into());
                    }
                    self.emit(Kind::RParen);
                }
                c if c.is_ascii() && !c.is_ascii_control() => self.emit(Kind::Char1(c)),
                c => {
                    return Err(format!(
                        "unrecognized character in action: {}",
                        go_sharp_u(c)
                    ));
                }
            }
        }
    }

    fn lex_space(&mut self) {
        let mut n = 0;
        while let Some(c) = self.peek() {
            if !is_space(c) {
                break;
            }
            self.next_char();
            n += 1;
        }
        // A space directly before `-}}` belongs to the trim marker. Spaces are ASCII, so the
        // last one is the byte before `pos`.
        let last = self.pos - 1;
        if has_right_trim_marker(&self.src[last..]) && self.src[last + 2..].starts_with("}}") {
            let c = char::from(self.src.as_bytes()[last]);
            self.backup(c);
            if n == 1 {
                // Only the marker's space: the right delimiter comes next.
                self.ignore();
                return;
            }
        }
        let text = self.word().to_string();
        self.emit(Kind::Space(text));
    }

    fn lex_identifier(&mut self) -> Result<(), String> {
        while let Some(c) = self.peek() {
            if !is_alnum(c) {
                break;
            }
            self.next_char();
        }
        if !self.at_terminator() {
            return Err(format!(
                "bad character {}",
                go_sharp_u(self.peek().unwrap_or(' '))
            ));
        }
        let word = self.word().to_string();
        let kind = match word.as_str() {
            "true" => Kind::Bool(true),
            "false" => Kind::Bool(false),
            "nil" => Kind::Nil,
            "if" => Kind::Keyword(Keyword::If),
            "else" => Kind::Keyword(Keyword::Else),
            "end" => Kind::Keyword(Keyword::End),
            "range" => Kind::Keyword(Keyword::Range),
            "with" => Kind::Keyword(Keyword::With),
            "break" => Kind::Keyword(Keyword::Break),
            "continue" => Kind::Keyword(Keyword::Continue),
            "define" => Kind::Keyword(Keyword::Define),
            "template" => Kind::Keyword(Keyword::Template),
            "block" => Kind::Keyword(Keyword::Block),
            _ => Kind::Ident(word),
        };
        self.emit(kind);
        Ok(())
    }

    /// After `.` or `$`.
    fn lex_field_or_variable(&mut self, variable: bool) -> Result<(), String> {
        if self.at_terminator() {
            self.emit(if variable {
                Kind::Var("$".into())
            } else {
                Kind::Dot
            });
            return Ok(());
        }
        while let Some(c) = self.peek() {
            if !is_alnum(c) {
                break;
            }
            self.next_char();
        }
        if !self.at_terminator() {
            return Err(format!(
                "bad character {}",
                go_sharp_u(self.peek().unwrap_or(' '))
            ));
        }
        let word = self.word().to_string();
        self.emit(if variable {
            Kind::Var(word)
        } else {
            Kind::Field(word[1..].to_string())
        });
        Ok(())
    }

    fn accept(&mut self, set: &str) -> bool {
        if let Some(c) = self.peek()
            && set.contains(c)
        {
            self.next_char();
            return true;
        }
        false
    }

    fn accept_run(&mut self, set: &str) {
        while self.accept(set) {}
    }

    fn scan_number(&mut self) -> bool {
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
        self.accept("i");
        if self.peek().is_some_and(is_alnum) {
            self.next_char();
            return false;
        }
        true
    }

    fn lex_number(&mut self) -> Result<(), String> {
        if !self.scan_number() {
            return Err(format!(
                "bad number syntax: {}",
                crate::value::go_quote(self.word())
            ));
        }
        if matches!(self.peek(), Some('+' | '-')) {
            // Go's complex constants (`1+2i`); this interpreter has no complex values.
            self.scan_number();
            return Err(format!(
                "bad number syntax: {}",
                crate::value::go_quote(self.word())
            ));
        }
        let word = self.word().to_string();
        self.emit(Kind::Number(word));
        Ok(())
    }

    fn lex_quote(&mut self) -> Result<(), String> {
        loop {
            match self.next_char() {
                Some('\\') => match self.next_char() {
                    None | Some('\n') => return Err("unterminated quoted string".into()),
                    Some(_) => {}
                },
                None | Some('\n') => return Err("unterminated quoted string".into()),
                Some('"') => break,
                Some(_) => {}
            }
        }
        let word = self.word().to_string();
        self.emit(Kind::Str(word));
        Ok(())
    }

    fn lex_raw_quote(&mut self) -> Result<(), String> {
        loop {
            match self.next_char() {
                None => return Err("unterminated raw quoted string".into()),
                Some('`') => break,
                Some(_) => {}
            }
        }
        let word = self.word().to_string();
        self.emit(Kind::Str(word));
        Ok(())
    }

    fn lex_char(&mut self) -> Result<(), String> {
        loop {
            match self.next_char() {
                Some('\\') => match self.next_char() {
                    None | Some('\n') => return Err("unterminated character constant".into()),
                    Some(_) => {}
                },
                None | Some('\n') => return Err("unterminated character constant".into()),
                Some('\'') => break,
                Some(_) => {}
            }
        }
        let word = self.word().to_string();
        self.emit(Kind::Char(word));
        Ok(())
    }
}

/// Go's `%#U`: `U+0021 '!'`.
pub fn go_sharp_u(c: char) -> String {
    if crate::value::is_go_printable(c) {
        format!("U+{:04X} '{c}'", c as u32)
    } else {
        format!("U+{:04X}", c as u32)
    }
}

/// Go's `strconv.Unquote` for a quoted (`"..."`), raw (`` `...` ``) or character (`'x'`)
/// literal as written.
pub fn unquote(lit: &str) -> Result<String, String> {
    let bad = || "invalid syntax".to_string();
    let mut chars = lit.chars();
    let (Some(q), Some(end)) = (chars.next(), lit.chars().last()) else {
        return Err(bad());
    };
    if lit.len() < 2 || q != end {
        return Err(bad());
    }
    let body = &lit[1..lit.len() - 1];
    match q {
        '`' => Ok(body.replace('\r', "")),
        '"' | '\'' => {
            let s = unescape(body, q)?;
            if q == '\'' && s.chars().count() != 1 {
                return Err(bad());
            }
            Ok(s)
        }
        _ => Err(bad()),
    }
}

/// Go's escapes inside a quoted string or character constant.
fn unescape(raw: &str, quote: char) -> Result<String, String> {
    let mut out = String::with_capacity(raw.len());
    let mut chars = raw.chars();
    let bad = || "invalid syntax".to_string();
    while let Some(c) = chars.next() {
        if c == quote {
            return Err(bad());
        }
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
                let hex: String = chars.by_ref().take(n).collect();
                if hex.len() != n {
                    return Err(bad());
                }
                let code = u32::from_str_radix(&hex, 16).map_err(|_| bad())?;
                // \x escapes are bytes; Go strings may hold any byte, ours hold UTF-8, so
                // bytes above 0x7f become the Latin-1 character of the same value.
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

    fn kinds(src: &str) -> Vec<Kind> {
        lex(src).into_iter().map(|t| t.kind).collect()
    }

    #[test]
    fn trim_markers_remove_surrounding_whitespace() {
        assert_eq!(
            kinds("a  {{- .x -}}\n  b"),
            vec![
                Kind::Text("a".into()),
                Kind::LeftDelim,
                Kind::Field("x".into()),
                Kind::RightDelim,
                Kind::Text("b".into()),
                Kind::Eof
            ]
        );
    }

    #[test]
    fn negative_number_is_not_a_trim_marker() {
        assert_eq!(kinds("{{-3}}")[1], Kind::Number("-3".into()));
    }

    #[test]
    fn comments_vanish_and_strings_may_hold_delimiters() {
        let k = kinds("x {{/* c */}} {{ \"}}\" }}");
        assert_eq!(k[0], Kind::Text("x ".into()));
        assert_eq!(k[1], Kind::Text(" ".into()));
        assert!(k.contains(&Kind::Str("\"}}\"".into())));
    }

    #[test]
    fn errors_end_the_stream_with_go_messages() {
        assert_eq!(
            kinds("{{ .a ").last(),
            Some(&Kind::Error("unclosed action".into()))
        );
        assert_eq!(
            kinds("{{ .a# }}").last(),
            Some(&Kind::Error("bad character U+0023 '#'".into()))
        );
    }

    #[test]
    fn positions_and_lines_are_recorded() {
        let toks = lex("a\n{{ .x }}");
        assert_eq!((toks[1].pos, toks[1].line), (2, 2));
        assert_eq!((toks[3].pos, toks[3].line), (5, 2));
    }

    #[test]
    fn unquote_follows_strconv() {
        assert_eq!(unquote(r#""a\tb\u00e9\x41\101""#).unwrap(), "a\tbéAA");
        assert_eq!(unquote("`a\\n`").unwrap(), "a\\n");
        assert_eq!(unquote("'x'").unwrap(), "x");
        assert!(unquote(r#""\q""#).is_err());
    }
}
