#!/usr/bin/env bash
# Sync benchmark: a generated tree of 100 apps and 2,000 objects (Deployments with no replicas,
# Services, ConfigMaps in 50 namespaces). Times, in one run and against the same API server,
# each into namespaces of its own that start empty:
#   kubectl gitops sync --no-wait      returns once the last wave is applied (Argo CD's sync
#                                      operation), against
#   kubectl apply --server-side -f     of the same rendered objects (neither waits for health);
#   kubectl gitops sync                applied and healthy (every Deployment observed by the
#                                      controller), against kubectl apply followed by
#                                      kubectl wait --for=condition=Available on the Deployments;
#   kubectl gitops sync of the unchanged tree, against kubectl gitops diff of it (medians
#                                      of five alternated runs);
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
BENCH=$PWD/bench
WORK=$(mktemp -d)
namespaces() { for i in $(seq 0 49); do echo "$1$i"; done; }
PREFIXES="ns- nw- kns- kw-"
cleanup() { # leave the cluster as it was found
  { for p in $PREFIXES; do namespaces "$p"; done; echo bench-records; echo bench-records-nw; } |
    xargs kubectl delete namespace --wait=false --ignore-not-found >/dev/null 2>&1 || true
  rm -rf "$WORK"
}
trap cleanup EXIT
python3 "$BENCH/gen-tree.py" "$WORK/wait" "$APPS" "$PER_APP" ns-
python3 "$BENCH/gen-tree.py" "$WORK/nowait" "$APPS" "$PER_APP" nw-

# The same objects for kubectl, in namespaces of their own.
(cd "$WORK/wait" && "$BIN" render --revision HEAD) >"$WORK/rendered.yaml"
sed 's/^  namespace: ns-/  namespace: kns-/' "$WORK/rendered.yaml" >"$WORK/kubectl.yaml"
sed 's/^  namespace: ns-/  namespace: kw-/' "$WORK/rendered.yaml" >"$WORK/kubectl-wait.yaml"
objects=$(grep -c '^kind:' "$WORK/kubectl.yaml")
for p in $PREFIXES; do namespaces "$p"; done | while read -r ns; do
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
settle() { # untimed: let the controller finish the Deployments in namespaces PREFIX*
  for ns in $(namespaces "$1"); do
    kubectl wait --for=condition=Available deployment --all -n "$ns" --timeout=600s >/dev/null
  done
}
apply_and_wait() {
  kubectl apply --server-side --field-manager=bench -f "$WORK/kubectl-wait.yaml" && settle kw-
}
ratio() { awk "BEGIN{printf \"%.2f\", $1 / $2}"; }

# Each timed run starts with the controller idle, so no run pays for another's Deployments.
healthy=$(cd "$WORK/wait" && seconds "$BIN" sync --timeout 15m --records-namespace bench-records)
kwait=$(seconds apply_and_wait)
nowait=$(cd "$WORK/nowait" && seconds "$BIN" sync --no-wait --records-namespace bench-records-nw)
settle nw-
kapply=$(seconds kubectl apply --server-side --field-manager=bench -f "$WORK/kubectl.yaml")
settle kns-
# Sub-second runs vary by a tenth on shared cores: five of each, alternated, medians compared.
agains=() diffs=()
for _ in 1 2 3 4 5; do
  agains+=("$(cd "$WORK/wait" && seconds "$BIN" sync --records-namespace bench-records)")
  diffs+=("$(cd "$WORK/wait" && seconds "$BIN" diff --records-namespace bench-records)")
done
median() { printf '%s\n' "$@" | sort -n | sed -n 3p; }
again=$(median "${agains[@]}")
diff=$(median "${diffs[@]}")
server=$(kubectl version -o json | sed -n 's/.*"gitVersion": "\(v[^"]*\)".*/\1/p' | tail -1)
echo "sync of $APPS apps, $objects objects against $server:"
printf '  kubectl gitops sync --no-wait, empty:       %7.2f s\n' "$nowait"
printf '  kubectl apply --server-side -f:             %7.2f s  (%sx the time of sync --no-wait; target >= 5x)\n' \
  "$kapply" "$(ratio "$kapply" "$nowait")"
printf '  kubectl gitops sync (healthy), empty:       %7.2f s\n' "$healthy"
printf '  kubectl apply + kubectl wait Available:     %7.2f s  (%sx the time of sync)\n' \
  "$kwait" "$(ratio "$kwait" "$healthy")"
printf '  kubectl gitops sync, unchanged tree:        %7.2f s  (median of 5)\n' "$again"
printf '  kubectl gitops diff, unchanged tree:        %7.2f s  (median of 5; sync/diff %s; target <= 1)\n' \
  "$diff" "$(ratio "$again" "$diff")"
