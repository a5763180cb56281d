//! Name rules of Kubernetes and Helm, in one place.
//!
//! Every name the repository supplies is checked here before it reaches an API request path, an
//! external tool's argument vector or the output. The API server would refuse most bad names
//! itself, but only after the request was built: a namespace `victim/secrets?` turns a ConfigMap
//! LIST into a Secret LIST before the server sees anything. So the checks run first, with the
//! API server's own rules (apimachinery's `IsDNS1123Label`, `IsDNS1123Subdomain`,
//! `IsValidPathSegmentName`) and Helm's release-name rule.

use std::fmt;

/// How messages and reports name an object: `Kind namespace/name`, or `Kind name` when it is
/// cluster-scoped. The one place this is written.
/// A stable 64-bit hash of `text` (FNV-1a), for names derived from text that cannot be used
/// as it is (records and leases named after apps and trees).
pub fn stable_hash(text: &str) -> u64 {
    let mut hash: u64 = 0xcbf2_9ce4_8422_2325;
    for b in text.bytes() {
        hash ^= u64::from(b);
        hash = hash.wrapping_mul(0x0100_0000_01b3);
    }
    hash
}

pub fn object_display(kind: &str, namespace: Option<&str>, name: &str) -> String {
    match namespace {
        Some(ns) => format!("{kind} {ns}/{name}"),
        None => format!("{kind} {name}"),
    }
}

/// A name that breaks its rule; the value is shown escaped (`{:?}`), so control characters in
/// it cannot reach a terminal.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{what} {value:?} is not valid: {rule}")]
pub struct NameError {
    /// What the name is (`namespace`, `metadata.name`, `Helm release name`...).
    pub what: &'static str,
    /// The offending value.
    pub value: String,
    /// The rule it breaks, in the user's terms.
    pub rule: Rule,
}

/// The rules, each with the wording users see.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Rule {
    /// RFC 1123 label: namespaces, most label-like names.
    Label,
    /// RFC 1123 subdomain: most object names, Application names.
    Subdomain,
    /// What the API server accepts in a request path, plus what must never reach a URL.
    PathSegment,
    /// A kind: an identifier.
    Kind,
    /// `group/version` or `version`.
    ApiVersion,
    /// Helm's release name rule (a subdomain of at most 53 characters).
    HelmRelease,
    /// A Kubernetes version for Helm's `--kube-version`.
    KubeVersion,
}

impl fmt::Display for Rule {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Rule::Label => {
                "must be a lowercase RFC 1123 label (a-z, 0-9 and '-', starting and ending with a letter or digit, at most 63 characters)"
            }
            Rule::Subdomain => {
                "must be a lowercase RFC 1123 subdomain (a-z, 0-9, '-' and '.', starting and ending with a letter or digit, at most 253 characters)"
            }
            Rule::PathSegment => {
                "must not be empty, '.' or '..', and must not contain '/', '%', '?', '#', spaces or control characters"
            }
            Rule::Kind => "must be an identifier (a letter, then letters and digits)",
            Rule::ApiVersion => {
                "must be VERSION or GROUP/VERSION (a lowercase RFC 1123 subdomain and a label)"
            }
            Rule::HelmRelease => {
                "must be a lowercase RFC 1123 subdomain of at most 53 characters, as Helm requires"
            }
            Rule::KubeVersion => "must be a Kubernetes version such as 1.33 or v1.33.2",
        })
    }
}

fn err(what: &'static str, value: &str, rule: Rule) -> NameError {
    NameError {
        what,
        value: value.to_string(),
        rule,
    }
}

fn is_label(s: &str) -> bool {
    let b = s.as_bytes();
    !b.is_empty()
        && b.len() <= 63
        && b.iter()
            .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || *c == b'-')
        && b[0] != b'-'
        && b[b.len() - 1] != b'-'
}

fn is_subdomain(s: &str) -> bool {
    s.len() <= 253 && s.split('.').all(is_label)
}

/// A namespace (RFC 1123 label).
pub fn namespace(value: &str) -> Result<(), NameError> {
    if is_label(value) {
        Ok(())
    } else {
        Err(err("namespace", value, Rule::Label))
    }
}

/// An RFC 1123 subdomain, e.g. an Application's name (its CRD makes the API server require it).
pub fn subdomain(what: &'static str, value: &str) -> Result<(), NameError> {
    if is_subdomain(value) {
        Ok(())
    } else {
        Err(err(what, value, Rule::Subdomain))
    }
}

/// An object name as it will appear in a request path. The API server accepts any path segment
/// for some kinds (RBAC names like `system:controller:x`), so this is the looser rule; `?` and
/// `#` would end the path and are refused, as are spaces and control characters, which no
/// kind's own validation accepts.
pub fn object_name(value: &str) -> Result<(), NameError> {
    let ok = !value.is_empty()
        && value != "."
        && value != ".."
        && value.len() <= 253
        && !value
            .chars()
            .any(|c| matches!(c, '/' | '%' | '?' | '#') || c.is_whitespace() || c.is_control());
    if ok {
        Ok(())
    } else {
        Err(err("metadata.name", value, Rule::PathSegment))
    }
}

/// `metadata.generateName`: the server appends five characters, so the prefix must be a valid
/// name once something is appended.
pub fn generate_name(value: &str) -> Result<(), NameError> {
    object_name(&format!("{value}x"))
        .map_err(|_| err("metadata.generateName", value, Rule::PathSegment))
}

/// A kind (`Deployment`, `HTTPRoute`).
pub fn kind(value: &str) -> Result<(), NameError> {
    let mut chars = value.chars();
    let ok = chars.next().is_some_and(|c| c.is_ascii_alphabetic())
        && chars.all(|c| c.is_ascii_alphanumeric())
        && value.len() <= 63;
    if ok {
        Ok(())
    } else {
        Err(err("kind", value, Rule::Kind))
    }
}

/// An `apiVersion`: `v1`, or `group/version` with a subdomain group.
pub fn api_version(value: &str) -> Result<(), NameError> {
    let ok = match value.split_once('/') {
        Some((group, version)) => is_subdomain(group) && is_label(version),
        None => is_label(value),
    };
    if ok {
        Ok(())
    } else {
        Err(err("apiVersion", value, Rule::ApiVersion))
    }
}

/// A Helm release name (Helm's `ValidateReleaseName`: a subdomain of at most 53 characters).
pub fn helm_release(value: &str) -> Result<(), NameError> {
    if value.len() <= 53 && is_subdomain(value) {
        Ok(())
    } else {
        Err(err("Helm release name", value, Rule::HelmRelease))
    }
}

/// A Kubernetes version for `helm template --kube-version` (`1.33`, `v1.33.2`, `1.33.0-eks-1`).
pub fn kube_version(value: &str) -> Result<(), NameError> {
    let v = value.strip_prefix('v').unwrap_or(value);
    let (core, extra) = match v.find(['-', '+']) {
        Some(i) => v.split_at(i),
        None => (v, ""),
    };
    let parts: Vec<&str> = core.split('.').collect();
    let ok = (1..=3).contains(&parts.len())
        && parts
            .iter()
            .all(|p| !p.is_empty() && p.bytes().all(|b| b.is_ascii_digit()))
        && extra
            .chars()
            .skip(1)
            .all(|c| c.is_ascii_alphanumeric() || matches!(c, '.' | '-' | '+'));
    if ok {
        Ok(())
    } else {
        Err(err("kubeVersion", value, Rule::KubeVersion))
    }
}

/// An entry of Helm's `--api-versions`: `group/version`, `group/version/Kind`, or for the core
/// group `version` and `version/Kind` (Argo CD passes all four forms from discovery).
pub fn helm_api_version(value: &str) -> Result<(), NameError> {
    let ok = match value.matches('/').count() {
        0 => api_version(value).is_ok(),
        1 => {
            let (first, second) = value.split_once('/').unwrap_or((value, ""));
            api_version(value).is_ok() || (api_version(first).is_ok() && kind(second).is_ok())
        }
        2 => {
            let (gv, k) = value.rsplit_once('/').unwrap_or((value, ""));
            api_version(gv).is_ok() && kind(k).is_ok()
        }
        _ => false,
    };
    if ok {
        Ok(())
    } else {
        Err(err("apiVersions entry", value, Rule::ApiVersion))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn namespaces_are_labels() {
        for ok in ["default", "a", "team-1", &"a".repeat(63)] {
            assert!(namespace(ok).is_ok(), "{ok}");
        }
        for bad in [
            "",
            "victim/secrets?",
            "Team",
            "-a",
            "a-",
            "a.b",
            "a#",
            "a b",
            &"a".repeat(64),
            "ns\u{1b}[31m",
        ] {
            assert!(namespace(bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn errors_escape_the_value() {
        let e = namespace("x\u{1b}[2J").unwrap_err().to_string();
        assert!(!e.contains('\u{1b}'), "{e}");
        assert!(
            e.starts_with(r#"namespace "x\u{1b}[2J" is not valid: "#),
            "{e}"
        );
    }

    #[test]
    fn object_names_are_path_segments() {
        for ok in ["web", "system:controller:x", "a.b-c", "UPPER_ok@x"] {
            assert!(object_name(ok).is_ok(), "{ok}");
        }
        for bad in [
            "", ".", "..", "a/b", "a%2f", "a?", "a#", "a b", "a\nb", "a\u{7}",
        ] {
            assert!(object_name(bad).is_err(), "{bad:?}");
        }
        assert!(generate_name("job-").is_ok());
        assert!(generate_name("job/").is_err());
    }

    #[test]
    fn kinds_and_api_versions() {
        assert!(kind("HTTPRoute").is_ok());
        assert!(kind("Config Map").is_err() && kind("1x").is_err() && kind("").is_err());
        for ok in ["v1", "apps/v1", "gateway.networking.k8s.io/v1beta1"] {
            assert!(api_version(ok).is_ok(), "{ok}");
        }
        for bad in ["", "/v1", "apps/", "Apps/v1", "a/b/c", "apps/v1?x"] {
            assert!(api_version(bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn helm_values() {
        assert!(helm_release("my-app").is_ok());
        for bad in ["--post-renderer=/tmp/x", "My", &"a".repeat(54), "a b", "-x"] {
            assert!(helm_release(bad).is_err(), "{bad}");
        }
        for ok in ["1.33", "v1.33.2", "1.30.0-eks-1", "1"] {
            assert!(kube_version(ok).is_ok(), "{ok}");
        }
        for bad in ["", "--post-renderer=x", "v1..2", "1.x", "1.2.3.4"] {
            assert!(kube_version(bad).is_err(), "{bad}");
        }
        for ok in [
            "monitoring.coreos.com/v1",
            "v1",
            "v1/Pod",
            "monitoring.coreos.com/v1/ServiceMonitor",
        ] {
            assert!(helm_api_version(ok).is_ok(), "{ok}");
        }
        assert!(helm_api_version("--set=x").is_err());
    }
}
