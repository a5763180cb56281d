#!/usr/bin/env bash
# Sync benchmark: a generated tree of 100 apps and 2,000 objects (Deployments with no replicas,
# Services, ConfigMaps in 50 namespaces). Times, in one run and against the same API server:
#   kubectl gitops sync                       into an empty cluster (namespaces exist), health waits
#                                             included
#   kubectl apply --server-side -f <the same rendered objects>, into a second set of namespaces
#   kubectl gitops sync of the unchanged tree, against kubectl gitops diff of it
# and prints the ratios. Uses $KUBECONFIG, else starts the local test cluster.
#
#   bench/sync.sh [APPS] [OBJECTS_PER_APP]
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
RECORDS=bench-records
namespaces() { for i in $(seq 0 49); do echo "$1$i"; done; }
cleanup() { # leave the cluster as it was found
  { namespaces ns-; namespaces kns-; echo "$RECORDS"; } |
    xargs kubectl delete namespace --wait=false --ignore-not-found >/dev/null 2>&1 || true
  rm -rf "$WORK"
}
trap cleanup EXIT
python3 bench/gen-tree.py "$WORK/repo" "$APPS" "$PER_APP"
cd "$WORK/repo"

# The same objects for kubectl, in namespaces of their own.
"$BIN" render --revision HEAD | sed 's/^  namespace: ns-/  namespace: kns-/' >"$WORK/kubectl.yaml"
objects=$(grep -c '^kind:' "$WORK/kubectl.yaml")
{ namespaces ns-; namespaces kns-; } | while read -r ns; do
  printf 'apiVersion: v1\nkind: Namespace\nmetadata: {name: %s}\n---\n' "$ns"
done | kubectl apply -f - >/dev/null

seconds() { # wall seconds of one run (exit codes 0 and 1 are both fine for diff)
  local t0 t1 rc=0
  t0=$(date +%s.%N)
  "$@" >/dev/null 2>"$WORK/err" || rc=$?
  t1=$(date +%s.%N)
  if [ "$rc" -gt 1 ]; then echo "failed: $*" >&2; tail -5 "$WORK/err" >&2; exit 1; fi
  awk "BEGIN{printf \"%.2f\", $t1 - $t0}"
}

first=$(seconds "$BIN" sync --records-namespace "$RECORDS")
kapply=$(seconds kubectl apply --server-side --field-manager=bench -f "$WORK/kubectl.yaml")
again=$(seconds "$BIN" sync --records-namespace "$RECORDS")
diff=$(seconds "$BIN" diff --records-namespace "$RECORDS")
server=$(kubectl version -o json | sed -n 's/.*"gitVersion": "\(v[^"]*\)".*/\1/p' | tail -1)
echo "sync of $APPS apps, $objects objects against $server:"
printf '  kubectl gitops sync, empty cluster:     %6.2f s\n' "$first"
printf '  kubectl apply --server-side -f:         %6.2f s  (%.1fx slower than kubectl gitops sync; target >= 5x)\n' \
  "$kapply" "$(awk "BEGIN{print $kapply / $first}")"
printf '  kubectl gitops sync, unchanged tree:    %6.2f s\n' "$again"
printf '  kubectl gitops diff, unchanged tree:    %6.2f s  (sync/diff %.2f; target <= 1)\n' \
  "$diff" "$(awk "BEGIN{print $again / $diff}")"
