//! The plan: the resolved tree plus live state, turned into what must happen to every object of
//! every app (create, update, nothing, prune, hook), with its phase, wave and order.
//!
//! `diff` prints a plan and `sync` executes the same plan, so the two agree by construction:
//! there is one comparison path, here. The stages are gitops-engine's, in one module per job:
//! [`hooks`] (which objects are hooks), [`options`] (sync options), [`order`] (Argo CD's kind
//! order), [`tracking`] (which app owns a live object), [`clusters`] (which cluster an app goes
//! to), and `build` (the plan itself: live state, dry runs, comparison, prune candidates).

pub mod argocd_clusters;
mod build;
pub mod clusters;
pub mod facts;
pub mod hooks;
pub mod options;
pub mod order;
pub mod tracking;

use kube::core::discovery::ApiResource;
use serde_json::Value;

pub(crate) use build::unknown_field;
pub use build::{PlanRequest, build, inventory_of, revisions_of, selected};
pub use clusters::{Clusters, Session};
pub use hooks::{DeletePolicy, Phase};
pub use options::{AppOptions, Automation, Effective};

use crate::cluster::ObjectKey;
use crate::diff::ObjectChange;
use crate::history::record::AppRecord;
use crate::render::Origin;

/// How an object is reached in its cluster.
#[derive(Debug, Clone)]
pub struct Target {
    /// The REST resource.
    pub resource: ApiResource,
    /// Whether it lives in a namespace.
    pub namespaced: bool,
    /// The kind is defined by a CRD of the tree that may not be served yet: the CRD must be
    /// applied and Established first.
    pub needs_crd: bool,
}

/// What sync does with a desired object.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Action {
    /// It does not exist: create it.
    Create,
    /// It exists and an apply would change it (or take ownership, or stamp tracking).
    Update,
    /// An apply would change nothing: skipped.
    Unchanged,
}

/// One desired object of an app.
#[derive(Debug, Clone)]
pub struct Step {
    /// Its identity.
    pub key: ObjectKey,
    /// Where it was defined.
    pub origin: Origin,
    /// What is applied: the manifest with the tracking annotation.
    pub body: Value,
    /// How to reach it; None when the kind is unknown and `SkipDryRunOnMissingResource`
    /// lets sync try anyway.
    pub target: Option<Target>,
    /// Its sync wave.
    pub wave: i64,
    /// Its rank in Argo CD's kind order.
    pub kind_rank: usize,
    /// Its effective sync options.
    pub options: Effective,
    /// The live object, when it exists.
    pub live: Option<Value>,
    /// What sync does.
    pub action: Action,
    /// Apply with `force`: the fields it takes back were changed by hand (an `Update`
    /// manager such as `kubectl edit` or `kubectl scale`): drift that Git overrides.
    pub force: bool,
    /// What a user sees change (None: in sync).
    pub change: Option<ObjectChange>,
}

/// A hook of an app.
#[derive(Debug, Clone)]
pub struct Hook {
    /// Its identity (the name is empty for a generated name until it runs).
    pub key: ObjectKey,
    /// Where it was defined.
    pub origin: Origin,
    /// The manifest, tracking stamped.
    pub body: Value,
    /// `metadata.generateName`, when the server names it.
    pub generate_name: Option<String>,
    /// How to reach it.
    pub target: Option<Target>,
    /// The phases it runs in.
    pub phases: Vec<Phase>,
    /// Its wave within the phase.
    pub wave: i64,
    /// Its rank in the kind order.
    pub kind_rank: usize,
    /// When it is deleted.
    pub delete_policy: DeletePolicy,
}

/// A live object of an app that left Git.
#[derive(Debug, Clone)]
pub struct Prune {
    /// Its identity.
    pub key: ObjectKey,
    /// The live object.
    pub live: Value,
    /// How to reach it.
    pub target: Target,
    /// The live object's wave (prune goes in reverse wave order).
    pub wave: i64,
    /// `Prune=false` on the live object or its app: shown, never deleted.
    pub skip: bool,
    /// What a user sees.
    pub change: ObjectChange,
}

/// The plan of one app.
#[derive(Debug, Clone)]
pub struct AppPlan {
    /// The app.
    pub name: String,
    /// Its parent app.
    pub parent: Option<String>,
    /// Its child apps.
    pub children: Vec<String>,
    /// Its wave in its parent.
    pub wave: i64,
    /// The kubeconfig context it goes to (None: no context matches its destination).
    pub context: Option<String>,
    /// Its destination namespace.
    pub destination_namespace: Option<String>,
    /// Its sync options.
    pub options: AppOptions,
    /// Its automated policy.
    pub automation: Automation,
    /// Whether its Application carries Argo CD's resources finalizer.
    pub cascade: bool,
    /// The commits its sources were read at (a SHA per source; `worktree` for the work tree).
    pub revisions: Vec<String>,
    /// Its desired objects, in sync order.
    pub steps: Vec<Step>,
    /// Its hooks.
    pub hooks: Vec<Hook>,
    /// Its live objects that left Git.
    pub prunes: Vec<Prune>,
    /// The destination namespace to create first (`CreateNamespace=true`).
    pub create_namespace: Option<Value>,
    /// What is wrong with it: it is not applied.
    pub errors: Vec<String>,
    /// Warnings that do not stop it.
    pub warnings: Vec<String>,
    /// It failed to render (prune is then off for the whole run).
    pub render_failed: bool,
    /// Its record in the cluster, if it was synced before.
    pub record: Option<AppRecord>,
    /// The run stopped (a lost connection: [`Plan::incomplete`]) before this app was
    /// compared: its steps say nothing about the cluster.
    pub unfinished: bool,
}

impl AppPlan {
    /// Whether sync would change anything.
    pub fn out_of_sync(&self) -> bool {
        self.steps.iter().any(|s| s.change.is_some()) || !self.prunes.is_empty()
    }

    /// Whether this app has nothing to deploy (Argo CD's `allowEmpty` guards pruning to zero).
    pub fn is_empty(&self) -> bool {
        self.steps.is_empty() && self.hooks.is_empty()
    }
}

/// An app the cluster knows from its record but the tree no longer has.
#[derive(Debug, Clone)]
pub struct RemovedApp {
    /// The app.
    pub name: String,
    /// Its cluster.
    pub context: String,
    /// Whether its Application carried the resources finalizer: its objects go with it.
    pub cascade: bool,
    /// Its live objects (deleted when cascading, left as orphans otherwise).
    pub objects: Vec<Prune>,
}

/// The plan of a tree.
#[derive(Debug, Clone, Default)]
pub struct Plan {
    /// Apps in tree order (parents before children).
    pub apps: Vec<AppPlan>,
    /// Apps that left the tree.
    pub removed: Vec<RemovedApp>,
    /// Errors not tied to one app.
    pub errors: Vec<String>,
    /// Warnings not tied to one app.
    pub warnings: Vec<String>,
    /// Why the plan is unfinished, when a server was lost while it was built (one line); the
    /// apps it did not reach are marked [`AppPlan::unfinished`].
    pub incomplete: Option<String>,
}

impl Plan {
    /// The plan of an app.
    pub fn app(&self, name: &str) -> Option<&AppPlan> {
        self.apps.iter().find(|a| a.name == name)
    }

    /// Whether any app of the tree failed to render: then nothing is pruned.
    pub fn render_failed(&self) -> bool {
        self.apps.iter().any(|a| a.render_failed) || !self.errors.is_empty()
    }
}
