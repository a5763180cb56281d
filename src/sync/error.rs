//! The sync engine's errors. Each names what failed (the object and the file it came from, the
//! hook, the prune, the CRD, the child apps) and keeps the cluster's error as its source; the
//! report stores their one-line text, which the integration tests read word for word.

use std::fmt;

use crate::health::HealthStatus;

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

#[cfg(test)]
mod tests {
    use super::*;

    fn unready(name: &str) -> Unready {
        Unready {
            object: format!("Deployment web/{name}"),
            status: HealthStatus::Progressing,
            message: "rolling out".into(),
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
}
