//! Progress of a sync, as events: the engine sends them, the command line shows them (one line
//! each, or a live view on a terminal). Nothing in the engine prints.

use tokio::sync::mpsc::UnboundedSender;

use crate::plan::Phase;

/// One thing that happened during a sync.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Event {
    /// An app's sync started.
    AppStarted {
        /// The app.
        app: String,
        /// Its cluster.
        context: String,
    },
    /// A wave of an app started.
    Wave {
        /// The app.
        app: String,
        /// The wave.
        wave: i64,
        /// Objects to apply in it.
        objects: usize,
        /// Child apps in it.
        children: usize,
    },
    /// An object was applied.
    Applied {
        /// The app.
        app: String,
        /// `Kind namespace/name`.
        object: String,
        /// `created`, `configured`, `replaced`.
        how: &'static str,
    },
    /// A prerequisite of another app's object was applied ahead of its wave.
    Prerequisite {
        /// The app that owns it.
        app: String,
        /// `Kind name`.
        object: String,
        /// Why (`CRD of HTTPRoute`, `namespace of ...`).
        reason: String,
    },
    /// Waiting for objects to become healthy.
    Waiting {
        /// The app.
        app: String,
        /// How many are not healthy yet.
        pending: usize,
        /// The first of them and why.
        first: String,
    },
    /// A hook started.
    HookStarted {
        /// The app.
        app: String,
        /// The phase.
        phase: Phase,
        /// The hook object.
        object: String,
    },
    /// A hook finished.
    HookFinished {
        /// The app.
        app: String,
        /// The hook object.
        object: String,
        /// Whether it succeeded.
        succeeded: bool,
    },
    /// An object was deleted by prune.
    Pruned {
        /// The app.
        app: String,
        /// The object.
        object: String,
    },
    /// An app's sync ended.
    AppFinished {
        /// The app.
        app: String,
        /// Whether it synced and is healthy.
        succeeded: bool,
        /// One line: what was done, or what failed.
        summary: String,
    },
    /// Something the user should know that does not stop the sync.
    Warning(String),
}

/// Where events go; a closed receiver is fine (nobody listens).
#[derive(Clone)]
pub struct Events(Option<UnboundedSender<Event>>);

impl Events {
    /// Events sent to `tx`.
    pub fn new(tx: UnboundedSender<Event>) -> Events {
        Events(Some(tx))
    }

    /// Events that go nowhere.
    pub fn none() -> Events {
        Events(None)
    }

    /// Sends one event.
    pub fn send(&self, e: Event) {
        if let Some(tx) = &self.0 {
            let _ = tx.send(e);
        }
    }
}
