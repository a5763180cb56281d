//! Argo CD's application model: Application types, ApplicationSet expansion, and the walk from a
//! root to every app of the tree.

pub mod application;
pub mod appset;
mod tree;

pub use application::{Application, ApplicationSource, Destination, SourceType};
pub use tree::{AppNode, AppTree, Location, Resolver, SourceInfo, TreeError};
