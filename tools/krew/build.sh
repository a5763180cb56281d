#!/usr/bin/env bash
# Builds krew (as the kubectl plugin `kubectl-krew`), krew's own manifest validator
# `validate-krew-manifest`, and a loopback file server for the krew test, from the Go module
# proxy into a versioned cache under $HOME. Idempotent: a binary already in the cache is not
# rebuilt. Prints the directory that holds them.
#
# krew lives in its own helper module (like each control-plane component in tools/build.sh) so
# that Go's version selection cannot raise its dependencies for another tool, or theirs for it.
# v0.5.0 is the newest tag and builds with Go 1.26 (its go.mod asks for go 1.25).
set -euo pipefail

KREW=${KREW:-v0.5.0}
OUT=${KGITOPS_KREW_BIN:-$HOME/.cache/kgitops-k8s/krew-$KREW}
HERE=$(cd "$(dirname "$0")" && pwd)

export GOTOOLCHAIN=local CGO_ENABLED=0 GOFLAGS=-mod=mod
log() { printf '[tools/krew] %s\n' "$*" >&2; }

mkdir -p "$OUT"
cd "$HERE"
if ! grep -q "sigs.k8s.io/krew $KREW" go.mod 2>/dev/null; then
  # Pinned in a scratch directory and moved in only when it worked: a failed pin (a version
  # the proxy does not have) must not leave the committed go.mod broken.
  pin=$(mktemp -d)
  trap 'rm -rf "$pin"' EXIT
  (cd "$pin" && go mod init kgitops.invalid/krew-tool >/dev/null 2>&1 && go get "sigs.k8s.io/krew@$KREW")
  mv "$pin/go.mod" "$pin/go.sum" .
fi

build() { # NAME PACKAGE [LDFLAGS]
  local name=$1 pkg=$2 ldflags=${3:--s -w}
  [ -x "$OUT/$name" ] && return
  log "building $name ($pkg)"
  go build -trimpath -ldflags="$ldflags" -o "$OUT/$name.tmp" "$pkg"
  mv "$OUT/$name.tmp" "$OUT/$name"
}

# The tag stamp makes `kubectl krew version` tell the truth; the test turns krew's own upgrade
# check off (KREW_NO_UPGRADE_CHECK), since it would ask GitHub for krew's latest release.
build kubectl-krew sigs.k8s.io/krew/cmd/krew "-s -w -X sigs.k8s.io/krew/internal/version.gitTag=$KREW"
build validate-krew-manifest sigs.k8s.io/krew/cmd/validate-krew-manifest
build fileserver ./fileserver
log "krew $KREW ready in $OUT"
echo "$OUT"
