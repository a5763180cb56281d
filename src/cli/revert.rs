//! `kubectl gitops revert [ROOT] COMMIT`: `git revert` as the rollback. The revert is a real
//! commit (the audit trail), written with the user's git; then the apps it changes, found by
//! rendering before and after, are synced and the revert is recorded.

use std::time::Instant;

use super::args::{GlobalArgs, RevertArgs};
use super::escape::terminal_line;
use super::resolve::{connect_and_learn, resolve, session_clusters, use_color};
use super::sync::{Operation, exit_code, print_report, run_with_progress, sync_request};
use super::{CliError, EXIT_OK, blocking, runtime};
use crate::history::revert;

pub(super) fn run(global: &GlobalArgs, args: &RevertArgs) -> Result<u8, CliError> {
    // `revert [ROOT] COMMIT`: with one positional, it is the commit.
    let mut tree_args = args.tree.clone();
    let commit = match (&tree_args.root, &args.commit) {
        (Some(_), Some(c)) => c.clone(),
        (Some(only), None) => {
            let c = only.to_string_lossy().into_owned();
            tree_args.root = None;
            c
        }
        (None, _) => return Err(CliError("revert needs the COMMIT to revert".into())),
    };
    let target = global.target();
    colored::control::set_override(use_color(global.color));
    let rt = runtime()?;
    rt.block_on(async {
        let (conn, catalog, facts) = connect_and_learn(&target, &args.tree).await?;
        tree_args.revision = Some("HEAD".into());
        let before = blocking(|| resolve(&tree_args, &facts))?;
        let workdir = before
            .workdir
            .clone()
            .ok_or_else(|| CliError("revert needs a work tree to write the commit in".into()))?;
        let started = Instant::now();
        let new_head = blocking(|| revert::revert(&workdir, &commit))?;
        eprintln!(
            "Reverted {} as commit {}",
            terminal_line(&commit),
            new_head.short()
        );
        if args.push {
            blocking(|| revert::push(&workdir))?;
            eprintln!("Pushed {}", new_head.short());
        }
        if args.no_sync {
            return Ok(EXIT_OK);
        }
        tree_args.revision = Some(new_head.to_string());
        let after = blocking(|| resolve(&tree_args, &facts))?;
        let changed = before.tree.changed_apps(&after.tree);
        if changed.is_empty() {
            println!("The revert changes nothing any app renders: nothing to sync.");
            return Ok(EXIT_OK);
        }
        // An app the revert removes or adds needs the whole tree (prune of removed apps).
        let select: Vec<String> = if changed.iter().all(|a| after.tree.get(a).is_some()) {
            changed.clone()
        } else {
            Vec::new()
        };
        eprintln!(
            "Syncing what the revert changed: {}",
            terminal_line(&changed.join(", "))
        );
        let mut clusters = session_clusters(&target, conn.clone(), catalog, &facts);
        let req = sync_request(
            &args.sync,
            global,
            Operation {
                name: "revert",
                tree_id: after.tree_id.clone(),
                user: conn.whoami().await,
                hooks: true,
                auto_prune: true,
                revision: Some(new_head.to_string()),
            },
        );
        let (plan, report) =
            run_with_progress(&mut clusters, &after, &select, &req, args.sync.lock_timeout).await?;
        print_report(&report, args.output)?;
        println!(
            "Reverted and synced in {:.1}s (revert commit {})",
            started.elapsed().as_secs_f64(),
            new_head.short()
        );
        Ok(exit_code(&report, &plan))
    })
}
