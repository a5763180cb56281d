//! Repo URL comparison: the same repository is written many ways across Argo CD manifests.

use std::path::PathBuf;

/// A comparison key for a repoURL: `host/path` lowercased, with scheme, user, port, `.git` and
/// trailing `/` removed, so https, ssh and scp-like (`git@host:org/repo`) forms compare equal.
///
/// Local repositories (`file://` URLs and absolute paths) become `file://<path>`, case kept.
pub fn normalize_repo_url(url: &str) -> String {
    let url = url.trim();
    if let Some(path) = local_path(url) {
        return format!("file://{}", path.display());
    }
    let (authority, path) = match url.split_once("://") {
        Some((_scheme, rest)) => rest.split_once('/').unwrap_or((rest, "")),
        None => match scp_like(url) {
            Some(parts) => parts,
            None => return trim_repo_suffix(url).to_lowercase(),
        },
    };
    let host = host_of(authority);
    let path = trim_repo_suffix(path.trim_start_matches('/'));
    if path.is_empty() {
        host.to_lowercase()
    } else {
        format!("{host}/{path}").to_lowercase()
    }
}

/// The directory a `file://` URL or absolute path names; `None` for network URLs.
pub fn local_path(url: &str) -> Option<PathBuf> {
    let url = url.trim();
    let path = if let Some(rest) = url.strip_prefix("file://") {
        // `file://host/path` is not meaningful for git; only the empty host is local.
        rest
    } else if url.starts_with('/') {
        url
    } else {
        return None;
    };
    let trimmed = path.trim_end_matches('/');
    Some(PathBuf::from(if trimmed.is_empty() {
        "/"
    } else {
        trimmed
    }))
}

/// The URL with any password or token replaced, for messages and logs.
pub fn redact_url(url: &str) -> String {
    let Some((scheme, rest)) = url.split_once("://") else {
        return url.to_owned();
    };
    let authority_end = rest.find('/').unwrap_or(rest.len());
    let (authority, path) = rest.split_at(authority_end);
    match authority.rsplit_once('@') {
        Some((userinfo, host)) => {
            let user = userinfo.split(':').next().unwrap_or("");
            // A bare user in https is usually a token (`https://TOKEN@host`), so hide it too.
            let shown = if userinfo.contains(':') || scheme.starts_with("http") {
                "***"
            } else {
                user
            };
            format!("{scheme}://{shown}@{host}{path}")
        }
        None => url.to_owned(),
    }
}

/// Splits `[user@]host:path` (git's scp-like syntax) into authority and path.
fn scp_like(url: &str) -> Option<(&str, &str)> {
    let (authority, path) = url.split_once(':')?;
    // A `/` before the colon means a relative path like `./a:b`, not a host.
    if authority.is_empty() || authority.contains('/') {
        return None;
    }
    Some((authority, path))
}

fn host_of(authority: &str) -> &str {
    let host = authority.rsplit_once('@').map_or(authority, |(_, h)| h);
    if let Some(rest) = host.strip_prefix('[') {
        return rest.split_once(']').map_or(rest, |(ip6, _)| ip6);
    }
    host.split_once(':').map_or(host, |(h, _)| h)
}

fn trim_repo_suffix(path: &str) -> &str {
    let path = path.trim_end_matches('/');
    let path = path.strip_suffix(".git").unwrap_or(path);
    path.trim_end_matches('/')
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn https_ssh_and_scp_forms_compare_equal() {
        let forms = [
            "https://github.com/org/repo",
            "https://github.com/org/repo.git",
            "https://github.com/org/repo/",
            "https://github.com/org/repo.git/",
            "https://GitHub.com/org/repo",
            "http://github.com/org/repo",
            "https://user:token@github.com/org/repo.git",
            "https://github.com:443/org/repo",
            "git@github.com:org/repo.git",
            "git@github.com:org/repo",
            "git@github.com:/org/repo.git",
            "ssh://git@github.com/org/repo",
            "ssh://git@github.com:22/org/repo.git",
            "git://github.com/org/repo.git",
            "  https://github.com/org/repo  ",
        ];
        for form in forms {
            assert_eq!(normalize_repo_url(form), "github.com/org/repo", "{form}");
        }
        assert_ne!(
            normalize_repo_url("https://github.com/org/repo"),
            normalize_repo_url("https://github.com/org/other")
        );
        assert_ne!(
            normalize_repo_url("https://github.com/org/repo"),
            normalize_repo_url("https://gitlab.com/org/repo")
        );
    }

    #[test]
    fn local_paths_keep_case_and_drop_trailing_slash() {
        assert_eq!(normalize_repo_url("file:///srv/Repo/"), "file:///srv/Repo");
        assert_eq!(normalize_repo_url("/srv/Repo"), "file:///srv/Repo");
        assert_eq!(local_path("file:///srv/x/"), Some(PathBuf::from("/srv/x")));
        assert_eq!(local_path("https://h/x"), None);
        assert_eq!(local_path("git@h:x"), None);
    }

    #[test]
    fn ipv6_hosts_and_odd_inputs() {
        assert_eq!(
            normalize_repo_url("ssh://git@[::1]:2222/org/repo.git"),
            "::1/org/repo"
        );
        assert_eq!(normalize_repo_url("https://example.com"), "example.com");
        assert_eq!(normalize_repo_url("relative/Repo.git"), "relative/repo");
    }

    #[test]
    fn redacts_credentials() {
        assert_eq!(
            redact_url("https://user:s3cret@github.com/org/repo"),
            "https://***@github.com/org/repo"
        );
        assert_eq!(
            redact_url("https://ghp_token@github.com/org/repo"),
            "https://***@github.com/org/repo"
        );
        assert_eq!(
            redact_url("ssh://git@github.com/org/repo"),
            "ssh://git@github.com/org/repo"
        );
        assert_eq!(
            redact_url("git@github.com:org/repo"),
            "git@github.com:org/repo"
        );
    }
}
