//! Errors of ApplicationSet expansion. Every variant names the ApplicationSet; generator errors
//! also name the generator's index in `spec.generators` and its kind (`matrix/git` when nested).

/// A template that failed to parse or execute (the message includes the template text).
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{0}")]
pub struct TemplateError(pub String);

/// Why an ApplicationSet could not be expanded.
#[derive(Debug, thiserror::Error)]
pub enum AppSetError {
    /// The manifest itself is malformed (no spec, generators not a list, bad option).
    #[error("ApplicationSet {appset}: {message}")]
    InvalidSpec {
        /// ApplicationSet name.
        appset: String,
        /// What is wrong.
        message: String,
    },
    /// A generator that needs a service this tool cannot reach from Git alone.
    #[error(
        "ApplicationSet {appset}: generator {index} ({kind}) is not supported by kubectl-gitops: it needs {needs}"
    )]
    UnsupportedGenerator {
        /// ApplicationSet name.
        appset: String,
        /// Index in `spec.generators`.
        index: usize,
        /// Generator kind, e.g. `pullRequest` or `matrix/scmProvider`.
        kind: String,
        /// What the generator would have to talk to.
        needs: &'static str,
    },
    /// A generator's spec is invalid or its parameters could not be produced.
    #[error("ApplicationSet {appset}: generator {index} ({kind}): {message}")]
    Generator {
        /// ApplicationSet name.
        appset: String,
        /// Index in `spec.generators`.
        index: usize,
        /// Generator kind.
        kind: String,
        /// What went wrong.
        message: String,
    },
    /// The git generator could not list or read the repository.
    #[error("ApplicationSet {appset}: generator {index} ({kind}): repository {repo}: {message}")]
    Git {
        /// ApplicationSet name.
        appset: String,
        /// Index in `spec.generators`.
        index: usize,
        /// Generator kind.
        kind: String,
        /// The generator's `repoURL` and `revision` (boxed to keep the error small).
        repo: Box<RepoRef>,
        /// The error from [`GitFiles`](super::GitFiles) or from parsing a file.
        message: String,
    },
    /// Rendering the template (or `values`, or an interpolated child generator) failed.
    #[error("ApplicationSet {appset}: generator {index} ({kind}): {source}")]
    Template {
        /// ApplicationSet name.
        appset: String,
        /// Index in `spec.generators`.
        index: usize,
        /// Generator kind.
        kind: String,
        /// The template error.
        #[source]
        source: TemplateError,
    },
    /// `spec.templatePatch` did not render to a usable patch.
    #[error("ApplicationSet {appset}: generator {index} ({kind}): templatePatch: {message}")]
    TemplatePatch {
        /// ApplicationSet name.
        appset: String,
        /// Index in `spec.generators`.
        index: usize,
        /// Generator kind.
        kind: String,
        /// What went wrong.
        message: String,
    },
    /// The generators together produce more Applications than one ApplicationSet may.
    #[error(
        "ApplicationSet {appset} generates more than {limit} Applications (limit {limit} per ApplicationSet)"
    )]
    TooManyApplications {
        /// ApplicationSet name.
        appset: String,
        /// The limit.
        limit: usize,
    },
    /// Two generated Applications have the same name (Argo CD refuses the whole set).
    #[error("ApplicationSet {appset} contains applications with duplicate name: {name}")]
    DuplicateName {
        /// ApplicationSet name.
        appset: String,
        /// The repeated Application name.
        name: String,
    },
}

/// The repository a git generator reads.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RepoRef {
    /// `repoURL`.
    pub url: String,
    /// `revision` (empty means the default branch).
    pub revision: String,
}

impl std::fmt::Display for RepoRef {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let rev = if self.revision.is_empty() {
            "HEAD"
        } else {
            &self.revision
        };
        write!(f, "{} at {rev}", self.url)
    }
}

/// A generator failure before the ApplicationSet and index are known.
#[derive(Debug)]
pub(crate) struct GenError {
    /// Kind path, outermost first (`["matrix", "git"]`).
    pub kinds: Vec<String>,
    /// The failure.
    pub cause: GenCause,
}

#[derive(Debug)]
pub(crate) enum GenCause {
    Unsupported(&'static str),
    Invalid(String),
    Git {
        repo_url: String,
        revision: String,
        message: String,
    },
    Template(TemplateError),
}

impl GenError {
    /// A failure of a generator of kind `kind`.
    pub fn new(kind: &str, cause: GenCause) -> GenError {
        GenError {
            kinds: vec![kind.to_string()],
            cause,
        }
    }

    /// A failure whose kind the enclosing generator adds with [`GenError::within`].
    pub fn bare(message: impl Into<String>) -> GenError {
        GenError {
            kinds: Vec::new(),
            cause: GenCause::Invalid(message.into()),
        }
    }

    /// An invalid-spec failure.
    pub fn invalid(kind: &str, message: impl Into<String>) -> GenError {
        GenError::new(kind, GenCause::Invalid(message.into()))
    }

    /// A template failure.
    pub fn template(kind: &str, e: TemplateError) -> GenError {
        GenError::new(kind, GenCause::Template(e))
    }

    /// Records that this failure happened inside a `kind` generator (matrix, merge).
    pub fn within(mut self, kind: &str) -> GenError {
        self.kinds.insert(0, kind.to_string());
        self
    }

    /// Attaches the ApplicationSet name and generator index.
    pub fn into_appset_error(self, appset: &str, index: usize) -> AppSetError {
        let appset = appset.to_string();
        let kind = self.kinds.join("/");
        match self.cause {
            GenCause::Unsupported(needs) => AppSetError::UnsupportedGenerator {
                appset,
                index,
                kind,
                needs,
            },
            GenCause::Invalid(message) => AppSetError::Generator {
                appset,
                index,
                kind,
                message,
            },
            GenCause::Git {
                repo_url,
                revision,
                message,
            } => AppSetError::Git {
                appset,
                index,
                kind,
                repo: Box::new(RepoRef {
                    url: repo_url,
                    revision,
                }),
                message,
            },
            GenCause::Template(source) => AppSetError::Template {
                appset,
                index,
                kind,
                source,
            },
        }
    }
}
