//! `diff -o markdown`: a pull-request comment that fits in one (GitHub refuses a comment over
//! 65,536 characters). The title, the summary, every app's line and every error are always
//! there; object diffs go in, in order, while they fit, and each app whose objects were cut
//! says how many were left out and how to see them.
//!
//! Every piece of data (names, keys, diffs, errors) sits in a code span or a fenced block sized
//! to its content, so nothing from the repository or the cluster can become markdown or HTML.

use super::escape::{code_span, fenced, terminal_line};
use crate::diff::{AppDiff, AppStatus, Change, DiffReport, ObjectChange};

/// The most characters one GitHub pull-request comment holds.
pub const COMMENT_LIMIT: usize = 65_536;

/// The longest an error may run in a comment: every error is shown, so none may eat the room
/// of all the others.
const ERROR_LIMIT: usize = 2_000;

/// Room kept for one "objects left out" note.
const NOTE_ROOM: usize = 400;

/// One app's part of the comment.
struct Section {
    /// Its heading and errors: always shown.
    head: String,
    /// Its objects: a name line, and the diff.
    objects: Vec<(String, String)>,
}

/// The comment, at most `limit` characters when the title, summary, app lines and errors fit.
pub fn render(report: &DiffReport, limit: usize) -> String {
    let title = match &report.revisions {
        Some((from, to)) => format!(
            "## kubectl gitops diff {} → {}\n\n",
            code_span(from),
            code_span(to)
        ),
        None => "## kubectl gitops diff\n\n".to_string(),
    };
    let mut title = title;
    if let Some(why) = &report.incomplete {
        title.push_str(&incomplete_block(report, why));
    }
    // Apps a stopped run never compared are named in the incomplete block, not as sections.
    let sections: Vec<(&AppDiff, Section)> = report
        .apps
        .iter()
        .filter(|a| !matches!(a.status, AppStatus::Synced | AppStatus::Unknown))
        .map(|a| (a, section(a, report.revisions.is_some())))
        .collect();
    let mut tail = String::new();
    for e in &report.errors {
        tail.push_str("error:\n\n");
        tail.push_str(&fenced(&capped(e), "text"));
        tail.push('\n');
    }
    // A review reads the comment, not the job log: what the rules could not do is said here.
    if !report.warnings.is_empty() {
        let lines: Vec<String> = report.warnings.iter().map(|w| capped(w)).collect();
        tail.push_str("warnings:\n\n");
        tail.push_str(&fenced(&lines.join("\n"), "text"));
        tail.push('\n');
    }
    tail.push_str(&format!("{}\n", super::diff::summary_line(report)));
    let unchanged = report.apps_with(AppStatus::Synced);
    if unchanged > 0 {
        let word = if report.revisions.is_some() {
            "unchanged"
        } else {
            "in sync"
        };
        tail.push_str(&format!(
            "\n{unchanged} app{} {} {word}.\n",
            if unchanged == 1 { "" } else { "s" },
            if unchanged == 1 { "is" } else { "are" }
        ));
    }

    // What must be shown, and room for a note per app that has objects.
    let fixed = title.len()
        + tail.len()
        + sections.iter().map(|(_, s)| s.head.len()).sum::<usize>()
        + sections
            .iter()
            .filter(|(_, s)| !s.objects.is_empty())
            .count()
            * NOTE_ROOM;
    let mut room = limit.saturating_sub(fixed);
    let mut out = title;
    let mut cut = false;
    for (app, s) in &sections {
        out.push_str(&s.head);
        let mut shown = 0;
        for (name, diff) in &s.objects {
            let piece = name.len() + diff.len();
            if !cut && piece <= room {
                out.push_str(name);
                out.push_str(diff);
                room -= piece;
                shown += 1;
            } else {
                cut = true;
            }
        }
        if shown < s.objects.len() {
            out.push_str(&left_out_note(report, app, shown, s.objects.len()));
        }
    }
    out.push_str(&tail);
    out
}

/// An app's heading, errors and objects.
fn section(app: &AppDiff, revisions: bool) -> Section {
    let name = code_span(&app.name);
    let mut head = match app.status {
        AppStatus::Added => format!("### {name}: new app\n\n"),
        AppStatus::Removed => format!(
            "### {name}: app removed{}\n\n",
            super::diff::orphan_note(app)
        ),
        AppStatus::OutOfSync => format!(
            "### {name}: {} ({} added, {} changed, {} to prune)\n\n",
            if revisions { "changed" } else { "OutOfSync" },
            app.count(Change::Added),
            app.count(Change::Changed),
            app.count(Change::Pruned)
        ),
        // An app with an error still shows what it could compare.
        AppStatus::Error if !app.objects.is_empty() => format!(
            "### {name}: Error ({} added, {} changed, {} to prune)\n\n",
            app.count(Change::Added),
            app.count(Change::Changed),
            app.count(Change::Pruned)
        ),
        s => format!("### {name}: {}\n\n", s.as_str()),
    };
    for e in &app.errors {
        head.push_str("error:\n\n");
        head.push_str(&fenced(&capped(e), "text"));
        head.push('\n');
    }
    let show_diffs = !matches!(app.status, AppStatus::Added | AppStatus::Removed);
    let objects = app
        .objects
        .iter()
        .map(|o| {
            let mut line = format!("**{}**", code_span(&o.key.display_name()));
            line.push_str(&markdown_note(o));
            line.push_str("\n\n");
            if !o.secret_keys.is_empty() {
                let keys: Vec<String> = o.secret_keys.iter().map(|k| code_span(k)).collect();
                line.push_str(&format!("Secret keys changed: {}\n\n", keys.join(", ")));
            }
            let diff = if show_diffs {
                format!("{}\n", fenced(&o.diff, "diff"))
            } else {
                String::new()
            };
            (line, diff)
        })
        .collect();
    Section { head, objects }
}

/// Says the run stopped, why, and which apps were not compared.
fn incomplete_block(report: &DiffReport, why: &str) -> String {
    let (n, shown) = super::diff::not_compared(report);
    let names: Vec<String> = shown.iter().map(|n| code_span(n)).collect();
    let mut out =
        String::from("**Incomplete**: the run stopped, so this diff does not show every app.\n\n");
    out.push_str(&fenced(&capped(why), "text"));
    out.push('\n');
    if n > 0 {
        out.push_str(&format!(
            "Not compared ({n} app{}): {}{}\n\n",
            if n == 1 { "" } else { "s" },
            names.join(", "),
            if n > shown.len() {
                format!(" and {} more", n - shown.len())
            } else {
                String::new()
            }
        ));
    }
    out
}

/// What was left out of an app, and the command that shows it.
fn left_out_note(report: &DiffReport, app: &AppDiff, shown: usize, total: usize) -> String {
    let command = match &report.revisions {
        // `--from` alone compares with the work tree.
        Some((from, to)) if to == "work tree" => format!(
            "kubectl gitops diff --from {} --app {}",
            revision_arg(from),
            app.name
        ),
        Some((from, to)) => format!(
            "kubectl gitops diff --from {} --to {} --app {}",
            revision_arg(from),
            revision_arg(to),
            app.name
        ),
        None => format!("kubectl gitops diff --app {}", app.name),
    };
    let note = format!(
        "_{} of {total} object{} of this app left out to fit one comment ({COMMENT_LIMIT} characters); see them with_ {}\n\n",
        total - shown,
        if total == 1 { "" } else { "s" },
        code_span(&command)
    );
    // The note's room was kept; a name past it would only make the note longer.
    if note.len() > NOTE_ROOM {
        format!(
            "_{} of {total} objects of this app left out to fit one comment ({COMMENT_LIMIT} characters)._\n\n",
            total - shown
        )
    } else {
        note
    }
}

/// The revision as typed back on a command line: `main (abc1234)` is `abc1234`.
fn revision_arg(label: &str) -> String {
    match label.rsplit_once(" (") {
        Some((_, sha)) => sha.trim_end_matches(')').to_string(),
        None => label.to_string(),
    }
}

/// An error, one line, at most [`ERROR_LIMIT`] characters.
fn capped(e: &str) -> String {
    let line = terminal_line(e);
    if line.len() <= ERROR_LIMIT {
        return line;
    }
    let mut cut = ERROR_LIMIT;
    while !line.is_char_boundary(cut) {
        cut -= 1;
    }
    format!("{}… ({} more characters)", &line[..cut], line.len() - cut)
}

/// The change note for markdown: manager names are data, so they go in code spans.
fn markdown_note(o: &ObjectChange) -> String {
    match o.change {
        Change::Changed if !o.drift_managers.is_empty() => {
            let who: Vec<String> = o.drift_managers.iter().map(|m| code_span(m)).collect();
            format!(" DRIFT DETECTED (changed by {})", who.join(", "))
        }
        _ => super::diff::change_note(o),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::cluster::ObjectKey;

    fn object(name: &str, size: usize) -> ObjectChange {
        ObjectChange {
            key: ObjectKey {
                group: String::new(),
                kind: "ConfigMap".into(),
                namespace: Some("ns".into()),
                name: name.into(),
            },
            change: Change::Changed,
            drift_managers: Vec::new(),
            secret_keys: Vec::new(),
            diff: format!("--- a\n+++ b\n@@ -1 +1 @@\n-{}\n+x\n", "y".repeat(size)),
        }
    }

    fn app(name: &str, objects: Vec<ObjectChange>, status: AppStatus) -> AppDiff {
        AppDiff {
            name: name.into(),
            status,
            objects,
            errors: Vec::new(),
            orphaned: 0,
        }
    }

    #[test]
    fn a_large_diff_fits_one_comment_with_every_app_and_a_note() {
        let mut apps: Vec<AppDiff> = (0..30)
            .map(|i| {
                app(
                    &format!("app-{i}"),
                    (0..5).map(|j| object(&format!("cm-{j}"), 3_000)).collect(),
                    AppStatus::OutOfSync,
                )
            })
            .collect();
        let mut failed = app("broken", Vec::new(), AppStatus::Error);
        failed
            .errors
            .push("app \"broken\" fails to render in main: boom".into());
        apps.push(failed);
        apps.push(app("quiet", Vec::new(), AppStatus::Synced));
        let report = DiffReport {
            apps,
            revisions: Some(("main (abc1234)".into(), "feature (def5678)".into())),
            ..Default::default()
        };
        let text = render(&report, COMMENT_LIMIT);
        assert!(text.len() <= COMMENT_LIMIT, "{}", text.len());
        for i in 0..30 {
            assert!(text.contains(&format!("### `app-{i}`: changed")), "app-{i}");
        }
        assert!(text.contains("### `broken`: Error") && text.contains("boom"));
        assert!(text.contains("Summary: 32 apps"), "{text}");
        assert!(text.contains("1 app is unchanged."));
        assert!(
            text.contains("left out to fit one comment")
                && text.contains("`kubectl gitops diff --from abc1234 --to def5678 --app app-29`"),
            "{text}"
        );
        // What fits is shown in full, in order.
        assert!(text.contains("**`ConfigMap ns/cm-0`**"));
        // A small report is not cut.
        let small = DiffReport {
            apps: vec![app("one", vec![object("c", 10)], AppStatus::OutOfSync)],
            ..Default::default()
        };
        assert!(!render(&small, COMMENT_LIMIT).contains("left out"));
    }
}
