#!/usr/bin/env bash
# Render benchmark: a generated repo of 1,000 apps and 20,000 objects (directory sources),
# `kubectl gitops render --revision HEAD` from the commit with a warm cache. Prints wall time and
# peak memory against the targets (2 s, 300 MB), and, on the same files, the time kubectl takes
# just to read and print them (`kubectl create --dry-run=client -R -f`), when a cluster is reachable.
#
#   bench/render.sh [APPS] [OBJECTS_PER_APP]
set -euo pipefail
cd "$(dirname "$0")/.."
APPS=${1:-1000}
PER_APP=${2:-20}
cargo build --release --quiet
BIN=$PWD/target/release/kubectl-gitops
WORK=$(mktemp -d)
trap 'rm -rf "$WORK"' EXIT
python3 bench/gen-tree.py "$WORK/repo" "$APPS" "$PER_APP"
cd "$WORK/repo"

measure() { # prints "seconds peak_kib" for one run of the command
  /usr/bin/time -f '%e %M' -o "$WORK/time" "$@" >"$WORK/out" 2>"$WORK/err" || { cat "$WORK/err" >&2; return 1; }
  cat "$WORK/time"
}

# No cluster for render: it must not wait on one. Warm-up run first (page cache).
(unset KUBECONFIG; HOME=$WORK "$BIN" render --revision HEAD >/dev/null)
best_s=999; best_kib=0
for _ in 1 2 3; do
  read -r s kib < <(unset KUBECONFIG; HOME=$WORK measure "$BIN" render --revision HEAD)
  if awk "BEGIN{exit !($s < $best_s)}"; then best_s=$s; best_kib=$kib; fi
done
objects=$(grep -c '^kind:' "$WORK/out" || true)
printf 'render: %d apps, %s objects from a commit: %.2f s (target < 2 s), peak %d MB (target < 300 MB)\n' \
  "$APPS" "$objects" "$best_s" "$((best_kib / 1024))"

if [ -n "${KUBECONFIG:-}" ] && kubectl version >/dev/null 2>&1; then
  read -r ks kkib < <(measure kubectl create --dry-run=client -o yaml -R -f svc)
  printf 'kubectl create --dry-run=client -R -f on the same files: %.2f s, peak %d MB; ratio kubectl/gitops: %.1fx time\n' \
    "$ks" "$((kkib / 1024))" "$(awk "BEGIN{print $ks / $best_s}")"
fi
