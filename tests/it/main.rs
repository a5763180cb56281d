//! Integration tests: the built binary run as `kubectl gitops ...` through the machine's real
//! kubectl, against the Go-built control plane that `scripts/test-cluster.sh start` runs.

mod harness;

mod control_plane;
mod kubeconfig;
mod plugin;
