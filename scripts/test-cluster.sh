#!/usr/bin/env bash
# Starts (or stops) a real Kubernetes control plane on loopback for tests and the demo:
# etcd, kube-apiserver (TLS, token and client-certificate users), kube-controller-manager,
# kube-scheduler and kwok (a fake node that runs pods on paper), so Deployments really roll out.
#
#   scripts/test-cluster.sh start   # builds binaries if needed, starts everything, waits until ready
#   scripts/test-cluster.sh stop    # stops it and removes its state
#   scripts/test-cluster.sh env     # prints `export KUBECONFIG=...` for the running cluster
#   scripts/test-cluster.sh stop-apiserver     # kills only the API server (a server lost mid-run)
#   scripts/test-cluster.sh restart-apiserver  # starts it again on the same state and waits
#
# State lives in $KGITOPS_TEST_DIR (default /dev/shm/kgitops-test). Ports: etcd 23790/23800
# (KGITOPS_ETCD_PORT and +10),
# API server 16443 (override with KGITOPS_API_PORT). Starting an already running cluster is a no-op.
set -euo pipefail

ROOT=$(cd "$(dirname "$0")/.." && pwd)
K8S=${K8S:-v1.33.13}
BIN=${KGITOPS_K8S_BIN:-$HOME/.cache/kgitops-k8s/$K8S}
D=${KGITOPS_TEST_DIR:-/dev/shm/kgitops-test}
API_PORT=${KGITOPS_API_PORT:-16443}
ETCD_PORT=${KGITOPS_ETCD_PORT:-23790}
ETCD_PEER=$((ETCD_PORT + 10))
SERVER="https://127.0.0.1:$API_PORT"
COMPONENTS="kwok kube-scheduler kube-controller-manager kube-apiserver etcd"

log() { printf '[test-cluster] %s\n' "$*" >&2; }

running() { [ -f "$D/$1.pid" ] && kill -0 "$(cat "$D/$1.pid")" 2>/dev/null; }

stop() {
  for c in $COMPONENTS; do
    if running "$c"; then
      kill "$(cat "$D/$c.pid")" 2>/dev/null || true
    fi
  done
  for c in $COMPONENTS; do
    for _ in $(seq 50); do running "$c" || break; sleep 0.2; done
    if running "$c"; then kill -9 "$(cat "$D/$c.pid")" 2>/dev/null || true; fi
  done
  rm -rf "$D"
  log "stopped"
}

logs() { # the tail of every component log, for a failed start or a failed CI run
  for c in $COMPONENTS; do
    [ -f "$D/$c.log" ] || continue
    echo "----- $c.log (last 30 lines)" >&2
    tail -n 30 "$D/$c.log" >&2
  done
}

pki() {
  local p=$D/pki
  mkdir -p "$p"
  (
    cd "$p"
    openssl req -x509 -newkey rsa:2048 -nodes -days 7 -subj /CN=kgitops-test-ca \
      -keyout ca.key -out ca.crt 2>/dev/null
    printf 'subjectAltName=IP:127.0.0.1,DNS:localhost,IP:10.0.0.1,DNS:kubernetes,DNS:kubernetes.default.svc\nextendedKeyUsage=serverAuth\n' >server.ext
    openssl req -newkey rsa:2048 -nodes -subj /CN=kube-apiserver -keyout server.key -out server.csr 2>/dev/null
    openssl x509 -req -in server.csr -CA ca.crt -CAkey ca.key -CAcreateserial -days 7 \
      -extfile server.ext -out server.crt 2>/dev/null
    printf 'extendedKeyUsage=clientAuth\n' >client.ext
    openssl req -newkey rsa:2048 -nodes -subj "/O=system:masters/CN=cert-admin" \
      -keyout admin.key -out admin.csr 2>/dev/null
    openssl x509 -req -in admin.csr -CA ca.crt -CAkey ca.key -CAcreateserial -days 7 \
      -extfile client.ext -out admin.crt 2>/dev/null
    openssl genrsa -out sa.key 2048 2>/dev/null
  )
  head -c 24 /dev/urandom | od -An -tx1 | tr -d ' \n' >"$D/token"
  echo "$(cat "$D/token"),admin,admin-uid,\"system:masters\"" >"$D/tokens.csv"
}

kubeconfig() {
  local p=$D/pki
  cat >"$D/kubeconfig" <<KC
apiVersion: v1
kind: Config
current-context: kgitops-test
clusters:
- name: kgitops-test
  cluster:
    server: $SERVER
    certificate-authority: $p/ca.crt
users:
- name: token-admin
  user:
    token: $(cat "$D/token")
- name: cert-admin
  user:
    client-certificate: $p/admin.crt
    client-key: $p/admin.key
contexts:
- name: kgitops-test
  context: {cluster: kgitops-test, user: token-admin}
- name: kgitops-test-cert
  context: {cluster: kgitops-test, user: cert-admin}
KC
  chmod 600 "$D/kubeconfig"
}

wait_for() { # name, seconds, command...
  local name=$1 secs=$2; shift 2
  for _ in $(seq $((secs * 4))); do
    if "$@" >/dev/null 2>&1; then return 0; fi
    sleep 0.25
  done
  log "$name did not become ready in ${secs}s"
  logs
  return 1
}

spawn() { # name, command...
  local name=$1; shift
  nohup "$@" >"$D/$name.log" 2>&1 &
  echo $! >"$D/$name.pid"
}

api_ok() { curl -fsS --cacert "$D/pki/ca.crt" -H "Authorization: Bearer $(cat "$D/token")" "$SERVER$1"; }

spawn_apiserver() {
  spawn kube-apiserver "$BIN/kube-apiserver" --etcd-servers="http://127.0.0.1:$ETCD_PORT" \
    --audit-policy-file="$D/audit-policy.yaml" --audit-log-path="$D/audit.log" \
    --audit-log-maxsize=500 --audit-log-maxbackup=1 \
    --bind-address=127.0.0.1 --advertise-address=127.0.0.1 --secure-port="$API_PORT" --cert-dir="$D/pki" \
    --tls-cert-file="$D/pki/server.crt" --tls-private-key-file="$D/pki/server.key" \
    --client-ca-file="$D/pki/ca.crt" --token-auth-file="$D/tokens.csv" --authorization-mode=Node,RBAC \
    --service-cluster-ip-range=10.0.0.0/16 \
    --service-account-issuer=https://kubernetes.default.svc.cluster.local \
    --service-account-key-file="$D/pki/sa.key" --service-account-signing-key-file="$D/pki/sa.key" \
    --allow-privileged=true --profiling=false --v=1 \
    --endpoint-reconciler-type=none
}

stop_apiserver() { # only the API server: for tests of a server lost mid-run
  if running kube-apiserver; then
    kill -9 "$(cat "$D/kube-apiserver.pid")" 2>/dev/null || true
    for _ in $(seq 50); do running kube-apiserver || break; sleep 0.1; done
  fi
  log "kube-apiserver stopped"
}

start() {
  if running kube-apiserver && api_ok /readyz >/dev/null 2>&1; then
    log "already running; KUBECONFIG=$D/kubeconfig"
    return 0
  fi
  stop >/dev/null 2>&1 || true
  bash "$ROOT/tools/build.sh"
  mkdir -p "$D"
  pki
  kubeconfig

  spawn etcd "$BIN/etcd" --name=kgitops --data-dir="$D/etcd" \
    --listen-client-urls="http://127.0.0.1:$ETCD_PORT" --advertise-client-urls="http://127.0.0.1:$ETCD_PORT" \
    --listen-peer-urls="http://127.0.0.1:$ETCD_PEER" --initial-advertise-peer-urls="http://127.0.0.1:$ETCD_PEER" \
    --initial-cluster="kgitops=http://127.0.0.1:$ETCD_PEER" --unsafe-no-fsync=true --log-level=warn
  wait_for etcd 30 curl -fsS "http://127.0.0.1:$ETCD_PORT/health"

  # An audit log of who asked for what: security tests read it to show that no request of the
  # plugin left the namespaces a repository may name, sync tests that a sync with nothing to do
  # writes nothing (not even a lease). Node and controller lease chatter, events and health
  # probes are left out to keep it small.
  cat >"$D/audit-policy.yaml" <<'POLICY'
apiVersion: audit.k8s.io/v1
kind: Policy
omitStages: [RequestReceived]
rules:
- level: None
  resources: [{group: coordination.k8s.io, resources: [leases]}]
  namespaces: [kube-node-lease, kube-system]
- level: None
  resources: [{group: "", resources: [events]}, {group: events.k8s.io, resources: [events]}]
- level: None
  nonResourceURLs: ["/healthz*", "/readyz*", "/livez*", "/version"]
- level: Metadata
POLICY
  spawn_apiserver
  wait_for kube-apiserver 90 api_ok /readyz

  spawn kube-controller-manager "$BIN/kube-controller-manager" --kubeconfig="$D/kubeconfig" \
    --leader-elect=false --bind-address=127.0.0.1 --secure-port=0 \
    --service-account-private-key-file="$D/pki/sa.key" --root-ca-file="$D/pki/ca.crt" \
    --cluster-signing-cert-file="$D/pki/ca.crt" --cluster-signing-key-file="$D/pki/ca.key" \
    --use-service-account-credentials=false --controllers='*,-nodeipam' --v=1
  spawn kube-scheduler "$BIN/kube-scheduler" --kubeconfig="$D/kubeconfig" \
    --authentication-kubeconfig="$D/kubeconfig" --authorization-kubeconfig="$D/kubeconfig" \
    --leader-elect=false --bind-address=127.0.0.1 --secure-port=0 --v=1
  spawn kwok "$BIN/kwok" --kubeconfig="$D/kubeconfig" --manage-all-nodes=false \
    --manage-nodes-with-annotation-selector=kwok.x-k8s.io/node=fake \
    --node-ip=127.0.0.1 --cidr=10.244.0.0/16 --node-lease-duration-seconds=40

  # The fake node that kwok keeps Ready and whose pods it reports as running.
  KUBECONFIG=$D/kubeconfig kubectl_matched apply -f - >/dev/null <<'NODE'
apiVersion: v1
kind: Node
metadata:
  name: kwok-node-0
  annotations: {kwok.x-k8s.io/node: fake, node.alpha.kubernetes.io/ttl: "0"}
  labels: {kubernetes.io/hostname: kwok-node-0, kubernetes.io/os: linux, kubernetes.io/arch: amd64, type: kwok}
spec: {}
status:
  allocatable: {cpu: "64", memory: 512Gi, pods: "1000"}
  capacity: {cpu: "64", memory: 512Gi, pods: "1000"}
NODE
  # ServiceAccount admission needs the `default` SA that the controller-manager creates.
  wait_for "default service account" 60 api_ok /api/v1/namespaces/default/serviceaccounts/default
  wait_for "node kwok-node-0 Ready" 60 node_ready
  log "ready: $(api_ok /version | sed -n 's/.*"gitVersion": "\(.*\)".*/\1/p') at $SERVER"
  log "export KUBECONFIG=$D/kubeconfig"
}

node_ready() {
  api_ok /api/v1/nodes/kwok-node-0 | tr -d ' \n' | grep -q '"type":"Ready","status":"True"'
}

# The machine's kubectl is a dispatcher over kubectl.1.27..1.33; use the 1.33 build (the
# server's minor) directly when it is there so that no version-skew warning is printed.
kubectl_matched() {
  local minor
  minor=$(echo "$K8S" | cut -d. -f2)
  if command -v "kubectl.1.$minor" >/dev/null 2>&1; then "kubectl.1.$minor" "$@"
  elif [ -x "/usr/lib/google-cloud-sdk/bin/kubectl.1.$minor" ]; then "/usr/lib/google-cloud-sdk/bin/kubectl.1.$minor" "$@"
  else kubectl "$@"; fi
}

case "${1:-}" in
  start) start ;;
  start-if-stopped) # for scripts/test.sh: records whether it was this call that started it
    if running kube-apiserver && api_ok /readyz >/dev/null 2>&1; then exit 0; fi
    start && touch "$D/started-by-test-sh" ;;
  stop) stop ;;
  logs) logs ;;
  env) echo "export KUBECONFIG=$D/kubeconfig" ;;
  stop-apiserver) stop_apiserver ;;
  restart-apiserver)
    stop_apiserver
    spawn_apiserver
    wait_for kube-apiserver 90 api_ok /readyz
    log "kube-apiserver ready again at $SERVER" ;;
  *) echo "usage: $0 start|start-if-stopped|stop|logs|env|stop-apiserver|restart-apiserver" >&2; exit 2 ;;
esac
