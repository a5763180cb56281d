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

export PATH="${KGITOPS_K8S_BIN:-$HOME/.cache/kgitops-k8s/${K8S:-v1.33.13}}:$PATH" # helm

step() { printf '\n$ %s\n' "$*"; "$@"; }
step kubectl gitops version

# The example homelab as its own Git repository, as a user would have it.
REPO=$(mktemp -d)/homelab
cp -r examples/homelab "$REPO"
git -C "$REPO" init -q -b main
git -C "$REPO" remote add origin https://github.com/example/homelab.git
git -C "$REPO" add -A
git -C "$REPO" -c user.name=demo -c user.email=demo@example.com commit -q -m "homelab"
cd "$REPO"
# Start from an empty cluster, as a disaster recovery would.
kubectl delete namespace blog chat files gateway kubectl-gitops --ignore-not-found --wait=true >/dev/null
{ kubectl get crd -o name | grep 'gateway.networking.k8s.io' || true; } | xargs -r kubectl delete >/dev/null

step kubectl gitops tree
step kubectl gitops render --app files
# Before any sync the cluster is empty: diff shows what a sync would create (exit code 1).
step kubectl gitops diff --app files || true
# Rebuild everything from the repo: the Gateway API CRDs (in the gateway app) are applied and
# Established before the other apps' HTTPRoutes, with no sync wave written for it.
step kubectl gitops sync --dry-run
step kubectl gitops sync
step kubectl gitops diff
# A hand edit is drift: diff names who made it, sync puts Git's version back.
step kubectl -n files scale deployment filebrowser --replicas=3
step kubectl gitops diff --app files || true
step kubectl gitops sync --app files
step kubectl gitops diff --app files
step kubectl gitops status
# A watch puts hand edits back on its own (here every 2 seconds; the default is 30s).
kubectl gitops watch --interval 2s --self-heal >"$REPO/../watch.log" 2>&1 &
WATCH=$!
trap 'kill $WATCH 2>/dev/null || true' EXIT
sleep 4
step kubectl -n files scale deployment filebrowser --replicas=5
sleep 6
kill "$WATCH"; wait "$WATCH" 2>/dev/null || true
printf '\n$ # what the watch printed\n'; cat "$REPO/../watch.log"
# A bad commit goes out...
sed -i 's#image: filebrowser/filebrowser:v2#image: filebrowser/filebrowser:v2-broken#' apps/files/files.yaml
git -c user.name=demo -c user.email=demo@example.com commit -qam "files: upgrade the image"
step kubectl gitops sync --app files --timeout 30s || true
# ...and git revert is the rollback: a real commit, then a sync of what it changed.
step kubectl gitops revert HEAD
step git log --oneline -3
step kubectl gitops history --app files
step kubectl gitops diff --from HEAD~2 --to HEAD
echo
echo "The local cluster keeps running; stop it with: scripts/test-cluster.sh stop"
