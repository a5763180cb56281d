//! The sync engine's errors. Each names what failed (the object and the file it came from, the
//! hook, the prune, the CRD, the child apps) and keeps the cluster's error as its source; the
//! report stores their one-line text, which the integration tests read word for word.

use std::fmt;
use std::sync::Arc;

use crate::cluster::ApplyError;
use crate::health::HealthStatus;
use crate::plan::Step;
use crate::render::Origin;

/// Why the sync of an app failed.
#[derive(Debug, thiserror::Error)]
pub enum SyncError {
    /// The plan refused the app before anything was applied (Argo CD's dry-run gate). The plan
    /// keeps its errors as one line of text each, so the first one is carried as it is.
    #[error("{first}{}", more_errors(*more))]
    Refused {
        /// The plan's first error for the app.
        first: String,
        /// How many more it has.
        more: usize,
    },
    /// An object whose kind the cluster does not serve reached the sync, because
    /// `SkipDryRunOnMissingResource` let it through the plan.
    #[error(
        "{object} ({origin}): {kind} is not served by the cluster (SkipDryRunOnMissingResource let it through the plan)"
    )]
    NotServed {
        /// The object's display name.
        object: String,
        /// Where it came from.
        origin: Origin,
        /// Its kind.
        kind: String,
    },
    /// A CRD or Namespace applied ahead of the objects that need it is of a kind the cluster
    /// does not serve.
    #[error("{object}: {}", ObjectError::NotServed)]
    PrerequisiteNotServed {
        /// The prerequisite's display name.
        object: String,
    },
    /// The object's namespace does not exist.
    #[error(
        "{object} ({origin}): {source}: add it to the repository, or set CreateNamespace=true on the app"
    )]
    NamespaceMissing {
        /// The object's display name.
        object: String,
        /// Where it came from.
        origin: Origin,
        /// The server's refusal.
        #[source]
        source: ApplyError,
    },
    /// Server-side apply found fields another field manager owns.
    #[error(
        "{object} ({origin}): {source} (another field manager applies these fields: rerun with --force-conflicts to take them over)"
    )]
    Conflict {
        /// The object's display name.
        object: String,
        /// Where it came from.
        origin: Origin,
        /// The server's conflict.
        #[source]
        source: ApplyError,
    },
    /// Any other failure to read or write an object.
    #[error("{object} ({origin}): {source}")]
    Apply {
        /// The object's display name.
        object: String,
        /// Where it came from.
        origin: Origin,
        /// What the cluster said.
        #[source]
        source: ApplyError,
    },
    /// A CRD this sync applied could not be read back.
    #[error("CustomResourceDefinition {name}: {source}")]
    ReadCrd {
        /// The CRD's name.
        name: String,
        /// What the cluster said.
        #[source]
        source: ApplyError,
    },
    /// A CRD this sync applied did not become Established before the deadline.
    #[error("CustomResourceDefinition {name} was not Established after {seconds} s")]
    NotEstablished {
        /// The CRD's name.
        name: String,
        /// How long it was waited for.
        seconds: u64,
    },
    /// A prerequisite failed once and every object waiting for it gets the same failure.
    #[error(transparent)]
    Shared(Arc<SyncError>),
    /// A hook failed.
    #[error("hook {object} ({origin}): {source}")]
    Hook {
        /// The hook's display name (its generated name, when it has one).
        object: String,
        /// Where it came from.
        origin: Origin,
        /// What went wrong.
        #[source]
        source: ObjectError,
    },
    /// An object could not be pruned.
    #[error("prune {object}: {source}")]
    Prune {
        /// The object's display name.
        object: String,
        /// What went wrong.
        #[source]
        source: ObjectError,
    },
    /// A wave's objects did not all become healthy.
    #[error(transparent)]
    Unhealthy(#[from] WaitError),
    /// A server the run uses can no longer be reached. The connection keeps its first
    /// transport failure as text (`cluster::guard::Link`), so that is what is carried.
    #[error("{0}")]
    Lost(String),
    /// Child apps of a wave failed (each has its own failure in the report).
    #[error("child app {} failed", quoted(names))]
    Children {
        /// The names of the failed children.
        names: Vec<String>,
    },
    /// The sync failed, and then a SyncFail hook failed too.
    #[error("{failure}; then a SyncFail hook failed: {hook}")]
    SyncFailHook {
        /// The failure that made the SyncFail hooks run.
        #[source]
        failure: Box<SyncError>,
        /// The SyncFail hook's own failure.
        hook: Box<SyncError>,
    },
}

impl SyncError {
    /// A request about the object of `step` failed.
    pub(crate) fn apply(step: &Step, source: ApplyError) -> Self {
        SyncError::Apply {
            object: step.key.display_name(),
            origin: step.origin.clone(),
            source,
        }
    }
}

/// What went wrong with one hook or pruned object; the [`SyncError`] variant that wraps it
/// names the object.
#[derive(Debug, thiserror::Error)]
pub enum ObjectError {
    /// The cluster does not serve its kind.
    #[error("its kind is not served by the cluster")]
    NotServed,
    /// A request about it failed.
    #[error(transparent)]
    Request(#[from] ApplyError),
    /// It was deleted but did not go away before the deadline (finalizers, dependents).
    #[error("still being deleted after {seconds} s")]
    StillDeleting {
        /// How long it was waited for.
        seconds: u64,
    },
    /// A hook did not complete.
    #[error(transparent)]
    Unhealthy(#[from] WaitError),
}

/// Why a wait ended without everything healthy (or, for hooks, complete).
#[derive(Debug, thiserror::Error)]
pub enum WaitError {
    /// An object is Degraded: waiting longer would not help.
    #[error("{object} is Degraded: {message}")]
    Degraded {
        /// The object's display name.
        object: String,
        /// Its health message.
        message: String,
    },
    /// The server can no longer be reached. The connection keeps its first transport failure
    /// as text (`cluster::guard::Link`), so that is what is carried.
    #[error("{0}")]
    Lost(String),
    /// The sync's deadline passed with objects still not healthy.
    #[error(
        "timed out after {seconds} s waiting for {} object{} to become healthy: {}",
        pending.len(),
        if pending.len() == 1 { "" } else { "s" },
        first_unready(pending)
    )]
    TimedOut {
        /// The sync's timeout.
        seconds: u64,
        /// The objects not healthy yet.
        pending: Vec<Unready>,
    },
}

/// An object not healthy yet, and its health.
#[derive(Debug, Clone)]
pub struct Unready {
    /// The object's display name.
    pub object: String,
    /// Its health status.
    pub status: HealthStatus,
    /// Its health message.
    pub message: String,
}

impl fmt::Display for Unready {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "{} is {}: {}",
            self.object,
            self.status.as_str(),
            self.message
        )
    }
}

/// How many objects a timeout names: enough to act on, short enough for one line.
const SHOWN: usize = 3;

/// The first few unready objects, and how many more there are.
fn first_unready(pending: &[Unready]) -> String {
    let shown: Vec<String> = pending.iter().take(SHOWN).map(Unready::to_string).collect();
    let more = pending.len().saturating_sub(SHOWN);
    if more > 0 {
        format!("{} (and {more} more)", shown.join("; "))
    } else {
        shown.join("; ")
    }
}

fn more_errors(more: usize) -> String {
    if more > 0 {
        format!(" (and {more} more errors)")
    } else {
        String::new()
    }
}

fn quoted(names: &[String]) -> String {
    names
        .iter()
        .map(|n| format!("{n:?}"))
        .collect::<Vec<_>>()
        .join(", ")
}

#[cfg(test)]
mod tests {
    use super::*;

    fn origin() -> Origin {
        Origin {
            file: "web/deploy.yaml".into(),
            doc: 2,
        }
    }

    fn refused(message: &str) -> ApplyError {
        ApplyError::Refused {
            code: 422,
            message: message.into(),
        }
    }

    fn unready(name: &str) -> Unready {
        Unready {
            object: format!("Deployment web/{name}"),
            status: HealthStatus::Progressing,
            message: "rolling out".into(),
        }
    }

    // The report shows these texts and the integration tests assert many of them: they must
    // read as the engine's messages always have.
    #[test]
    fn messages_read_as_before() {
        let cases: Vec<(SyncError, &str)> = vec![
            (
                SyncError::Refused {
                    first: "bad".into(),
                    more: 0,
                },
                "bad",
            ),
            (
                SyncError::Refused {
                    first: "bad".into(),
                    more: 2,
                },
                "bad (and 2 more errors)",
            ),
            (
                SyncError::NotServed {
                    object: "Ghost web/boo".into(),
                    origin: origin(),
                    kind: "Ghost".into(),
                },
                "Ghost web/boo (web/deploy.yaml (document 2)): Ghost is not served by the cluster (SkipDryRunOnMissingResource let it through the plan)",
            ),
            (
                SyncError::PrerequisiteNotServed {
                    object: "Namespace web".into(),
                },
                "Namespace web: its kind is not served by the cluster",
            ),
            (
                SyncError::NamespaceMissing {
                    object: "Deployment web/x".into(),
                    origin: origin(),
                    source: ApplyError::NamespaceMissing("web".into()),
                },
                "Deployment web/x (web/deploy.yaml (document 2)): namespace \"web\" does not exist: add it to the repository, or set CreateNamespace=true on the app",
            ),
            (
                SyncError::Conflict {
                    object: "Deployment web/x".into(),
                    origin: origin(),
                    source: ApplyError::Conflict {
                        managers: vec!["helm".into()],
                        message: "conflict with \"helm\"".into(),
                    },
                },
                "Deployment web/x (web/deploy.yaml (document 2)): conflict with \"helm\" (another field manager applies these fields: rerun with --force-conflicts to take them over)",
            ),
            (
                SyncError::Apply {
                    object: "Deployment web/x".into(),
                    origin: origin(),
                    source: refused("invalid"),
                },
                "Deployment web/x (web/deploy.yaml (document 2)): invalid",
            ),
            (
                SyncError::ReadCrd {
                    name: "a.example.com".into(),
                    source: refused("gone"),
                },
                "CustomResourceDefinition a.example.com: gone",
            ),
            (
                SyncError::NotEstablished {
                    name: "a.example.com".into(),
                    seconds: 7,
                },
                "CustomResourceDefinition a.example.com was not Established after 7 s",
            ),
            (
                SyncError::Shared(Arc::new(SyncError::Lost("down".into()))),
                "down",
            ),
            (
                SyncError::Hook {
                    object: "Job web/migrate".into(),
                    origin: origin(),
                    source: ObjectError::NotServed,
                },
                "hook Job web/migrate (web/deploy.yaml (document 2)): its kind is not served by the cluster",
            ),
            (
                SyncError::Hook {
                    object: "Job web/migrate".into(),
                    origin: origin(),
                    source: WaitError::Degraded {
                        object: "Job web/migrate".into(),
                        message: "BackoffLimitExceeded".into(),
                    }
                    .into(),
                },
                "hook Job web/migrate (web/deploy.yaml (document 2)): Job web/migrate is Degraded: BackoffLimitExceeded",
            ),
            (
                SyncError::Prune {
                    object: "ConfigMap web/old".into(),
                    source: ObjectError::StillDeleting { seconds: 3 },
                },
                "prune ConfigMap web/old: still being deleted after 3 s",
            ),
            (
                SyncError::Prune {
                    object: "ConfigMap web/old".into(),
                    source: refused("forbidden").into(),
                },
                "prune ConfigMap web/old: forbidden",
            ),
            (
                SyncError::Children {
                    names: vec!["a".into(), "b".into()],
                },
                "child app \"a\", \"b\" failed",
            ),
            (
                SyncError::SyncFailHook {
                    failure: Box::new(SyncError::Lost("first".into())),
                    hook: Box::new(SyncError::Lost("second".into())),
                },
                "first; then a SyncFail hook failed: second",
            ),
        ];
        for (error, text) in cases {
            assert_eq!(error.to_string(), text);
        }
    }

    #[test]
    fn a_timeout_names_three_objects_and_counts_the_rest() {
        let one = WaitError::TimedOut {
            seconds: 6,
            pending: vec![unready("a")],
        };
        assert_eq!(
            one.to_string(),
            "timed out after 6 s waiting for 1 object to become healthy: Deployment web/a is Progressing: rolling out"
        );
        let five = WaitError::TimedOut {
            seconds: 6,
            pending: ["a", "b", "c", "d", "e"].map(unready).to_vec(),
        };
        assert_eq!(
            five.to_string(),
            "timed out after 6 s waiting for 5 objects to become healthy: Deployment web/a is Progressing: rolling out; Deployment web/b is Progressing: rolling out; Deployment web/c is Progressing: rolling out (and 2 more)"
        );
    }

    #[test]
    fn the_cluster_error_is_the_source() {
        use std::error::Error as _;
        let e = SyncError::Apply {
            object: "Deployment web/x".into(),
            origin: origin(),
            source: refused("invalid"),
        };
        assert!(
            e.source()
                .and_then(|s| s.downcast_ref::<ApplyError>())
                .is_some()
        );
    }

    fn assert_send_sync<T: Send + Sync + 'static>() {}

    #[test]
    fn errors_cross_tasks() {
        assert_send_sync::<SyncError>();
    }
}
