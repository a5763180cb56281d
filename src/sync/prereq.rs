//! What must exist before an object can be applied, wherever it is in the tree: the CRD of its
//! kind (applied and Established) and its Namespace. Argo CD orders these inside one app only
//! (gitops-engine moves a Namespace or CRD task before the first task that needs it); here they
//! are pulled forward across apps and waves, so the Gateway API CRDs of one app are in place
//! before another app's HTTPRoutes, with no sync-wave written for it.

use std::collections::HashMap;
use std::sync::{Arc, Mutex, PoisonError};
use std::time::{Duration, Instant};

use serde_json::Value;
use tokio::sync::OnceCell;

use super::Ctx;
use super::error::SyncError;
use super::events::Event;
use crate::plan::{Action, Plan, Session, Step};

#[derive(Clone)]
struct Owned {
    app: String,
    step: Step,
}

/// Each prerequisite's outcome, shared by every object that needs it: an error is handed to
/// each of them, so it is shared too (`ApplyError` is not `Clone`).
type Cell = Arc<OnceCell<Result<(), Arc<SyncError>>>>;

/// The CRDs and Namespaces a sync creates, by cluster, each applied at most once ahead of time.
#[derive(Default)]
pub(crate) struct Prereqs {
    crds: HashMap<(String, String, String), Owned>,
    namespaces: HashMap<(String, String), Owned>,
    cells: Mutex<HashMap<String, Cell>>,
}

impl Prereqs {
    /// Collects the CRDs and new Namespaces of every app of the plan.
    pub fn of(plan: &Plan) -> Prereqs {
        let mut p = Prereqs::default();
        for app in &plan.apps {
            let Some(ctx) = &app.context else { continue };
            if !app.errors.is_empty() {
                continue;
            }
            for step in &app.steps {
                let owned = || Owned {
                    app: app.name.clone(),
                    step: step.clone(),
                };
                if step.key.kind == "CustomResourceDefinition"
                    && step.key.group == "apiextensions.k8s.io"
                    && step.action != Action::Unchanged
                {
                    let spec = &step.body["spec"];
                    if let (Some(g), Some(k)) =
                        (spec["group"].as_str(), spec["names"]["kind"].as_str())
                    {
                        p.crds
                            .insert((ctx.clone(), g.to_string(), k.to_string()), owned());
                    }
                }
                if step.key.kind == "Namespace"
                    && step.key.group.is_empty()
                    && step.action == Action::Create
                {
                    p.namespaces
                        .insert((ctx.clone(), step.key.name.clone()), owned());
                }
            }
        }
        p
    }

    fn cell(&self, key: String) -> Cell {
        Arc::clone(
            self.cells
                .lock()
                .unwrap_or_else(PoisonError::into_inner)
                .entry(key)
                .or_default(),
        )
    }

    /// Notes that a step was applied in its own turn: a Namespace need not be applied again
    /// ahead of the objects in it.
    pub fn applied(&self, context: &str, step: &Step) {
        if step.key.kind == "Namespace"
            && step.key.group.is_empty()
            && self
                .namespaces
                .contains_key(&(context.to_string(), step.key.name.clone()))
        {
            let _ = self
                .cell(format!("ns/{context}/{}", step.key.name))
                .set(Ok(()));
        }
    }

    /// Makes sure what `step` of `app` needs exists in its cluster.
    pub async fn ensure(
        &self,
        ctx: &Ctx<'_>,
        session: &Session,
        app: &str,
        step: &Step,
    ) -> Result<(), SyncError> {
        if let Some(ns) = step.key.namespace.as_deref()
            && step.target.as_ref().is_none_or(|t| t.namespaced)
            && let Some(owner) = self
                .namespaces
                .get(&(session.context.clone(), ns.to_string()))
            && !(owner.app == app && owner.step.key == step.key)
        {
            let cell = self.cell(format!("ns/{}/{ns}", session.context));
            cell.get_or_init(|| async {
                ctx.events.send(Event::Prerequisite {
                    app: owner.app.clone(),
                    object: owner.step.key.display_name(),
                    reason: format!("namespace of {}", step.key.display_name()),
                });
                apply_body(ctx, session, &owner.step)
                    .await
                    .map(|_| ())
                    .map_err(Arc::new)
            })
            .await
            .clone()
            .map_err(SyncError::Shared)?;
        }
        if step.target.as_ref().is_some_and(|t| t.needs_crd)
            && let Some(owner) = self.crds.get(&(
                session.context.clone(),
                step.key.group.clone(),
                step.key.kind.clone(),
            ))
        {
            let cell = self.cell(format!(
                "crd/{}/{}/{}",
                session.context, step.key.group, step.key.kind
            ));
            cell.get_or_init(|| async {
                if owner.app != app {
                    ctx.events.send(Event::Prerequisite {
                        app: owner.app.clone(),
                        object: owner.step.key.display_name(),
                        reason: format!("CRD of {}", step.key.kind),
                    });
                }
                apply_body(ctx, session, &owner.step)
                    .await
                    .map_err(Arc::new)?;
                established(ctx, session, &owner.step.key.name)
                    .await
                    .map_err(Arc::new)
            })
            .await
            .clone()
            .map_err(SyncError::Shared)?;
        }
        Ok(())
    }
}

/// Server-side applies a step's body as its app would.
pub(crate) async fn apply_body(
    ctx: &Ctx<'_>,
    session: &Session,
    step: &Step,
) -> Result<Value, SyncError> {
    let Some(target) = &step.target else {
        return Err(SyncError::PrerequisiteNotServed {
            object: step.key.display_name(),
        });
    };
    let ns = if target.namespaced {
        step.key.namespace.as_deref()
    } else {
        None
    };
    super::apply::ssa(ctx, session, target, ns, step)
        .await
        .map_err(|e| SyncError::apply(step, e))
}

/// Waits until the CRD `name` is Established, so its kind is served.
pub(crate) async fn established(
    ctx: &Ctx<'_>,
    session: &Session,
    name: &str,
) -> Result<(), SyncError> {
    let resource = kube::core::discovery::ApiResource {
        group: "apiextensions.k8s.io".into(),
        version: "v1".into(),
        api_version: "apiextensions.k8s.io/v1".into(),
        kind: "CustomResourceDefinition".into(),
        plural: "customresourcedefinitions".into(),
    };
    let started = Instant::now();
    loop {
        let crd = crate::cluster::get(&session.conn, &resource, None, name)
            .await
            .map_err(|source| SyncError::ReadCrd {
                name: name.to_string(),
                source,
            })?;
        let ok = crd
            .as_ref()
            .and_then(|c| c.pointer("/status/conditions"))
            .and_then(Value::as_array)
            .is_some_and(|conds| {
                conds.iter().any(|c| {
                    c["type"].as_str() == Some("Established")
                        && c["status"].as_str() == Some("True")
                })
            });
        if ok {
            return Ok(());
        }
        if Instant::now() >= ctx.deadline {
            return Err(SyncError::NotEstablished {
                name: name.to_string(),
                seconds: started.elapsed().as_secs(),
            });
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
}
