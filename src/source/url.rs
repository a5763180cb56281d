//! Repo URLs: the loose comparison key that matches the many spellings of one repository, the
//! strict parse of a URL that `git` may fetch, and redaction of credentials for messages.
//!
//! Every repoURL comes from a manifest that anyone who can open a pull request controls, so a URL
//! reaches `git`'s argument vector only after [`RemoteUrl::parse`] accepted it: a scheme from an
//! allowlist, a plain host, no option-like or whitespace characters, and no credentials (those
//! travel to git out of band, see `fetch`).

use std::fmt;
use std::path::PathBuf;

/// A comparison key for a repoURL: `host/path` lowercased, with scheme, user, port, `.git` and
/// trailing `/` removed, so https, ssh and scp-like (`git@host:org/repo`) forms compare equal.
///
/// Local repositories (`file://` URLs and absolute paths) become `file://<path>`, case kept.
/// This key only decides whether a URL names the local repository or a `--repo-map` entry;
/// clones in the cache use the strict [`RemoteUrl::cache_key`], which keeps scheme and port.
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

/// The directory a `file://` URL (scheme in any case) or absolute path names; `None` otherwise.
pub fn local_path(url: &str) -> Option<PathBuf> {
    let url = url.trim();
    let path = if let Some(rest) = strip_prefix_ignore_case(url, "file://") {
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

/// The URL with any password or token replaced by `***`, for messages and logs.
///
/// The scheme is matched in any case. In `user:secret@` both parts are hidden; a bare `user@` is
/// kept only for ssh, where it is an account name, since for http(s) and anything else it is
/// usually a token (`https://TOKEN@host`). A userinfo holding an unencoded `/` is hidden up to
/// the last `@`, so a malformed URL can't show half a password.
pub fn redact_url(url: &str) -> String {
    let Some((scheme, rest)) = url.split_once("://") else {
        return url.to_owned();
    };
    let authority_end = rest.find('/').unwrap_or(rest.len());
    let authority = &rest[..authority_end];
    let userinfo_end = match authority.rfind('@') {
        Some(at) => at,
        // `user:pa/ss@host`: git would read `user` as the host, but the text is still a secret.
        None if authority.contains(':') => match rest.rfind('@') {
            Some(at) if at > authority_end => at,
            _ => return url.to_owned(),
        },
        None => return url.to_owned(),
    };
    let userinfo = &rest[..userinfo_end];
    let host_and_path = &rest[userinfo_end + 1..];
    let ssh = matches!(
        scheme.to_ascii_lowercase().as_str(),
        "ssh" | "git+ssh" | "ssh+git"
    );
    let shown = if ssh && !userinfo.contains(':') && !userinfo.contains('/') {
        userinfo
    } else {
        "***"
    };
    format!("{scheme}://{shown}@{host_and_path}")
}

/// The network protocols `git` may use for a repoURL; everything else is refused before git runs.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub(crate) enum Scheme {
    /// `https://`.
    Https,
    /// `http://`.
    Http,
    /// `ssh://` and scp-like `user@host:path`.
    Ssh,
    /// `git://`, the unauthenticated git daemon protocol.
    Git,
}

impl Scheme {
    /// The scheme as git's protocol allowlist names it.
    pub(crate) fn name(self) -> &'static str {
        match self {
            Scheme::Https => "https",
            Scheme::Http => "http",
            Scheme::Ssh => "ssh",
            Scheme::Git => "git",
        }
    }

    fn default_port(self) -> u16 {
        match self {
            Scheme::Https => 443,
            Scheme::Http => 80,
            Scheme::Ssh => 22,
            Scheme::Git => 9418,
        }
    }

    /// Whether credentials in the URL are sent as HTTP basic auth.
    pub(crate) fn is_http(self) -> bool {
        matches!(self, Scheme::Https | Scheme::Http)
    }
}

/// Why a repoURL can't be given to `git`.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) enum UrlProblem {
    /// A path or `file://` URL: local repositories are read only through `--repo-map`.
    Local,
    /// Git's `<transport>::<address>` remote-helper syntax (`ext::` runs commands).
    Transport(String),
    /// A scheme outside the allowlist.
    Scheme(String),
    /// Not a well-formed URL of an allowed kind.
    Malformed(&'static str),
}

impl fmt::Display for UrlProblem {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            UrlProblem::Local => {
                f.write_str("local repository URLs are read only through --repo-map URL=PATH")
            }
            UrlProblem::Transport(name) => write!(
                f,
                "the {name}:: transport is not allowed (remote helpers can run commands); use https, http, ssh or git URLs"
            ),
            UrlProblem::Scheme(name) => write!(
                f,
                "the {name}:// scheme is not allowed; use https, http, ssh or git URLs"
            ),
            UrlProblem::Malformed(reason) => f.write_str(reason),
        }
    }
}

/// A repoURL that `git` may fetch: parsed, validated, and split from its credentials.
#[derive(Clone, PartialEq, Eq)]
pub(crate) struct RemoteUrl {
    scheme: Scheme,
    /// Written as `[user@]host:path` rather than `ssh://`; git is given that form back.
    scp_like: bool,
    /// The user, percent-encoded as written.
    user: Option<String>,
    /// The password, percent-encoded as written.
    password: Option<String>,
    /// The host as written; IPv6 addresses without brackets.
    host: String,
    /// An explicit port other than the scheme's default.
    port: Option<u16>,
    /// The path: starts with `/` in URL form, as written after the `:` in scp-like form.
    path: String,
}

/// Credentials from a URL's userinfo, percent-decoded, to send to git out of band.
#[derive(Clone, PartialEq, Eq)]
pub(crate) struct Credentials {
    /// The user (or the token, in `https://TOKEN@host` form).
    pub user: String,
    /// The password, empty when the URL had none.
    pub password: String,
}

impl fmt::Debug for Credentials {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("Credentials(***)")
    }
}

impl RemoteUrl {
    /// Parses a repoURL, refusing anything git should not be given (see [`UrlProblem`]).
    pub(crate) fn parse(url: &str) -> Result<RemoteUrl, UrlProblem> {
        let url = url.trim();
        if url.is_empty() {
            return Err(UrlProblem::Malformed("the URL is empty"));
        }
        if let Some(name) = transport_prefix(url) {
            return Err(UrlProblem::Transport(name.to_owned()));
        }
        if url.chars().any(|c| c.is_control() || c.is_whitespace()) {
            return Err(UrlProblem::Malformed(
                "the URL contains whitespace or control characters",
            ));
        }
        if url.starts_with('-') {
            return Err(UrlProblem::Malformed("the URL starts with '-'"));
        }
        if local_path(url).is_some() || url.starts_with('.') || url.starts_with('~') {
            return Err(UrlProblem::Local);
        }
        match url.split_once("://") {
            Some((scheme, rest)) if is_scheme(scheme) => Self::parse_url(scheme, rest),
            _ => Self::parse_scp(url),
        }
    }

    fn parse_url(scheme: &str, rest: &str) -> Result<RemoteUrl, UrlProblem> {
        let scheme = match scheme.to_ascii_lowercase().as_str() {
            "https" => Scheme::Https,
            "http" => Scheme::Http,
            "ssh" | "git+ssh" | "ssh+git" => Scheme::Ssh,
            "git" => Scheme::Git,
            "file" => return Err(UrlProblem::Local),
            other => return Err(UrlProblem::Scheme(other.to_owned())),
        };
        let (authority, path) = match rest.find('/') {
            Some(i) => rest.split_at(i),
            None => (rest, ""),
        };
        let (userinfo, hostport) = match authority.rsplit_once('@') {
            Some((u, h)) => (Some(u), h),
            None => (None, authority),
        };
        let (user, password) = match userinfo {
            None => (None, None),
            Some(u) => match u.split_once(':') {
                Some((user, password)) => (Some(user), Some(password)),
                None => (Some(u), None),
            },
        };
        if user.is_some_and(|u| u.starts_with('-')) {
            return Err(UrlProblem::Malformed("the user name starts with '-'"));
        }
        let (host, port) = split_host_port(hostport)?;
        let port = port.filter(|p| *p != scheme.default_port());
        Ok(RemoteUrl {
            scheme,
            scp_like: false,
            user: user.filter(|u| !u.is_empty()).map(str::to_owned),
            password: password.map(str::to_owned),
            host,
            port,
            path: path.trim_end_matches('/').to_owned(),
        })
    }

    /// `[user@]host:path`, which git reads as ssh when no `/` comes before the first `:`.
    ///
    /// As in git, brackets may hold an IPv6 address (`[::1]:path`, `user@[::1]:path`) or a host
    /// with a port (`[host:2222]:path`, `[user@host:2222]:path`).
    fn parse_scp(url: &str) -> Result<RemoteUrl, UrlProblem> {
        let search_from = match (url.find('['), url.find(':')) {
            (Some(open), Some(colon)) if open < colon => url[open..]
                .find(']')
                .map(|close| open + close)
                .ok_or(UrlProblem::Malformed("unclosed '[' in the host"))?,
            _ => 0,
        };
        let (authority, path) = match url[search_from..].find(':') {
            Some(i) => (&url[..search_from + i], &url[search_from + i + 1..]),
            // No colon: git would read a path on this machine.
            None => return Err(UrlProblem::Local),
        };
        if authority.contains('/') {
            // A `/` before the colon: a relative path such as `dir/a:b`.
            return Err(UrlProblem::Local);
        }
        let unbracketed = authority
            .strip_prefix('[')
            .and_then(|a| a.strip_suffix(']'))
            .filter(|inner| inner.matches(':').count() <= 1);
        let (user, hostport) = match unbracketed.unwrap_or(authority).rsplit_once('@') {
            Some((u, h)) => (Some(u), h),
            None => (None, unbracketed.unwrap_or(authority)),
        };
        if user.is_some_and(|u| u.is_empty() || u.starts_with('-') || u.contains(':')) {
            return Err(UrlProblem::Malformed(
                "the user name of an scp-like URL is empty, has ':' or starts with '-'",
            ));
        }
        let (host, port) = if unbracketed.is_some() || hostport.starts_with('[') {
            split_host_port(hostport)?
        } else {
            (check_host(hostport)?, None)
        };
        if path.is_empty() {
            return Err(UrlProblem::Malformed("the scp-like URL has no path"));
        }
        Ok(RemoteUrl {
            scheme: Scheme::Ssh,
            scp_like: true,
            user: user.map(str::to_owned),
            password: None,
            host,
            port: port.filter(|p| *p != Scheme::Ssh.default_port()),
            path: path.trim_end_matches('/').to_owned(),
        })
    }

    /// The URL for git's argument vector: scheme lowercased, no password, and no user for
    /// http(s) (its credentials go out of band); the ssh user stays, it names the account.
    pub(crate) fn for_git(&self) -> String {
        let host = self.host_for_url();
        let port = self.port.map(|p| format!(":{p}")).unwrap_or_default();
        let user = match (&self.user, self.scheme) {
            (Some(user), Scheme::Ssh) => format!("{user}@"),
            _ => String::new(),
        };
        if self.scp_like && self.port.is_none() {
            return format!("{user}{host}:{}", self.path);
        }
        let path = if self.scp_like && !self.path.starts_with('/') {
            // scp-like paths are relative to the login directory; `~` says so in URL form.
            format!("/~/{}", self.path)
        } else {
            self.path.clone()
        };
        format!("{}://{user}{host}{port}{path}", self.scheme.name())
    }

    /// What a clone in the cache is filed under: scheme, lowercased host, port and path (case
    /// kept; trailing `/` removed), plus the ssh account; never a password or an http user.
    ///
    /// Two URLs share a clone only when they name the same repository on the same server, so a
    /// manifest can't make one repository's clone stand in for another's.
    pub(crate) fn cache_key(&self) -> String {
        let user = match (&self.user, self.scheme) {
            (Some(user), Scheme::Ssh) => format!("{user}@"),
            _ => String::new(),
        };
        let port = self.port.unwrap_or(self.scheme.default_port());
        let path = if self.path.starts_with('/') {
            self.path.clone()
        } else {
            format!("/~/{}", self.path)
        };
        format!(
            "{}://{user}{}:{port}{path}",
            self.scheme.name(),
            self.host_for_url().to_ascii_lowercase()
        )
    }

    /// The http(s) credentials in the URL, percent-decoded; `None` without any or for ssh/git.
    pub(crate) fn credentials(&self) -> Option<Credentials> {
        if !self.scheme.is_http() {
            return None;
        }
        let user = self.user.as_deref().map(percent_decode).unwrap_or_default();
        let password = self
            .password
            .as_deref()
            .map(percent_decode)
            .unwrap_or_default();
        (!user.is_empty() || !password.is_empty()).then_some(Credentials { user, password })
    }

    /// The userinfo parts as written that may be secrets (an http user is usually a token),
    /// for scrubbing git's messages.
    pub(crate) fn raw_secrets(&self) -> Vec<String> {
        let user = self.user.clone().filter(|_| self.scheme.is_http());
        user.into_iter().chain(self.password.clone()).collect()
    }

    fn host_for_url(&self) -> String {
        if self.host.contains(':') {
            format!("[{}]", self.host)
        } else {
            self.host.clone()
        }
    }
}

impl fmt::Debug for RemoteUrl {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "RemoteUrl({})", self.cache_key())
    }
}

/// The name in git's `<transport>::<address>` syntax, when the URL uses it.
fn transport_prefix(url: &str) -> Option<&str> {
    let (name, _) = url.split_once("::")?;
    is_scheme(name).then_some(name)
}

/// RFC 3986 scheme characters: a letter, then letters, digits, `+`, `-`, `.`.
fn is_scheme(s: &str) -> bool {
    let mut chars = s.chars();
    chars.next().is_some_and(|c| c.is_ascii_alphabetic())
        && chars.all(|c| c.is_ascii_alphanumeric() || matches!(c, '+' | '-' | '.'))
}

/// Splits `host[:port]` or `[ipv6][:port]`, validating both.
fn split_host_port(hostport: &str) -> Result<(String, Option<u16>), UrlProblem> {
    let (host, port) = if let Some(rest) = hostport.strip_prefix('[') {
        let (ip6, after) = rest
            .split_once(']')
            .ok_or(UrlProblem::Malformed("unclosed '[' in the host"))?;
        if ip6.is_empty()
            || !ip6
                .chars()
                .all(|c| c.is_ascii_hexdigit() || matches!(c, ':' | '.' | '%'))
        {
            return Err(UrlProblem::Malformed("the IPv6 host is not valid"));
        }
        let port = match after {
            "" => None,
            _ => Some(after.strip_prefix(':').ok_or(UrlProblem::Malformed(
                "expected ':' and a port after the IPv6 host",
            ))?),
        };
        (ip6.to_owned(), port)
    } else {
        let (host, port) = match hostport.split_once(':') {
            Some((h, p)) => (h, Some(p)),
            None => (hostport, None),
        };
        (check_host(host)?, port)
    };
    let port = match port {
        None | Some("") => None,
        Some(p) => Some(
            p.parse::<u16>()
                .ok()
                .filter(|p| *p != 0 && p.to_string().len() <= 5)
                .ok_or(UrlProblem::Malformed(
                    "the port is not a number from 1 to 65535",
                ))?,
        ),
    };
    Ok((host, port))
}

/// A DNS name or IPv4 address: ASCII letters, digits, `-`, `.`, `_`, not starting with `-`.
fn check_host(host: &str) -> Result<String, UrlProblem> {
    if host.is_empty() {
        return Err(UrlProblem::Malformed("the URL has no host"));
    }
    if host.starts_with('-') {
        return Err(UrlProblem::Malformed("the host starts with '-'"));
    }
    if !host
        .chars()
        .all(|c| c.is_ascii_alphanumeric() || matches!(c, '-' | '.' | '_'))
    {
        return Err(UrlProblem::Malformed(
            "the host may only hold letters, digits, '-', '.' and '_'",
        ));
    }
    Ok(host.to_owned())
}

/// Decodes `%XX` escapes (as git does for URL credentials); invalid escapes stay as written.
fn percent_decode(s: &str) -> String {
    let bytes = s.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        let hex = |b: u8| (b as char).to_digit(16);
        if bytes[i] == b'%'
            && let (Some(hi), Some(lo)) = (
                bytes.get(i + 1).copied().and_then(hex),
                bytes.get(i + 2).copied().and_then(hex),
            )
        {
            // Two hex digits make at most 0xff, so the cast can't truncate.
            out.push((hi * 16 + lo) as u8);
            i += 3;
        } else {
            out.push(bytes[i]);
            i += 1;
        }
    }
    String::from_utf8_lossy(&out).into_owned()
}

fn strip_prefix_ignore_case<'a>(s: &'a str, prefix: &str) -> Option<&'a str> {
    let head = s.get(..prefix.len())?;
    head.eq_ignore_ascii_case(prefix)
        .then(|| &s[prefix.len()..])
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
mod tests;
