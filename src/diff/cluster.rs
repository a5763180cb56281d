//! Diffing a resolved tree against the live cluster: what a sync would create, change and prune.
//!
//! Desired state is what a server-side apply dry-run returns (server defaults and admission
//! included); live objects come from one LIST per kind and namespace; both are compared after
//! normalisation and the app's ignoreDifferences.

use std::collections::{HashMap, HashSet};

use futures::{StreamExt, stream};
use kube::core::discovery::ApiResource;
use serde_json::Value;

use super::apply_is_noop;
use super::object::{compare_pair, ignore_rules, object_key, tracked_app};
use super::report::{AppDiff, AppStatus, Change, DiffReport};
use crate::apps::{AppNode, AppTree};
use crate::cluster::{
    ApplyError, Catalog, Connection, FIELD_MANAGER, ListTarget, ObjectKey, list_objects,
    server_side_apply,
};
use crate::render::Object;

/// One desired object and how to reach it in the cluster.
struct Planned<'a> {
    app: usize,
    object: &'a Object,
    key: ObjectKey,
    /// None when the kind is not served yet but a CRD in the tree defines it.
    resource: Option<(ApiResource, bool)>,
}

/// Diffs the selected apps (all when `only` is empty) of `tree` against the cluster.
pub async fn diff_tree(
    conn: &Connection,
    catalog: &Catalog,
    tree: &AppTree,
    only: &[String],
    concurrency: usize,
) -> DiffReport {
    let mut report = DiffReport {
        apps: Vec::new(),
        errors: tree
            .errors
            .iter()
            .filter(|e| !is_app_error(e))
            .map(|e| e.to_string())
            .collect(),
    };
    let apps: Vec<&AppNode> = tree
        .apps
        .iter()
        .filter(|a| only.is_empty() || only.contains(&a.name))
        .collect();
    let tree_crds = crd_kinds(tree);

    // Plan: every desired object with its resource; unknown kinds are errors of their app.
    let mut diffs: Vec<AppDiff> = apps
        .iter()
        .map(|a| AppDiff {
            name: a.name.clone(),
            status: AppStatus::Synced,
            objects: Vec::new(),
            errors: a
                .error
                .iter()
                .map(|e| format!("app {:?}: {e}", a.name))
                .collect(),
        })
        .collect();
    // ignoreDifferences are parsed (jq compiled) once per app; broken rules fail their app.
    let rules: Vec<Result<Vec<_>, String>> = apps.iter().map(|a| ignore_rules(a)).collect();
    for (d, r) in diffs.iter_mut().zip(&rules) {
        if let Err(e) = r {
            d.errors.push(e.clone());
        }
    }
    let mut planned: Vec<Planned> = Vec::new();
    for (i, app) in apps.iter().enumerate() {
        for object in &app.objects {
            let key = object_key(object);
            let resource = catalog
                .resolve(&object.api_version, &object.kind)
                .map(|(r, n)| (r.clone(), n));
            if resource.is_none()
                && !tree_crds.contains(&(object.group().to_string(), object.kind.clone()))
            {
                diffs[i].errors.push(format!(
                    "app {:?}: {} ({}): {} {} is not served by the cluster and no CustomResourceDefinition in the tree defines it",
                    app.name,
                    key.display_name(),
                    object.origin,
                    object.api_version,
                    object.kind
                ));
                continue;
            }
            planned.push(Planned {
                app: i,
                object,
                key,
                resource,
            });
        }
    }

    // Live state: one LIST per resource and namespace that any selected app uses.
    let mut targets: HashMap<(String, Option<String>), ListTarget> = HashMap::new();
    let mut app_scopes: Vec<HashSet<(String, String, Option<String>)>> =
        vec![HashSet::new(); apps.len()];
    for p in &planned {
        let Some((res, namespaced)) = &p.resource else {
            continue;
        };
        let ns = if *namespaced {
            p.key.namespace.clone()
        } else {
            None
        };
        targets
            .entry((format!("{}/{}", res.api_version, res.plural), ns.clone()))
            .or_insert_with(|| ListTarget {
                resource: res.clone(),
                namespace: ns.clone(),
            });
        app_scopes[p.app].insert((res.group.clone(), res.kind.clone(), ns));
    }
    let live = match list_objects(conn, targets.into_values().collect(), concurrency).await {
        Ok(l) => l,
        Err(e) => {
            report.errors.push(e.to_string());
            for d in &mut diffs {
                d.status = AppStatus::Error;
            }
            report.apps = diffs;
            return report;
        }
    };

    // Desired state: a server-side apply dry run per object, bounded in flight, except where
    // the live object shows that the apply would change nothing.
    let live_ref = &live;
    let predicted: Vec<Result<Option<Value>, ApplyError>> = stream::iter(planned.iter())
        .map(|p| async move {
            match &p.resource {
                None => Ok(None),
                Some(_)
                    if live_ref
                        .get(&p.key)
                        .is_some_and(|l| apply_is_noop(&p.object.body, l, FIELD_MANAGER)) =>
                {
                    Ok(live_ref.get(&p.key).cloned())
                }
                Some((res, namespaced)) => {
                    let ns = if *namespaced {
                        p.key.namespace.as_deref()
                    } else {
                        None
                    };
                    match server_side_apply(conn, res, ns, &p.object.body, true, true).await {
                        Ok(v) => Ok(Some(v)),
                        // The namespace comes with the sync (or another app): predict creation.
                        Err(ApplyError::NamespaceMissing(_)) => Ok(None),
                        Err(e) => Err(e),
                    }
                }
            }
        })
        .buffered(concurrency.max(1))
        .collect()
        .await;

    let mut desired_keys: Vec<HashSet<ObjectKey>> = vec![HashSet::new(); apps.len()];
    for (p, result) in planned.iter().zip(predicted) {
        desired_keys[p.app].insert(p.key.clone());
        let desired = match result {
            Ok(Some(v)) => v,
            Ok(None) => p.object.body.clone(),
            Err(e) => {
                diffs[p.app].errors.push(format!(
                    "app {:?}: {} ({}): the server refused it: {e}",
                    apps[p.app].name,
                    p.key.display_name(),
                    p.object.origin
                ));
                continue;
            }
        };
        let Ok(rules) = &rules[p.app] else { continue };
        if let Some(change) = compare_pair(&p.key, Some(&desired), live.get(&p.key), rules) {
            diffs[p.app].objects.push(change);
        }
    }

    // Prune: live objects the app tracks, in the kinds and namespaces it was listed for, that
    // Git no longer has.
    let mut live_keys: Vec<&ObjectKey> = live.keys().collect();
    live_keys.sort();
    for key in live_keys {
        let obj = &live[key];
        for (i, app) in apps.iter().enumerate() {
            let scope = (key.group.clone(), key.kind.clone(), key.namespace.clone());
            if !app_scopes[i].contains(&scope) || desired_keys[i].contains(key) {
                continue;
            }
            if tracked_app(obj, key).as_deref() != Some(app.name.as_str()) {
                continue;
            }
            let Ok(rules) = &rules[i] else { continue };
            if let Some(change) = compare_pair(key, None, Some(obj), rules) {
                diffs[i].objects.push(change);
            }
        }
    }

    for d in &mut diffs {
        d.status = if !d.errors.is_empty() {
            AppStatus::Error
        } else if d.objects.is_empty() {
            AppStatus::Synced
        } else {
            AppStatus::OutOfSync
        };
        // Creations and changes first (in tree order), prunes last, as sync does them.
        d.objects.sort_by_key(|o| o.change == Change::Pruned);
    }
    report.apps = diffs;
    report
}

/// Render errors are reported with their app, not twice.
fn is_app_error(e: &crate::apps::TreeError) -> bool {
    matches!(e, crate::apps::TreeError::Render { .. })
}

/// (group, kind) of every CustomResourceDefinition anywhere in the tree.
fn crd_kinds(tree: &AppTree) -> HashSet<(String, String)> {
    tree.apps
        .iter()
        .flat_map(|a| a.objects.iter())
        .filter(|o| o.kind == "CustomResourceDefinition" && o.group() == "apiextensions.k8s.io")
        .filter_map(|o| {
            let spec = &o.body["spec"];
            Some((
                spec["group"].as_str()?.to_string(),
                spec["names"]["kind"].as_str()?.to_string(),
            ))
        })
        .collect()
}
