//! Building a plan: classify each app's objects (resources, hooks), resolve them against their
//! cluster, read the live state (one LIST per kind and namespace, the app's recorded inventory
//! included), predict each apply with a server-side dry run unless the live object proves it a
//! no-op, compare, and find what left Git.

use std::collections::{BTreeSet, HashMap, HashSet};
use std::sync::Arc;

use futures::{StreamExt, stream};
use kube::core::discovery::ApiResource;
use serde_json::Value;

use super::clusters::{Clusters, Session};
use super::hooks::{self, HookRole};
use super::options::{AppOptions, Automation, ResourceOptions, effective};
use super::order::kind_rank;
use super::tracking::{TrackingMethod, labelled_app};
use super::{Action, AppPlan, Hook, Plan, Prune, RemovedApp, Step, Target};
use crate::apps::{AppNode, AppTree};
use crate::cluster::{
    ApplyError, ApplyParams, ClusterError, FIELD_MANAGER, ListTarget, ObjectKey, key_of, list_each,
    server_side_apply,
};
use crate::diff::{IgnoreNotes, apply_is_noop, compare_pair, ignore_rules, keep_live_values};
use crate::history::record::{self, AppRecord, InventoryEntry};
use crate::render::Object;

/// Argo CD's finalizer that makes deleting an Application delete its resources.
pub const RESOURCES_FINALIZER: &str = "resources-finalizer.argocd.argoproj.io";

/// What to plan.
pub struct PlanRequest<'a> {
    /// The resolved tree.
    pub tree: &'a AppTree,
    /// Apps to plan, each with its descendants; empty means every app.
    pub select: &'a [String],
    /// The identity of the tree (repository and root), to tell its records from others'.
    pub tree_id: &'a str,
    /// Where app records live.
    pub records_namespace: &'a str,
    /// Dry runs take ownership of conflicting fields, as the sync would with
    /// `--force-conflicts`; without it a conflict is an error of its app now.
    pub force_conflicts: bool,
    /// Requests in flight per cluster.
    pub concurrency: usize,
    /// App records this run has already read, per context: not read again (a no-op sync
    /// reads them to decide whether to plan unlocked).
    pub known_records: Option<&'a HashMap<String, Vec<AppRecord>>>,
}

/// The apps a run covers: the selected ones and their descendants, in tree order (all when
/// nothing is selected).
pub fn selected<'t>(tree: &'t AppTree, select: &[String]) -> Vec<&'t AppNode> {
    if select.is_empty() {
        return tree.apps.iter().collect();
    }
    let mut wanted: HashSet<&str> = select.iter().map(String::as_str).collect();
    // Parents come before children in tree order, so one pass collects every descendant.
    for app in &tree.apps {
        if app.parent.as_deref().is_some_and(|p| wanted.contains(p)) {
            wanted.insert(app.name.as_str());
        }
    }
    tree.apps
        .iter()
        .filter(|a| wanted.contains(a.name.as_str()))
        .collect()
}

/// A CRD of the tree: what it defines, so its custom resources can be planned before it is
/// served.
#[derive(Clone)]
struct TreeCrd {
    resource: ApiResource,
    namespaced: bool,
}

fn tree_crds(apps: &[&AppNode]) -> HashMap<(String, String), Vec<TreeCrd>> {
    let mut out: HashMap<(String, String), Vec<TreeCrd>> = HashMap::new();
    for o in apps.iter().flat_map(|a| a.objects.iter()) {
        if o.kind != "CustomResourceDefinition" || o.group() != "apiextensions.k8s.io" {
            continue;
        }
        let spec = &o.body["spec"];
        let (Some(group), Some(kind), Some(plural)) = (
            spec["group"].as_str(),
            spec["names"]["kind"].as_str(),
            spec["names"]["plural"].as_str(),
        ) else {
            continue;
        };
        let namespaced = spec["scope"].as_str() != Some("Cluster");
        for v in spec["versions"].as_array().into_iter().flatten() {
            let Some(version) = v["name"].as_str() else {
                continue;
            };
            let resource = ApiResource {
                group: group.to_string(),
                version: version.to_string(),
                api_version: format!("{group}/{version}"),
                kind: kind.to_string(),
                plural: plural.to_string(),
            };
            out.entry((group.to_string(), kind.to_string()))
                .or_default()
                .push(TreeCrd {
                    resource,
                    namespaced,
                });
        }
    }
    out
}

/// Resolves an object's REST resource: served by the cluster, or defined by a CRD of the tree.
fn target_of(
    session: &Session,
    crds: &HashMap<(String, String), Vec<TreeCrd>>,
    o: &Object,
) -> Option<Target> {
    if let Some((r, namespaced)) = session.catalog.resolve(&o.api_version, &o.kind) {
        return Some(Target {
            resource: r.clone(),
            namespaced,
            needs_crd: false,
        });
    }
    let version = o.api_version.rsplit_once('/').map_or("", |(_, v)| v);
    crds.get(&(o.group().to_string(), o.kind.clone()))?
        .iter()
        .find(|c| c.resource.version == version)
        .map(|c| Target {
            resource: c.resource.clone(),
            namespaced: c.namespaced,
            needs_crd: true,
        })
}

/// The app's objects sorted into steps and hooks; problems become errors and warnings.
fn classify(
    app: &AppNode,
    plan: &mut AppPlan,
    session: Option<&Session>,
    crds: &HashMap<(String, String), Vec<TreeCrd>>,
    tracking: TrackingMethod,
) {
    let dest_ns = plan.destination_namespace.clone();
    for o in &app.objects {
        let role = hooks::role(o);
        match &role {
            HookRole::Skip | HookRole::Ignored(_) => continue,
            HookRole::Resource if o.generate_name.is_some() => {
                plan.errors.push(format!(
                    "{} ({}): metadata.name is required; metadata.generateName is only for hooks",
                    o.display_name(),
                    o.origin
                ));
                continue;
            }
            _ => {}
        }
        let Some(session) = session else { continue };
        let target = target_of(session, crds, o);
        let namespaced = target.as_ref().is_none_or(|t| t.namespaced);
        // Argo CD refuses a namespaced object with no namespace from the manifest or the app.
        if namespaced && (o.namespace.is_none() || o.fallback_namespace) {
            plan.errors.push(format!(
                "{} ({}): the namespace for {} {} is missing: set metadata.namespace or the app's spec.destination.namespace",
                o.display_name(),
                o.origin,
                o.kind,
                o.generate_name.as_deref().unwrap_or(&o.name)
            ));
            continue;
        }
        let (res_options, unknown) = ResourceOptions::parse(o);
        for u in unknown {
            plan.warnings.push(format!(
                "{} ({}): sync option {:?} is not known and was ignored",
                o.display_name(),
                o.origin,
                u.0
            ));
        }
        let options = effective(&plan.options, &res_options);
        if target.is_none() && !options.skip_dry_run_on_missing {
            plan.errors.push(format!(
                "{} ({}): {} {} is not served by the cluster of context {:?} and no CustomResourceDefinition in the tree defines it",
                o.display_name(),
                o.origin,
                o.api_version,
                o.kind,
                session.context
            ));
            continue;
        }
        let key = ObjectKey::from(o);
        let mut body = o.body.clone();
        tracking.stamp(&mut body, &plan.name, &key, dest_ns.as_deref());
        match role {
            HookRole::Hook(phases) => plan.hooks.push(Hook {
                key,
                origin: o.origin.clone(),
                body,
                generate_name: o.generate_name.clone(),
                target,
                phases,
                wave: hooks::wave(o),
                kind_rank: kind_rank(&o.kind),
                delete_policy: hooks::delete_policy(o),
            }),
            _ => plan.steps.push(Step {
                key,
                origin: o.origin.clone(),
                body,
                target,
                wave: hooks::wave(o),
                kind_rank: kind_rank(&o.kind),
                options,
                live: None,
                action: Action::Create,
                force: false,
                change: None,
            }),
        }
    }
    plan.steps.sort_by(|a, b| {
        (a.wave, a.kind_rank, &a.key.name).cmp(&(b.wave, b.kind_rank, &b.key.name))
    });
    plan.hooks.sort_by(|a, b| {
        (a.wave, a.kind_rank, &a.key.name).cmp(&(b.wave, b.kind_rank, &b.key.name))
    });
}

/// The Namespace that `CreateNamespace=true` creates, with `managedNamespaceMetadata`.
fn namespace_to_create(app: &AppNode, plan: &AppPlan) -> Option<Value> {
    if !plan.options.create_namespace {
        return None;
    }
    let ns = plan.destination_namespace.clone()?;
    let in_source = plan
        .steps
        .iter()
        .any(|s| s.key.group.is_empty() && s.key.kind == "Namespace" && s.key.name == ns);
    if in_source {
        return None;
    }
    let meta = app
        .app
        .spec
        .sync_policy
        .as_ref()
        .and_then(|p| p.get("managedNamespaceMetadata"));
    let mut body =
        serde_json::json!({"apiVersion": "v1", "kind": "Namespace", "metadata": {"name": ns}});
    for field in ["labels", "annotations"] {
        if let Some(m) = meta.and_then(|m| m.get(field)).filter(|m| m.is_object()) {
            body["metadata"][field] = m.clone();
        }
    }
    Some(body)
}

fn skeleton(app: &AppNode) -> AppPlan {
    let policy = app.app.spec.sync_policy.as_ref();
    let (options, unknown) = AppOptions::parse(policy);
    let destination_namespace = app
        .app
        .spec
        .destination
        .namespace
        .clone()
        .filter(|n| !n.is_empty());
    let mut plan = AppPlan {
        name: app.name.clone(),
        parent: app.parent.clone(),
        children: app.children.clone(),
        wave: app.wave,
        context: None,
        destination_namespace,
        options,
        automation: Automation::parse(policy),
        cascade: app
            .app
            .metadata
            .finalizers
            .iter()
            .any(|f| f.starts_with(RESOURCES_FINALIZER)),
        revisions: revisions_of(app),
        steps: Vec::new(),
        hooks: Vec::new(),
        prunes: Vec::new(),
        create_namespace: None,
        errors: Vec::new(),
        warnings: Vec::new(),
        render_failed: app.error.is_some(),
        record: None,
        unfinished: false,
    };
    for u in unknown {
        plan.warnings.push(format!(
            "spec.syncPolicy.syncOptions: {:?} is not known and was ignored",
            u.0
        ));
    }
    if let Some(e) = &app.error {
        plan.errors.push(e.clone());
    }
    plan
}

/// (resource, namespace) LISTs of one cluster, and which apps depend on each.
#[derive(Default)]
struct Lists {
    targets: Vec<ListTarget>,
    index: HashMap<(String, Option<String>), usize>,
}

impl Lists {
    fn add(&mut self, resource: &ApiResource, namespace: Option<String>) -> usize {
        let key = (
            format!("{}/{}", resource.api_version, resource.plural),
            namespace.clone(),
        );
        if let Some(&i) = self.index.get(&key) {
            return i;
        }
        self.targets.push(ListTarget {
            resource: resource.clone(),
            namespace,
        });
        self.index.insert(key, self.targets.len() - 1);
        self.targets.len() - 1
    }
}

impl Lists {
    /// The LIST a desired object is found in, if its kind is served.
    fn of_step(&self, step: &Step) -> Option<usize> {
        let t = step.target.as_ref().filter(|t| !t.needs_crd)?;
        let ns = if t.namespaced {
            step.key.namespace.clone()
        } else {
            None
        };
        let key = (
            format!("{}/{}", t.resource.api_version, t.resource.plural),
            ns,
        );
        self.index.get(&key).copied()
    }
}

/// An app's scopes: the LISTs its objects (desired and recorded) are found in.
fn scope_lists(plan: &AppPlan, session: &Session, lists: &mut Lists) -> BTreeSet<usize> {
    let mut used = BTreeSet::new();
    for s in &plan.steps {
        if let Some(t) = s.target.as_ref().filter(|t| !t.needs_crd) {
            let ns = if t.namespaced {
                s.key.namespace.clone()
            } else {
                None
            };
            used.insert(lists.add(&t.resource, ns));
        }
    }
    if let Some(rec) = &plan.record {
        used.extend(inventory_scopes(rec, session, lists));
    }
    used
}

fn inventory_scopes(record: &AppRecord, session: &Session, lists: &mut Lists) -> BTreeSet<usize> {
    let mut used = BTreeSet::new();
    for e in &record.inventory {
        if let Some((r, namespaced)) = session.catalog.resolve_group_kind(&e.group, &e.kind) {
            let ns = if namespaced {
                e.namespace.clone()
            } else {
                None
            };
            if namespaced && ns.is_none() {
                continue;
            }
            used.insert(lists.add(r, ns));
        }
    }
    used
}

/// The live objects in the LISTs `used` that Argo CD's tracking gives to `app` (hooks left
/// out: they are not resources of the app), with their keys and the LIST they came from.
fn tracked_live<'a>(
    app: &'a str,
    tracking: TrackingMethod,
    used: &'a BTreeSet<usize>,
    results: &'a [Result<Vec<Value>, ClusterError>],
    lists: &'a Lists,
) -> impl Iterator<Item = (&'a Value, ObjectKey, &'a ListTarget)> + 'a {
    used.iter()
        .filter_map(move |&i| match (results.get(i), lists.targets.get(i)) {
            (Some(Ok(objs)), Some(t)) => Some(objs.iter().map(move |o| (o, t))),
            _ => None,
        })
        .flatten()
        .filter_map(move |(obj, t)| {
            let key = key_of(obj);
            let ours = !hooks::is_live_hook(obj)
                && tracking.tracked_app(obj, &key).as_deref() == Some(app);
            ours.then_some((obj, key, t))
        })
}

/// How a listed object is reached, to delete it.
fn prune_target(t: &ListTarget) -> Target {
    Target {
        resource: t.resource.clone(),
        namespaced: t.namespace.is_some(),
        needs_crd: false,
    }
}

/// Marks the apps from `from` on as not compared, because the run stopped: see
/// [`Plan::incomplete`].
fn stop(plan: &mut Plan, apps: &mut [AppPlan], from: usize, why: String) {
    for p in &mut apps[from..] {
        p.unfinished = true;
    }
    plan.incomplete.get_or_insert(why);
}

/// The first lost connection among the sessions, if any.
fn lost(sessions: &HashMap<String, Arc<Session>>) -> Option<String> {
    sessions.values().find_map(|s| s.conn.lost())
}

/// Whether the live object shows the apply is a no-op and already ours: same values, our
/// manager applied it before and the tracking annotation is right, so nothing at all (not even
/// ownership) would change. Anything else gets a dry run.
fn provably_unchanged(step: &Step, live: &Value) -> bool {
    let ours = live
        .pointer("/metadata/managedFields")
        .and_then(Value::as_array)
        .is_some_and(|m| {
            m.iter().any(|e| {
                e.get("manager").and_then(Value::as_str) == Some(FIELD_MANAGER)
                    && e.get("operation").and_then(Value::as_str) == Some("Apply")
            })
        });
    ours && apply_is_noop(&step.body, live, FIELD_MANAGER)
}

/// Whether the server refused an apply for a field its schema does not know.
pub(crate) fn unknown_field(message: &str) -> bool {
    message.contains("field not declared in schema")
}

/// Whether every one of `managers` wrote to the live object only with `Update` operations
/// (`kubectl edit/patch/scale/set`, controllers): their fields are drift, not a rival source of
/// truth. A manager that uses `Apply` declares the fields its own.
fn only_hand_edits(live: &Value, managers: &[String]) -> bool {
    let entries = live
        .pointer("/metadata/managedFields")
        .and_then(Value::as_array)
        .map(Vec::as_slice)
        .unwrap_or_default();
    !managers.is_empty()
        && managers.iter().all(|m| {
            let ops: Vec<&str> = entries
                .iter()
                .filter(|e| e.get("manager").and_then(Value::as_str) == Some(m.as_str()))
                .filter_map(|e| e.get("operation").and_then(Value::as_str))
                .collect();
            !ops.is_empty() && ops.iter().all(|op| *op == "Update")
        })
}

/// Everything but what every write changes (resourceVersion, timestamps of managedFields).
fn same_for_apply(predicted: &Value, live: &Value) -> bool {
    fn strip(v: &Value) -> Value {
        let mut v = v.clone();
        if let Some(meta) = v.get_mut("metadata").and_then(Value::as_object_mut) {
            meta.remove("resourceVersion");
            meta.remove("generation");
            if let Some(Value::Array(mf)) = meta.get_mut("managedFields") {
                for e in mf.iter_mut() {
                    if let Some(e) = e.as_object_mut() {
                        e.remove("time");
                    }
                }
            }
        }
        v
    }
    strip(predicted) == strip(live)
}

/// Builds the plan of the selected apps against their clusters. A plan starts over: a server
/// lost before it (in an earlier round of a watch) is tried again.
/// What an app's comparison needs, worked out before the dry runs.
struct Prep {
    session: Arc<Session>,
    rules: Vec<crate::diff::IgnoreRule>,
    notes: IgnoreNotes,
    /// Per step: whether its live state is known (its LIST was not refused).
    compared: Vec<bool>,
}

/// What a dry run predicts the server would store (None: created with the sync, or not
/// predictable), and whether hand edits had to be taken over to get it.
type Prediction = (Result<Option<Value>, ApplyError>, bool);

/// The dry run of one step, unless the live object proves it a no-op.
async fn predict(
    conn: &crate::cluster::Connection,
    step: &Step,
    live: Option<&Value>,
    force: bool,
) -> Prediction {
    let Some(target) = step.target.as_ref().filter(|t| !t.needs_crd) else {
        return (Ok(None), false);
    };
    // A server already gone: nothing to ask.
    if conn.lost().is_some() {
        return (Ok(None), false);
    }
    if let Some(l) = live
        && provably_unchanged(step, l)
    {
        return (Ok(Some(l.clone())), false);
    }
    let ns = if target.namespaced {
        step.key.namespace.as_deref()
    } else {
        None
    };
    let mut how = ApplyParams {
        dry_run: true,
        force,
        validate: !step.options.no_validate,
    };
    let mut forced = false;
    loop {
        match server_side_apply(conn, &target.resource, ns, &step.body, how).await {
            Ok(v) => return (Ok(Some(v)), forced),
            // The namespace comes with the sync (or another app): predict creation.
            Err(ApplyError::NamespaceMissing(_)) => return (Ok(None), forced),
            // Server-side apply refuses unknown fields of built-in kinds whatever the
            // validation; with Validate=false sync writes the object the classic way instead,
            // which drops them.
            Err(ApplyError::Refused { message, .. })
                if !how.validate && unknown_field(&message) =>
            {
                return (Ok(None), forced);
            }
            // Fields taken by hand edits are drift: Git takes them back. Fields another manager
            // *applies* are a real conflict.
            Err(ApplyError::Conflict { managers, .. })
                if !how.force && live.is_some_and(|l| only_hand_edits(l, &managers)) =>
            {
                how.force = true;
                forced = true;
            }
            Err(e) => return (Err(e), forced),
        }
    }
}

pub async fn build(clusters: &mut Clusters, req: PlanRequest<'_>) -> Plan {
    for s in clusters.sessions() {
        s.conn.forget_loss();
    }
    let mut plan = Plan {
        errors: req
            .tree
            .errors
            .iter()
            .filter(|e| !matches!(e, crate::apps::TreeError::Render { .. }))
            .map(ToString::to_string)
            .collect(),
        warnings: req.tree.warnings.clone(),
        ..Default::default()
    };
    let nodes = selected(req.tree, req.select);
    let tracking = req.tree.tracking;
    // CRDs of the whole tree count: the Gateway API CRDs may live in another app.
    let all: Vec<&AppNode> = req.tree.apps.iter().collect();
    let crds = tree_crds(&all);

    // Destinations, and one session per cluster used.
    let mut apps: Vec<AppPlan> = Vec::with_capacity(nodes.len());
    let mut sessions: HashMap<String, Arc<Session>> = HashMap::new();
    for node in &nodes {
        let mut p = skeleton(node);
        match clusters.context_for(&node.app.spec.destination) {
            Some(ctx) => {
                if !sessions.contains_key(&ctx) {
                    match clusters.session(&ctx).await {
                        Ok(s) => {
                            sessions.insert(ctx.clone(), s);
                        }
                        Err(e) => {
                            p.errors.push(format!("destination context {ctx:?}: {e}"));
                        }
                    }
                }
                p.context = Some(ctx);
            }
            None => p.warnings.push(format!(
                "destination {} matches no kubeconfig context; the app is skipped",
                node.app.spec.destination.display()
            )),
        }
        apps.push(p);
    }

    // Records: each cluster's app records, for inventories and apps that left the tree.
    let mut records: HashMap<String, Vec<AppRecord>> = HashMap::new();
    for (ctx, s) in &sessions {
        if let Some(known) = req.known_records.and_then(|k| k.get(ctx)) {
            records.insert(ctx.clone(), known.clone());
            continue;
        }
        match record::load_all(&s.conn, req.records_namespace).await {
            Ok(r) => {
                records.insert(ctx.clone(), r);
            }
            Err(e) if e.is_transport() => {
                stop(
                    &mut plan,
                    &mut apps,
                    0,
                    s.conn.lost().unwrap_or(e.to_string()),
                );
                plan.apps = apps;
                return plan;
            }
            Err(mut e) => {
                if matches!(e, ClusterError::Forbidden { .. }) {
                    e.set_user(&s.conn.whoami().await);
                }
                plan.warnings.push(format!(
                    "{e}; objects that left Git are looked for only where the apps still have objects"
                ));
            }
        }
    }

    for (p, node) in apps.iter_mut().zip(&nodes) {
        let session = p.context.as_ref().and_then(|c| sessions.get(c)).cloned();
        if let Some(ctx) = &p.context {
            p.record = records
                .get(ctx)
                .and_then(|rs| rs.iter().find(|r| r.app == p.name))
                .cloned();
            if let Some(r) = &p.record
                && r.tree != req.tree_id
            {
                p.warnings.push(format!(
                    "the cluster's record of app {:?} was written by another tree ({}); its inventory is not used",
                    p.name, r.tree
                ));
                p.record = None;
            }
        }
        if !p.render_failed {
            classify(node, p, session.as_deref(), &crds, tracking);
            p.create_namespace = namespace_to_create(node, p);
        }
    }

    // Apps the records know and the tree does not, when the whole tree is planned.
    let mut removed_records: Vec<(String, AppRecord)> = Vec::new();
    if req.select.is_empty() {
        let names: HashSet<&str> = req.tree.apps.iter().map(|a| a.name.as_str()).collect();
        for (ctx, rs) in &records {
            for r in rs {
                if r.tree == req.tree_id && !names.contains(r.app.as_str()) {
                    removed_records.push((ctx.clone(), r.clone()));
                }
            }
        }
        removed_records.sort_by(|a, b| a.1.app.cmp(&b.1.app));
    }

    // Live state: one LIST per resource and namespace, per cluster.
    let mut lists: HashMap<String, Lists> = HashMap::new();
    let mut app_lists: Vec<BTreeSet<usize>> = Vec::with_capacity(apps.len());
    for p in &apps {
        let used = match p.context.as_ref().and_then(|c| sessions.get(c)) {
            Some(s) => scope_lists(p, s, lists.entry(s.context.clone()).or_default()),
            None => BTreeSet::new(),
        };
        app_lists.push(used);
    }
    let mut removed_lists: Vec<BTreeSet<usize>> = Vec::new();
    for (ctx, r) in &removed_records {
        let used = match sessions.get(ctx) {
            Some(s) => inventory_scopes(r, s, lists.entry(ctx.clone()).or_default()),
            None => BTreeSet::new(),
        };
        removed_lists.push(used);
    }
    let mut listed: HashMap<String, Vec<Result<Vec<Value>, ClusterError>>> = HashMap::new();
    for (ctx, l) in &lists {
        let Some(s) = sessions.get(ctx) else { continue };
        let mut results = list_each(&s.conn, l.targets.clone(), req.concurrency).await;
        if let Some(why) = s.conn.lost() {
            stop(&mut plan, &mut apps, 0, why);
            plan.apps = apps;
            return plan;
        }
        // A refused LIST names who was refused, as the server knows us: asked once.
        if results
            .iter()
            .any(|r| matches!(r, Err(ClusterError::Forbidden { .. })))
        {
            let user = s.conn.whoami().await;
            for e in results.iter_mut().filter_map(|r| r.as_mut().err()) {
                e.set_user(&user);
            }
        }
        listed.insert(ctx.clone(), results);
    }
    let mut live: HashMap<String, HashMap<ObjectKey, Value>> = HashMap::new();
    for (ctx, results) in &listed {
        let map = live.entry(ctx.clone()).or_default();
        for objs in results.iter().flatten() {
            for o in objs {
                map.insert(key_of(o), o.clone());
            }
        }
    }
    // A refused LIST fails only the apps that depend on it; their objects in it are not
    // compared (their live state is unknown), the others are.
    let mut unknown_lists: Vec<HashSet<usize>> = Vec::with_capacity(apps.len());
    for (p, used) in apps.iter_mut().zip(&app_lists) {
        let mut failed = HashSet::new();
        if let Some(results) = p.context.as_ref().and_then(|c| listed.get(c)) {
            for &i in used {
                if let Some(Err(e)) = results.get(i) {
                    p.errors.push(e.to_string());
                    failed.insert(i);
                }
            }
        }
        unknown_lists.push(failed);
    }

    // Desired state: a dry run per object, except where the live object proves it a no-op.
    // First what each app needs (its rules, which of its objects can be compared), then the
    // dry runs of all apps in one stream bounded by --concurrency (a hundred small apps would
    // otherwise wait for each other), then each app's comparison in tree order.
    let no_live = HashMap::new();
    let mut preps: Vec<Option<Prep>> = Vec::with_capacity(apps.len());
    for (i, (p, node)) in apps.iter_mut().zip(&nodes).enumerate() {
        if !p.errors.is_empty() && p.steps.is_empty() {
            preps.push(None);
            continue;
        }
        let Some(session) = p.context.as_ref().and_then(|c| sessions.get(c)).cloned() else {
            preps.push(None);
            continue;
        };
        let live_map = live.get(&session.context).unwrap_or(&no_live);
        let rules = match ignore_rules(node) {
            Ok(r) => r,
            Err(e) => {
                p.errors.push(format!("spec.ignoreDifferences: {e}"));
                preps.push(None);
                continue;
            }
        };
        let mut notes = IgnoreNotes::default();
        if p.options.respect_ignore_differences && !rules.is_empty() {
            for step in &mut p.steps {
                if let Some(l) = live_map.get(&step.key) {
                    notes.add(&step.key, keep_live_values(&rules, &mut step.body, l));
                }
            }
        }
        let l = lists.get(&session.context);
        let unknown = &unknown_lists[i];
        let compared = p
            .steps
            .iter()
            .map(|s| {
                !l.and_then(|l| l.of_step(s))
                    .is_some_and(|i| unknown.contains(&i))
            })
            .collect();
        preps.push(Some(Prep {
            session,
            rules,
            notes,
            compared,
        }));
    }
    let force = req.force_conflicts;
    let jobs = apps
        .iter()
        .zip(&preps)
        .enumerate()
        .filter_map(|(i, (p, prep))| Some((i, p, prep.as_ref()?)))
        .flat_map(|(i, p, prep)| {
            let live_map = live.get(&prep.session.context).unwrap_or(&no_live);
            p.steps
                .iter()
                .zip(&prep.compared)
                .map(move |(step, &compared)| (i, step, compared, live_map.get(&step.key), prep))
        });
    let mut predictions: Vec<Vec<Prediction>> = apps.iter().map(|_| Vec::new()).collect();
    let mut saw_loss = vec![false; apps.len()];
    let mut results = stream::iter(jobs)
        .map(|(i, step, compared, live, prep)| async move {
            let conn = &prep.session.conn;
            let prediction = if compared {
                predict(conn, step, live, force).await
            } else {
                (Ok(None), false)
            };
            (i, prediction, conn.lost().is_some())
        })
        .buffered(req.concurrency.max(1));
    while let Some((i, prediction, lost)) = results.next().await {
        predictions[i].push(prediction);
        saw_loss[i] |= lost;
    }
    drop(results);

    let mut stopped_at = None;
    for (i, ((p, prep), predictions)) in apps.iter_mut().zip(preps).zip(predictions).enumerate() {
        let Some(Prep {
            session,
            rules,
            mut notes,
            compared,
        }) = prep
        else {
            continue;
        };
        // What an app's requests got after a loss says nothing about the app; an app that
        // asked nothing is judged by whether any server is gone.
        let gone = if saw_loss[i] {
            session.conn.lost()
        } else if predictions.is_empty() {
            lost(&sessions)
        } else {
            None
        };
        if let Some(why) = gone {
            stopped_at = Some((i, why));
            break;
        }
        let live_map = live.get(&session.context).unwrap_or(&no_live);
        let app_name = p.name.clone();
        let fail_on_shared = p.options.fail_on_shared_resource;
        let mut errors = Vec::new();
        let mut warnings = Vec::new();
        for ((step, (predicted, forced)), compared) in
            p.steps.iter_mut().zip(predictions).zip(compared)
        {
            if !compared {
                continue;
            }
            step.force = forced;
            let live = live_map.get(&step.key).cloned();
            if let Some(l) = &live
                && let Some(owner) = tracking.tracked_app(l, &step.key)
                && owner != app_name
            {
                let message = format!(
                    "{} ({}) is also tracked by app {owner:?}",
                    step.key.display_name(),
                    step.origin
                );
                if fail_on_shared {
                    errors.push(format!("{message} (FailOnSharedResource=true)"));
                    continue;
                }
                warnings.push(message);
            }
            let predicted = match predicted {
                Ok(p) => p,
                Err(ApplyError::Conflict { message, .. }) => {
                    errors.push(format!(
                        "{} ({}): {message} (another field manager applies these fields: rerun with --force-conflicts to take them over)",
                        step.key.display_name(),
                        step.origin
                    ));
                    continue;
                }
                Err(e) => {
                    errors.push(format!(
                        "{} ({}): the server refused it: {e}",
                        step.key.display_name(),
                        step.origin
                    ));
                    continue;
                }
            };
            step.action = match (&live, &predicted) {
                (None, _) => Action::Create,
                (Some(l), Some(pred)) if same_for_apply(pred, l) => Action::Unchanged,
                (Some(_), _) => Action::Update,
            };
            let desired = predicted.as_ref().unwrap_or(&step.body);
            step.change = compare_pair(&step.key, Some(desired), live.as_ref(), &rules, &mut notes);
            step.live = live;
        }
        p.errors.extend(errors);
        p.warnings.extend(warnings);

        // Prune: live objects the app tracks, in its scopes, that Git no longer has.
        let desired: HashSet<&ObjectKey> = p.steps.iter().map(|s| &s.key).collect();
        let hooks: HashSet<&ObjectKey> = p.hooks.iter().map(|h| &h.key).collect();
        let (Some(results), Some(l)) = (listed.get(&session.context), lists.get(&session.context))
        else {
            p.warnings.extend(notes.warnings());
            continue;
        };
        let mut prunes = Vec::new();
        let mut label_only = 0;
        for i in &app_lists[i] {
            let Some(Ok(objs)) = results.get(*i) else {
                continue;
            };
            let t = &l.targets[*i];
            for obj in objs {
                let key = key_of(obj);
                if desired.contains(&key) || hooks.contains(&key) || hooks::is_live_hook(obj) {
                    continue;
                }
                if tracking.tracked_app(obj, &key).as_deref() != Some(app_name.as_str()) {
                    // Left by Argo CD before 3.0 (label tracking): worth a word, not a prune.
                    if tracking != TrackingMethod::Label
                        && labelled_app(obj).as_deref() == Some(app_name.as_str())
                        && crate::plan::tracking::tracked_app(obj, &key).is_none()
                    {
                        label_only += 1;
                    }
                    continue;
                }
                let Some(change) = compare_pair(&key, None, Some(obj), &rules, &mut notes) else {
                    continue;
                };
                let res = ResourceOptions::parse_live(obj);
                prunes.push(Prune {
                    wave: obj
                        .pointer("/metadata/annotations")
                        .and_then(|a| a.get(hooks::SYNC_WAVE))
                        .and_then(Value::as_str)
                        .and_then(|w| w.trim().parse().ok())
                        .unwrap_or(0),
                    skip: res.no_prune.unwrap_or(p.options.no_prune),
                    target: prune_target(t),
                    key,
                    live: obj.clone(),
                    change,
                });
            }
        }
        prunes.sort_by(|a, b| (b.wave, &a.key).cmp(&(a.wave, &b.key)));
        prunes.dedup_by(|a, b| a.key == b.key);
        p.prunes = prunes;
        if label_only > 0 {
            p.warnings.push(format!(
                "{label_only} live object{} no longer in Git carr{} the label {}={app_name} but no tracking annotation (Argo CD's label tracking, its default before 3.0); with --tracking-method label {} pruned",
                if label_only == 1 { "" } else { "s" },
                if label_only == 1 { "ies" } else { "y" },
                crate::plan::tracking::INSTANCE_LABEL,
                if label_only == 1 { "it is" } else { "they are" },
            ));
        }
        p.warnings.extend(notes.warnings());
    }

    if let Some((i, why)) = stopped_at {
        stop(&mut plan, &mut apps, i, why);
        plan.apps = apps;
        return plan;
    }

    // Apps that left the tree: their tracked objects, for deletion (cascade) or as orphans.
    for ((ctx, r), used) in removed_records.iter().zip(&removed_lists) {
        let (Some(results), Some(l)) = (listed.get(ctx), lists.get(ctx)) else {
            continue;
        };
        let mut objects = Vec::new();
        for (obj, key, t) in tracked_live(&r.app, tracking, used, results, l) {
            let Some(change) =
                compare_pair(&key, None, Some(obj), &[], &mut IgnoreNotes::default())
            else {
                continue;
            };
            let res = ResourceOptions::parse_live(obj);
            objects.push(Prune {
                wave: 0,
                skip: res.no_prune.unwrap_or(false) || res.no_delete.unwrap_or(false),
                target: prune_target(t),
                key,
                live: obj.clone(),
                change,
            });
        }
        objects.sort_by(|a, b| a.key.cmp(&b.key));
        plan.removed.push(RemovedApp {
            name: r.app.clone(),
            context: ctx.clone(),
            cascade: r.cascade,
            objects,
        });
    }
    plan.apps = apps;
    plan
}

/// The revisions an app renders from, one per source that renders (`worktree` for the work
/// tree): what its record says was deployed.
pub fn revisions_of(app: &AppNode) -> Vec<String> {
    app.sources
        .iter()
        .filter(|s| s.source_type.is_some())
        .map(|s| s.revision.clone().unwrap_or_else(|| "worktree".into()))
        .collect()
}

/// The inventory an app leaves after a sync: where its objects now are.
pub fn inventory_of(plan: &AppPlan) -> BTreeSet<InventoryEntry> {
    plan.steps
        .iter()
        .map(|s| InventoryEntry {
            group: s.key.group.clone(),
            kind: s.key.kind.clone(),
            namespace: s.key.namespace.clone(),
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn only_server_bookkeeping_is_ignored_when_judging_an_apply() {
        let live = json!({"metadata": {"name": "c", "resourceVersion": "1", "managedFields": [
            {"manager": "kubectl-gitops", "operation": "Apply", "time": "2025-01-01T00:00:00Z"}]},
            "data": {"a": "1"}});
        let mut predicted = live.clone();
        predicted["metadata"]["resourceVersion"] = json!("2");
        predicted["metadata"]["managedFields"][0]["time"] = json!("2026-01-01T00:00:00Z");
        assert!(same_for_apply(&predicted, &live));
        predicted["data"]["a"] = json!("2");
        assert!(!same_for_apply(&predicted, &live));
    }
}
