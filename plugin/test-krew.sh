#!/usr/bin/env bash
# The distribution test: the release archives and the krew manifest, checked with the real krew
# (built from Go modules by tools/krew/build.sh) and the real kubectl, as users install them.
#
#  1. builds two archives of this platform with plugin/package.sh (dev profile, for speed): the
#     Cargo.toml version and the next patch version (stamped, Cargo.toml untouched);
#  2. validates the generated manifest with krew's validate-krew-manifest: structurally as
#     published (-skip-install, since its uri is the GitHub release), then fully, installing
#     every platform from a loopback HTTP server as krew does from a release (LICENSE included);
#  3. shows that a wrong or uppercase sha256 is refused;
#  4. installs offline with `kubectl krew install --manifest --archive` into a temporary
#     KREW_ROOT, runs `kubectl gitops version --client`, completes through kubectl's plugin
#     completion (`kubectl __complete gitops ...` and bash's TAB via `kubectl completion bash`)
#     with the shipped kubectl_complete-gitops, and uninstalls;
#  5. installs from a custom index (a local Git repository, archives on the loopback server),
#     upgrades to the second archive with `kubectl krew upgrade`, checks version and
#     completion, and uninstalls.
#
# Needs no cluster. Any failure stops the run with the failing step's output (exit 1); a krew
# that cannot be built is such a failure, never a skip.
set -euo pipefail
cd "$(dirname "$0")/.."

passed=0
step() { printf '[krew-test] %s\n' "$*" >&2; }
fail() {
  printf '[krew-test] FAILED: %s\n' "$1" >&2
  [ -z "${2:-}" ] || printf '%s\n' "$2" | sed 's/^/    /' >&2
  echo "krew: $passed passed, 1 failed"
  exit 1
}
ok() {
  passed=$((passed + 1))
  step "ok: $*"
}
# run DESCRIPTION CMD...: runs CMD, keeps its output in $out, fails the test if it fails.
run() {
  local what=$1
  shift
  if ! out=$("$@" 2>&1); then fail "$what" "$out"; fi
}
# refused DESCRIPTION PATTERN CMD...: CMD must fail, saying something that matches PATTERN.
refused() {
  local what=$1 pattern=$2
  shift 2
  if out=$("$@" 2>&1); then fail "$what: expected a failure" "$out"; fi
  grep -Eq "$pattern" <<<"$out" || fail "$what: failed, but not with /$pattern/" "$out"
}
contains() { # DESCRIPTION NEEDLE: $out must contain NEEDLE as a whole line
  grep -Fxq -- "$2" <<<"$out" || fail "$1: no line '$2'" "$out"
}

work=$(mktemp -d "${TMPDIR:-/tmp}/kgitops-krew.XXXXXX")
server_pid=
cleanup() {
  if [ -n "$server_pid" ]; then kill "$server_pid" 2>/dev/null || true; fi
  rm -rf "$work"
}
trap cleanup EXIT

# --- tools -------------------------------------------------------------------------------------
step "building krew"
krew_dir=$(bash tools/krew/build.sh) || fail "tools/krew/build.sh could not build krew"
for tool in kubectl-krew validate-krew-manifest fileserver; do
  [ -x "$krew_dir/$tool" ] || fail "tools/krew/build.sh left no $krew_dir/$tool"
done
mkdir -p "$work/bin"
ln -s "$krew_dir/kubectl-krew" "$work/bin/kubectl-krew"
# The kubectl of the control plane's minor (as scripts/test-cluster.sh picks it): the machine's
# `kubectl` may be a dispatcher. Plugin completion needs kubectl 1.26 or newer.
minor=$(echo "${K8S:-v1.33.13}" | cut -d. -f2)
kubectl_bin=$(command -v "kubectl.1.$minor" 2>/dev/null ||
  { [ -x "/usr/lib/google-cloud-sdk/bin/kubectl.1.$minor" ] && echo "/usr/lib/google-cloud-sdk/bin/kubectl.1.$minor"; } ||
  command -v kubectl) || fail "no kubectl on PATH"
ln -s "$kubectl_bin" "$work/bin/kubectl"
kubectl_minor=$("$work/bin/kubectl" version --client -o json | sed -n 's/.*"minor": *"\([0-9]*\).*/\1/p' | head -1)
[ "${kubectl_minor:-0}" -ge 26 ] || fail "kubectl $kubectl_bin is 1.$kubectl_minor; plugin completion needs 1.26+"

# --- archives ----------------------------------------------------------------------------------
v1=$(sed -n 's/^version = "\(.*\)"/\1/p' Cargo.toml | head -1)
IFS=. read -r major minor_v patch <<<"${v1%%[-+]*}"
v2=$major.$minor_v.$((patch + 1))
mkdir -p "$work/www"
# A coprocess: its stdin is a pipe this script holds, so the server exits with the script even
# when the script is killed without running its trap.
# shellcheck disable=SC2034 # SERVER holds the pipe; only its pid is used.
coproc SERVER { exec "$krew_dir/fileserver" -dir "$work/www" -url-file "$work/url"; }
# shellcheck disable=SC2153 # SERVER_PID is set by coproc
server_pid=$SERVER_PID
for _ in $(seq 50); do [ -s "$work/url" ] && break; sleep 0.1; done
[ -s "$work/url" ] || fail "the loopback file server did not start"
url=$(cat "$work/url")

# v2 first: building v1 (Cargo.toml's version) last leaves target/ with the normal binary.
for v in "$v2" "$v1"; do
  step "packaging v$v"
  run "plugin/package.sh --version $v" \
    bash plugin/package.sh --debug --platforms host --version "$v" --out "$work/www/v$v" --base-url "$url/v$v"
done
archives=("$work/www/v$v1/kubectl-gitops-v$v1-"*.tar.gz)
[ ${#archives[@]} = 1 ] || fail "expected one archive of v$v1" "$(ls "$work/www/v$v1")"
a1=${archives[0]}
a2=$(echo "$work/www/v$v2/kubectl-gitops-v$v2-"*.tar.gz)
for a in "$a1" "$a2"; do
  listing=$(tar tzf "$a")
  for f in kubectl-gitops LICENSE kubectl_complete-gitops completion/kubectl-gitops.bash \
    completion/_kubectl-gitops completion/kubectl-gitops.fish; do
    grep -Fxq "$f" <<<"$listing" || fail "$(basename "$a") lacks $f" "$listing"
  done
  sum=$(cut -d' ' -f1 "$a.sha256")
  [[ $sum =~ ^[a-f0-9]{64}$ ]] || fail "$a.sha256 is not a lowercase sha256: $sum"
  grep -q "sha256: $sum\$" "$(dirname "$a")/gitops.yaml" || fail "the manifest does not carry the sha256 of $(basename "$a")"
done
ok "archives v$v1 and v$v2 hold the binary, LICENSE and completion; the manifests carry their sha256"

# --- krew's validator --------------------------------------------------------------------------
export PATH="$work/bin:$PATH" KREW_NO_UPGRADE_CHECK=1
mkdir -p "$work/release"
run "manifest.sh (release uri)" bash plugin/manifest.sh --out "$work/www/v$v1" --manifest "$work/release/gitops.yaml"
grep -q "uri: https://github.com/.*/releases/download/v$v1/kubectl-gitops-v$v1-" "$work/release/gitops.yaml" ||
  fail "the release manifest does not point at the GitHub release" "$(cat "$work/release/gitops.yaml")"
run "validate-krew-manifest -skip-install (release manifest)" \
  "$krew_dir/validate-krew-manifest" -manifest "$work/release/gitops.yaml" -skip-install
ok "validate-krew-manifest accepts the release manifest"
run "validate-krew-manifest (installs every platform)" \
  "$krew_dir/validate-krew-manifest" -manifest "$work/www/v$v1/gitops.yaml"
grep -q "spec.platforms installed fine" <<<"$out" || fail "validate-krew-manifest did not install" "$out"
ok "validate-krew-manifest installs every platform of the manifest (downloaded, sha256, LICENSE)"

mkdir -p "$work/bad" "$work/upper"
wrong=$(printf 'not the archive' | { sha256sum 2>/dev/null || shasum -a 256; } | cut -d' ' -f1)
sed "s/sha256: .*/sha256: $wrong/" "$work/www/v$v1/gitops.yaml" >"$work/bad/gitops.yaml"
sed 's/sha256: \(.*\)/sha256: \U\1/' "$work/www/v$v1/gitops.yaml" >"$work/upper/gitops.yaml"
refused "validate-krew-manifest with a wrong sha256" 'checksum|sha256' \
  "$krew_dir/validate-krew-manifest" -manifest "$work/bad/gitops.yaml"
refused "krew install --archive with a wrong sha256" 'checksum|sha256' \
  env KREW_ROOT="$work/krew-bad" kubectl krew install --manifest="$work/bad/gitops.yaml" --archive="$a1"
refused "validate-krew-manifest with an uppercase sha256" 'sha256.*not valid' \
  "$krew_dir/validate-krew-manifest" -manifest "$work/upper/gitops.yaml" -skip-install
ok "a wrong sha256 fails validation and install; an uppercase one fails validation"

# --- a repository to complete app names in (as scripts/demo.sh makes it) ----------------------
repo=$work/homelab
cp -r examples/homelab "$repo"
git -C "$repo" init -q -b main
git -C "$repo" remote add origin https://github.com/example/homelab.git
git -C "$repo" add -A
git -C "$repo" -c user.name=test -c user.email=test@example.com commit -q -m homelab

# From here on kubectl and krew see only the test's own home and KREW_ROOT.
export HOME=$work/home KREW_ROOT=$work/krew
unset KUBECONFIG
mkdir -p "$HOME"
export PATH="$KREW_ROOT/bin:$PATH"
# bash-completion's helper, reduced to what kubectl's bash script asks of it, so that TAB is
# simulated without the bash-completion package.
cat >"$work/tab.sh" <<'TAB'
source <(kubectl completion bash)
_get_comp_words_by_ref() { cur=${COMP_WORDS[COMP_CWORD]}; prev=${COMP_WORDS[COMP_CWORD-1]}; words=("${COMP_WORDS[@]}"); cword=$COMP_CWORD; }
COMP_LINE=$1
COMP_POINT=${#COMP_LINE}
read -ra COMP_WORDS <<<"$COMP_LINE"
[[ $COMP_LINE == *" " ]] && COMP_WORDS+=("")
COMP_CWORD=$((${#COMP_WORDS[@]} - 1))
__start_kubectl kubectl "${COMP_WORDS[COMP_CWORD]}" "${COMP_WORDS[COMP_CWORD - 1]}" 2>/dev/null
printf '%s\n' "${COMPREPLY[@]}"
TAB

# The archive's own bash script for `kubectl-gitops` run directly: whatever function it registers
# for that command name is called as bash would on TAB.
cat >"$work/tab-static.sh" <<'TAB'
source "$1"
COMP_LINE=$2
COMP_POINT=${#COMP_LINE}
read -ra COMP_WORDS <<<"$COMP_LINE"
[[ $COMP_LINE == *" " ]] && COMP_WORDS+=("")
COMP_CWORD=$((${#COMP_WORDS[@]} - 1))
fn=$(complete -p kubectl-gitops | sed -n 's/.* -F \([^ ]*\) .*/\1/p')
[ -n "$fn" ] || { echo "nothing completes kubectl-gitops" >&2; exit 1; }
"$fn" kubectl-gitops "${COMP_WORDS[COMP_CWORD]}" "${COMP_WORDS[COMP_CWORD - 1]}"
printf '%s\n' "${COMPREPLY[@]}"
TAB

in_repo() { (cd "$repo" && "$@"); }
gone() { # the plugin is uninstalled: neither krew's link nor its files are left
  if [ -e "$KREW_ROOT/bin/kubectl-gitops" ] || [ -e "$KREW_ROOT/store/gitops" ]; then
    fail "uninstall left the plugin behind" "$(ls -R "$KREW_ROOT/bin" "$KREW_ROOT/store")"
  fi
}

check_installed() { # VERSION: the installed plugin runs and completes
  local v=$1
  run "kubectl gitops version --client" kubectl gitops version --client
  case $out in "Client Version: v$v "*) ;; *) fail "the installed plugin is not v$v" "$out" ;; esac
  run "kubectl plugin list" kubectl plugin list
  grep -q "^$KREW_ROOT/bin/kubectl-gitops\$" <<<"$out" || fail "kubectl plugin list does not show krew's kubectl-gitops" "$out"
  # The helper as the caveat installs it: copied next to krew's link, once.
  [ -x "$KREW_ROOT/bin/kubectl_complete-gitops" ] ||
    cp "$KREW_ROOT/store/gitops/v$v/kubectl_complete-gitops" "$KREW_ROOT/bin/"
  run "kubectl __complete gitops (subcommands)" in_repo kubectl __complete gitops ""
  contains "kubectl __complete gitops" $'render\tPrint the objects the apps deploy, exactly as sync would send them'
  contains "kubectl __complete gitops" ":4"
  run "kubectl __complete gitops render --app" in_repo kubectl __complete gitops render --app ""
  for app in homelab blog chat files gateway; do contains "kubectl __complete gitops render --app" "$app"; done
  run "kubectl __complete gitops diff --app=f" in_repo kubectl __complete gitops diff --app=f
  contains "kubectl __complete gitops diff --app=f" "--app=files"
  run "bash TAB after 'kubectl gitops diff --app '" in_repo bash "$work/tab.sh" "kubectl gitops diff --app "
  for app in homelab blog chat files gateway; do contains "bash TAB" "$app"; done
  run "bash TAB after 'kubectl gitops ver'" bash "$work/tab.sh" "kubectl gitops ver"
  contains "bash TAB" "version"
  local static=$KREW_ROOT/store/gitops/v$v/completion/kubectl-gitops.bash
  run "completion/kubectl-gitops.bash: 'kubectl-gitops re'" bash "$work/tab-static.sh" "$static" "kubectl-gitops re"
  contains "static bash completion" "render"
  run "completion/kubectl-gitops.bash: 'kubectl-gitops diff --ap'" bash "$work/tab-static.sh" "$static" "kubectl-gitops diff --ap"
  contains "static bash completion of a subcommand's flags" "--app"
}

# krew as `kubectl krew update` leaves it on a user's machine, but with its default index (a Git
# clone of krew-index on GitHub) replaced by an empty local repository: uninstall, list and
# upgrade refuse to run without an index.
default_index=$work/default-index
mkdir -p "$default_index/plugins"
touch "$default_index/plugins/.keep"
git -C "$default_index" init -q -b main
git -C "$default_index" add -A
git -C "$default_index" -c user.name=test -c user.email=test@example.com commit -q -m "empty index"
export KREW_DEFAULT_INDEX_URI=$default_index
run "kubectl krew update" kubectl krew update

# --- offline install from the manifest and the archive -----------------------------------------
step "krew install --manifest --archive (v$v1)"
run "kubectl krew install --manifest --archive" \
  kubectl krew install --manifest="$work/www/v$v1/gitops.yaml" --archive="$a1"
grep -q "Installed plugin: gitops" <<<"$out" || fail "krew did not say it installed gitops" "$out"
check_installed "$v1"
ok "installed offline with --manifest/--archive: version v$v1, completion through kubectl, bash TAB and the shipped bash script"
# krew upgrades only what an index provides; a plugin installed from a manifest is left alone.
run "kubectl krew upgrade (manifest install)" kubectl krew upgrade gitops --no-update-index
grep -q "installed via manifest" <<<"$out" || fail "krew upgrade did not skip the manifest install" "$out"
run "kubectl krew uninstall gitops" kubectl krew uninstall gitops
gone
rm -f "$KREW_ROOT/bin/kubectl_complete-gitops"
ok "uninstalled"

# --- custom index: install, upgrade, uninstall -------------------------------------------------
step "custom index: install v$v1, upgrade to v$v2"
index=$work/index
mkdir -p "$index/plugins"
cp "$work/www/v$v1/gitops.yaml" "$index/plugins/gitops.yaml"
git -C "$index" init -q -b main
git -C "$index" add -A
git -C "$index" -c user.name=test -c user.email=test@example.com commit -q -m "gitops v$v1"
run "kubectl krew index add" kubectl krew index add kgitops "$index"
run "kubectl krew install kgitops/gitops" kubectl krew install kgitops/gitops
grep -Eq "Installed plugin: (kgitops/)?gitops" <<<"$out" || fail "krew did not install from the index" "$out"
grep -Eq "^ +name: kgitops$" "$KREW_ROOT/receipts/gitops.yaml" ||
  fail "the receipt does not name the custom index as the source" "$(cat "$KREW_ROOT/receipts/gitops.yaml")"
check_installed "$v1"
ok "installed v$v1 from a custom index (downloaded from its uri)"
cp "$work/www/v$v2/gitops.yaml" "$index/plugins/gitops.yaml"
git -C "$index" -c user.name=test -c user.email=test@example.com commit -q -am "gitops v$v2"
run "kubectl krew upgrade gitops" kubectl krew upgrade gitops
grep -Eq "Upgraded plugin: (kgitops/)?gitops" <<<"$out" || fail "krew did not upgrade" "$out"
[ ! -e "$KREW_ROOT/store/gitops/v$v1" ] || fail "the upgrade left v$v1 in the store"
check_installed "$v2"
ok "upgraded to v$v2 with kubectl krew upgrade; the copied completion helper still works"
run "kubectl krew uninstall gitops" kubectl krew uninstall gitops
gone
if out=$(kubectl gitops version --client 2>&1); then fail "kubectl gitops still runs after uninstall" "$out"; fi
ok "uninstalled; kubectl no longer finds the plugin"

echo "krew: $passed passed, 0 failed"
