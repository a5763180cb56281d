//! Which revisions from manifests may be given to `git`: a ref name by git's own
//! `check-ref-format` rules (one-level names such as `main` and `HEAD` allowed), or a hex SHA.
//!
//! A `targetRevision` ends up in a refspec of `git fetch`, so a value such as
//! `--upload-pack=...` (an option) or `main:refs/heads/evil` (a second refspec side) must never
//! get there. Argo CD's `targetRevision` is a branch, tag, ref or commit, all of which pass.

/// Why a revision is refused, for the error message.
pub(crate) fn check_revision(rev: &str) -> Result<(), &'static str> {
    if rev.is_empty() {
        return Err("it is empty");
    }
    if rev.starts_with('-') {
        return Err("it starts with '-'");
    }
    if rev.starts_with('+') {
        return Err("it starts with '+'");
    }
    check_ref_format(rev)
}

/// git's `check-ref-format --allow-onelevel` rules, each refusal saying which one.
fn check_ref_format(name: &str) -> Result<(), &'static str> {
    if name == "@" {
        return Err("'@' alone is not a ref name");
    }
    if name.chars().any(|c| c.is_ascii_control() || c == ' ') {
        return Err("it contains a space or control character");
    }
    if let Some(c) = name
        .chars()
        .find(|c| matches!(c, '~' | '^' | ':' | '?' | '*' | '[' | '\\'))
    {
        return Err(match c {
            ':' => "it contains ':'",
            '~' | '^' => "it contains '~' or '^' (name a branch, tag or commit)",
            _ => "it contains one of ? * [ \\",
        });
    }
    if name.contains("..") {
        return Err("it contains '..'");
    }
    if name.contains("@{") {
        return Err("it contains '@{'");
    }
    if name.starts_with('/') || name.ends_with('/') || name.contains("//") {
        return Err("it has an empty path component");
    }
    if name.ends_with('.') {
        return Err("it ends with '.'");
    }
    for component in name.split('/') {
        if component.starts_with('.') {
            return Err("a component starts with '.'");
        }
        if component.ends_with(".lock") {
            return Err("a component ends with '.lock'");
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn argo_cd_revisions_pass() {
        for rev in [
            "HEAD",
            "main",
            "master",
            "v1.2.3",
            "release/1.0",
            "refs/pull/7/head",
            "refs/heads/main",
            "refs/tags/v1",
            "feature_x-y+z",
            "0123456789abcdef0123456789abcdef01234567",
            "abc1234",
        ] {
            assert_eq!(check_revision(rev), Ok(()), "{rev}");
        }
    }

    #[test]
    fn options_refspecs_and_bad_names_are_refused() {
        for rev in [
            "",
            "--upload-pack=touch /tmp/x",
            "-x",
            "+main",
            "main:refs/heads/evil",
            "a b",
            "a\tb",
            "a\nb",
            "HEAD~1",
            "v1^{}",
            "a..b",
            "x@{1}",
            "@",
            "/main",
            "main/",
            "a//b",
            "a.",
            ".hidden",
            "refs/.x",
            "main.lock",
            "refs/heads/x.lock/y",
            "a*",
            "a?",
            "a[b",
            "a\\b",
            "a\u{7f}",
        ] {
            assert!(check_revision(rev).is_err(), "{rev:?} should be refused");
        }
    }
}
