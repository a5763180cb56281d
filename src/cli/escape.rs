//! Escaping data for the two outputs that interpret characters: terminals and markdown.
//!
//! Names, paths, diffs and error messages all come from the repository or the cluster. On a
//! terminal an escape sequence in an app name could rewrite the screen (or the title, or the
//! clipboard); in a pull-request comment a name like `x\n## All clear` could forge a heading.
//! JSON output needs nothing: serde escapes control characters itself.

use std::borrow::Cow;

/// Characters a terminal would act on rather than print: C0 and C1 controls (except newline
/// and tab), DEL, and the bidirectional overrides that reorder what is shown.
fn is_unsafe(c: char) -> bool {
    (c.is_control() && c != '\n' && c != '\t')
        || matches!(c, '\u{202a}'..='\u{202e}' | '\u{2066}'..='\u{2069}' | '\u{200e}' | '\u{200f}')
}

/// `s` with every unsafe character shown as `\u{XX}`; newlines and tabs kept.
pub fn terminal(s: &str) -> Cow<'_, str> {
    if !s.chars().any(is_unsafe) {
        return Cow::Borrowed(s);
    }
    let mut out = String::with_capacity(s.len() + 8);
    for c in s.chars() {
        if is_unsafe(c) {
            out.push_str(&format!("\\u{{{:x}}}", c as u32));
        } else {
            out.push(c);
        }
    }
    Cow::Owned(out)
}

/// One line of terminal text: like [`terminal`], and newlines shown as `\n` too.
pub fn terminal_line(s: &str) -> String {
    terminal(s).replace('\n', "\\n")
}

/// A markdown code span holding `s` verbatim: nothing inside is markdown or HTML. The fence is
/// one backtick longer than the longest run inside (CommonMark's rule), newlines become spaces.
pub fn code_span(s: &str) -> String {
    let s = terminal_line(s);
    let fence = "`".repeat(longest_run(&s, '`') + 1);
    // A span that starts or ends with a backtick needs a space, which CommonMark strips.
    let pad = if s.starts_with('`') || s.ends_with('`') {
        " "
    } else {
        ""
    };
    format!("{fence}{pad}{s}{pad}{fence}")
}

/// A fenced code block holding `content` verbatim, with an info string (`diff`, `text`).
pub fn fenced(content: &str, info: &str) -> String {
    let content = terminal(content);
    let fence = "`".repeat((longest_run(&content, '`') + 1).max(3));
    let newline = if content.ends_with('\n') { "" } else { "\n" };
    format!("{fence}{info}\n{content}{newline}{fence}\n")
}

/// Pretty JSON whose strings carry no character a terminal would act on: serde escapes C0
/// controls already; DEL, C1 controls and bidi overrides are written as `\uXXXX` too, which
/// is the same JSON value.
pub fn json_pretty<T: serde::Serialize>(value: &T) -> Result<String, serde_json::Error> {
    struct Safe<'a>(serde_json::ser::PrettyFormatter<'a>);
    impl serde_json::ser::Formatter for Safe<'_> {
        fn write_string_fragment<W: ?Sized + std::io::Write>(
            &mut self,
            writer: &mut W,
            fragment: &str,
        ) -> std::io::Result<()> {
            let mut start = 0;
            for (i, c) in fragment.char_indices() {
                if is_unsafe(c) {
                    writer.write_all(&fragment.as_bytes()[start..i])?;
                    write!(writer, "\\u{:04x}", c as u32)?;
                    start = i + c.len_utf8();
                }
            }
            writer.write_all(&fragment.as_bytes()[start..])
        }
        fn begin_array<W: ?Sized + std::io::Write>(&mut self, w: &mut W) -> std::io::Result<()> {
            self.0.begin_array(w)
        }
        fn end_array<W: ?Sized + std::io::Write>(&mut self, w: &mut W) -> std::io::Result<()> {
            self.0.end_array(w)
        }
        fn begin_array_value<W: ?Sized + std::io::Write>(
            &mut self,
            w: &mut W,
            first: bool,
        ) -> std::io::Result<()> {
            self.0.begin_array_value(w, first)
        }
        fn end_array_value<W: ?Sized + std::io::Write>(
            &mut self,
            w: &mut W,
        ) -> std::io::Result<()> {
            self.0.end_array_value(w)
        }
        fn begin_object<W: ?Sized + std::io::Write>(&mut self, w: &mut W) -> std::io::Result<()> {
            self.0.begin_object(w)
        }
        fn end_object<W: ?Sized + std::io::Write>(&mut self, w: &mut W) -> std::io::Result<()> {
            self.0.end_object(w)
        }
        fn begin_object_key<W: ?Sized + std::io::Write>(
            &mut self,
            w: &mut W,
            first: bool,
        ) -> std::io::Result<()> {
            self.0.begin_object_key(w, first)
        }
        fn begin_object_value<W: ?Sized + std::io::Write>(
            &mut self,
            w: &mut W,
        ) -> std::io::Result<()> {
            self.0.begin_object_value(w)
        }
        fn end_object_value<W: ?Sized + std::io::Write>(
            &mut self,
            w: &mut W,
        ) -> std::io::Result<()> {
            self.0.end_object_value(w)
        }
    }
    let mut out = Vec::new();
    let mut ser = serde_json::Serializer::with_formatter(
        &mut out,
        Safe(serde_json::ser::PrettyFormatter::new()),
    );
    value.serialize(&mut ser)?;
    // serde_json writes only valid UTF-8, and the escapes above are ASCII.
    Ok(String::from_utf8_lossy(&out).into_owned())
}

fn longest_run(s: &str, c: char) -> usize {
    let (mut best, mut cur) = (0, 0);
    for ch in s.chars() {
        if ch == c {
            cur += 1;
            best = best.max(cur);
        } else {
            cur = 0;
        }
    }
    best
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn terminal_escapes_controls_and_bidi() {
        assert_eq!(terminal("plain\nline\t"), "plain\nline\t");
        assert_eq!(terminal("a\u{1b}[2Jb"), "a\\u{1b}[2Jb");
        assert_eq!(terminal("x\u{202e}y\u{9b}"), "x\\u{202e}y\\u{9b}");
        assert_eq!(terminal_line("a\nb"), "a\\nb");
    }

    #[test]
    fn json_is_the_same_value_without_terminal_controls() {
        let v = serde_json::json!({"name": "a\u{9b}b\u{202e}c\u{1b}", "n": [1, 2]});
        let text = json_pretty(&v).unwrap();
        assert!(!text.chars().any(is_unsafe), "{text}");
        assert_eq!(serde_json::from_str::<serde_json::Value>(&text).unwrap(), v);
        assert_eq!(
            json_pretty(&serde_json::json!({"a": 1})).unwrap(),
            serde_json::to_string_pretty(&serde_json::json!({"a": 1})).unwrap()
        );
    }

    #[test]
    fn markdown_data_cannot_make_structure() {
        assert_eq!(code_span("web"), "`web`");
        assert_eq!(code_span("a`b"), "``a`b``");
        assert_eq!(code_span("`x"), "`` `x ``");
        assert_eq!(code_span("x\n## heading"), "`x\\n## heading`");
        let block = fenced("line\n```\n## not a heading\n", "diff");
        assert!(block.starts_with("````diff\n"), "{block}");
        assert!(block.ends_with("\n````\n"), "{block}");
    }
}
