//! `kubectl gitops history --app NAME`: the app's syncs beside the commits that changed it.

use colored::Colorize;

use super::args::{GlobalArgs, HistoryArgs, OutputFormat};
use super::escape::{json_pretty, terminal_line};
use super::resolve::{connect_and_learn, resolve, session_clusters, use_color};
use super::table::Columns;
use super::{CliError, EXIT_OK, blocking, runtime};
use crate::apps::AppNode;
use crate::history::record::{self, AppRecord};
use crate::history::timeline::{self, State};
use crate::plan::Clusters;
use crate::source::RepoPath;

pub(super) fn run(global: &GlobalArgs, args: &HistoryArgs) -> Result<u8, CliError> {
    let target = global.target();
    colored::control::set_override(use_color(global.color));
    let rt = runtime()?;
    rt.block_on(async {
        let (conn, catalog, facts) = connect_and_learn(&target, &args.tree).await?;
        let mut tree_args = args.tree.clone();
        tree_args.revision.get_or_insert_with(|| "HEAD".into());
        let loaded = blocking(|| resolve(&tree_args, &facts))?;
        let app = loaded.tree.get(&args.app).ok_or_else(|| {
            CliError(format!(
                "app {:?} is not in the tree at {}",
                args.app,
                tree_args.revision.as_deref().unwrap_or("HEAD")
            ))
        })?;
        // A root file outside any repository (and no repository here) has no Git log.
        let repo = loaded.repo.as_ref().ok_or_else(|| {
            CliError("history reads the Git log of a repository; ROOT is a file outside any".into())
        })?;
        // The paths that change what the app renders: its sources in this repository, and its
        // Application manifest (its spec is part of what it renders).
        let mut paths: Vec<RepoPath> = Vec::new();
        let local = crate::source::normalize_repo_url;
        let remotes: Vec<String> = repo.remote_urls().iter().map(|u| local(u)).collect();
        for s in &app.sources {
            let ours = remotes.iter().any(|r| *r == local(&s.repo_url));
            if ours && let Ok(p) = RepoPath::new(s.path.trim_start_matches('/')) {
                paths.push(p);
            }
            if ours
                && let Some(helm) = app
                    .app
                    .spec
                    .effective_sources()
                    .iter()
                    .find(|x| x.repo_url == s.repo_url && x.path.as_deref().unwrap_or("") == s.path)
                    .and_then(|x| x.helm.as_ref())
            {
                for f in &helm.value_files {
                    if let Ok(p) = RepoPath::new(&format!("{}/{f}", s.path)) {
                        paths.push(p);
                    }
                }
            }
        }
        if let Ok(p) = RepoPath::new(&app.defined_at.file) {
            paths.push(p);
        }
        let tip = loaded
            .revision
            .ok_or_else(|| CliError("history reads a commit, not the work tree".into()))?;
        let commits = blocking(|| repo.log(tip, &paths, args.limit))?;
        let line: Vec<String> = blocking(|| repo.log(tip, &[], 5000))?
            .into_iter()
            .map(|c| c.sha.to_string())
            .collect();
        let mut clusters = session_clusters(&target, conn, catalog, &facts);
        let (_, rec) = app_record(
            &mut clusters,
            app,
            &global.records_namespace,
            &loaded.tree_id,
        )
        .await?;
        let rows = timeline::rows(&commits, &line, rec.as_ref());
        match args.output {
            OutputFormat::Json => println!("{}", json_pretty(&rows)?),
            OutputFormat::Text => print!("{}", table(&rows)),
        }
        Ok(EXIT_OK)
    })
}

/// The app's sync record, read from the cluster its destination names (where syncs write it),
/// with that cluster's context.
pub(super) async fn app_record(
    clusters: &mut Clusters,
    app: &AppNode,
    records_namespace: &str,
    tree_id: &str,
) -> Result<(String, Option<AppRecord>), CliError> {
    let destination = &app.app.spec.destination;
    let context = clusters.context_for(destination).ok_or_else(|| {
        CliError(format!(
            "app {:?}: its destination {} matches no kubeconfig context",
            app.name,
            destination.display()
        ))
    })?;
    let session = clusters.session(&context).await?;
    let rec = record::load_all(&session.conn, records_namespace)
        .await?
        .into_iter()
        .find(|r| r.app == app.name && r.tree == tree_id);
    Ok((context, rec))
}

fn when(seconds: i64) -> String {
    k8s_openapi::jiff::Timestamp::from_second(seconds)
        .map(|t| t.strftime("%Y-%m-%d %H:%M").to_string())
        .unwrap_or_default()
}

fn table(rows: &[timeline::Row]) -> String {
    let header = [
        "REVISION",
        "COMMITTED",
        "AUTHOR",
        "STATE",
        "SYNCS",
        "SUBJECT",
    ];
    let cells: Vec<[String; 6]> = rows
        .iter()
        .map(|r| {
            let syncs: Vec<String> = r
                .syncs
                .iter()
                .map(|e| {
                    let at = e.finished_at.split('.').next().unwrap_or(&e.finished_at);
                    format!(
                        "#{} {at} {} {:?} by {}",
                        e.id, e.operation, e.outcome, e.user
                    )
                })
                .collect();
            [
                r.revision.chars().take(12).collect(),
                r.committed_at.map(when).unwrap_or_else(|| "-".into()),
                terminal_line(r.author.as_deref().unwrap_or("-")),
                format!("{:?}", r.state).to_lowercase(),
                if syncs.is_empty() {
                    "-".into()
                } else {
                    terminal_line(&syncs.join("; "))
                },
                terminal_line(r.summary.as_deref().unwrap_or("-")),
            ]
        })
        .collect();
    let cols = Columns::measure(&header, &cells);
    let mut out = cols.header(&header);
    out.push('\n');
    for (c, r) in cells.iter().zip(rows) {
        let text = cols.line(c, |_, v| v.to_string());
        out.push_str(&match r.state {
            State::Current => text.green().bold().to_string(),
            State::Waiting => text.yellow().to_string(),
            _ => text,
        });
        out.push('\n');
    }
    out
}
