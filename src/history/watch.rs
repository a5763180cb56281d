//! A drift watch without a controller: follow the branch, compare with the cluster through the
//! same plan as diff and sync, report what changed by hand (DRIFT DETECTED, who, a short diff),
//! and put it back when asked (`--self-heal` or an app's `automated.selfHeal`); apps whose
//! policy is automated get new commits synced. Cheap when nothing changes: a tree is rendered
//! again only for a new commit, and the plan skips every dry run the live objects prove
//! unnecessary, so an idle round costs the LISTs.

use std::collections::HashSet;
use std::path::Path;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::Duration;

use serde::Serialize;

use crate::apps::{LoadedTree, TreeFacts, TreeSpec, load};
use crate::cluster::lease;
use crate::history::record;
use crate::plan::{self, Clusters, Plan, PlanRequest};
use crate::sync::{AppOutcome, Events, SyncRequest, locked_plan_run};

/// What a watch is asked to do.
pub struct WatchRequest {
    /// Where the tree comes from (its revision is chosen by the watch).
    pub spec: TreeSpec,
    /// What rendering needs to know of the cluster.
    pub facts: TreeFacts,
    /// Apps to watch (with their children); empty: all.
    pub select: Vec<String>,
    /// How long between rounds.
    pub interval: Duration,
    /// Put drift back in every app, not only those with `automated.selfHeal`.
    pub self_heal: bool,
    /// How its syncs run (revision and tree are filled in per round).
    pub sync: SyncRequest,
    /// How long a sync waits for another run's locks.
    pub lock_timeout: Duration,
}

/// One thing a watch saw or did; one line of output each.
#[derive(Debug, Clone, Serialize)]
#[serde(tag = "event", rename_all = "camelCase")]
pub enum WatchEvent {
    /// Watching a revision (the first round, or a new commit on the branch).
    #[serde(rename_all = "camelCase")]
    Revision {
        /// The commit.
        revision: String,
        /// The commit before, for a new one.
        previous: Option<String>,
    },
    /// An object was changed by someone other than Git.
    #[serde(rename_all = "camelCase")]
    Drift {
        /// The app.
        app: String,
        /// `Kind namespace/name`.
        object: String,
        /// Who changed it.
        managers: Vec<String>,
        /// It was deleted from the cluster (who deleted it is not known).
        deleted: bool,
        /// The changed lines, short.
        diff: String,
    },
    /// An app differs from Git and is not put back (no self-heal, not automated).
    #[serde(rename_all = "camelCase")]
    OutOfSync {
        /// The app.
        app: String,
        /// How many objects differ.
        objects: usize,
    },
    /// A sync started.
    #[serde(rename_all = "camelCase")]
    Syncing {
        /// The apps.
        apps: Vec<String>,
        /// `self-heal` or `new commit`.
        reason: String,
    },
    /// An app was synced.
    #[serde(rename_all = "camelCase")]
    Synced {
        /// The app.
        app: String,
        /// Objects applied.
        applied: usize,
    },
    /// An app's sync failed.
    #[serde(rename_all = "camelCase")]
    SyncFailed {
        /// The app.
        app: String,
        /// Why.
        message: String,
    },
    /// Something went wrong; the watch goes on and tries again next round.
    #[serde(rename_all = "camelCase")]
    Error {
        /// What.
        message: String,
    },
    /// The watch stopped (Ctrl-C).
    Stopped,
}

/// The lease a running watch of a tree keeps, so `rollback` knows a watch would undo it.
pub fn lease_name(tree_id: &str) -> String {
    format!("watch-{:016x}", crate::names::stable_hash(tree_id))
}

/// Why the commit to watch is not known this round; the words are the user's git's.
#[derive(Debug, thiserror::Error)]
pub enum FollowError {
    /// `git` could not be run.
    #[error("{0}")]
    Run(#[source] std::io::Error),
    /// `git fetch` of the upstream failed.
    #[error("git fetch failed: {stderr}")]
    Fetch {
        /// git's stderr, trimmed.
        stderr: String,
    },
    /// The revision does not name a commit.
    #[error("{stderr}")]
    Resolve {
        /// git's stderr, trimmed.
        stderr: String,
    },
}

/// The commit to watch: the branch's upstream after a fetch when it has one (the remote is
/// the truth CI pushes to), else `HEAD`. Errors are the user's git's words.
fn follow(workdir: &Path) -> Result<String, FollowError> {
    let git = |args: &[&str]| {
        std::process::Command::new("git")
            .arg("-C")
            .arg(workdir)
            .args(args)
            .env("GIT_TERMINAL_PROMPT", "0")
            .stdin(std::process::Stdio::null())
            .output()
    };
    let upstream = git(&[
        "rev-parse",
        "--abbrev-ref",
        "--symbolic-full-name",
        "@{upstream}",
    ])
    .ok()
    .filter(|o| o.status.success())
    .map(|o| String::from_utf8_lossy(&o.stdout).trim().to_string());
    let rev = match upstream {
        Some(u) => {
            let fetched = git(&["fetch", "--quiet"]).map_err(FollowError::Run)?;
            if !fetched.status.success() {
                return Err(FollowError::Fetch {
                    stderr: String::from_utf8_lossy(&fetched.stderr).trim().to_string(),
                });
            }
            u
        }
        None => "HEAD".to_string(),
    };
    let out =
        git(&["rev-parse", "--verify", &format!("{rev}^{{commit}}")]).map_err(FollowError::Run)?;
    if !out.status.success() {
        return Err(FollowError::Resolve {
            stderr: String::from_utf8_lossy(&out.stderr).trim().to_string(),
        });
    }
    Ok(String::from_utf8_lossy(&out.stdout).trim().to_string())
}

/// The changed lines of a diff, on one line.
fn short_diff(unified: &str) -> String {
    let lines: Vec<&str> = unified
        .lines()
        .filter(|l| {
            (l.starts_with('+') || l.starts_with('-'))
                && !l.starts_with("+++")
                && !l.starts_with("---")
        })
        .take(6)
        .map(str::trim_end)
        .collect();
    lines.join(" | ")
}

/// Watches until `stop` is set, sending each event to `emit`.
pub async fn watch(
    clusters: &mut Clusters,
    req: WatchRequest,
    emit: impl Fn(WatchEvent),
    stop: Arc<AtomicBool>,
) {
    let mut current: Option<LoadedTree> = None;
    let mut last_revision: Option<String> = None;
    let mut workdir: Option<std::path::PathBuf> = None;
    // Drift already reported: (app, object, live resourceVersion).
    let mut reported: HashSet<(String, String, String)> = HashSet::new();
    let mut errors_seen: HashSet<String> = HashSet::new();
    let mut lost = false;
    // Clusters whose records namespace this watch has made sure of.
    let mut announced: HashSet<String> = HashSet::new();
    let holder = lease::holder_identity(&req.sync.user);
    while !stop.load(Ordering::SeqCst) {
        // 1. The revision to deploy.
        let revision = match &workdir {
            // git and rendering block: the runtime's other tasks move off this worker first.
            Some(w) => tokio::task::block_in_place(|| follow(w)),
            None => Ok("HEAD".to_string()),
        };
        let revision = match revision {
            Ok(r) => r,
            Err(e) => {
                emit(WatchEvent::Error {
                    message: e.to_string(),
                });
                last_revision.clone().unwrap_or_else(|| "HEAD".into())
            }
        };
        let new_commit = last_revision.as_deref() != Some(revision.as_str());
        if new_commit || current.is_none() {
            let mut spec = req.spec.clone();
            spec.revision = Some(revision.clone());
            match tokio::task::block_in_place(|| load(&spec, &req.facts)) {
                Ok(t) => {
                    let sha = t
                        .revision
                        .map(|s| s.to_string())
                        .unwrap_or(revision.clone());
                    workdir = t.workdir.clone().or(workdir);
                    emit(WatchEvent::Revision {
                        revision: sha.clone(),
                        previous: last_revision.clone(),
                    });
                    for e in &t.tree.errors {
                        emit(WatchEvent::Error {
                            message: e.to_string(),
                        });
                    }
                    last_revision = Some(sha);
                    current = Some(t);
                }
                Err(e) => emit(WatchEvent::Error {
                    message: e.to_string(),
                }),
            }
        }
        let Some(tree) = &current else {
            if pause(req.interval, &stop).await {
                break;
            }
            continue;
        };
        // 2. Compare, as diff does.
        let plan = plan::build(
            clusters,
            PlanRequest {
                tree: &tree.tree,
                select: &req.select,
                tree_id: &tree.tree_id,
                records_namespace: &req.sync.records_namespace,
                force_conflicts: true,
                concurrency: req.sync.concurrency,
                known_records: None,
            },
        )
        .await;
        // A lost server is said once per outage, and the round ends there: nothing can be
        // judged or put back until it answers again (then the next round goes on as usual).
        if let Some(why) = &plan.incomplete {
            if !lost {
                emit(WatchEvent::Error {
                    message: format!("{why}; trying again every interval"),
                });
                lost = true;
            }
            if pause(req.interval, &stop).await {
                break;
            }
            continue;
        }
        lost = false;
        let (heal, deploy) = judge(&plan, &req, new_commit, &mut reported, &emit);
        for a in &plan.apps {
            for e in &a.errors {
                let message = format!("app {:?}: {e}", a.name);
                if errors_seen.insert(message.clone()) {
                    emit(WatchEvent::Error { message });
                }
            }
        }
        // 3. Put back what is asked for.
        // One sync for both reasons (an app is in one list at most); it plans under its locks
        // at once, since this round's plan already showed there is work.
        let mut apps = Vec::new();
        for (some, reason) in [(heal, "self-heal"), (deploy, "new commit")] {
            if !some.is_empty() && !stop.load(Ordering::SeqCst) {
                emit(WatchEvent::Syncing {
                    apps: some.clone(),
                    reason: reason.to_string(),
                });
                apps.extend(some);
            }
        }
        if !apps.is_empty() {
            let mut sync = req.sync.clone();
            sync.tree_id = tree.tree_id.clone();
            sync.revision = tree.revision.map(|s| s.to_string());
            match locked_plan_run(
                clusters,
                &tree.tree,
                &tree.tree_id,
                &apps,
                &sync,
                req.lock_timeout,
                Events::none(),
            )
            .await
            {
                Ok((_, report)) => {
                    for r in report.apps {
                        match r.outcome {
                            AppOutcome::Synced => emit(WatchEvent::Synced {
                                app: r.name,
                                applied: r.applied,
                            }),
                            AppOutcome::Failed => emit(WatchEvent::SyncFailed {
                                app: r.name,
                                message: r.message.unwrap_or_default(),
                            }),
                            AppOutcome::Skipped => {}
                        }
                    }
                }
                Err(e) => emit(WatchEvent::Error {
                    message: e.to_string(),
                }),
            }
        }
        // 4. Say this watch is alive, for rollback to know.
        let seconds =
            i32::try_from(req.interval.as_secs().saturating_mul(2) + 30).unwrap_or(i32::MAX);
        for s in clusters.sessions() {
            // The records namespace is made once per cluster, not every round; a failed
            // announcement makes sure of it again next round.
            if !announced.contains(&s.context) {
                if record::ensure_namespace(&s.conn, &req.sync.records_namespace)
                    .await
                    .is_err()
                {
                    continue;
                }
                announced.insert(s.context.clone());
            }
            let announced_now = lease::announce(
                &s.conn,
                &req.sync.records_namespace,
                &lease_name(&tree.tree_id),
                &holder,
                seconds,
            )
            .await;
            if announced_now.is_err() {
                announced.remove(&s.context);
            }
        }
        if pause(req.interval, &stop).await {
            break;
        }
    }
    if let Some(tree) = &current {
        for s in clusters.sessions() {
            lease::withdraw(
                &s.conn,
                &req.sync.records_namespace,
                &lease_name(&tree.tree_id),
            )
            .await;
        }
    }
    emit(WatchEvent::Stopped);
}

/// Which apps to heal and which to deploy, reporting drift and differences on the way.
fn judge(
    plan: &Plan,
    req: &WatchRequest,
    new_commit: bool,
    reported: &mut HashSet<(String, String, String)>,
    emit: &impl Fn(WatchEvent),
) -> (Vec<String>, Vec<String>) {
    let mut heal = Vec::new();
    let mut deploy = Vec::new();
    for a in &plan.apps {
        if !a.errors.is_empty() || a.context.is_none() {
            continue;
        }
        let mut drifted = false;
        let mut from_git = !a.prunes.is_empty();
        // The revision Git has now was the app's last sync, and it succeeded: every object of
        // it was applied, so one missing now was deleted behind Git's back. Argo CD's
        // self-heal counts a missing object as drift too.
        let deployed_now = a
            .revisions
            .first()
            .and_then(|rev| a.record.as_ref()?.deployed_last(rev));
        for s in &a.steps {
            let Some(change) = &s.change else { continue };
            let deleted = s.live.is_none() && deployed_now.is_some();
            if change.drift_managers.is_empty() && !deleted {
                from_git = true;
                continue;
            }
            drifted = true;
            // Reported once per change of the live object (its resourceVersion), or, for a
            // deletion, once per sync that put it back.
            let seen = match (&s.live, deployed_now) {
                (Some(live), _) => live
                    .pointer("/metadata/resourceVersion")
                    .and_then(|v| v.as_str())
                    .unwrap_or_default()
                    .to_string(),
                (None, Some(e)) => format!("deleted after sync {}", e.id),
                (None, None) => String::new(),
            };
            if reported.insert((a.name.clone(), change.key.display_name(), seen)) {
                emit(WatchEvent::Drift {
                    app: a.name.clone(),
                    object: change.key.display_name(),
                    managers: change.drift_managers.clone(),
                    deleted,
                    diff: short_diff(&change.diff),
                });
            }
        }
        if drifted && (req.self_heal || a.automation.self_heal) {
            heal.push(a.name.clone());
        } else if from_git && a.automation.enabled {
            deploy.push(a.name.clone());
        } else if (drifted || from_git) && new_commit {
            emit(WatchEvent::OutOfSync {
                app: a.name.clone(),
                objects: a.steps.iter().filter(|s| s.change.is_some()).count() + a.prunes.len(),
            });
        }
    }
    (heal, deploy)
}

/// Sleeps for `interval`, waking early when asked to stop; true when stopping.
async fn pause(interval: Duration, stop: &AtomicBool) -> bool {
    let step = Duration::from_millis(100);
    let mut waited = Duration::ZERO;
    while waited < interval {
        if stop.load(Ordering::SeqCst) {
            return true;
        }
        tokio::time::sleep(step).await;
        waited += step;
    }
    stop.load(Ordering::SeqCst)
}
