//! `kubectl gitops status`: one line per app, like `argocd app list`.

use colored::Colorize;

use super::args::{GlobalArgs, OutputFormat, StatusArgs};
use super::diff::check_apps;
use super::escape::{json_pretty, terminal_line};
use super::resolve::{connect_and_learn, plan_request, resolve_apps, session_clusters, use_color};
use super::table::Columns;
use super::{CliError, EXIT_ERROR, EXIT_OK, blocking, runtime};
use crate::health::HealthStatus;
use crate::history::status::{AppStatus, SyncStatus, statuses};
use crate::plan;
use crate::source::Sha;

pub(super) fn run(global: &GlobalArgs, args: &StatusArgs) -> Result<u8, CliError> {
    let target = global.target();
    colored::control::set_override(use_color(global.color));
    let rt = runtime()?;
    rt.block_on(async {
        let (conn, catalog, facts) = connect_and_learn(&target, &args.tree).await?;
        // Status compares with what a sync would deploy: HEAD unless a revision is named.
        let mut tree_args = args.tree.clone();
        tree_args.revision.get_or_insert_with(|| "HEAD".into());
        let resolved = blocking(|| resolve_apps(&tree_args, &facts, &args.apps))?;
        check_apps(&resolved.tree, &args.apps)?;
        let mut clusters = session_clusters(&target, conn, catalog, &facts);
        let plan = plan::build(
            &mut clusters,
            plan_request(&resolved, &args.apps, global, true, args.concurrency),
        )
        .await;
        let rows = statuses(&plan);
        match args.output {
            OutputFormat::Json => {
                #[derive(serde::Serialize)]
                struct Doc<'a> {
                    apps: &'a [AppStatus],
                    errors: &'a [String],
                    /// Why the run stopped before every app was compared.
                    incomplete: Option<&'a str>,
                }
                println!(
                    "{}",
                    json_pretty(&Doc {
                        apps: &rows,
                        errors: &plan.errors,
                        incomplete: plan.incomplete.as_deref(),
                    })?
                );
            }
            OutputFormat::Text => print!("{}", table(&rows)),
        }
        for e in plan.errors.iter().chain(&plan.incomplete) {
            eprintln!("error: {}", terminal_line(e));
        }
        Ok(if plan.render_failed() || plan.incomplete.is_some() {
            EXIT_ERROR
        } else {
            EXIT_OK
        })
    })
}

fn short(rev: Option<&str>) -> String {
    rev.map_or("-", Sha::short_of).to_string()
}

fn table(rows: &[AppStatus]) -> String {
    let header = [
        "APP",
        "SYNC",
        "HEALTH",
        "DEPLOYED",
        "REVISION",
        "DESTINATION",
        "LAST SYNC",
    ];
    let cells: Vec<[String; 7]> = rows
        .iter()
        .map(|r| {
            [
                terminal_line(&r.name),
                format!("{:?}", r.sync),
                r.health.as_str().to_string(),
                short(r.deployed.as_deref()),
                short(r.revision.as_deref()),
                terminal_line(&r.destination),
                r.last_sync
                    .as_ref()
                    .map(|l| {
                        let when = l.finished_at.split('.').next().unwrap_or(&l.finished_at);
                        format!("{when} {} ({}, {})", l.outcome, l.operation, l.user)
                    })
                    .unwrap_or_else(|| "never".into()),
            ]
        })
        .collect();
    let cols = Columns::measure(&header, &cells);
    let mut out = cols.header(&header);
    out.push('\n');
    for (c, r) in cells.iter().zip(rows) {
        let text = cols.line(c, |_, v| v.to_string());
        let painted = match (r.sync, r.health) {
            (SyncStatus::Unknown, _) | (_, HealthStatus::Degraded | HealthStatus::Missing) => {
                text.red().to_string()
            }
            (SyncStatus::OutOfSync, _) | (_, HealthStatus::Progressing) => {
                text.yellow().to_string()
            }
            _ => text,
        };
        out.push_str(&painted);
        out.push('\n');
    }
    for r in rows {
        if let Some(why) = &r.health_message
            && r.health != HealthStatus::Healthy
        {
            out.push_str(&format!(
                "{}: {}: {}\n",
                terminal_line(&r.name),
                r.health.as_str(),
                terminal_line(why)
            ));
        }
        for e in &r.errors {
            out.push_str(&format!(
                "{}: {}\n",
                terminal_line(&r.name),
                terminal_line(e)
            ));
        }
    }
    out
}
