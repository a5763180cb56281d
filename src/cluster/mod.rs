//! The live cluster: kubeconfig and context selection like kubectl, and the API calls the
//! commands make.

mod apply;
mod discovery;
mod error;
mod kubeconfig;
mod live;
mod paths;

pub use apply::{ApplyError, FIELD_MANAGER, server_side_apply};
pub use discovery::{Catalog, KindScope};
pub use error::ClusterError;
pub use kubeconfig::{Connection, KubeTarget, LoadedKubeconfig, connect, load_kubeconfig};
pub use live::{ListTarget, ObjectKey, list_objects};
