//! The last check before a name or namespace becomes part of a request path.
//!
//! kube-rs puts names and namespaces into URLs as they are, so `victim/secrets?` as a namespace
//! would turn `/api/v1/namespaces/victim/secrets?/configmaps` into a Secret LIST. Names are
//! validated when manifests are read; every request builder checks again here, so no path of
//! this crate can be reached with an unchecked segment.

use crate::names::{self, NameError};

/// Checks the namespace and name that a request path will contain.
pub(crate) fn check(namespace: Option<&str>, name: Option<&str>) -> Result<(), NameError> {
    if let Some(ns) = namespace {
        names::namespace(ns)?;
    }
    if let Some(name) = name {
        names::object_name(name)?;
    }
    Ok(())
}
