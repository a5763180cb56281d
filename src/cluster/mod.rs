//! The live cluster: kubeconfig and context selection like kubectl, and the API calls the
//! commands make.

mod discovery;
mod error;
mod kubeconfig;

pub use discovery::{KindScope, kind_scopes};
pub use error::ClusterError;
pub use kubeconfig::{Connection, KubeTarget, LoadedKubeconfig, connect, load_kubeconfig};
