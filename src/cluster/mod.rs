//! The live cluster: kubeconfig and context selection like kubectl, and the API calls the
//! commands make.

mod apply;
mod discovery;
mod error;
mod exec;
mod guard;
mod kubeconfig;
pub mod lease;
mod live;
mod objects;
mod paths;
mod retry;

pub use apply::{ApplyError, ApplyParams, FIELD_MANAGER, server_side_apply};
pub use discovery::{Catalog, KindScope, find_now};
pub use error::{ClusterError, seconds as duration_text};
pub use exec::stop_running_plugins;
pub use guard::Limits;
pub use kubeconfig::{
    CONNECT_TIMEOUT, Connection, DEFAULT_REQUEST_TIMEOUT, KubeTarget, LoadedKubeconfig, connect,
    load_kubeconfig,
};
pub use live::{ListTarget, ObjectKey, key_of, list_each, list_objects};
pub use objects::{Propagation, create, delete, get, replace};
