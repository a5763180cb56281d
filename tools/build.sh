#!/usr/bin/env bash
# Builds the test control plane (etcd, kube-apiserver, kube-controller-manager,
# kube-scheduler, kwok), helm, and an OCI registry for the Helm chart tests from the Go module
# proxy into a versioned cache under $HOME.
# Idempotent: a binary already in the cache is not rebuilt. Each component lives in its own
# helper module so that Go's version selection cannot raise one's dependencies for another.
set -euo pipefail

K8S=${K8S:-v1.33.13}
STG="v0.${K8S#v1.}"              # k/k v1.X.Y pairs with staging modules v0.X.Y
ETCD=${ETCD:-v3.6.16}
KWOK=${KWOK:-v0.7.0}             # the last kwok built against k8s 0.33 and Go <= 1.26
HELM=${HELM:-v3.22.0}            # renders Helm sources; not in the machine image
REGISTRY=${REGISTRY:-v3.1.2}     # distribution's registry: serves OCI charts to the tests
OUT=${KGITOPS_K8S_BIN:-$HOME/.cache/kgitops-k8s/$K8S}
HERE=$(cd "$(dirname "$0")" && pwd)

export GOTOOLCHAIN=local CGO_ENABLED=0 GOFLAGS=-mod=mod
mkdir -p "$OUT"

log() { printf '[tools/build] %s\n' "$*" >&2; }

ldflags() { # version stamps, so /version reports the real release instead of v0.0.0-master
  local v=k8s.io/component-base/version minor
  minor=$(echo "$STG" | cut -d. -f2)
  echo "-s -w -X $v.gitVersion=$K8S -X $v.gitMajor=1 -X $v.gitMinor=$minor -X $v.gitTreeState=clean -X $v.buildDate=1970-01-01T00:00:00Z"
}

build_k8s() {
  cd "$HERE/k8s"
  if ! grep -q "k8s.io/kubernetes $K8S" go.mod 2>/dev/null; then
    # First pin: k/k requires its staging modules at v0.0.0 with local replaces, which only
    # the main module may use; pin every one of them to the matching published version.
    rm -f go.mod go.sum
    go mod init kgitops.invalid/k8s-tools >/dev/null 2>&1
    local mod
    mod=$(go mod download -json "k8s.io/kubernetes@$K8S" | sed -n 's/.*"GoMod": "\(.*\)".*/\1/p')
    for m in $(sed -n 's#^[[:space:]]*\(k8s\.io/[a-z0-9-]*\) => \./staging/.*#\1#p' "$mod"); do
      go mod edit -replace="$m=$m@$STG"
    done
    go get "k8s.io/kubernetes@$K8S"
  fi
  for cmd in kube-apiserver kube-controller-manager kube-scheduler; do
    if [ ! -x "$OUT/$cmd" ]; then
      log "building $cmd $K8S"
      go build -trimpath -pgo=off -ldflags="$(ldflags)" -o "$OUT/$cmd.tmp" "k8s.io/kubernetes/cmd/$cmd"
      mv "$OUT/$cmd.tmp" "$OUT/$cmd"
    fi
  done
}

build_etcd() {
  [ -x "$OUT/etcd" ] && return
  cd "$HERE/etcd"
  [ -f go.mod ] || { go mod init kgitops.invalid/etcd-tool >/dev/null 2>&1; go get "go.etcd.io/etcd/server/v3@$ETCD"; }
  log "building etcd $ETCD"
  go build -trimpath -ldflags=-s -o "$OUT/etcd.tmp" go.etcd.io/etcd/server/v3
  mv "$OUT/etcd.tmp" "$OUT/etcd"
}

build_kwok() {
  [ -x "$OUT/kwok" ] && return
  cd "$HERE/kwok"
  [ -f go.mod ] || { go mod init kgitops.invalid/kwok-tool >/dev/null 2>&1; go get "sigs.k8s.io/kwok@$KWOK"; }
  log "building kwok $KWOK"
  go build -trimpath -ldflags=-s -o "$OUT/kwok.tmp" sigs.k8s.io/kwok/cmd/kwok
  mv "$OUT/kwok.tmp" "$OUT/kwok"
}

build_helm() {
  [ -x "$OUT/helm" ] && return
  mkdir -p "$HERE/helm" && cd "$HERE/helm"
  [ -f go.mod ] || { go mod init kgitops.invalid/helm-tool >/dev/null 2>&1; go get "helm.sh/helm/v3@$HELM"; }
  log "building helm $HELM"
  go build -trimpath -ldflags="-s -w -X helm.sh/helm/v3/internal/version.version=$HELM" -o "$OUT/helm.tmp" helm.sh/helm/v3/cmd/helm
  mv "$OUT/helm.tmp" "$OUT/helm"
}

build_registry() {
  [ -x "$OUT/registry" ] && return
  mkdir -p "$HERE/registry" && cd "$HERE/registry"
  [ -f go.mod ] || { go mod init kgitops.invalid/registry-tool >/dev/null 2>&1; go get "github.com/distribution/distribution/v3@$REGISTRY"; }
  log "building registry $REGISTRY"
  go build -trimpath -ldflags=-s -o "$OUT/registry.tmp" github.com/distribution/distribution/v3/cmd/registry
  mv "$OUT/registry.tmp" "$OUT/registry"
}

build_etcd
build_k8s
build_kwok
build_helm
build_registry
log "control plane binaries ready in $OUT"
