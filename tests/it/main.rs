//! Integration tests: the built binary run as `kubectl gitops ...` through the machine's real
//! kubectl, against the Go-built control plane that `scripts/test-cluster.sh start` runs.

mod dumb_http;
mod git_daemon;
mod gitrepo;
mod harness;
mod helm;
mod helm_repos;
mod oci_registry;
mod second_cluster;

mod appset;
mod bad_input;
mod cluster_generator;
mod control_plane;
mod day2;
mod diff;
mod diff_revisions;
mod example;
mod failing_clusters;
mod interrupts;
mod kubeconfig;
mod no_silent_drops;
mod partial;
mod partial_clone;
mod plugin;
mod real_repos;
mod scope;
mod security;
mod source_security;
mod sync;
mod sync_clusters;
mod tracking;
mod tree;
mod yaml;
