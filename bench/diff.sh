#!/usr/bin/env bash
# Diff benchmark: a generated tree of 100 apps and 2,000 objects, deployed to the test API server,
# with one object in ten changed in Git. Times, in one run and against the same server:
#   kubectl gitops diff                                   (default --concurrency 16)
#   kubectl diff --server-side -f <same rendered objects> (kubectl's default concurrency, 1)
#   kubectl diff --server-side --concurrency 16 -f ...
# and prints the wall-time ratios. Uses $KUBECONFIG, else starts the local test cluster.
#
#   bench/diff.sh [APPS] [OBJECTS_PER_APP]
set -euo pipefail
cd "$(dirname "$0")/.."
APPS=${1:-100}
PER_APP=${2:-20}
if [ -z "${KUBECONFIG:-}" ]; then
  bash scripts/test-cluster.sh start >&2
  export KUBECONFIG=${KGITOPS_TEST_DIR:-/dev/shm/kgitops-test}/kubeconfig
fi
cargo build --release --quiet
BIN=$PWD/target/release/kubectl-gitops
WORK=$(mktemp -d)
cleanup() { # leave the cluster as it was found
  { for i in $(seq 0 49); do echo "ns-$i"; done; echo bench-diff-records; } |
    xargs kubectl delete namespace --wait=false --ignore-not-found >/dev/null 2>&1 || true
  rm -rf "$WORK"
}
trap cleanup EXIT
python3 bench/gen-tree.py "$WORK/repo" "$APPS" "$PER_APP"
cd "$WORK/repo"

# Deploy the tree as it is, then change one object in ten in Git.
for i in $(seq 0 49); do echo "apiVersion: v1
kind: Namespace
metadata: {name: ns-$i}
---"; done | kubectl apply -f - >/dev/null
# Deployed by our own sync, so live objects carry the tracking annotation and the records exist
# (as after any sync); it waits until every Deployment is Available, so no timed run below
# shares the server with the controller-manager catching up.
"$BIN" sync --timeout 15m --records-namespace bench-diff-records >/dev/null 2>"$WORK/sync.err" ||
  { tail -20 "$WORK/sync.err" >&2; exit 1; }
sed -i 's/setting-a: "value \([0-9]*\) 2"/setting-a: "changed \1"/' svc/*/a.yaml
git -c user.name=bench -c user.email=bench@example.com commit -qam "change one object in ten"
"$BIN" render > "$WORK/desired.yaml"
objects=$(grep -c '^kind:' "$WORK/desired.yaml")

seconds() { # wall seconds of one run; exit codes 0 and 1 (differences) are both fine
  local t0 t1 rc=0
  t0=$(date +%s.%N)
  "$@" >/dev/null 2>"$WORK/err" || rc=$?
  t1=$(date +%s.%N)
  if [ "$rc" -gt 1 ]; then echo "failed: $*" >&2; cat "$WORK/err" >&2; exit 1; fi
  awk "BEGIN{printf \"%.2f\", $t1 - $t0}"
}

"$BIN" diff --records-namespace bench-diff-records >/dev/null 2>&1 || true # warm-up: discovery cache, connections, page cache
ours=$(seconds "$BIN" diff --records-namespace bench-diff-records)
ours16=$(seconds "$BIN" diff --concurrency 16 --records-namespace bench-diff-records)
kd1=$(seconds kubectl diff --server-side --field-manager=kubectl-gitops --force-conflicts -f "$WORK/desired.yaml")
kd16=$(seconds kubectl diff --server-side --field-manager=kubectl-gitops --force-conflicts --concurrency 16 -f "$WORK/desired.yaml")
echo "diff of $APPS apps, $objects objects against $(kubectl version -o json | sed -n 's/.*"gitVersion": "\(v[^"]*\)".*/\1/p' | tail -1):"
printf '  kubectl gitops diff:                         %6.2f s\n' "$ours"
printf '  kubectl gitops diff --concurrency 16:        %6.2f s\n' "$ours16"
printf '  kubectl diff --server-side:                  %6.2f s  (%.1fx slower than kubectl gitops diff; target >= 10x)\n' "$kd1" "$(awk "BEGIN{print $kd1 / $ours}")"
printf '  kubectl diff --server-side --concurrency 16: %6.2f s  (%.1fx slower; target > 1x)\n' "$kd16" "$(awk "BEGIN{print $kd16 / $ours16}")"
