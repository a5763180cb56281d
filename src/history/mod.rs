//! What happened to each app, kept in its cluster: the records that sync writes and that
//! status, history and rollback read.

pub mod record;
pub mod revert;
pub mod status;
pub mod timeline;
pub mod watch;
