//! Sync: executing a plan. Apps run as a tree: each app's PreSync hooks, then its waves in
//! order (objects in Argo CD's kind order, Sync hooks, and the child apps of that wave, each a
//! whole sync of its own), each wave healthy before the next, then PostSync hooks; SyncFail
//! hooks when something fails. Prune comes last, for the whole run, under guards. Each app's
//! record (inventory and history) is written in its cluster.
//!
//! Beyond Argo CD, as DESIGN decision 6 says: a CRD is applied and Established before any object
//! of its kind and a Namespace before the objects in it, across apps and without waves
//! ([`prereq`]); and a child app counts as done only when its objects are synced and healthy.

mod apply;
mod error;
mod events;
mod hooks;
mod lock;
mod prereq;
mod prune;
mod report;
mod wait;

use std::collections::{BTreeSet, HashMap, HashSet};
use std::future::Future;
use std::pin::Pin;
use std::sync::{Arc, Mutex, PoisonError};
use std::time::{Duration, Instant};

use futures::StreamExt;
use futures::future::join_all;
use serde_json::Value;
use tokio::sync::Semaphore;

pub use error::{ObjectError, SyncError, Unready, WaitError};
pub use events::{Event, Events};
pub use lock::{Locks, lock_apps};
pub use report::{AppOutcome, AppResult, RemovedResult, SyncReport};

use crate::health::HealthStatus;
use crate::history::record::{self, AppRecord, Outcome, SyncEntry};
use crate::plan::{Action, AppPlan, Clusters, Phase, Plan, Session};
use prereq::Prereqs;
use wait::{Watched, until_healthy};

/// How to sync.
#[derive(Debug, Clone)]
pub struct SyncRequest {
    /// Prune what left Git (apps with `automated.prune` prune without it, if `auto_prune`).
    pub prune: bool,
    /// Whether an app's `automated.prune` prunes without `prune`: not in a rollback, which
    /// prunes only when asked (`argocd app rollback --prune`).
    pub auto_prune: bool,
    /// Take ownership of fields other managers own.
    pub force_conflicts: bool,
    /// The whole sync's deadline.
    pub timeout: Duration,
    /// Requests in flight at once.
    pub concurrency: usize,
    /// Where records and locks live.
    pub records_namespace: String,
    /// Which tree this is (written into records).
    pub tree_id: String,
    /// `sync`, `rollback` or `revert`, for the records.
    pub operation: String,
    /// Who runs it, for the records.
    pub user: String,
    /// Run hooks (a rollback does not, as in Argo CD).
    pub hooks: bool,
    /// Wait for the last wave to be healthy too (earlier waves are always waited on).
    pub wait: bool,
    /// The commit deployed, for the records.
    pub revision: Option<String>,
}

/// What the sync engine shares between its tasks.
pub(crate) struct Ctx<'a> {
    req: &'a SyncRequest,
    plan: &'a Plan,
    sem: Semaphore,
    events: Events,
    deadline: Instant,
    prereqs: Prereqs,
    started_unix: i64,
    sessions: HashMap<String, Arc<Session>>,
    results: Mutex<HashMap<String, AppResult>>,
}

fn now_rfc3339() -> String {
    k8s_openapi::jiff::Timestamp::now().to_string()
}

impl Ctx<'_> {
    /// Why the run must stop: a server it uses can no longer be reached.
    fn lost(&self) -> Option<String> {
        self.sessions.values().find_map(|s| s.conn.lost())
    }

    fn set(&self, r: AppResult) {
        self.results
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .insert(r.name.clone(), r);
    }

    fn result(&self, name: &str) -> Option<AppResult> {
        self.results
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .get(name)
            .cloned()
    }

    /// Marks an app and its descendants as not run.
    fn skip(&self, app: &AppPlan, why: &str) {
        self.set(not_run(app, why));
        for c in &app.children {
            if let Some(child) = self.plan.app(c) {
                self.skip(child, &format!("not run: parent app {:?} {why}", app.name));
            }
        }
    }
}

type AppFuture<'a> = Pin<Box<dyn Future<Output = bool> + Send + 'a>>;

/// Syncs the apps of `plan` (its apps are the selection) and returns what happened. Locks must
/// already be held ([`lock_apps`]) and the plan built after taking them.
pub async fn run(
    clusters: &Clusters,
    plan: &Plan,
    req: &SyncRequest,
    events: Events,
) -> SyncReport {
    let started = Instant::now();
    let mut sessions = HashMap::new();
    for s in clusters.sessions() {
        sessions.insert(s.context.clone(), Arc::clone(s));
    }
    let ctx = Ctx {
        req,
        plan,
        sem: Semaphore::new(req.concurrency.max(1)),
        events,
        deadline: started + req.timeout,
        prereqs: Prereqs::of(plan),
        started_unix: k8s_openapi::jiff::Timestamp::now().as_second(),
        sessions,
        results: Mutex::new(HashMap::new()),
    };
    let mut report = SyncReport {
        revision: req.revision.clone(),
        errors: plan.errors.clone(),
        warnings: plan_warnings(plan),
        ..Default::default()
    };
    // A plan the server was lost in the middle of is not executed at all.
    if let Some(why) = &plan.incomplete {
        for a in &plan.apps {
            ctx.skip(a, "not run: the run stopped before its plan was complete");
        }
        return finish(&ctx, report, Some(why.clone()), started, &HashMap::new());
    }

    // Before anything is applied, each record learns where its app's objects will be, so even
    // an interrupted sync leaves every object findable by the next one.
    write_inventories(&ctx, false, &HashMap::new()).await;

    let names: BTreeSet<&str> = plan.apps.iter().map(|a| a.name.as_str()).collect();
    let tops: Vec<&AppPlan> = plan
        .apps
        .iter()
        .filter(|a| a.parent.as_deref().is_none_or(|p| !names.contains(p)))
        .collect();
    run_wave_groups(&ctx, &tops, false).await;

    // Prune, last, for the whole run.
    let mut pruned: HashMap<String, usize> = HashMap::new();
    if ctx.lost().is_none() {
        let (blocked, removed) = prune_phase(&ctx, &mut pruned).await;
        report.prune_skipped = blocked;
        report.removed = removed;
    }
    // A server that is gone would refuse every record write, one warning each; the records
    // written before the sync already name where every object is.
    let lost = ctx.lost();
    if lost.is_none() {
        write_inventories(&ctx, true, &pruned).await;
    }
    finish(&ctx, report, lost, started, &pruned)
}

/// The report, from the results of the apps (an app with none was not run).
fn finish(
    ctx: &Ctx<'_>,
    mut report: SyncReport,
    lost: Option<String>,
    started: Instant,
    pruned: &HashMap<String, usize>,
) -> SyncReport {
    let plan = ctx.plan;
    if lost.is_some() && plan.apps.iter().any(|a| a.prunes.iter().any(|p| !p.skip)) {
        report.prune_skipped = Some("nothing was pruned: the run stopped".into());
    }
    report.incomplete = lost;
    for a in &plan.apps {
        let mut r = ctx.result(&a.name).unwrap_or_else(|| not_run(a, ""));
        r.pruned = pruned.get(&a.name).copied().unwrap_or(0);
        let prunable = a.prunes.iter().filter(|p| !p.skip).count();
        r.not_pruned = a.prunes.len() - r.pruned.min(prunable);
        report.apps.push(r);
    }
    report.seconds = started.elapsed().as_secs_f64();
    report
}

/// The plan's warnings and its apps', each of those named by its app.
fn plan_warnings(plan: &Plan) -> Vec<String> {
    let apps = plan
        .apps
        .iter()
        .flat_map(|a| a.warnings.iter().map(|w| format!("app {:?}: {w}", a.name)));
    plan.warnings.iter().cloned().chain(apps).collect()
}

/// The result of an app that did not run (`why`), and of its descendants.
fn not_run(app: &AppPlan, why: &str) -> AppResult {
    AppResult {
        name: app.name.clone(),
        context: app.context.clone(),
        outcome: AppOutcome::Skipped,
        applied: 0,
        pruned: 0,
        hooks: 0,
        not_pruned: 0,
        seconds: 0.0,
        message: (!why.is_empty()).then(|| why.to_string()),
    }
}

/// Runs sibling apps wave by wave (each wave's apps in parallel); a failure stops later waves.
/// `followed`: something runs after the last of them, so they must end healthy.
async fn run_wave_groups(ctx: &Ctx<'_>, apps: &[&AppPlan], followed: bool) -> bool {
    let mut waves: Vec<i64> = apps.iter().map(|a| a.wave).collect();
    waves.sort();
    waves.dedup();
    let last = waves.last().copied();
    let mut ok = true;
    for w in waves {
        let group: Vec<&&AppPlan> = apps.iter().filter(|a| a.wave == w).collect();
        if !ok {
            for a in group {
                ctx.skip(a, "not run: an earlier wave failed");
            }
            continue;
        }
        let then = followed || Some(w) != last;
        let results = join_all(group.iter().map(|a| run_app(ctx, a, then))).await;
        ok = results.into_iter().all(|r| r);
    }
    ok
}

fn run_app<'a>(ctx: &'a Ctx<'a>, app: &'a AppPlan, followed: bool) -> AppFuture<'a> {
    Box::pin(async move {
        if ctx.lost().is_some() {
            ctx.skip(app, "not run: the run stopped");
            return false;
        }
        let started = Instant::now();
        let mut result = AppResult {
            outcome: AppOutcome::Synced,
            ..not_run(app, "")
        };
        if let Some(e) = app.errors.first() {
            let mut why = SyncError::Refused {
                first: e.clone(),
                more: app.errors.len() - 1,
            };
            // Refused before anything was applied (Argo CD's dry-run gate): the sync of this
            // app failed, so its SyncFail hooks run, unless it could not even be rendered.
            if !app.render_failed
                && let Some(session) = app.context.as_ref().and_then(|c| ctx.sessions.get(c))
            {
                why = fail_with_hooks(ctx, session, app, &mut result, why).await;
            }
            for c in &app.children {
                if let Some(child) = ctx.plan.app(c) {
                    ctx.skip(child, &format!("not run: parent app {:?} failed", app.name));
                }
            }
            let why = why.to_string();
            result.outcome = AppOutcome::Failed;
            result.message = Some(why.clone());
            ctx.set(result);
            ctx.events.send(Event::AppFinished {
                app: app.name.clone(),
                succeeded: false,
                summary: why,
            });
            return false;
        }
        let Some(session) = app
            .context
            .as_ref()
            .and_then(|c| ctx.sessions.get(c))
            .cloned()
        else {
            ctx.skip(
                app,
                "skipped: its destination matches no kubeconfig context",
            );
            return true;
        };
        ctx.events.send(Event::AppStarted {
            app: app.name.clone(),
            context: session.context.clone(),
        });
        let outcome = sync_app(ctx, &session, app, &mut result, followed).await;
        result.seconds = started.elapsed().as_secs_f64();
        let ok = outcome.is_ok();
        if let Err(e) = outcome {
            result.outcome = AppOutcome::Failed;
            // Cut off by a lost server: that is said once, for the run, not per app.
            if ctx.lost().is_some() {
                result.message = Some("interrupted: the run stopped".into());
                ctx.set(result);
                return false;
            }
            result.message = Some(e.to_string());
        }
        ctx.events.send(Event::AppFinished {
            app: app.name.clone(),
            succeeded: ok,
            summary: result.message.clone().unwrap_or_else(|| {
                format!(
                    "{} applied, {} hooks, {:.1} s",
                    result.applied, result.hooks, result.seconds
                )
            }),
        });
        ctx.set(result);
        ok
    })
}

/// One app's phases; the error is the first failure. `followed`: something runs
/// after this app (a later wave of its parent, or the parent's PostSync hooks), so its last
/// wave must end healthy too.
async fn sync_app(
    ctx: &Ctx<'_>,
    session: &Session,
    app: &AppPlan,
    result: &mut AppResult,
    followed: bool,
) -> Result<(), SyncError> {
    if let Some(ns) = &app.create_namespace {
        apply::create_namespace(ctx, session, ns).await?;
    }
    if ctx.req.hooks {
        match hooks::run_phase(ctx, session, app, Phase::PreSync, None).await {
            Ok(n) => result.hooks += n,
            Err(e) => return Err(fail_with_hooks(ctx, session, app, result, e).await),
        }
    }
    let children: Vec<&AppPlan> = app
        .children
        .iter()
        .filter_map(|c| ctx.plan.app(c))
        .collect();
    let mut waves: BTreeSet<i64> = app.steps.iter().map(|s| s.wave).collect();
    waves.extend(children.iter().map(|c| c.wave));
    if ctx.req.hooks {
        waves.extend(
            app.hooks
                .iter()
                .filter(|h| h.phases.contains(&Phase::Sync))
                .map(|h| h.wave),
        );
    }
    // Argo CD waits for a wave's objects to be healthy only when something follows them (a later
    // wave, a PostSync hook: gitops-engine's multi-step rule); the last wave "succeeds
    // immediately" after it is applied. We also wait after the last wave unless --no-wait, so
    // that exit 0 means synced and healthy.
    let post_hooks = ctx.req.hooks
        && app
            .hooks
            .iter()
            .any(|h| h.phases.contains(&Phase::PostSync));
    let last_wave = waves.last().copied();
    let mut failed: Option<SyncError> = None;
    for w in waves {
        let then = ctx.req.wait || followed || post_hooks || Some(w) != last_wave;
        if let Some(e) = failed.take() {
            // Later waves do not start; their children are not run.
            for c in children.iter().filter(|c| c.wave >= w) {
                if ctx.result(&c.name).is_none() {
                    ctx.skip(c, "not run: an earlier wave of its parent failed");
                }
            }
            failed = Some(e);
            break;
        }
        let in_wave: Vec<&crate::plan::Step> = app.steps.iter().filter(|s| s.wave == w).collect();
        let wave_children: Vec<&AppPlan> =
            children.iter().copied().filter(|c| c.wave == w).collect();
        ctx.events.send(Event::Wave {
            app: app.name.clone(),
            wave: w,
            objects: in_wave
                .iter()
                .filter(|s| s.action != Action::Unchanged)
                .count(),
            children: wave_children.len(),
        });
        // Objects, a kind group at a time (Argo CD's kind order), each group in parallel.
        let mut stored: HashMap<&crate::cluster::ObjectKey, Value> = HashMap::new();
        let mut ranks: Vec<usize> = in_wave.iter().map(|s| s.kind_rank).collect();
        ranks.sort();
        ranks.dedup();
        for rank in ranks {
            let group: Vec<&&crate::plan::Step> = in_wave
                .iter()
                .filter(|s| s.kind_rank == rank && s.action != Action::Unchanged)
                .collect();
            let results = join_all(
                group
                    .iter()
                    .map(|s| apply::apply_step(ctx, session, &app.name, s)),
            )
            .await;
            for (s, r) in group.iter().zip(results) {
                match r {
                    Ok(v) => {
                        result.applied += 1;
                        stored.insert(&s.key, v);
                    }
                    Err(e) => {
                        failed.get_or_insert(e);
                    }
                }
            }
            if let Some(why) = ctx.lost() {
                failed.get_or_insert(SyncError::Lost(why));
            }
            if failed.is_some() {
                break;
            }
        }
        if failed.is_some() {
            continue;
        }
        if ctx.req.hooks {
            match hooks::run_phase(ctx, session, app, Phase::Sync, Some(w)).await {
                Ok(n) => result.hooks += n,
                Err(e) => {
                    failed = Some(e);
                    continue;
                }
            }
        }
        // The wave's objects become healthy while its child apps sync.
        let watched: Vec<Watched> = in_wave
            .iter()
            .filter_map(|s| {
                Some(Watched {
                    key: s.key.clone(),
                    target: s.target.clone()?,
                    live: stored.get(&s.key).cloned().or_else(|| s.live.clone()),
                })
            })
            .collect();
        let watched = if then { watched } else { Vec::new() };
        let (health, kids) = futures::join!(
            until_healthy(ctx, session, &app.name, watched, false),
            run_wave_groups(ctx, &wave_children, then)
        );
        if let Err(e) = health {
            failed = Some(e.into());
        } else if !kids {
            let names: Vec<String> = wave_children
                .iter()
                .filter(|c| {
                    ctx.result(&c.name)
                        .is_some_and(|r| r.outcome == AppOutcome::Failed)
                })
                .map(|c| c.name.clone())
                .collect();
            failed = Some(SyncError::Children { names });
        }
    }
    if let Some(e) = failed {
        return Err(fail_with_hooks(ctx, session, app, result, e).await);
    }
    if ctx.req.hooks {
        match hooks::run_phase(ctx, session, app, Phase::PostSync, None).await {
            Ok(n) => result.hooks += n,
            Err(e) => return Err(fail_with_hooks(ctx, session, app, result, e).await),
        }
    }
    Ok(())
}

/// Runs the SyncFail hooks after a failure; their own failure is added to it.
async fn fail_with_hooks(
    ctx: &Ctx<'_>,
    session: &Session,
    app: &AppPlan,
    result: &mut AppResult,
    error: SyncError,
) -> SyncError {
    if !ctx.req.hooks || ctx.lost().is_some() {
        return error;
    }
    match hooks::run_phase(ctx, session, app, Phase::SyncFail, None).await {
        Ok(n) => {
            result.hooks += n;
            error
        }
        Err(e) => SyncError::SyncFailHook {
            failure: Box::new(error),
            hook: Box::new(e),
        },
    }
}

/// Whether prune may run at all, and what each app prunes.
async fn prune_phase(
    ctx: &Ctx<'_>,
    pruned: &mut HashMap<String, usize>,
) -> (Option<String>, Vec<RemovedResult>) {
    let plan = ctx.plan;
    let wants = |a: &AppPlan| ctx.req.prune || (ctx.req.auto_prune && a.automation.prune);
    let any_wanted = plan
        .apps
        .iter()
        .any(|a| wants(a) && a.prunes.iter().any(|p| !p.skip))
        || (ctx.req.prune && !plan.removed.is_empty());
    let mut removed = Vec::new();
    let guard = if let Some(a) = plan.apps.iter().find(|a| a.render_failed) {
        Some(format!(
            "nothing was pruned: app {:?} failed to render, so what left Git is not known",
            a.name
        ))
    } else if !plan.errors.is_empty() {
        Some("nothing was pruned: the tree has errors, so what left Git is not known".into())
    } else {
        // The deepest failed app (children come after parents) is the one that failed itself.
        plan.apps
            .iter()
            .rev()
            .find(|a| {
                ctx.result(&a.name)
                    .is_some_and(|r| r.outcome == AppOutcome::Failed)
            })
            .map(|a| {
                format!(
                    "nothing was pruned: app {:?} failed, and prune runs only after every apply of the run succeeded",
                    a.name
                )
            })
    };
    if guard.is_some() {
        for r in &plan.removed {
            removed.push(RemovedResult {
                name: r.name.clone(),
                context: r.context.clone(),
                fate: "kept",
                objects: r.objects.len(),
            });
        }
        return (guard.filter(|_| any_wanted), removed);
    }
    let mut notes = Vec::new();
    for a in &plan.apps {
        if !wants(a) || a.prunes.is_empty() {
            continue;
        }
        let Some(session) = a.context.as_ref().and_then(|c| ctx.sessions.get(c)) else {
            continue;
        };
        if a.is_empty() && !a.automation.allow_empty {
            notes.push(format!(
                "app {:?} renders no objects: its {} live objects were not pruned (Argo CD's allowEmpty guard; set syncPolicy.automated.allowEmpty to allow it)",
                a.name,
                a.prunes.len()
            ));
            continue;
        }
        let todo: Vec<&crate::plan::Prune> = a.prunes.iter().filter(|p| !p.skip).collect();
        match prune::delete_all(ctx, session, &a.name, &todo, a.options.propagation).await {
            Ok(n) => {
                pruned.insert(a.name.clone(), n);
            }
            Err(e) => {
                if let Some(mut r) = ctx.result(&a.name) {
                    r.outcome = AppOutcome::Failed;
                    r.message = Some(e.to_string());
                    ctx.set(r);
                }
            }
        }
    }
    for r in &plan.removed {
        let Some(session) = ctx.sessions.get(&r.context) else {
            continue;
        };
        let fate = if !ctx.req.prune {
            "kept"
        } else if r.cascade {
            let todo: Vec<&crate::plan::Prune> = r.objects.iter().filter(|p| !p.skip).collect();
            match prune::delete_all(ctx, session, &r.name, &todo, Default::default()).await {
                Ok(_) => {
                    let _ =
                        record::delete(&session.conn, &ctx.req.records_namespace, &r.name).await;
                    "deleted"
                }
                Err(e) => {
                    notes.push(format!("app {:?} (removed from Git): {e}", r.name));
                    "kept"
                }
            }
        } else {
            let _ = record::delete(&session.conn, &ctx.req.records_namespace, &r.name).await;
            "orphaned"
        };
        removed.push(RemovedResult {
            name: r.name.clone(),
            context: r.context.clone(),
            fate,
            objects: r.objects.len(),
        });
    }
    for n in notes {
        ctx.events.send(Event::Warning(n));
    }
    (None, removed)
}

/// Writes each app's record: before the sync, the union of where its objects were and will
/// be (only when that adds something); after, the history entry and (when its prune ran) only
/// where its objects now are. A sync that changed nothing of an app already at this revision
/// is not a new deployment and adds no entry. Records are written in parallel.
async fn write_inventories(ctx: &Ctx<'_>, finished: bool, pruned: &HashMap<String, usize>) {
    let mut writes = Vec::new();
    for a in &ctx.plan.apps {
        let Some(session) = a.context.as_ref().and_then(|c| ctx.sessions.get(c)) else {
            continue;
        };
        if a.render_failed {
            continue;
        }
        let before = a.record.clone();
        let mut rec = before.clone().unwrap_or_else(|| AppRecord {
            app: a.name.clone(),
            ..Default::default()
        });
        rec.tree = ctx.req.tree_id.clone();
        rec.cascade = a.cascade;
        rec.destination_namespace = a.destination_namespace.clone();
        let now = crate::plan::inventory_of(a);
        let result = ctx.result(&a.name);
        let clean_prune = finished
            && pruned.contains_key(&a.name)
            && a.prunes.iter().all(|p| !p.skip)
            && result
                .as_ref()
                .is_some_and(|r| r.outcome == AppOutcome::Synced);
        if clean_prune || (finished && a.prunes.is_empty() && rec.inventory.is_subset(&now)) {
            rec.inventory = now;
        } else {
            rec.inventory.extend(now);
        }
        if finished {
            let Some(r) = result else { continue };
            if r.outcome == AppOutcome::Skipped {
                continue;
            }
            let revision = a.revisions.first().cloned().unwrap_or_default();
            let nothing_done = r.outcome == AppOutcome::Synced
                && r.applied == 0
                && r.hooks == 0
                && !pruned.contains_key(&a.name)
                && rec
                    .deployed_last(&revision)
                    .is_some_and(|e| e.operation == ctx.req.operation);
            if !nothing_done {
                rec.push(SyncEntry {
                    id: 0,
                    operation: ctx.req.operation.clone(),
                    revision,
                    revisions: a.revisions.clone(),
                    started_at: k8s_openapi::jiff::Timestamp::from_second(ctx.started_unix)
                        .map(|t| t.to_string())
                        .unwrap_or_default(),
                    finished_at: now_rfc3339(),
                    user: ctx.req.user.clone(),
                    outcome: if r.outcome == AppOutcome::Synced {
                        Outcome::Succeeded
                    } else {
                        Outcome::Failed
                    },
                    applied: r.applied,
                    pruned: pruned.get(&a.name).copied().unwrap_or(0),
                    hooks: r.hooks,
                    message: r.message.clone().unwrap_or_default(),
                });
            }
        }
        if before.as_ref() == Some(&rec) {
            continue;
        }
        let session = Arc::clone(session);
        writes.push(async move {
            let _permit = ctx.sem.acquire().await;
            if let Err(e) = record::save(&session.conn, &ctx.req.records_namespace, &rec).await {
                ctx.events.send(Event::Warning(format!(
                    "app {:?}: cannot write its record: {e}",
                    rec.app
                )));
            }
        });
    }
    futures::stream::iter(writes)
        .buffer_unordered(ctx.req.concurrency.max(1))
        .collect::<Vec<()>>()
        .await;
}

/// What a sync asks the planner for.
fn plan_request<'a>(
    tree: &'a crate::apps::AppTree,
    tree_id: &'a str,
    select: &'a [String],
    req: &'a SyncRequest,
) -> crate::plan::PlanRequest<'a> {
    crate::plan::PlanRequest {
        tree,
        select,
        tree_id,
        records_namespace: &req.records_namespace,
        force_conflicts: req.force_conflicts,
        concurrency: req.concurrency,
        known_records: None,
    }
}

/// Locks the selected apps, plans them under the locks, syncs them and lets the locks go: the
/// whole of `kubectl gitops sync` after the tree is loaded, shared with rollback, revert and
/// watch.
pub async fn lock_plan_run(
    clusters: &mut Clusters,
    tree: &crate::apps::AppTree,
    tree_id: &str,
    select: &[String],
    req: &SyncRequest,
    lock_timeout: Duration,
    events: Events,
) -> Result<(Plan, SyncReport), crate::cluster::lease::LockError> {
    // A sync that would write nothing needs no locks: it reads what diff reads and stops
    // there, so syncing an unchanged tree costs what diff costs. Tried only when every app's
    // record says this revision is already deployed, so a sync with work to do plans once.
    if let Some(records) = already_deployed(clusters, tree, tree_id, select, req).await {
        let started = Instant::now();
        let plan = crate::plan::build(
            clusters,
            crate::plan::PlanRequest {
                known_records: Some(&records),
                ..plan_request(tree, tree_id, select, req)
            },
        )
        .await;
        if let Some(report) = nothing_to_do(&plan, req, tree_id, started) {
            for a in &report.apps {
                events.send(Event::AppFinished {
                    app: a.name.clone(),
                    succeeded: true,
                    summary: "in sync and healthy: nothing to do".into(),
                });
            }
            return Ok((plan, report));
        }
    }
    locked_plan_run(clusters, tree, tree_id, select, req, lock_timeout, events).await
}

/// [`lock_plan_run`] for a caller that already knows there is work to do (a watch that saw
/// drift): no unlocked look first.
pub async fn locked_plan_run(
    clusters: &mut Clusters,
    tree: &crate::apps::AppTree,
    tree_id: &str,
    select: &[String],
    req: &SyncRequest,
    lock_timeout: Duration,
    events: Events,
) -> Result<(Plan, SyncReport), crate::cluster::lease::LockError> {
    let locks = lock_apps(
        clusters,
        tree,
        select,
        &req.records_namespace,
        &crate::cluster::lease::holder_identity(&req.user),
        lock_timeout,
        req.concurrency,
    )
    .await?;
    // The plan is built under the locks, so no other sync changes what it saw.
    let plan = crate::plan::build(clusters, plan_request(tree, tree_id, select, req)).await;
    let report = run(clusters, &plan, req, events).await;
    // A lease on a server that is gone cannot be released; it expires on its own.
    if report.incomplete.is_none() {
        locks.release().await;
    }
    Ok((plan, report))
}

/// Whether every selected app's record (in its cluster) says this tree's revision of it was
/// the last thing deployed, successfully, by this kind of operation: the only case in which a
/// sync may have nothing to do. Gives the records it read, per context, so the plan does not
/// read them again.
async fn already_deployed(
    clusters: &mut Clusters,
    tree: &crate::apps::AppTree,
    tree_id: &str,
    select: &[String],
    req: &SyncRequest,
) -> Option<HashMap<String, Vec<AppRecord>>> {
    // Per cluster: the records, and the leases someone holds (a sync at work: the locked
    // path waits for it and names it).
    let mut records: HashMap<String, (Vec<AppRecord>, HashSet<String>)> = HashMap::new();
    for node in crate::plan::selected(tree, select) {
        if node.error.is_some() {
            return None;
        }
        let context = clusters.context_for(&node.app.spec.destination)?;
        if !records.contains_key(&context) {
            let Ok(session) = clusters.session(&context).await else {
                return None;
            };
            let ns = &req.records_namespace;
            // One after the other on purpose: both are small, and a second request in flight
            // would open a second connection, whose TLS handshake costs more than the wait.
            let (Ok(found), Ok(held)) = (
                record::load_all(&session.conn, ns).await,
                crate::cluster::lease::held_names(&session.conn, ns).await,
            ) else {
                return None;
            };
            records.insert(context.clone(), (found, held));
        }
        let (found, held) = &records[&context];
        if held.contains(&record::record_name(&node.name)) {
            return None;
        }
        let revision = crate::plan::revisions_of(node)
            .into_iter()
            .next()
            .unwrap_or_default();
        let deployed = found
            .iter()
            .find(|r| r.app == node.name && r.tree == tree_id)
            .and_then(|r| r.deployed_last(&revision))
            .is_some_and(|e| e.operation == req.operation);
        if !deployed {
            return None;
        }
    }
    Some(
        records
            .into_iter()
            .map(|(context, (found, _))| (context, found))
            .collect(),
    )
}

/// The report of a sync that has nothing to do, when `plan` proves it: every app compared,
/// every object unchanged and healthy, nothing to prune, no hook to run, no namespace to
/// create, and no record that a sync would change. None when a real sync is needed.
fn nothing_to_do(
    plan: &Plan,
    req: &SyncRequest,
    tree_id: &str,
    started: Instant,
) -> Option<SyncReport> {
    let clean = plan.incomplete.is_none()
        && plan.errors.is_empty()
        && plan.removed.iter().all(|r| r.objects.is_empty());
    if !clean || !plan.apps.iter().all(|a| app_unchanged(a, req, tree_id)) {
        return None;
    }
    Some(SyncReport {
        revision: req.revision.clone(),
        apps: plan
            .apps
            .iter()
            .map(|a| AppResult {
                outcome: AppOutcome::Synced,
                ..not_run(a, "")
            })
            .collect(),
        warnings: plan_warnings(plan),
        seconds: started.elapsed().as_secs_f64(),
        ..Default::default()
    })
}

/// One app of [`nothing_to_do`]: as `write_inventories` would leave its record untouched.
fn app_unchanged(a: &AppPlan, req: &SyncRequest, tree_id: &str) -> bool {
    let runs_hooks = req.hooks
        && a.hooks.iter().any(|h| {
            h.phases
                .iter()
                .any(|p| matches!(p, Phase::PreSync | Phase::Sync | Phase::PostSync))
        });
    let healthy = |s: &crate::plan::Step| {
        s.live.as_ref().is_some_and(|l| {
            crate::health::assess(l).is_none_or(|h| h.status == HealthStatus::Healthy)
        })
    };
    let Some(rec) = &a.record else {
        return false;
    };
    a.errors.is_empty()
        && !a.render_failed
        && !a.unfinished
        && a.context.is_some()
        && a.create_namespace.is_none()
        && a.prunes.is_empty()
        && !runs_hooks
        && a.steps
            .iter()
            .all(|s| s.action == Action::Unchanged && healthy(s))
        && rec.tree == tree_id
        && rec.cascade == a.cascade
        && rec.destination_namespace == a.destination_namespace
        && rec.inventory == crate::plan::inventory_of(a)
}
