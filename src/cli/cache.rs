//! `kubectl gitops cache prune`: the cache's bound, chosen by the user (see
//! `crate::source::prune_cache` for why it is a command and not an automatic limit).

use serde::Serialize;

use super::args::{CacheCommand, CachePruneArgs, OutputFormat};
use super::escape::{json_pretty, terminal_line};
use super::{CliError, EXIT_OK};
use crate::source::{CacheDir, PruneReport, prune_cache};

pub(super) fn run(command: &CacheCommand) -> Result<u8, CliError> {
    match command {
        CacheCommand::Prune(args) => prune(args),
    }
}

/// One removed entry of `-o json`.
#[derive(Serialize)]
struct JsonEntry<'a> {
    kind: &'a str,
    path: String,
    bytes: u64,
}

/// `cache prune -o json`.
#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct JsonPrune<'a> {
    dir: String,
    dry_run: bool,
    removed: Vec<JsonEntry<'a>>,
    kept: usize,
    kept_bytes: u64,
}

fn prune(args: &CachePruneArgs) -> Result<u8, CliError> {
    let cache = CacheDir::from_env();
    let unused_for = if args.all {
        std::time::Duration::ZERO
    } else {
        args.unused_for
    };
    let report = prune_cache(&cache, unused_for, args.dry_run)?;
    match args.output {
        OutputFormat::Json => {
            let doc = JsonPrune {
                dir: report.dir.display().to_string(),
                dry_run: args.dry_run,
                removed: report
                    .removed
                    .iter()
                    .map(|e| JsonEntry {
                        kind: e.kind,
                        path: e.path.display().to_string(),
                        bytes: e.bytes,
                    })
                    .collect(),
                kept: report.kept,
                kept_bytes: report.kept_bytes,
            };
            println!("{}", json_pretty(&doc)?);
        }
        OutputFormat::Text => println!("{}", terminal_line(&summary(&report, args))),
    }
    Ok(EXIT_OK)
}

/// `Removed 3 entries (12.0 MB) unused for 720h: 2 trees, 1 charts; kept 4 (1.5 MB) in DIR`.
fn summary(report: &PruneReport, args: &CachePruneArgs) -> String {
    let mb = |b: u64| format!("{:.1} MB", b as f64 / 1e6);
    let removed: u64 = report.removed.iter().map(|e| e.bytes).sum();
    let mut kinds: Vec<String> = Vec::new();
    for kind in crate::source::cache_kinds() {
        let n = report.removed.iter().filter(|e| e.kind == kind).count();
        if n > 0 {
            kinds.push(format!("{n} {kind}"));
        }
    }
    let why = if args.all {
        String::new()
    } else {
        format!(
            " unused for {}",
            crate::cluster::duration_text(args.unused_for)
        )
    };
    format!(
        "{} {} entr{} ({}){why}{}; kept {} ({}) in {}",
        if args.dry_run {
            "Would remove"
        } else {
            "Removed"
        },
        report.removed.len(),
        if report.removed.len() == 1 {
            "y"
        } else {
            "ies"
        },
        mb(removed),
        if kinds.is_empty() {
            String::new()
        } else {
            format!(": {}", kinds.join(", "))
        },
        report.kept,
        mb(report.kept_bytes),
        report.dir.display()
    )
}
