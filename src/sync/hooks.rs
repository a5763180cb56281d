//! Running hooks: create, wait until complete (Jobs and Pods run to the end), and delete per
//! their policy (`BeforeHookCreation` by default, `HookSucceeded`, `HookFailed`), as Argo CD's
//! sync does.

use std::time::{Duration, Instant};

use futures::future::join_all;
use serde_json::Value;

use super::Ctx;
use super::error::{ObjectError, SyncError};
use super::events::Event;
use super::wait::{Watched, until_healthy};
use crate::cluster::{ApplyParams, Propagation, delete, get, server_side_apply};
use crate::plan::{AppPlan, Hook, Phase, Session, Target};

/// The name of a hook named by `generateName`: Argo CD's form, prefix + short revision + phase
/// + start time, so each sync's run is a new object and its name says when and why.
fn generated_name(ctx: &Ctx<'_>, app: &AppPlan, prefix: &str, phase: Phase) -> String {
    let rev = app
        .revisions
        .first()
        .map(|r| r.chars().take(7).collect::<String>())
        .unwrap_or_default();
    let suffix = format!(
        "{rev}-{}-{}",
        phase.as_str().to_lowercase(),
        ctx.started_unix
    );
    let room = 253usize.saturating_sub(suffix.len());
    let prefix: String = prefix.chars().take(room).collect();
    format!("{prefix}{suffix}")
}

/// Runs the hooks of `phase` (only those of `wave` when given), wave by wave; returns how many
/// ran.
pub(crate) async fn run_phase(
    ctx: &Ctx<'_>,
    session: &Session,
    app: &AppPlan,
    phase: Phase,
    wave: Option<i64>,
) -> Result<usize, SyncError> {
    let hooks: Vec<&Hook> = app
        .hooks
        .iter()
        .filter(|h| h.phases.contains(&phase) && wave.is_none_or(|w| h.wave == w))
        .collect();
    let mut waves: Vec<i64> = hooks.iter().map(|h| h.wave).collect();
    waves.sort();
    waves.dedup();
    let mut ran = 0;
    for w in waves {
        let group: Vec<&&Hook> = hooks.iter().filter(|h| h.wave == w).collect();
        let results = join_all(group.iter().map(|h| run_one(ctx, session, app, h, phase))).await;
        ran += results.len();
        if let Some(e) = results.into_iter().find_map(Result::err) {
            return Err(e);
        }
    }
    Ok(ran)
}

fn ns<'a>(target: &Target, hook: &'a Hook) -> Option<&'a str> {
    if target.namespaced {
        hook.key.namespace.as_deref()
    } else {
        None
    }
}

async fn run_one(
    ctx: &Ctx<'_>,
    session: &Session,
    app: &AppPlan,
    hook: &Hook,
    phase: Phase,
) -> Result<(), SyncError> {
    let Some(target) = &hook.target else {
        return Err(SyncError::Hook {
            object: hook.key.display_name(),
            origin: hook.origin.clone(),
            source: ObjectError::NotServed,
        });
    };
    let mut key = hook.key.clone();
    let mut body = hook.body.clone();
    if let Some(prefix) = &hook.generate_name {
        key.name = generated_name(ctx, app, prefix, phase);
        if let Some(meta) = body.get_mut("metadata").and_then(Value::as_object_mut) {
            meta.remove("generateName");
            meta.insert("name".into(), Value::String(key.name.clone()));
        }
    }
    let shown = key.display_name();
    let namespace = ns(target, hook);
    let conn = &session.conn;
    let fail = |e: ObjectError| SyncError::Hook {
        object: shown.clone(),
        origin: hook.origin.clone(),
        source: e,
    };
    ctx.events.send(Event::HookStarted {
        app: app.name.clone(),
        phase,
        object: shown.clone(),
    });
    // The previous run's object goes first, so the hook runs again rather than being found
    // complete.
    if hook.delete_policy.before_creation {
        let existing = get(conn, &target.resource, namespace, &key.name)
            .await
            .map_err(|e| fail(e.into()))?;
        if let Some(old) = existing {
            let uid = old.pointer("/metadata/uid").and_then(Value::as_str);
            delete(
                conn,
                &target.resource,
                namespace,
                &key.name,
                uid,
                Propagation::Foreground,
            )
            .await
            .map_err(|e| fail(e.into()))?;
            wait_gone(ctx, session, target, namespace, &key.name)
                .await
                .map_err(fail)?;
        }
    }
    let stored = {
        let _permit = ctx.sem.acquire().await;
        server_side_apply(
            conn,
            &target.resource,
            namespace,
            &body,
            ApplyParams {
                dry_run: false,
                force: ctx.req.force_conflicts,
                validate: true,
            },
        )
        .await
        .map_err(|e| fail(e.into()))?
    };
    let outcome = until_healthy(
        ctx,
        session,
        &app.name,
        vec![Watched {
            key: key.clone(),
            target: target.clone(),
            live: Some(stored),
        }],
        true,
    )
    .await;
    let succeeded = outcome.is_ok();
    ctx.events.send(Event::HookFinished {
        app: app.name.clone(),
        object: shown.clone(),
        succeeded,
    });
    let policy = hook.delete_policy;
    if (succeeded && policy.on_success) || (!succeeded && policy.on_failure) {
        delete(
            conn,
            &target.resource,
            namespace,
            &key.name,
            None,
            Propagation::Background,
        )
        .await
        .map_err(|e| fail(e.into()))?;
    }
    outcome.map_err(|e| fail(e.into()))
}

/// Waits until an object is gone (a deleted hook with finalizers or dependents).
pub(crate) async fn wait_gone(
    ctx: &Ctx<'_>,
    session: &Session,
    target: &Target,
    namespace: Option<&str>,
    name: &str,
) -> Result<(), ObjectError> {
    let started = Instant::now();
    loop {
        let found = get(&session.conn, &target.resource, namespace, name).await?;
        if found.is_none() {
            return Ok(());
        }
        if Instant::now() >= ctx.deadline {
            return Err(ObjectError::StillDeleting {
                seconds: started.elapsed().as_secs(),
            });
        }
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
}
