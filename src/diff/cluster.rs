//! The diff of a tree against its clusters: a plan, reported. Desired state is what a
//! server-side apply dry-run returns, live objects come from one LIST per kind and namespace,
//! both compared after normalisation and the app's ignoreDifferences (see `crate::plan`).

use super::report::{AppDiff, AppStatus, Change, DiffReport};
use crate::plan::Plan;

/// What sync would do, as a diff report: per app, the objects it creates, changes and prunes,
/// and the apps that left the tree.
pub fn report(plan: &Plan) -> DiffReport {
    let mut report = DiffReport {
        apps: Vec::new(),
        errors: plan.errors.clone(),
        warnings: plan.warnings.clone(),
        incomplete: plan.incomplete.clone(),
        revisions: None,
    };
    for app in &plan.apps {
        // An app the run did not reach shows nothing of itself: not its objects as "added",
        // not the errors of requests made after the server was gone.
        if app.unfinished && !app.render_failed {
            report.apps.push(AppDiff {
                name: app.name.clone(),
                status: AppStatus::Unknown,
                objects: Vec::new(),
                errors: Vec::new(),
                orphaned: 0,
            });
            continue;
        }
        let mut objects: Vec<_> = app.steps.iter().filter_map(|s| s.change.clone()).collect();
        objects.extend(app.prunes.iter().map(|p| p.change.clone()));
        let errors: Vec<String> = app
            .errors
            .iter()
            .map(|e| format!("app {:?}: {e}", app.name))
            .collect();
        let status = if !errors.is_empty() {
            AppStatus::Error
        } else if objects.is_empty() {
            AppStatus::Synced
        } else {
            AppStatus::OutOfSync
        };
        report.warnings.extend(
            app.warnings
                .iter()
                .map(|w| format!("app {:?}: {w}", app.name)),
        );
        report.apps.push(AppDiff {
            name: app.name.clone(),
            status,
            objects,
            errors,
            orphaned: 0,
        });
    }
    for removed in &plan.removed {
        let (objects, orphaned) = if removed.cascade {
            (
                removed.objects.iter().map(|p| p.change.clone()).collect(),
                0,
            )
        } else {
            (Vec::new(), removed.objects.len())
        };
        report.apps.push(AppDiff {
            name: removed.name.clone(),
            status: AppStatus::Removed,
            objects,
            errors: Vec::new(),
            orphaned,
        });
    }
    for a in &mut report.apps {
        a.objects.sort_by_key(|o| o.change == Change::Pruned);
    }
    report
}
