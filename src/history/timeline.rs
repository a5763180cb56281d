//! An app's history: the commits that changed what it renders, from `git log`, beside the syncs
//! its record remembers, so a user sees what was deployed when, by whom, and what is waiting.

use serde::Serialize;

use super::record::{AppRecord, Outcome, SyncEntry};
use crate::source::CommitInfo;

/// Where a revision stands for the app.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub enum State {
    /// What the cluster runs: the last successful sync.
    Current,
    /// Deployed once, since replaced.
    Deployed,
    /// Newer than what runs: a sync would deploy it.
    Waiting,
    /// Older than what runs and never deployed (skipped over).
    Skipped,
    /// Not on the branch's first-parent line (deployed from elsewhere).
    Elsewhere,
}

/// One row: a commit, or a deployed revision the log does not show.
#[derive(Debug, Clone, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Row {
    /// The full commit SHA.
    pub revision: String,
    /// Its subject, when the log has it.
    pub summary: Option<String>,
    /// Its author.
    pub author: Option<String>,
    /// When it was committed (seconds since the epoch).
    pub committed_at: Option<i64>,
    /// Where it stands.
    pub state: State,
    /// The syncs that deployed it (newest last).
    pub syncs: Vec<SyncEntry>,
}

/// Merges the commits that touch the app (`commits`, newest first) with its record. `line` is
/// the branch's first-parent line from its tip (newest first), to place deployed revisions
/// that did not touch the app's paths.
pub fn rows(commits: &[CommitInfo], line: &[String], record: Option<&AppRecord>) -> Vec<Row> {
    let entries: &[SyncEntry] = record.map_or(&[], |r| r.history.as_slice());
    let current = record
        .and_then(|r| r.last_success())
        .map(|e| e.revision.clone());
    let position = |rev: &str| line.iter().position(|l| l == rev);
    let current_pos = current.as_deref().and_then(position);
    let mut out: Vec<Row> = commits
        .iter()
        .map(|c| Row {
            revision: c.sha.to_string(),
            summary: Some(c.summary.clone()),
            author: Some(c.author.clone()),
            committed_at: Some(c.time),
            state: State::Skipped,
            syncs: Vec::new(),
        })
        .collect();
    for e in entries {
        match out.iter_mut().find(|r| r.revision == e.revision) {
            Some(r) => r.syncs.push(e.clone()),
            None => out.push(Row {
                revision: e.revision.clone(),
                summary: None,
                author: None,
                committed_at: None,
                state: State::Deployed,
                syncs: vec![e.clone()],
            }),
        }
    }
    for r in &mut out {
        let pos = position(&r.revision);
        let deployed = r.syncs.iter().any(|e| e.outcome == Outcome::Succeeded);
        r.state = if Some(&r.revision) == current.as_ref() {
            State::Current
        } else if pos.is_none() {
            State::Elsewhere
        } else if current_pos.is_none_or(|c| pos.is_some_and(|p| p < c)) {
            // Newer than what runs (or nothing ever ran).
            if deployed {
                State::Deployed
            } else {
                State::Waiting
            }
        } else if deployed {
            State::Deployed
        } else {
            State::Skipped
        };
    }
    // Newest first along the line; revisions off the line last, newest sync first.
    out.sort_by_key(|r| {
        (
            position(&r.revision).unwrap_or(usize::MAX),
            std::cmp::Reverse(r.syncs.last().map(|e| e.id).unwrap_or(0)),
        )
    });
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::source::Sha;

    fn commit(n: u8) -> CommitInfo {
        CommitInfo {
            sha: Sha::parse(&format!("{n:040x}")).unwrap(),
            summary: format!("c{n}"),
            author: "a".into(),
            time: i64::from(n),
        }
    }

    fn entry(id: u64, n: u8, outcome: Outcome) -> SyncEntry {
        crate::history::record::tests::entry_at(id, format!("{n:040x}"), outcome)
    }

    #[test]
    fn deployed_current_waiting_and_skipped() {
        // Line (newest first): 5 4 3 2 1; the app changed in 5, 3, 2, 1; 4 was deployed
        // (a whole-tree sync) without touching it.
        let line: Vec<String> = (1..=5).rev().map(|n| format!("{n:040x}")).collect();
        let commits = vec![commit(5), commit(3), commit(2), commit(1)];
        let mut rec = AppRecord::default();
        for (i, (n, o)) in [
            (1, Outcome::Succeeded),
            (3, Outcome::Failed),
            (4, Outcome::Succeeded),
        ]
        .into_iter()
        .enumerate()
        {
            rec.history.push(entry(i as u64, n, o));
        }
        let r = rows(&commits, &line, Some(&rec));
        let states: Vec<(String, State)> = r
            .iter()
            .map(|x| (x.revision[38..].to_string(), x.state))
            .collect();
        assert_eq!(
            states,
            [
                ("05".into(), State::Waiting),
                ("04".into(), State::Current),
                ("03".into(), State::Skipped),
                ("02".into(), State::Skipped),
                ("01".into(), State::Deployed),
            ]
        );
        assert_eq!(r[2].syncs.len(), 1, "the failed sync of 3 is shown");
    }
}
