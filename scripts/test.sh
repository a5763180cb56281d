#!/usr/bin/env bash
# Runs every check and test: formatting, clippy, unit tests, the integration tests against a
# real control plane, and the krew distribution test (plugin/test-krew.sh). Starts the test
# cluster when none is running and stops it again afterwards (set KGITOPS_KEEP_CLUSTER=1 to
# leave it running for the next run).
set -euo pipefail
cd "$(dirname "$0")/.."

bash scripts/install-deps.sh
started=0
if ! bash scripts/test-cluster.sh start-if-stopped; then
  exit 1
fi
[ -f "${KGITOPS_TEST_DIR:-/dev/shm/kgitops-test}/started-by-test-sh" ] && started=1
cleanup() {
  if [ "$started" = 1 ] && [ -z "${KGITOPS_KEEP_CLUSTER:-}" ]; then bash scripts/test-cluster.sh stop; fi
}
trap cleanup EXIT

# helm and distribution's registry (built by tools/build.sh with the control plane) render Helm
# sources and serve OCI charts in the tests (the registry is started by the tests themselves).
export PATH="${KGITOPS_K8S_BIN:-$HOME/.cache/kgitops-k8s/${K8S:-v1.33.13}}:$PATH"
export KGITOPS_TEST_KUBECONFIG="${KGITOPS_TEST_DIR:-/dev/shm/kgitops-test}/kubeconfig"
cargo fmt --all --check
cargo clippy --workspace --all-targets -- -D warnings
cargo test --workspace --all-targets
# Release archives and the krew manifest, installed, upgraded and uninstalled with the real krew.
bash plugin/test-krew.sh
