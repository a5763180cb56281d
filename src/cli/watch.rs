//! `kubectl gitops watch`: the drift watch, one line per event (`-o json`: one JSON object per
//! line), until Ctrl-C.

use std::io::Write;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};

use super::args::{GlobalArgs, WatchArgs, WatchFormat};
use super::escape::{json_pretty, terminal_line};
use super::resolve::{connect_and_learn, session_clusters};
use super::sync::{Operation, sync_request};
use super::{CliError, EXIT_OK, runtime};
use crate::apps::TreeSpec;
use crate::history::watch::{WatchEvent, WatchRequest, watch};

pub(super) fn run(global: &GlobalArgs, args: &WatchArgs) -> Result<u8, CliError> {
    let target = global.target();
    let rt = runtime()?;
    rt.block_on(async {
        let (conn, catalog, facts) = connect_and_learn(&target, &args.tree).await?;
        let mut clusters = session_clusters(&target, conn.clone(), catalog, &facts);
        let stop = Arc::new(AtomicBool::new(false));
        {
            // Ctrl-C (or a TERM from a supervisor) stops the watch between steps: a sync under
            // way finishes first, and the watch's lease is given up.
            let stop = Arc::clone(&stop);
            tokio::spawn(async move {
                #[cfg(unix)]
                {
                    use tokio::signal::unix::{SignalKind, signal};
                    match signal(SignalKind::terminate()) {
                        Ok(mut term) => {
                            tokio::select! {
                                _ = tokio::signal::ctrl_c() => {}
                                _ = term.recv() => {}
                            }
                        }
                        Err(_) => {
                            let _ = tokio::signal::ctrl_c().await;
                        }
                    }
                }
                #[cfg(not(unix))]
                let _ = tokio::signal::ctrl_c().await;
                stop.store(true, Ordering::SeqCst);
            });
        }
        let req = WatchRequest {
            spec: TreeSpec {
                apps: args.apps.clone(),
                ..TreeSpec::from(&args.tree)
            },
            facts,
            select: args.apps.clone(),
            interval: args.interval,
            self_heal: args.self_heal,
            sync: sync_request(
                &args.sync,
                global,
                Operation {
                    name: "sync",
                    tree_id: String::new(),
                    user: conn.whoami().await,
                    hooks: true,
                    auto_prune: true,
                    revision: None,
                },
            ),
            lock_timeout: args.sync.lock_timeout,
        };
        let format = args.output;
        watch(&mut clusters, req, move |e| print(&e, format), stop).await;
        Ok(EXIT_OK)
    })
}

fn print(e: &WatchEvent, format: WatchFormat) {
    let now = k8s_openapi::jiff::Timestamp::now();
    let line = match format {
        WatchFormat::Json => {
            let mut v = serde_json::to_value(e).unwrap_or_default();
            v["time"] = serde_json::Value::String(now.to_string());
            // One object per line: compact, with the same escaping as every JSON output.
            json_pretty(&v)
                .map(|t| t.lines().map(str::trim).collect::<Vec<_>>().join(" "))
                .unwrap_or_default()
        }
        WatchFormat::Text => {
            let text = match e {
                WatchEvent::Revision { revision, previous } => match previous {
                    Some(p) => format!("new commit {} (was {})", short(revision), short(p)),
                    None => format!("watching {}", short(revision)),
                },
                WatchEvent::Drift {
                    app,
                    object,
                    deleted: true,
                    ..
                } => format!("DRIFT DETECTED app {app}: {object} deleted from the cluster"),
                WatchEvent::Drift {
                    app,
                    object,
                    managers,
                    diff,
                    ..
                } => format!(
                    "DRIFT DETECTED app {app}: {object} changed by {}: {diff}",
                    managers.join(", ")
                ),
                WatchEvent::OutOfSync { app, objects } => {
                    format!(
                        "app {app} is OutOfSync ({objects} objects); not synced: its policy is not automated"
                    )
                }
                WatchEvent::Syncing { apps, reason } => {
                    format!("syncing {} ({reason})", apps.join(", "))
                }
                WatchEvent::Synced { app, applied } => {
                    format!("app {app} synced ({applied} applied)")
                }
                WatchEvent::SyncFailed { app, message } => {
                    format!("app {app} sync FAILED: {message}")
                }
                WatchEvent::Error { message } => format!("error (will retry): {message}"),
                WatchEvent::Stopped => "stopped".to_string(),
            };
            format!(
                "{} {}",
                now.strftime("%Y-%m-%dT%H:%M:%SZ"),
                terminal_line(&text)
            )
        }
    };
    let mut out = std::io::stdout().lock();
    let _ = writeln!(out, "{line}");
    let _ = out.flush();
}

fn short(rev: &str) -> &str {
    &rev[..rev.len().min(12)]
}
