//! Errors worded as Go's `text/template` words them, so a message can be looked up in Go's
//! documentation and matches what Argo CD or Helm users see.

use std::fmt;

use crate::limits::LimitError;
use crate::value::go_quote;

/// A template that failed to parse or to execute.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub enum Error {
    /// The text is not a valid template: `template: NAME:LINE: MESSAGE`.
    #[error("template: {name}:{line}: {message}")]
    Parse {
        /// The template's name.
        name: String,
        /// 1-based line of the problem.
        line: usize,
        /// Go's message.
        message: String,
        /// Set when a nesting limit was hit.
        limit: Option<LimitError>,
    },
    /// Execution stopped: `template: NAME:LINE:COL: executing "NAME" at <NODE>: MESSAGE`.
    #[error("{}", ExecDisplay(self))]
    Exec {
        /// The name of the template being executed (a `{{define}}`d one, inside a call).
        name: String,
        /// `NAME:LINE:COL` of the node being evaluated (column 0-based, as in Go).
        location: String,
        /// The node being evaluated, printed back as Go prints it.
        context: String,
        /// What went wrong.
        message: String,
        /// Set when a limit was hit.
        limit: Option<LimitError>,
    },
    /// A limit was hit before any node ran (a nested template too deep, a spent budget):
    /// `template: NAME: MESSAGE`.
    #[error("template: {name}: {limit}")]
    Limit {
        /// The template's name.
        name: String,
        /// The limit.
        limit: LimitError,
    },
}

struct ExecDisplay<'a>(&'a Error);

impl fmt::Display for ExecDisplay<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if let Error::Exec {
            name,
            location,
            context,
            message,
            ..
        } = self.0
        {
            write!(
                f,
                "template: {location}: executing {} at <{context}>: {message}",
                go_quote(name)
            )?;
        }
        Ok(())
    }
}

impl Error {
    /// The limit that stopped the template, if a limit did.
    pub fn limit(&self) -> Option<&LimitError> {
        match self {
            Error::Parse { limit, .. } | Error::Exec { limit, .. } => limit.as_ref(),
            Error::Limit { limit, .. } => Some(limit),
        }
    }

    /// The message without Go's location prefix.
    pub fn message(&self) -> String {
        match self {
            Error::Parse { message, .. } | Error::Exec { message, .. } => message.clone(),
            Error::Limit { limit, .. } => limit.to_string(),
        }
    }
}
