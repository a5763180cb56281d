//! Errors of ApplicationSet expansion. Every [`AppSetError`] names the ApplicationSet; generator
//! errors also name the generator's index in `spec.generators` and its kind (`matrix/git` when
//! nested). The smaller errors it carries say what is wrong inside it.

use gotemplate::LimitError;

use super::selector::SelectorError;
use crate::source::SourceError;
use crate::yaml::YamlError;

/// A template that failed to parse or execute (the message includes the template text).
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum TemplateError {
    /// A Go template that does not parse.
    #[error("failed to parse template {template}: {source}")]
    Parse {
        /// The template text, cut past a screenful.
        template: String,
        /// The parser's error (boxed: it is large, and every generator passes this error up).
        #[source]
        source: Box<gotemplate::Error>,
    },
    /// A Go template that failed while rendering one parameter set.
    #[error("failed to execute go template {template}: {source}")]
    Execute {
        /// The template text, cut past a screenful.
        template: String,
        /// The interpreter's error (boxed, as above).
        #[source]
        source: Box<gotemplate::Error>,
    },
    /// A fasttemplate that opens a tag it never closes.
    #[error(transparent)]
    Fast(#[from] FastTemplateError),
}

/// A fasttemplate that `fasttemplate.NewTemplate` refuses.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum FastTemplateError {
    /// `{{` with no `}}` after it, following a real tag.
    #[error("invalid template: cannot find end tag \"}}}}\" in the template {template:?}")]
    UnclosedTag {
        /// The whole template text.
        template: String,
    },
}

/// What is wrong with an ApplicationSet's own settings (not a generator's).
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum SpecError {
    /// The manifest has no `spec` map.
    #[error("has no spec")]
    NoSpec,
    /// A boolean setting holds something else.
    #[error("{field} must be true or false")]
    NotABool {
        /// The setting (`goTemplate`, `preserveResourcesOnDeletion`...).
        field: &'static str,
    },
    /// `goTemplateOptions` is not a list of strings.
    #[error("goTemplateOptions must be a list of strings")]
    OptionsNotStrings,
    /// A `goTemplateOptions` entry Go's `template.Option` does not know.
    #[error("unrecognized goTemplateOptions entry {option:?}")]
    UnknownOption {
        /// The entry as written.
        option: String,
    },
    /// `spec.generators` is not a list.
    #[error("spec.generators must be a list")]
    GeneratorsNotAList,
    /// `spec.template` is not a map.
    #[error("spec.template must be a map")]
    TemplateNotAMap,
    /// `spec.templatePatch` is not a string.
    #[error("spec.templatePatch must be a string")]
    TemplatePatchNotAString,
}

/// Why a rendered `spec.templatePatch` is not a patch.
#[derive(Debug, thiserror::Error)]
pub enum PatchError {
    /// It is not YAML.
    #[error("{0}")]
    Yaml(#[source] YamlError),
    /// It is YAML, but a list or a scalar.
    #[error("invalid templatePatch: expected a map, got {got}")]
    NotAMap {
        /// `a list`, `a string` or `a scalar`.
        got: &'static str,
    },
}

/// Why the git generator could not read its repository.
#[derive(Debug, thiserror::Error)]
pub enum GitReadError {
    /// Listing the repository's files failed.
    #[error(transparent)]
    List(SourceError),
    /// Reading one of the files it selected failed.
    #[error("unable to read file '{file}': {source}")]
    Read {
        /// The file, relative to the repository root.
        file: String,
        /// What reading it reported.
        #[source]
        source: SourceError,
    },
    /// One of the files it selected holds no parameters.
    #[error("unable to process file '{file}': {source}")]
    Process {
        /// The file, relative to the repository root.
        file: String,
        /// What is wrong with its content.
        #[source]
        source: GitFileError,
    },
}

/// Why a git generator file gives no parameter sets.
#[derive(Debug, thiserror::Error)]
pub enum GitFileError {
    /// It is not text.
    #[error("not UTF-8: {0}")]
    NotUtf8(#[source] std::str::Utf8Error),
    /// It is neither JSON nor YAML.
    #[error("unable to parse file: {0}")]
    Syntax(#[source] YamlError),
    /// It is a list with an element that is not a map.
    #[error("unable to parse file: a list element is not a map")]
    ElementNotAMap,
    /// It is a scalar.
    #[error("unable to parse file: expected a map or a list of maps")]
    NotAMap,
}

/// Why an ApplicationSet could not be expanded.
#[derive(Debug, thiserror::Error)]
pub enum AppSetError {
    /// The manifest itself is malformed (no spec, generators not a list, bad option).
    #[error("ApplicationSet {appset}: {source}")]
    InvalidSpec {
        /// ApplicationSet name.
        appset: String,
        /// What is wrong.
        #[source]
        source: SpecError,
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
    /// A generator's `selector` is not a label selector.
    #[error("ApplicationSet {appset}: generator {index} ({kind}): selector: {source}")]
    Selector {
        /// ApplicationSet name.
        appset: String,
        /// Index in `spec.generators`.
        index: usize,
        /// Generator kind.
        kind: String,
        /// What is wrong with the selector.
        #[source]
        source: SelectorError,
    },
    /// The generators used up the ApplicationSet's time or step budget.
    #[error("ApplicationSet {appset}: generator {index} ({kind}): {source}")]
    Limit {
        /// ApplicationSet name.
        appset: String,
        /// Index in `spec.generators`.
        index: usize,
        /// Generator kind.
        kind: String,
        /// Which limit.
        #[source]
        source: LimitError,
    },
    /// The git generator could not list or read the repository.
    #[error("ApplicationSet {appset}: generator {index} ({kind}): repository {repo}: {source}")]
    Git {
        /// ApplicationSet name.
        appset: String,
        /// Index in `spec.generators`.
        index: usize,
        /// Generator kind.
        kind: String,
        /// The generator's `repoURL` and `revision` (boxed to keep the error small).
        repo: Box<RepoRef>,
        /// The error from [`GitFiles`](super::GitFiles) or from parsing a file (boxed too).
        #[source]
        source: Box<GitReadError>,
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
    #[error("ApplicationSet {appset}: generator {index} ({kind}): templatePatch: {source}")]
    TemplatePatch {
        /// ApplicationSet name.
        appset: String,
        /// Index in `spec.generators`.
        index: usize,
        /// Generator kind.
        kind: String,
        /// What went wrong.
        #[source]
        source: PatchError,
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
    Selector(SelectorError),
    Limit(LimitError),
    Git {
        repo_url: String,
        revision: String,
        // Boxed: generators pass this error up through every call, and it is rare.
        source: Box<GitReadError>,
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

    /// A `selector` that is not a label selector.
    pub fn selector(kind: &str, e: SelectorError) -> GenError {
        GenError::new(kind, GenCause::Selector(e))
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
            GenCause::Selector(source) => AppSetError::Selector {
                appset,
                index,
                kind,
                source,
            },
            GenCause::Limit(source) => AppSetError::Limit {
                appset,
                index,
                kind,
                source,
            },
            GenCause::Git {
                repo_url,
                revision,
                source,
            } => AppSetError::Git {
                appset,
                index,
                kind,
                repo: Box::new(RepoRef {
                    url: repo_url,
                    revision,
                }),
                source,
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
