//! kubectl-gitops: Argo CD's app-of-apps GitOps, run from a laptop or CI with no controller.
//!
//! The modules follow the pipeline, data flowing one way:
//! `source` (Git at a revision) → `apps` (Application tree, ApplicationSets) → `render`
//! (objects per app) → `cluster` (the API server) → the commands in `cli`. `health` judges live
//! objects the way Argo CD does, for sync's waits and app status.

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
