//! `kubectl gitops tree`: the app-of-apps tree as a table with tree branches, or JSON.

use std::collections::HashMap;

use colored::Colorize;
use serde::Serialize;

use super::CliError;
use super::args::{GlobalArgs, OutputFormat, TreeCommandArgs};
use super::escape::terminal_line;
use super::resolve::{gather_facts, report_tree_errors, resolve, use_color};
use super::table::Columns;
use crate::apps::{AppNode, AppTree, SourceInfo};

pub(super) fn run(global: &GlobalArgs, args: &TreeCommandArgs) -> Result<u8, CliError> {
    let resolved = resolve(&args.tree, &gather_facts(global, &args.tree)?)?;
    let tree = &resolved.tree;
    match args.output {
        OutputFormat::Json => println!("{}", super::escape::json_pretty(&to_json(tree))?),
        OutputFormat::Text => {
            colored::control::set_override(use_color(global.color));
            print!("{}", to_text(tree));
        }
    }
    Ok(report_tree_errors(tree))
}

/// Apps in display order (depth first from the roots), with their depth and branch prefix.
fn ordered(tree: &AppTree) -> Vec<(&AppNode, String)> {
    let by_name: HashMap<&str, &AppNode> = tree.apps.iter().map(|a| (a.name.as_str(), a)).collect();
    let mut out = Vec::new();
    fn visit<'a>(
        app: &'a AppNode,
        by_name: &HashMap<&str, &'a AppNode>,
        prefix: &str,
        branch: &str,
        out: &mut Vec<(&'a AppNode, String)>,
    ) {
        out.push((app, format!("{prefix}{branch}")));
        let child_prefix = match branch {
            "├── " => format!("{prefix}│   "),
            "└── " => format!("{prefix}    "),
            _ => prefix.to_string(),
        };
        let children: Vec<&AppNode> = app
            .children
            .iter()
            .filter_map(|c| by_name.get(c.as_str()).copied())
            .collect();
        for (i, child) in children.iter().enumerate() {
            let b = if i + 1 == children.len() {
                "└── "
            } else {
                "├── "
            };
            visit(child, by_name, &child_prefix, b, out);
        }
    }
    for root in tree.roots() {
        visit(root, &by_name, "", "", &mut out);
    }
    out
}

fn source_column(sources: &[SourceInfo]) -> String {
    let shown: Vec<String> = sources
        .iter()
        .filter(|s| s.source_type.is_some())
        .map(|s| {
            if let (Some(chart), Some(version)) = (&s.chart, &s.revision) {
                return format!("{chart}@{version}");
            }
            let rev = s
                .revision
                .as_deref()
                .map_or("worktree", crate::source::Sha::short_of);
            let path = if s.path.is_empty() {
                "."
            } else {
                s.path.as_str()
            };
            format!("{path}@{rev}")
        })
        .collect();
    shown.join(", ")
}

fn type_column(sources: &[SourceInfo]) -> String {
    let types: Vec<String> = sources
        .iter()
        .filter_map(|s| s.source_type.map(|t| t.to_string()))
        .collect();
    types.join("+")
}

/// The text table.
pub fn to_text(tree: &AppTree) -> String {
    let header = [
        "APP",
        "TYPE",
        "PATH@REVISION",
        "DESTINATION",
        "OBJECTS",
        "WAVE",
    ];
    let mut rows: Vec<[String; 6]> = Vec::new();
    for (app, prefix) in ordered(tree) {
        let objects = if app.error.is_some() {
            "error".to_string()
        } else {
            app.objects.len().to_string()
        };
        // Paths and destinations come from the repository: escaped for the terminal.
        rows.push([
            format!("{prefix}{}", terminal_line(&app.name)),
            type_column(&app.sources),
            terminal_line(&source_column(&app.sources)),
            terminal_line(&app.app.spec.destination.display()),
            objects,
            app.wave.to_string(),
        ]);
    }
    let cols = Columns::measure(&header, &rows);
    let mut out = cols.header(&header);
    out.push('\n');
    for row in &rows {
        let failed = row[4] == "error";
        out.push_str(&cols.line(row, |i, cell| {
            if i == 4 && failed {
                cell.red().bold().to_string()
            } else {
                cell.to_string()
            }
        }));
        out.push('\n');
    }
    out
}

/// Where an app is defined, in `-o json`.
#[derive(Serialize)]
struct JsonDefinedAt<'a> {
    repo: &'a str,
    revision: &'a str,
    file: &'a str,
    document: usize,
}

/// An app's destination, in `-o json`.
#[derive(Serialize)]
struct JsonDestination<'a> {
    server: Option<&'a str>,
    name: Option<&'a str>,
    namespace: Option<&'a str>,
}

/// One source of an app, in `-o json`.
#[derive(Serialize)]
struct JsonSource<'a> {
    #[serde(rename = "repoURL")]
    repo_url: String,
    path: &'a str,
    revision: Option<&'a str>,
    chart: Option<&'a str>,
    #[serde(rename = "type")]
    source_type: Option<String>,
}

/// One app, in `-o json`.
#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct JsonApp<'a> {
    name: &'a str,
    parent: Option<&'a str>,
    children: &'a [String],
    generated_by: Option<&'a str>,
    defined_at: JsonDefinedAt<'a>,
    project: &'a str,
    destination: JsonDestination<'a>,
    sources: Vec<JsonSource<'a>>,
    objects: usize,
    wave: i64,
    error: Option<&'a str>,
}

/// The JSON document (`-o json`): stable field names, documented in the README.
#[derive(Serialize)]
struct JsonTree<'a> {
    apps: Vec<JsonApp<'a>>,
    errors: Vec<String>,
    warnings: &'a [String],
}

/// The JSON document (`-o json`): stable field names, documented in the README.
pub fn to_json(tree: &AppTree) -> impl Serialize + '_ {
    let apps = ordered(tree)
        .into_iter()
        .map(|(app, _)| {
            let d = &app.app.spec.destination;
            JsonApp {
                name: &app.name,
                parent: app.parent.as_deref(),
                children: &app.children,
                generated_by: app.generated_by.as_deref(),
                defined_at: JsonDefinedAt {
                    repo: &app.defined_at.repo,
                    revision: &app.defined_at.revision,
                    file: &app.defined_at.file,
                    document: app.defined_at.doc,
                },
                project: if app.app.spec.project.is_empty() {
                    "default"
                } else {
                    app.app.spec.project.as_str()
                },
                destination: JsonDestination {
                    server: d.server.as_deref(),
                    name: d.name.as_deref(),
                    namespace: d.namespace.as_deref(),
                },
                sources: app
                    .sources
                    .iter()
                    .map(|s| JsonSource {
                        repo_url: crate::source::redact_url(&s.repo_url),
                        path: &s.path,
                        revision: s.revision.as_deref(),
                        chart: s.chart.as_deref(),
                        source_type: s.source_type.map(|t| t.to_string()),
                    })
                    .collect(),
                objects: app.objects.len(),
                wave: app.wave,
                error: app.error.as_deref(),
            }
        })
        .collect();
    JsonTree {
        apps,
        errors: tree.errors.iter().map(ToString::to_string).collect(),
        warnings: &tree.warnings,
    }
}
