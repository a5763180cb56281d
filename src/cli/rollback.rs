//! `kubectl gitops rollback --app NAME [--to REV | --steps N]`: sync an app back to a revision it
//! was deployed at, as `argocd app rollback` does: no hooks, prune only when asked, recorded as
//! a rollback. Git is not changed: `revert` is the way that leaves an audit trail.

use super::args::{GlobalArgs, RollbackArgs};
use super::escape::terminal_line;
use super::resolve::{connect_and_learn, plan_request, resolve, session_clusters, use_color};
use super::sync::{Operation, exit_code, print_report, run_with_progress, sync_request};
use super::{CliError, EXIT_ERROR, EXIT_OK, blocking, runtime};
use crate::history::record::Outcome;
use crate::history::watch::lease_name;
use crate::plan;

pub(super) fn run(global: &GlobalArgs, args: &RollbackArgs) -> Result<u8, CliError> {
    let target = global.target();
    colored::control::set_override(use_color(global.color));
    let rt = runtime()?;
    rt.block_on(async {
        let (conn, catalog, facts) = connect_and_learn(&target, &args.tree).await?;
        // The app as Git has it now: where it goes and what its policy says.
        let mut head_args = args.tree.clone();
        head_args.revision = Some("HEAD".into());
        let head = blocking(|| resolve(&head_args, &facts))?;
        let app = head.tree.get(&args.app).ok_or_else(|| {
            CliError(format!("app {:?} is not in the tree at HEAD", args.app))
        })?;
        let mut clusters = session_clusters(&target, conn.clone(), catalog, &facts);
        let (context, rec) =
            super::history::app_record(&mut clusters, app, &global.records_namespace, &head.tree_id)
                .await?;
        let rec = rec
            .ok_or_else(|| {
                CliError(format!(
                    "app {:?} has no sync record in context {context:?}: it was never synced, so there is nothing to roll back to",
                    args.app
                ))
            })?;
        // Revisions it was deployed at, oldest first, each once (its last deployment counts).
        let mut deployed: Vec<String> = Vec::new();
        for e in rec.history.iter().filter(|e| e.outcome == Outcome::Succeeded) {
            deployed.retain(|r| r != &e.revision);
            deployed.push(e.revision.clone());
        }
        let current = deployed.last().cloned().ok_or_else(|| {
            CliError(format!("app {:?} has no successful sync to roll back from", args.app))
        })?;
        let revision = match (&args.to, args.steps) {
            (Some(to), _) => {
                let repo = head.repo.as_ref().ok_or_else(|| {
                    CliError(format!(
                        "--to {to} names a commit; ROOT is a file outside any repository"
                    ))
                })?;
                let sha = repo.resolve(to)?.to_string();
                if !deployed.contains(&sha) {
                    return Err(CliError(format!(
                        "app {:?} was never deployed at {to} ({}); see `kubectl gitops history --app {}`",
                        args.app,
                        crate::source::Sha::short_of(&sha),
                        args.app
                    )));
                }
                sha
            }
            (None, steps) => {
                let n = steps.unwrap_or(1);
                let index = deployed.len().checked_sub(n + 1).ok_or_else(|| {
                    CliError(format!(
                        "app {:?} has {} deployed revision{}: it cannot go {n} back",
                        args.app,
                        deployed.len(),
                        if deployed.len() == 1 { "" } else { "s" }
                    ))
                })?;
                deployed[index].clone()
            }
        };
        if revision == current {
            return Err(CliError(format!(
                "app {:?} is already deployed at {}",
                args.app,
                crate::source::Sha::short_of(&revision)
            )));
        }
        // Whatever puts Git's version back would undo a rollback at once.
        let session = clusters.session(&context).await?;
        let watcher = crate::cluster::lease::live_holder(
            &session.conn,
            &global.records_namespace,
            &lease_name(&head.tree_id),
        )
        .await
        .unwrap_or(None);
        let policy = crate::plan::options::Automation::parse(app.app.spec.sync_policy.as_ref());
        let undoers: Vec<String> = [
            policy
                .self_heal
                .then(|| "its syncPolicy.automated.selfHeal".to_string()),
            watcher.map(|w| format!("a running watch ({w})")),
        ]
        .into_iter()
        .flatten()
        .collect();
        if !undoers.is_empty() && !args.force {
            return Err(CliError(format!(
                "app {:?}: {} would put Git's version back right after the rollback; use `kubectl gitops revert COMMIT` to undo the change in Git, or pass --force",
                args.app,
                undoers.join(" and ")
            )));
        }
        if !undoers.is_empty() {
            eprintln!(
                "warning: {}",
                terminal_line(&format!(
                    "app {:?}: {} will put Git's version back; `kubectl gitops revert` undoes the change in Git instead",
                    args.app,
                    undoers.join(" and ")
                ))
            );
        }
        let mut old_args = args.tree.clone();
        old_args.revision = Some(revision.clone());
        let old = blocking(|| resolve(&old_args, &facts))?;
        if old.tree.get(&args.app).is_none() {
            return Err(CliError(format!(
                "app {:?} is not in the tree at {}",
                args.app,
                crate::source::Sha::short_of(&revision)
            )));
        }
        let select = vec![args.app.clone()];
        if args.dry_run {
            let plan = plan::build(
                &mut clusters,
                plan_request(&old, &select, global, args.sync.force_conflicts, args.sync.concurrency),
            )
            .await;
            println!(
                "Rollback of {} from {} to {} (dry run: nothing is changed)",
                terminal_line(&args.app),
                crate::source::Sha::short_of(&current),
                crate::source::Sha::short_of(&revision)
            );
            print!("{}", super::diff::text(&crate::diff::report(&plan)));
            return Ok(if plan.render_failed() { EXIT_ERROR } else { EXIT_OK });
        }
        let req = sync_request(
            &args.sync,
            global,
            Operation {
                name: "rollback",
                tree_id: old.tree_id.clone(),
                user: conn.whoami().await,
                hooks: false,
                auto_prune: false,
                revision: Some(revision.clone()),
            },
        );
        let (plan, report) =
            run_with_progress(&mut clusters, &old, &select, &req, args.sync.lock_timeout).await?;
        print_report(&report, args.output)?;
        Ok(exit_code(&report, &plan))
    })
}
