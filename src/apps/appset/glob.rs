//! The two pattern languages of the git generator.
//!
//! * `directories[].path` uses Go's `path.Match`: `*` and `?` never match `/`, `[...]` classes
//!   (negated with `^`), `\` escapes; a malformed pattern matches nothing (Argo CD logs and skips).
//! * `files[].path` is handed by Argo CD to `git ls-files -- <pattern>` (the default, "legacy"
//!   globbing): a git pathspec, where `*` also matches `/` (so `a/*.yaml` finds `a/b/c.yaml`) and
//!   a literal path names a file or everything under a directory.

/// A pattern that `path.Match` rejects (`ErrBadPattern`).
#[derive(Debug, PartialEq, Eq)]
pub struct BadPattern;

/// Go's `path.Match(pattern, name)`.
pub fn path_match(pattern: &str, name: &str) -> Result<bool, BadPattern> {
    let p: Vec<char> = pattern.chars().collect();
    let n: Vec<char> = name.chars().collect();
    // Go reports a bad pattern even when the name already failed to match; check it first.
    validate_go_pattern(&p)?;
    Ok(match_here(&p, &n, false))
}

fn validate_go_pattern(p: &[char]) -> Result<(), BadPattern> {
    let mut i = 0;
    while i < p.len() {
        match p[i] {
            '\\' => {
                if i + 1 >= p.len() {
                    return Err(BadPattern);
                }
                i += 2;
            }
            '[' => {
                let (_, next) = parse_class(p, i, false)?;
                i = next;
            }
            _ => i += 1,
        }
    }
    Ok(())
}

/// A parsed character class: ranges and whether it is negated.
struct Class {
    negated: bool,
    ranges: Vec<(char, char)>,
}

impl Class {
    fn matches(&self, c: char) -> bool {
        let hit = self.ranges.iter().any(|(lo, hi)| *lo <= c && c <= *hi);
        hit != self.negated
    }
}

/// Parses `[...]` starting at `p[start] == '['`; `git` selects git's syntax (`!` negation,
/// `[:alpha:]` classes, a leading `]` is literal) over Go's (`^`, no empty class).
fn parse_class(p: &[char], start: usize, git: bool) -> Result<(Class, usize), BadPattern> {
    let mut i = start + 1;
    let mut negated = false;
    if i < p.len() && (p[i] == '^' || (git && p[i] == '!')) {
        negated = true;
        i += 1;
    }
    let mut ranges = Vec::new();
    let mut first = true;
    loop {
        if i >= p.len() {
            return Err(BadPattern);
        }
        if p[i] == ']' && !(git && first) {
            if ranges.is_empty() && !git {
                return Err(BadPattern);
            }
            i += 1;
            break;
        }
        first = false;
        if git && p[i] == '[' && p.get(i + 1) == Some(&':') {
            let end = (i + 2..p.len().saturating_sub(1)).find(|&j| p[j] == ':' && p[j + 1] == ']');
            if let Some(end) = end {
                let name: String = p[i + 2..end].iter().collect();
                ranges.extend(posix_class(&name).ok_or(BadPattern)?);
                i = end + 2;
                continue;
            }
        }
        let lo = class_char(p, &mut i, git)?;
        let mut hi = lo;
        if i + 1 < p.len() && p[i] == '-' && p[i + 1] != ']' {
            i += 1;
            hi = class_char(p, &mut i, git)?;
        } else if !git && i < p.len() && p[i] == '-' {
            // Go: a '-' must start a range.
            return Err(BadPattern);
        }
        ranges.push((lo, hi));
    }
    Ok((Class { negated, ranges }, i))
}

fn class_char(p: &[char], i: &mut usize, git: bool) -> Result<char, BadPattern> {
    let c = *p.get(*i).ok_or(BadPattern)?;
    if !git && c == '-' {
        // Go wants `\-` for a literal dash inside a class.
        return Err(BadPattern);
    }
    if c == '\\' {
        let e = *p.get(*i + 1).ok_or(BadPattern)?;
        *i += 2;
        return Ok(e);
    }
    *i += 1;
    Ok(c)
}

fn posix_class(name: &str) -> Option<Vec<(char, char)>> {
    Some(match name {
        "alnum" => vec![('0', '9'), ('A', 'Z'), ('a', 'z')],
        "alpha" => vec![('A', 'Z'), ('a', 'z')],
        "digit" => vec![('0', '9')],
        "lower" => vec![('a', 'z')],
        "upper" => vec![('A', 'Z')],
        "space" => vec![(' ', ' '), ('\t', '\r')],
        "xdigit" => vec![('0', '9'), ('A', 'F'), ('a', 'f')],
        "punct" => vec![('!', '/'), (':', '@'), ('[', '`'), ('{', '~')],
        "blank" => vec![(' ', ' '), ('\t', '\t')],
        "cntrl" => vec![('\0', '\u{1f}'), ('\u{7f}', '\u{7f}')],
        "graph" => vec![('!', '~')],
        "print" => vec![(' ', '~')],
        _ => return None,
    })
}

/// Backtracking matcher shared by both languages; with `git`, `*` and `?` also match `/`.
fn match_here(p: &[char], n: &[char], git: bool) -> bool {
    let mut pi = 0;
    let mut ni = 0;
    // Position to retry after the last `*`: (pattern index after the star, name index).
    let mut retry: Option<(usize, usize)> = None;
    while ni < n.len() || pi < p.len() {
        if pi < p.len() {
            match p[pi] {
                '*' => {
                    while pi < p.len() && p[pi] == '*' {
                        pi += 1;
                    }
                    retry = Some((pi, ni));
                    continue;
                }
                '?' if ni < n.len() && (git || n[ni] != '/') => {
                    pi += 1;
                    ni += 1;
                    continue;
                }
                '[' if ni < n.len() => {
                    if let Ok((class, next)) = parse_class(p, pi, git)
                        && class.matches(n[ni])
                    {
                        pi = next;
                        ni += 1;
                        continue;
                    }
                }
                '\\' if ni < n.len() && pi + 1 < p.len() && p[pi + 1] == n[ni] => {
                    pi += 2;
                    ni += 1;
                    continue;
                }
                c if c != '*'
                    && c != '?'
                    && c != '['
                    && c != '\\'
                    && ni < n.len()
                    && c == n[ni] =>
                {
                    pi += 1;
                    ni += 1;
                    continue;
                }
                _ => {}
            }
        }
        // Mismatch: let the last star swallow one more character, unless that is a `/` in Go.
        match retry {
            Some((rp, rn)) if rn < n.len() && (git || n[rn] != '/') => {
                retry = Some((rp, rn + 1));
                pi = rp;
                ni = rn + 1;
            }
            _ => return false,
        }
    }
    true
}

/// Whether `git ls-files -- <pattern>` lists `path` (no pathspec magic, case-sensitive).
pub fn git_pathspec_match(pattern: &str, path: &str) -> bool {
    let pattern = pattern.strip_prefix("./").unwrap_or(pattern);
    if pattern.is_empty() || pattern == "." {
        return true;
    }
    // The literal prefix up to the first wildcard decides exact and directory matches.
    let wildcard_at = pattern.find(['*', '?', '[', '\\']).unwrap_or(pattern.len());
    if wildcard_at == pattern.len() {
        let dir = pattern.trim_end_matches('/');
        return path == pattern
            || (path.len() > dir.len()
                && path.starts_with(dir)
                && path.as_bytes()[dir.len()] == b'/');
    }
    let p: Vec<char> = pattern.chars().collect();
    let n: Vec<char> = path.chars().collect();
    match_here(&p, &n, true)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn go_star_does_not_cross_slash() {
        assert_eq!(path_match("*", "apps"), Ok(true));
        assert_eq!(path_match("*", "apps/web"), Ok(false));
        assert_eq!(path_match("apps/*", "apps/web"), Ok(true));
        assert_eq!(path_match("apps/*", "apps/web/sub"), Ok(false));
        assert_eq!(path_match("apps/**", "apps/web/sub"), Ok(false));
        assert_eq!(path_match("apps/*/sub", "apps/web/sub"), Ok(true));
    }

    #[test]
    fn go_classes_escapes_and_question_marks() {
        assert_eq!(path_match("env-[a-c]", "env-b"), Ok(true));
        assert_eq!(path_match("env-[^a-c]", "env-b"), Ok(false));
        assert_eq!(path_match("env-?", "env-1"), Ok(true));
        assert_eq!(path_match("a?b", "a/b"), Ok(false));
        assert_eq!(path_match("a\\*b", "a*b"), Ok(true));
        assert_eq!(path_match("a\\*b", "axb"), Ok(false));
        assert_eq!(path_match("apps", "apps"), Ok(true));
        assert_eq!(path_match("apps", "apps2"), Ok(false));
    }

    #[test]
    fn go_bad_patterns_are_reported() {
        assert_eq!(path_match("[", "a"), Err(BadPattern));
        assert_eq!(path_match("a[]", "a"), Err(BadPattern));
        assert_eq!(path_match("ab\\", "ab"), Err(BadPattern));
        // Even when the name would not match anyway.
        assert_eq!(path_match("x[", "a"), Err(BadPattern));
    }

    #[test]
    fn git_pathspec_star_crosses_slash() {
        assert!(git_pathspec_match(
            "apps/*/config.json",
            "apps/a/config.json"
        ));
        assert!(git_pathspec_match(
            "apps/*/config.json",
            "apps/a/b/config.json"
        ));
        assert!(git_pathspec_match("apps/*.yaml", "apps/x/y.yaml"));
        assert!(!git_pathspec_match("apps/*.yaml", "other/y.yaml"));
        assert!(git_pathspec_match("**/config.json", "a/config.json"));
    }

    #[test]
    fn git_pathspec_literals_match_files_and_directories() {
        assert!(git_pathspec_match("apps/config.json", "apps/config.json"));
        assert!(git_pathspec_match("apps", "apps/a/config.json"));
        assert!(git_pathspec_match("apps/", "apps/a.json"));
        assert!(!git_pathspec_match("apps", "apps2/a.json"));
    }
}
