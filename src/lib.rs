//! kubectl-gitops: Argo CD's app-of-apps GitOps, run from a laptop or CI with no controller.
//!
//! The modules follow the pipeline, data flowing one way:
//! `source` (Git at a revision, the clone and tree caches) → `render` (one app source to
//! objects: directories, kustomize, Helm) → `apps` (the Application tree and ApplicationSets;
//! its walk calls `render` for each app) → `plan` (what each object needs: create, update,
//! prune, hooks, waves; the kubeconfig's and cluster's facts the walk needs) → `cluster` (the
//! API server: kubeconfig, discovery, LIST, apply) → `diff` | `sync` | `history` (a plan
//! compared, executed, recorded) → `cli`, the only place that prints or exits. Beside them:
//! `health` judges live objects the way Argo CD does (for sync's waits); `names`, `yaml` and
//! `typed` check and read what manifests hold; `scratch` keeps a run's temporary copies.

pub mod apps;
pub mod cli;
pub mod cluster;
pub mod diff;
pub mod health;
pub mod history;
pub mod names;
pub mod plan;
pub mod render;
pub mod scratch;
pub mod source;
pub mod sync;
pub mod typed;
pub mod yaml;
