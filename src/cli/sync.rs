//! `kubectl gitops sync`: lock, plan, execute, and report; `--dry-run` prints the plan.

use std::io::{IsTerminal, Write};

use colored::Colorize;
use serde::Serialize;

use super::args::{GlobalArgs, OutputFormat, SyncArgs, SyncFlags};
use super::diff::check_apps;
use super::escape::{json_pretty, terminal_line};
use super::resolve::{connect_and_learn, plan_request, resolve_apps, session_clusters, use_color};
use super::table::Columns;
use super::{CliError, EXIT_DIFFERENT, EXIT_ERROR, EXIT_OK, runtime};
use crate::plan::{self, Action, Clusters, Plan};
use crate::sync::{self, AppOutcome, Event, Events, SyncReport, SyncRequest};

pub(super) fn run(global: &GlobalArgs, args: &SyncArgs) -> Result<u8, CliError> {
    let target = global.target();
    colored::control::set_override(use_color(global.color));
    let rt = runtime()?;
    let (conn, catalog, facts) = rt.block_on(connect_and_learn(&target, &args.tree))?;
    // Who we are (for the records and locks) is asked while the tree renders.
    let whoami = {
        let conn = conn.clone();
        rt.spawn(async move { conn.whoami().await })
    };
    // Reading Git and rendering block: done outside the runtime.
    // Sync deploys commits (DESIGN decision 1): HEAD unless a revision is named.
    let mut tree_args = args.tree.clone();
    let named_revision = tree_args.revision.is_some();
    tree_args.revision.get_or_insert_with(|| "HEAD".into());
    let resolved = resolve_apps(&tree_args, &facts, &args.apps)?;
    check_apps(&resolved.tree, &args.apps)?;
    if !named_revision {
        refuse_uncommitted(&args.tree, &facts, &resolved, &args.apps)?;
    }
    let mut clusters = session_clusters(&target, conn.clone(), catalog, &facts);
    if args.dry_run {
        let plan = rt.block_on(plan::build(
            &mut clusters,
            plan_request(
                &resolved,
                &args.apps,
                global,
                args.sync.force_conflicts,
                args.sync.concurrency,
            ),
        ));
        print_plan(&plan, args, &resolved)?;
        return Ok(
            if plan.incomplete.is_some()
                || plan.render_failed()
                || plan.apps.iter().any(|a| !a.errors.is_empty())
            {
                EXIT_ERROR
            } else {
                EXIT_OK
            },
        );
    }
    rt.block_on(async {
        let req = sync_request(
            &args.sync,
            global,
            Operation {
                name: "sync",
                tree_id: resolved.tree_id.clone(),
                user: match whoami.await {
                    Ok(user) => user,
                    Err(_) => conn.user.clone(),
                },
                hooks: true,
                auto_prune: true,
                revision: resolved.revision.map(|s| s.to_string()),
            },
        );
        let (plan, report) = run_with_progress(
            &mut clusters,
            &resolved,
            &args.apps,
            &req,
            args.sync.lock_timeout,
        )
        .await?;
        print_report(&report, args.output)?;
        Ok(exit_code(&report, &plan))
    })
}

/// What a command's sync records about itself.
pub(super) struct Operation {
    /// `sync`, `rollback` or `revert`.
    pub name: &'static str,
    pub tree_id: String,
    pub user: String,
    /// Whether hooks run (a rollback runs none, as in Argo CD).
    pub hooks: bool,
    /// Whether apps with `automated.prune` prune without `--prune` (a rollback prunes only
    /// when asked).
    pub auto_prune: bool,
    pub revision: Option<String>,
}

/// The one place the sync flags become a request, so every command that syncs behaves alike.
pub(super) fn sync_request(flags: &SyncFlags, global: &GlobalArgs, op: Operation) -> SyncRequest {
    SyncRequest {
        prune: flags.prune,
        force_conflicts: flags.force_conflicts,
        timeout: flags.timeout,
        concurrency: flags.concurrency,
        records_namespace: global.records_namespace.clone(),
        tree_id: op.tree_id,
        operation: op.name.into(),
        user: op.user,
        hooks: op.hooks,
        auto_prune: op.auto_prune,
        wait: !flags.no_wait,
        revision: op.revision,
    }
}

/// Locks, plans and syncs with progress on stderr; the lock error is the user's to read.
pub(super) async fn run_with_progress(
    clusters: &mut Clusters,
    tree: &crate::apps::LoadedTree,
    select: &[String],
    req: &SyncRequest,
    lock_timeout: std::time::Duration,
) -> Result<(Plan, SyncReport), CliError> {
    let (tx, rx) = tokio::sync::mpsc::unbounded_channel();
    let printer = tokio::spawn(print_events(rx));
    let outcome = sync::lock_plan_run(
        clusters,
        &tree.tree,
        &tree.tree_id,
        select,
        req,
        lock_timeout,
        Events::new(tx),
    )
    .await;
    let _ = printer.await;
    outcome.map_err(|e| CliError(e.to_string()))
}

pub(super) fn exit_code(report: &SyncReport, plan: &Plan) -> u8 {
    if plan.render_failed() || report.incomplete.is_some() {
        EXIT_ERROR
    } else if report.succeeded() {
        EXIT_OK
    } else {
        EXIT_DIFFERENT
    }
}

/// Refuses to deploy HEAD when the work tree has edits that change what the tree renders:
/// the user would think they deployed what they see. Edits that change nothing rendered (a
/// README) are fine.
fn refuse_uncommitted(
    tree_args: &super::args::TreeArgs,
    facts: &crate::apps::TreeFacts,
    head: &crate::apps::LoadedTree,
    apps: &[String],
) -> Result<(), CliError> {
    let Some(workdir) = &head.workdir else {
        return Ok(());
    };
    let status = std::process::Command::new("git")
        .args(["status", "--porcelain", "--untracked-files=all"])
        .current_dir(workdir)
        .output();
    if let Ok(out) = &status
        && out.status.success()
        && out.stdout.is_empty()
    {
        return Ok(());
    }
    let work = resolve_apps(tree_args, facts, apps)?;
    let changed = head.tree.changed_apps(&work.tree);
    if changed.is_empty() {
        return Ok(());
    }
    Err(CliError(format!(
        "the work tree has uncommitted changes to what app{} {} render{}: sync deploys commits; commit them, or pass --revision to deploy a commit as it is",
        if changed.len() == 1 { "" } else { "s" },
        changed
            .iter()
            .map(|a| format!("{a:?}"))
            .collect::<Vec<_>>()
            .join(", "),
        if changed.len() == 1 { "s" } else { "" }
    )))
}

/// Shows progress on stderr: one line per event; on a terminal the wait line is redrawn in
/// place rather than repeated.
async fn print_events(mut rx: tokio::sync::mpsc::UnboundedReceiver<Event>) {
    let live = std::io::stderr().is_terminal();
    let mut status_shown = false;
    while let Some(e) = rx.recv().await {
        let mut err = std::io::stderr().lock();
        let line = match &e {
            Event::AppStarted { app, context } => format!("[{app}] syncing to context {context}"),
            Event::Wave {
                app,
                wave,
                objects,
                children,
            } => {
                let kids = if *children > 0 {
                    format!(
                        ", {children} child app{}",
                        if *children == 1 { "" } else { "s" }
                    )
                } else {
                    String::new()
                };
                format!("[{app}] wave {wave}: {objects} to apply{kids}")
            }
            Event::Applied { app, object, how } => format!("[{app}] {object} {how}"),
            Event::Prerequisite {
                app,
                object,
                reason,
            } => format!("[{app}] {object} applied first ({reason})"),
            Event::Waiting {
                app,
                pending,
                first,
            } => {
                let text = format!("[{app}] waiting for {pending} to be healthy: {first}");
                if live {
                    let _ = write!(err, "\r\x1b[2K{}", terminal_line(&text));
                    let _ = err.flush();
                    status_shown = true;
                    continue;
                }
                text
            }
            Event::HookStarted { app, phase, object } => {
                format!("[{app}] {phase} hook {object} started")
            }
            Event::HookFinished {
                app,
                object,
                succeeded,
            } => format!(
                "[{app}] hook {object} {}",
                if *succeeded { "succeeded" } else { "failed" }
            ),
            Event::Pruned { app, object } => format!("[{app}] {object} pruned"),
            Event::AppFinished {
                app,
                succeeded,
                summary,
            } => {
                if *succeeded {
                    format!("[{app}] synced: {summary}")
                } else {
                    format!("[{app}] FAILED: {summary}")
                }
            }
            Event::Warning(w) => format!("warning: {w}"),
        };
        if status_shown {
            let _ = write!(err, "\r\x1b[2K");
            status_shown = false;
        }
        let _ = writeln!(err, "{}", terminal_line(&line));
    }
    if status_shown {
        let _ = write!(std::io::stderr(), "\r\x1b[2K");
    }
}

pub(super) fn print_report(report: &SyncReport, output: OutputFormat) -> Result<(), CliError> {
    match output {
        OutputFormat::Json => {
            /// The report, and whether the run got to its end.
            #[derive(Serialize)]
            struct Json<'a> {
                #[serde(flatten)]
                report: &'a SyncReport,
                complete: bool,
            }
            let doc = Json {
                report,
                complete: report.incomplete.is_none(),
            };
            println!("{}", json_pretty(&doc)?);
        }
        OutputFormat::Text => {
            let header = ["APP", "RESULT", "APPLIED", "PRUNED", "HOOKS", "TIME"];
            let rows: Vec<[String; 6]> = report
                .apps
                .iter()
                .map(|a| {
                    [
                        terminal_line(&a.name),
                        a.outcome.as_str().to_string(),
                        a.applied.to_string(),
                        a.pruned.to_string(),
                        a.hooks.to_string(),
                        format!("{:.1}s", a.seconds),
                    ]
                })
                .collect();
            let cols = Columns::measure(&header, &rows);
            println!("{}", cols.header(&header));
            for (r, a) in rows.iter().zip(&report.apps) {
                let text = cols.line(r, |_, c| c.to_string());
                let text = match a.outcome {
                    AppOutcome::Synced => text.normal().to_string(),
                    AppOutcome::Failed => text.red().bold().to_string(),
                    AppOutcome::Skipped => text.yellow().to_string(),
                };
                println!("{text}");
            }
            for a in &report.apps {
                if let Some(m) = &a.message {
                    println!("{}: {}", terminal_line(&a.name), terminal_line(m));
                }
                if a.not_pruned > 0 {
                    println!(
                        "{}: {} object{} left Git and {} not pruned (use --prune; Prune=false objects stay)",
                        terminal_line(&a.name),
                        a.not_pruned,
                        if a.not_pruned == 1 { "" } else { "s" },
                        if a.not_pruned == 1 { "was" } else { "were" }
                    );
                }
            }
            for r in &report.removed {
                println!(
                    "{}: removed from Git; its {} objects were {}",
                    terminal_line(&r.name),
                    r.objects,
                    match r.fate {
                        "deleted" => "deleted (its Application had the resources finalizer)",
                        "orphaned" => "left in the cluster, orphaned (no resources finalizer)",
                        _ => "kept (use --prune)",
                    }
                );
            }
            if let Some(p) = &report.prune_skipped {
                println!("{}", terminal_line(p));
            }
            if let Some(why) = &report.incomplete {
                println!(
                    "{}",
                    format!("INCOMPLETE: {}", terminal_line(why)).red().bold()
                );
            }
            let failed = report
                .apps
                .iter()
                .filter(|a| a.outcome == AppOutcome::Failed)
                .count();
            let synced = report
                .apps
                .iter()
                .filter(|a| a.outcome == AppOutcome::Synced)
                .count();
            let rev = report
                .revision
                .as_deref()
                .map(|r| format!(" at {}", crate::source::Sha::short_of(r)))
                .unwrap_or_default();
            println!(
                "Summary: {} app{}{rev}: {synced} synced, {failed} failed, {} skipped in {:.1}s",
                report.apps.len(),
                if report.apps.len() == 1 { "" } else { "s" },
                report.apps.len() - synced - failed,
                report.seconds
            );
        }
    }
    for w in &report.warnings {
        eprintln!("warning: {}", terminal_line(w));
    }
    for e in &report.errors {
        eprintln!("error: {}", terminal_line(e));
    }
    if let Some(why) = &report.incomplete {
        let unfinished = report
            .apps
            .iter()
            .filter(|a| a.outcome != AppOutcome::Synced)
            .count();
        eprintln!(
            "error: {}; the sync is incomplete: {unfinished} of {} apps did not finish",
            terminal_line(why),
            report.apps.len()
        );
    }
    Ok(())
}

fn action_word(a: Action) -> &'static str {
    match a {
        Action::Create => "create",
        Action::Update => "update",
        Action::Unchanged => "unchanged",
    }
}

/// `--dry-run`: the plan, as sync would run it.
fn print_plan(
    plan: &Plan,
    args: &SyncArgs,
    resolved: &crate::apps::LoadedTree,
) -> Result<(), CliError> {
    let prune = |a: &plan::AppPlan| args.sync.prune || a.automation.prune;
    if args.output == OutputFormat::Json {
        let doc = JsonPlan {
            revision: resolved.revision.map(|s| s.to_string()),
            apps: plan
                .apps
                .iter()
                .map(|a| JsonPlanApp {
                    name: &a.name,
                    context: a.context.as_deref(),
                    wave: a.wave,
                    errors: &a.errors,
                    not_compared: a.unfinished,
                    steps: a
                        .steps
                        .iter()
                        .map(|s| JsonStep {
                            object: JsonKey::of(&s.key),
                            wave: s.wave,
                            action: action_word(s.action),
                            changed: s.change.is_some(),
                        })
                        .collect(),
                    hooks: a
                        .hooks
                        .iter()
                        .map(|h| JsonHook {
                            kind: &h.key.kind,
                            namespace: h.key.namespace.as_deref(),
                            name: h
                                .generate_name
                                .as_deref()
                                .map_or(h.key.name.clone(), |g| format!("{g}*")),
                            phases: h.phases.iter().map(|p| p.as_str()).collect(),
                            wave: h.wave,
                        })
                        .collect(),
                    prunes: a
                        .prunes
                        .iter()
                        .map(|p| JsonPrune {
                            object: JsonKey::of(&p.key),
                            wave: p.wave,
                            skip: p.skip || !prune(a),
                        })
                        .collect(),
                })
                .collect(),
            removed: plan
                .removed
                .iter()
                .map(|r| JsonRemoved {
                    name: &r.name,
                    cascade: r.cascade,
                    objects: r.objects.len(),
                })
                .collect(),
            errors: &plan.errors,
            complete: plan.incomplete.is_none(),
            incomplete: plan.incomplete.as_deref(),
        };
        println!("{}", json_pretty(&doc)?);
        if let Some(why) = &plan.incomplete {
            eprintln!("error: {}; the plan is incomplete", terminal_line(why));
        }
        return Ok(());
    }
    let rev = resolved
        .revision
        .map(|s| s.to_string())
        .unwrap_or_else(|| "the work tree".into());
    println!("Plan for {rev} (dry run: nothing is changed)");
    for a in &plan.apps {
        println!(
            "{} (wave {}) -> {}",
            terminal_line(&a.name).bold(),
            a.wave,
            a.context.as_deref().unwrap_or("no matching context")
        );
        if a.unfinished {
            println!("  not compared: the run stopped");
            continue;
        }
        for e in &a.errors {
            println!("  error: {}", terminal_line(e).red());
        }
        if let Some(ns) = &a.create_namespace {
            println!(
                "  create Namespace {} (CreateNamespace=true)",
                ns["metadata"]["name"].as_str().unwrap_or_default()
            );
        }
        for h in a
            .hooks
            .iter()
            .filter(|h| h.phases.contains(&plan::Phase::PreSync))
        {
            println!("  PreSync hook {}", terminal_line(&h.key.display_name()));
        }
        let mut waves: Vec<i64> = a.steps.iter().map(|s| s.wave).collect();
        waves.sort();
        waves.dedup();
        for w in waves {
            let todo: Vec<_> = a
                .steps
                .iter()
                .filter(|s| s.wave == w && s.action != Action::Unchanged)
                .collect();
            let same = a
                .steps
                .iter()
                .filter(|s| s.wave == w && s.action == Action::Unchanged)
                .count();
            println!("  wave {w}: {} to apply, {same} unchanged", todo.len());
            for s in todo {
                println!(
                    "    {} {}",
                    action_word(s.action),
                    terminal_line(&s.key.display_name())
                );
            }
        }
        for h in a.hooks.iter().filter(|h| {
            h.phases
                .iter()
                .any(|p| matches!(p, plan::Phase::Sync | plan::Phase::PostSync))
        }) {
            let phases: Vec<&str> = h.phases.iter().map(|p| p.as_str()).collect();
            println!(
                "  {} hook {}",
                phases.join("+"),
                terminal_line(&h.key.display_name())
            );
        }
        for p in &a.prunes {
            let why = if p.skip {
                " (kept: Prune=false)"
            } else if !prune(a) {
                " (not pruned without --prune)"
            } else {
                ""
            };
            println!("  prune {}{why}", terminal_line(&p.key.display_name()));
        }
    }
    for r in &plan.removed {
        println!(
            "{} removed from Git: {} objects {}",
            terminal_line(&r.name).bold(),
            r.objects.len(),
            if r.cascade {
                "to delete with --prune (resources finalizer)"
            } else {
                "stay, orphaned (no resources finalizer)"
            }
        );
    }
    if let Some(why) = &plan.incomplete {
        println!(
            "{}",
            format!("INCOMPLETE: {}", terminal_line(why)).red().bold()
        );
        eprintln!("error: {}; the plan is incomplete", terminal_line(why));
    }
    for e in &plan.errors {
        eprintln!("error: {}", terminal_line(e));
    }
    Ok(())
}

/// An object's identity in `--dry-run -o json`.
#[derive(Serialize)]
struct JsonKey<'a> {
    group: &'a str,
    kind: &'a str,
    namespace: Option<&'a str>,
    name: &'a str,
}

impl<'a> JsonKey<'a> {
    fn of(key: &'a crate::cluster::ObjectKey) -> Self {
        JsonKey {
            group: &key.group,
            kind: &key.kind,
            namespace: key.namespace.as_deref(),
            name: &key.name,
        }
    }
}

/// A step of `--dry-run -o json`.
#[derive(Serialize)]
struct JsonStep<'a> {
    #[serde(flatten)]
    object: JsonKey<'a>,
    wave: i64,
    action: &'static str,
    changed: bool,
}

/// A hook of `--dry-run -o json`.
#[derive(Serialize)]
struct JsonHook<'a> {
    kind: &'a str,
    namespace: Option<&'a str>,
    name: String,
    phases: Vec<&'static str>,
    wave: i64,
}

/// A prune of `--dry-run -o json`.
#[derive(Serialize)]
struct JsonPrune<'a> {
    #[serde(flatten)]
    object: JsonKey<'a>,
    wave: i64,
    skip: bool,
}

/// An app of `--dry-run -o json`.
#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct JsonPlanApp<'a> {
    name: &'a str,
    context: Option<&'a str>,
    wave: i64,
    errors: &'a [String],
    /// The run stopped before this app was compared.
    not_compared: bool,
    steps: Vec<JsonStep<'a>>,
    hooks: Vec<JsonHook<'a>>,
    prunes: Vec<JsonPrune<'a>>,
}

/// An app that left the tree, in `--dry-run -o json`.
#[derive(Serialize)]
struct JsonRemoved<'a> {
    name: &'a str,
    cascade: bool,
    objects: usize,
}

/// `--dry-run -o json`.
#[derive(Serialize)]
struct JsonPlan<'a> {
    revision: Option<String>,
    apps: Vec<JsonPlanApp<'a>>,
    removed: Vec<JsonRemoved<'a>>,
    errors: &'a [String],
    complete: bool,
    incomplete: Option<&'a str>,
}
