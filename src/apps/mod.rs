//! Argo CD's application model: Application types, ApplicationSet expansion, and the walk from a
//! root to every app of the tree.

pub mod application;
pub mod appset;
mod load;
mod roots;
mod tree;

pub use application::{Application, ApplicationSource, Destination, SourceType};
pub use load::{CONVENTIONAL_ROOTS, LoadError, LoadedTree, TreeFacts, TreeSpec, load, load_at};
pub use roots::Root;
pub use tree::{AppNode, AppTree, Location, Places, Resolver, SourceInfo, TreeError};
