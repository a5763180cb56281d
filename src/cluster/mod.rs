//! The live cluster: kubeconfig and context selection like kubectl, and the API calls the
//! commands make.

mod error;
mod kubeconfig;

pub use error::ClusterError;
pub use kubeconfig::{Connection, KubeTarget, LoadedKubeconfig, connect, load_kubeconfig};
