//! Applying one object of an app: server-side apply with field manager `kubectl-gitops` (or a
//! replace for `Replace=true`), after its prerequisites.

use std::time::Duration;

use serde_json::Value;

use super::Ctx;
use super::error::SyncError;
use super::events::Event;
use super::prereq::apply_body;
use crate::cluster::{ApplyError, ApplyParams, server_side_apply};
use crate::plan::{Action, Session, Step, Target};

/// Applies `step` of `app`; returns what the server stored.
pub(crate) async fn apply_step(
    ctx: &Ctx<'_>,
    session: &Session,
    app: &str,
    step: &Step,
) -> Result<Value, SyncError> {
    ctx.prereqs.ensure(ctx, session, app, step).await?;
    let found;
    let target = match &step.target {
        Some(t) => t,
        None => {
            // Only `SkipDryRunOnMissingResource` plans an object whose kind was not served;
            // as in Argo CD, it is applied if the kind is served by now.
            let api_version = step.body["apiVersion"].as_str().unwrap_or_default();
            let now = crate::cluster::find_now(&session.conn, api_version, &step.key.kind);
            let Some((resource, namespaced)) = now.await else {
                return Err(SyncError::NotServed {
                    object: step.key.display_name(),
                    origin: step.origin.clone(),
                    kind: step.key.kind.clone(),
                });
            };
            found = Target {
                resource,
                namespaced,
                needs_crd: false,
            };
            &found
        }
    };
    let ns = if target.namespaced {
        step.key.namespace.as_deref()
    } else {
        None
    };
    let failed = |e| SyncError::apply(step, e);
    if step.options.replace {
        // A replace names the resourceVersion it read; when someone wrote in between (409),
        // read again and retry, a few times.
        let mut live = step.live.clone();
        let mut attempts = 4;
        loop {
            let result = {
                let _permit = ctx.sem.acquire().await;
                match &live {
                    Some(l) => {
                        let mut body = step.body.clone();
                        body["metadata"]["resourceVersion"] =
                            l["metadata"]["resourceVersion"].clone();
                        crate::cluster::replace(&session.conn, &target.resource, ns, &body).await
                    }
                    None => {
                        crate::cluster::create(&session.conn, &target.resource, ns, &step.body)
                            .await
                    }
                }
            };
            match result {
                Ok(stored) => {
                    ctx.events.send(Event::Applied {
                        app: app.to_string(),
                        object: step.key.display_name(),
                        how: "replaced",
                    });
                    return Ok(stored);
                }
                Err(ApplyError::Refused { code: 409, .. }) if attempts > 1 => {
                    attempts -= 1;
                    live = crate::cluster::get(&session.conn, &target.resource, ns, &step.key.name)
                        .await
                        .map_err(failed)?;
                }
                Err(e) => return Err(failed(e)),
            }
        }
    }
    // A kind this sync just made Established may take a moment to be served.
    let mut attempts = if target.needs_crd { 20 } else { 1 };
    loop {
        match ssa(ctx, session, target, ns, step).await {
            Ok(stored) => {
                ctx.prereqs.applied(&session.context, step);
                ctx.events.send(Event::Applied {
                    app: app.to_string(),
                    object: step.key.display_name(),
                    how: if step.action == Action::Create {
                        "created"
                    } else {
                        "configured"
                    },
                });
                return Ok(stored);
            }
            Err(ApplyError::Refused { code: 404, .. }) if attempts > 1 => {
                attempts -= 1;
                tokio::time::sleep(Duration::from_millis(250)).await;
            }
            Err(ApplyError::Refused { message, .. })
                if step.options.no_validate && crate::plan::unknown_field(&message) =>
            {
                // Validate=false with fields the schema does not know: written the classic
                // way (create or update), which drops them with a warning, as kubectl apply
                // --validate=false would.
                let mut classic = step.clone();
                classic.options.replace = true;
                return Box::pin(apply_step(ctx, session, app, &classic)).await;
            }
            Err(source @ ApplyError::NamespaceMissing(_)) => {
                return Err(SyncError::NamespaceMissing {
                    object: step.key.display_name(),
                    origin: step.origin.clone(),
                    source,
                });
            }
            Err(source @ ApplyError::Conflict { .. }) => {
                return Err(SyncError::Conflict {
                    object: step.key.display_name(),
                    origin: step.origin.clone(),
                    source,
                });
            }
            Err(e) => return Err(failed(e)),
        }
    }
}

/// One server-side apply of a step's body with the sync's options, within the request budget.
pub(super) async fn ssa(
    ctx: &Ctx<'_>,
    session: &Session,
    target: &Target,
    ns: Option<&str>,
    step: &Step,
) -> Result<Value, ApplyError> {
    let _permit = ctx.sem.acquire().await;
    server_side_apply(
        &session.conn,
        &target.resource,
        ns,
        &step.body,
        ApplyParams {
            dry_run: false,
            force: ctx.req.force_conflicts || step.force,
            validate: !step.options.no_validate,
        },
    )
    .await
}

/// Applies the Namespace `CreateNamespace=true` asks for (never tracked, never pruned, as in
/// Argo CD).
pub(crate) async fn create_namespace(
    ctx: &Ctx<'_>,
    session: &Session,
    body: &Value,
) -> Result<(), SyncError> {
    let step = Step {
        key: crate::cluster::ObjectKey {
            group: String::new(),
            kind: "Namespace".into(),
            namespace: None,
            name: body["metadata"]["name"]
                .as_str()
                .unwrap_or_default()
                .to_string(),
        },
        origin: crate::render::Origin {
            file: "CreateNamespace=true".into(),
            doc: 1,
        },
        body: body.clone(),
        target: Some(crate::plan::Target {
            resource: kube::core::discovery::ApiResource {
                group: String::new(),
                version: "v1".into(),
                api_version: "v1".into(),
                kind: "Namespace".into(),
                plural: "namespaces".into(),
            },
            namespaced: false,
            needs_crd: false,
        }),
        wave: 0,
        kind_rank: 0,
        options: Default::default(),
        live: None,
        action: Action::Create,
        force: false,
        change: None,
    };
    apply_body(ctx, session, &step).await.map(|_| ())
}
