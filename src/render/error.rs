//! Errors of the render stage; the app name is added by the caller (`apps`).

use super::manifest::ParseError;
use crate::source::SourceError;

/// Why an app's source could not be rendered into objects.
#[derive(Debug, thiserror::Error)]
pub enum RenderError {
    /// Reading the repo failed (missing path, unknown revision, path escaping the repo...).
    #[error(transparent)]
    Source(#[from] SourceError),
    /// A manifest file is malformed.
    #[error(transparent)]
    Parse(#[from] ParseError),
    /// A Helm source (chart reference, value file, dependency) is not usable.
    #[error(transparent)]
    Helm(#[from] super::helm::HelmError),
    /// The source uses something this tool does not render.
    #[error("{0}")]
    Unsupported(String),
    /// The source's `path` does not exist at the revision.
    #[error("path {path:?} does not exist in {repo} at {revision}")]
    MissingPath {
        /// The path.
        path: String,
        /// The repository (URL or local path).
        repo: String,
        /// The revision read.
        revision: String,
    },
    /// An external renderer is not installed.
    #[error(
        "{tool} is not installed (needed to render {what}); install it and make sure it is on PATH"
    )]
    ToolMissing {
        /// The program.
        tool: &'static str,
        /// What needed it.
        what: String,
    },
    /// An external renderer failed.
    #[error("{} failed: {message}", shown_command(command))]
    ToolFailed {
        /// The argument vector (program first, `--set` values already redacted), for the user
        /// to re-run.
        command: Vec<String>,
        /// Its stderr, last lines.
        message: String,
    },
    /// Writing the temporary files an external renderer needs failed.
    #[error("cannot prepare files for {what}: {source}")]
    Io {
        /// What was being prepared.
        what: String,
        /// The I/O error.
        #[source]
        source: std::io::Error,
    },
}

/// A command line as a user would type it: arguments with spaces or quotes are single-quoted.
fn shown_command(command: &[String]) -> String {
    command
        .iter()
        .map(|a| {
            if !a.is_empty()
                && a.chars()
                    .all(|c| c.is_ascii_alphanumeric() || "-_=./:,@+%{}[]$".contains(c))
            {
                a.clone()
            } else {
                format!("'{}'", a.replace('\'', r"'\''"))
            }
        })
        .collect::<Vec<_>>()
        .join(" ")
}
