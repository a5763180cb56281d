#!/usr/bin/env bash
# The main job on a local default: starts the local test cluster, builds the plugin and runs it
# against the cluster through kubectl. Each capability adds its step here as it lands.
set -euo pipefail
cd "$(dirname "$0")/.."

bash scripts/install-deps.sh
bash scripts/test-cluster.sh start
export KUBECONFIG=${KGITOPS_TEST_DIR:-/dev/shm/kgitops-test}/kubeconfig
cargo build --quiet
export PATH="$PWD/target/debug:$PATH"

step() { printf '\n$ %s\n' "$*"; "$@"; }
step kubectl gitops version
echo
echo "The local cluster keeps running; stop it with: scripts/test-cluster.sh stop"
