//! `kubectl gitops diff`: printing a diff report as text, JSON or markdown, with kubectl diff's
//! exit codes.

use colored::Colorize;
use serde::Serialize;

use super::args::{DiffArgs, DiffFormat, GlobalArgs};
use super::escape::{terminal, terminal_line};
use super::resolve::{
    connect_and_learn, gather_facts, plan_request, resolve_apps, resolve_apps_at, session_clusters,
    use_color,
};
use super::{CliError, EXIT_DIFFERENT, EXIT_ERROR, EXIT_OK, runtime};
use crate::apps::AppTree;
use crate::diff::{
    AppDiff, AppStatus, Change, DiffReport, ObjectChange, RevisionLabels, diff_revisions, report,
};
use crate::plan;

pub(super) fn run(global: &GlobalArgs, args: &DiffArgs) -> Result<u8, CliError> {
    let target = global.target();
    let report = match (&args.from, &args.to) {
        // `--from` alone: that revision against the work tree, uncommitted edits included.
        (Some(from), to) => {
            let facts = gather_facts(global, &args.tree)?;
            let old = resolve_apps_at(&args.tree, &facts, from, &args.apps)?;
            let new = match to {
                Some(to) => resolve_apps_at(&args.tree, &facts, to, &args.apps)?,
                None => resolve_apps(&args.tree, &facts, &args.apps)?,
            };
            for name in &args.apps {
                if old.tree.get(name).is_none() {
                    check_apps(&new.tree, std::slice::from_ref(name))?;
                }
            }
            let labels = RevisionLabels {
                from: revision_label(Some(from), &old),
                to: revision_label(to.as_deref(), &new),
            };
            diff_revisions(&old.tree, &new.tree, &args.apps, &labels)
        }
        (None, None) => {
            let rt = runtime()?;
            // One discovery serves both namespace defaulting and the diff.
            let (conn, catalog, facts) = rt.block_on(connect_and_learn(&target, &args.tree))?;
            let resolved = resolve_apps(&args.tree, &facts, &args.apps)?;
            check_apps(&resolved.tree, &args.apps)?;
            let mut clusters = session_clusters(&target, conn, catalog, &facts);
            let plan = rt.block_on(plan::build(
                &mut clusters,
                plan_request(&resolved, &args.apps, global, true, args.concurrency),
            ));
            report(&plan)
        }
        (None, Some(_)) => return Err(CliError("--to needs --from".into())),
    };
    for w in &report.warnings {
        eprintln!("warning: {}", terminal_line(w));
    }
    match args.output {
        DiffFormat::Text => {
            colored::control::set_override(use_color(global.color));
            print!("{}", text(&report));
        }
        DiffFormat::Json => println!("{}", super::escape::json_pretty(&to_json(&report))?),
        DiffFormat::Markdown => print!("{}", markdown(&report)),
    }
    // A lost server is one line, however many requests it failed.
    for e in report
        .incomplete_line()
        .iter()
        .chain(&report.errors)
        .chain(report.apps.iter().flat_map(|a| a.errors.iter()))
    {
        eprintln!("error: {}", terminal_line(e));
    }
    Ok(if report.has_errors() {
        EXIT_ERROR
    } else if report.has_differences() && args.exit_code {
        EXIT_DIFFERENT
    } else {
        EXIT_OK
    })
}

/// How a revision heads the hunks: the name given and its commit (`main (abc1234)`), or
/// `work tree`.
fn revision_label(given: Option<&str>, loaded: &crate::apps::LoadedTree) -> String {
    match (given, loaded.revision) {
        (_, None) => "work tree".into(),
        (Some(g), Some(sha)) if sha.to_string().starts_with(g) => sha.short().to_string(),
        (Some(g), Some(sha)) => format!("{} ({})", terminal_line(g), sha.short()),
        (None, Some(sha)) => sha.short().to_string(),
    }
}

/// For an app removed from Git whose objects stay: how many, and why.
pub(super) fn orphan_note(app: &AppDiff) -> String {
    if app.orphaned > 0 {
        format!(
            "; {} objects stay, orphaned (its Application had no resources finalizer)",
            app.orphaned
        )
    } else {
        String::new()
    }
}

/// What happens to the object, after its name: the same words in text and markdown.
pub(super) fn change_note(o: &ObjectChange) -> String {
    match o.change {
        Change::Added => " (added)".into(),
        Change::Pruned => " (to prune)".into(),
        Change::Changed if !o.drift_managers.is_empty() => {
            format!(
                " DRIFT DETECTED (changed by {})",
                o.drift_managers.join(", ")
            )
        }
        Change::Changed => String::new(),
    }
}

fn object_line(o: &ObjectChange) -> String {
    let sign = match o.change {
        Change::Added => '+',
        Change::Pruned => '-',
        Change::Changed => '~',
    };
    terminal_line(&format!(
        "{sign} {}{}",
        o.key.display_name(),
        change_note(o)
    ))
}

fn colored_diff(diff: &str) -> String {
    let mut out = String::new();
    for line in diff.lines() {
        let line = terminal(line);
        let line = line.as_ref();
        let painted = if line.starts_with("+++") || line.starts_with("---") {
            line.bold().to_string()
        } else if line.starts_with('+') {
            line.green().to_string()
        } else if line.starts_with('-') {
            line.red().to_string()
        } else if line.starts_with("@@") {
            line.cyan().to_string()
        } else {
            line.to_string()
        };
        out.push_str(&painted);
        out.push('\n');
    }
    out
}

fn app_header(app: &AppDiff) -> String {
    let h = terminal_line(&app.header());
    match app.status {
        AppStatus::Synced => h.green().to_string(),
        AppStatus::OutOfSync => h.yellow().bold().to_string(),
        AppStatus::Added => format!("+ app {} (added)", terminal_line(&app.name))
            .green()
            .to_string(),
        AppStatus::Removed => format!(
            "- app {} (removed{})",
            terminal_line(&app.name),
            orphan_note(app)
        )
        .red()
        .to_string(),
        AppStatus::Error | AppStatus::Unknown => h.red().bold().to_string(),
    }
}

/// The apps the run did not reach, named (the first ten) for the incomplete note.
pub(super) fn not_compared(report: &DiffReport) -> (usize, Vec<&str>) {
    let all: Vec<&str> = report
        .apps
        .iter()
        .filter(|a| a.status == AppStatus::Unknown)
        .map(|a| a.name.as_str())
        .collect();
    (all.len(), all.into_iter().take(10).collect())
}

/// The human report.
pub fn text(report: &DiffReport) -> String {
    let mut out = String::new();
    // A revision diff counts its unchanged apps in the summary rather than listing them; apps
    // a stopped run never compared are named once, not each shown as empty.
    for app in report.apps.iter().filter(|a| {
        a.status != AppStatus::Unknown
            && (report.revisions.is_none() || a.status != AppStatus::Synced)
    }) {
        out.push_str(&app_header(app));
        out.push('\n');
        for o in &app.objects {
            let line = object_line(o);
            let line = if o.drift_managers.is_empty() {
                line
            } else {
                line.red().bold().to_string()
            };
            out.push_str(&line);
            out.push('\n');
            if !o.secret_keys.is_empty() {
                out.push_str(&format!(
                    "  Secret keys changed: {}\n",
                    terminal_line(&o.secret_keys.join(", "))
                ));
            }
            if !matches!(app.status, AppStatus::Added | AppStatus::Removed) {
                out.push_str(&colored_diff(&o.diff));
            }
        }
    }
    if let Some(why) = &report.incomplete {
        let (n, shown) = not_compared(report);
        out.push_str(
            &format!("INCOMPLETE: {}\n", terminal_line(why))
                .red()
                .bold()
                .to_string(),
        );
        if n > 0 {
            let more = n - shown.len();
            out.push_str(&format!(
                "Not compared ({n} app{}): {}{}\n",
                if n == 1 { "" } else { "s" },
                terminal_line(&shown.join(", ")),
                if more > 0 {
                    format!(" and {more} more")
                } else {
                    String::new()
                }
            ));
        }
    }
    out.push_str(&summary_line(report));
    out.push('\n');
    out
}

pub(super) fn summary_line(report: &DiffReport) -> String {
    if !report.has_differences() && !report.has_errors() {
        return match &report.revisions {
            Some(_) => format!(
                "No differences ({} apps unchanged).",
                report.apps_with(AppStatus::Synced)
            ),
            None => "No differences.".into(),
        };
    }
    let (changed, unchanged) = match report.revisions {
        Some(_) => ("changed", "unchanged"),
        None => ("out of sync", "synced"),
    };
    let mut parts = vec![
        format!("{} {changed}", report.apps_with(AppStatus::OutOfSync)),
        format!("{} {unchanged}", report.apps_with(AppStatus::Synced)),
    ];
    if report.apps_with(AppStatus::Added) + report.apps_with(AppStatus::Removed) > 0 {
        parts.push(format!(
            "{} added, {} removed",
            report.apps_with(AppStatus::Added),
            report.apps_with(AppStatus::Removed)
        ));
    }
    if report.apps_with(AppStatus::Error) > 0 {
        parts.push(format!("{} failed", report.apps_with(AppStatus::Error)));
    }
    if report.apps_with(AppStatus::Unknown) > 0 {
        parts.push(format!(
            "{} not compared (the run stopped)",
            report.apps_with(AppStatus::Unknown)
        ));
    }
    let apps = report.apps.len();
    format!(
        "Summary: {apps} app{}: {}; objects: {} added, {} changed, {} to prune",
        if apps == 1 { "" } else { "s" },
        parts.join(", "),
        report.objects_with(Change::Added),
        report.objects_with(Change::Changed),
        report.objects_with(Change::Pruned)
    )
}

/// One object of `-o json`.
#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct JsonObject<'a> {
    group: &'a str,
    kind: &'a str,
    namespace: Option<&'a str>,
    name: &'a str,
    change: &'static str,
    drift: bool,
    drift_managers: &'a [String],
    secret_keys: &'a [String],
    diff: &'a str,
}

/// The counts of one app of `-o json`.
#[derive(Serialize)]
struct JsonCounts {
    added: usize,
    changed: usize,
    pruned: usize,
}

/// One app of `-o json`.
#[derive(Serialize)]
struct JsonApp<'a> {
    name: &'a str,
    status: &'static str,
    counts: JsonCounts,
    errors: &'a [String],
    orphaned: usize,
    objects: Vec<JsonObject<'a>>,
}

/// The summary of `-o json`.
#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct JsonSummary {
    apps: usize,
    /// Revision diffs only: apps that render the same on both sides.
    #[serde(skip_serializing_if = "Option::is_none")]
    unchanged: Option<usize>,
    out_of_sync: usize,
    synced: usize,
    added_apps: usize,
    removed_apps: usize,
    failed_apps: usize,
    unknown_apps: usize,
    added: usize,
    changed: usize,
    pruned: usize,
}

/// `-o json`: the stable schema documented in the README.
#[derive(Serialize)]
struct JsonReport<'a> {
    /// Revision diffs only: the two sides.
    #[serde(skip_serializing_if = "Option::is_none")]
    from: Option<&'a str>,
    #[serde(skip_serializing_if = "Option::is_none")]
    to: Option<&'a str>,
    apps: Vec<JsonApp<'a>>,
    summary: JsonSummary,
    /// False when the run stopped before every app was compared.
    complete: bool,
    /// Why it stopped.
    incomplete: Option<&'a str>,
    errors: &'a [String],
    warnings: &'a [String],
}

/// `-o json`: the stable schema documented in the README.
pub fn to_json(report: &DiffReport) -> impl Serialize + '_ {
    let apps = report
        .apps
        .iter()
        .map(|a| JsonApp {
            name: &a.name,
            status: a.status.as_str(),
            counts: JsonCounts {
                added: a.count(Change::Added),
                changed: a.count(Change::Changed),
                pruned: a.count(Change::Pruned),
            },
            errors: &a.errors,
            orphaned: a.orphaned,
            objects: a
                .objects
                .iter()
                .map(|o| JsonObject {
                    group: &o.key.group,
                    kind: &o.key.kind,
                    namespace: o.key.namespace.as_deref(),
                    name: &o.key.name,
                    change: o.change.as_str(),
                    drift: !o.drift_managers.is_empty(),
                    drift_managers: &o.drift_managers,
                    secret_keys: &o.secret_keys,
                    diff: &o.diff,
                })
                .collect(),
        })
        .collect();
    let revisions = report.revisions.as_ref();
    JsonReport {
        from: revisions.map(|(from, _)| from.as_str()),
        to: revisions.map(|(_, to)| to.as_str()),
        apps,
        summary: JsonSummary {
            apps: report.apps.len(),
            unchanged: revisions.map(|_| report.apps_with(AppStatus::Synced)),
            out_of_sync: report.apps_with(AppStatus::OutOfSync),
            synced: report.apps_with(AppStatus::Synced),
            added_apps: report.apps_with(AppStatus::Added),
            removed_apps: report.apps_with(AppStatus::Removed),
            failed_apps: report.apps_with(AppStatus::Error),
            unknown_apps: report.apps_with(AppStatus::Unknown),
            added: report.objects_with(Change::Added),
            changed: report.objects_with(Change::Changed),
            pruned: report.objects_with(Change::Pruned),
        },
        complete: report.incomplete.is_none(),
        incomplete: report.incomplete.as_deref(),
        errors: &report.errors,
        warnings: &report.warnings,
    }
}

/// `-o markdown`: for a pull-request comment, cut to fit one (see `super::markdown`).
pub fn markdown(report: &DiffReport) -> String {
    super::markdown::render(report, super::markdown::COMMENT_LIMIT)
}

/// An app named with `--app` must be in the tree.
pub(super) fn check_apps(tree: &AppTree, apps: &[String]) -> Result<(), CliError> {
    for name in apps {
        if tree.get(name).is_none() {
            let known: Vec<&str> = tree.apps.iter().map(|a| a.name.as_str()).collect();
            return Err(CliError(format!(
                "app {name:?} is not in the tree (apps: {})",
                known.join(", ")
            )));
        }
    }
    Ok(())
}
