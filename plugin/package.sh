#!/usr/bin/env bash
# Builds the release archives of kubectl-gitops, one per platform, and the krew manifest that
# lists them (plugin/manifest.sh), into dist/.
#
#   plugin/package.sh [--debug] [--version X.Y.Z] [--platforms "linux/amd64 ..." | host]
#                     [--strict] [--out DIR] [--base-url URL]
#
# Each archive, kubectl-gitops-vVERSION-OS-ARCH.tar.gz, holds the binary, LICENSE, the
# kubectl_complete-gitops helper (kubectl's plugin completion) and completion/ scripts for
# bash, zsh, fish and PowerShell; ARCHIVE.sha256 beside it holds its lowercase sha256.
#
# Platforms: linux/amd64, linux/arm64, darwin/amd64, darwin/arm64, windows/amd64 (the default
# is all of them). A platform this machine cannot build is skipped with a note, or is an error
# with --strict: it needs the Rust standard library for its target (`rustup target add` is
# tried) and a C compiler for it (ring, under rustls, compiles C and assembly): cc for the host,
# aarch64-linux-gnu-gcc for linux/arm64 and x86_64-w64-mingw32-gcc for windows/amd64 from Linux,
# and macOS itself for darwin. .github/workflows/release.yml builds each on a runner that can.
#
# --version  stamps the binary (KUBECTL_GITOPS_VERSION, read by src/main.rs) and names the
#            archives, without editing Cargo.toml (default: Cargo.toml's version)
# --debug    builds the dev profile (fast; the krew test uses it) instead of --release
# --out      output directory (default: dist)
# --base-url passed to plugin/manifest.sh: where krew will download the archives from
set -euo pipefail

profile=release
version=
platforms="linux/amd64 linux/arm64 darwin/amd64 darwin/arm64 windows/amd64"
strict=0
out=
base_url=
while [ $# -gt 0 ]; do
  case $1 in
    --debug) profile=dev; shift ;;
    --version) version=$2; shift 2 ;;
    --platforms) platforms=$2; shift 2 ;;
    --strict) strict=1; shift ;;
    --out) out=$2; shift 2 ;;
    --base-url) base_url=$2; shift 2 ;;
    *) echo "package.sh: unknown argument $1" >&2; exit 2 ;;
  esac
done
# Paths on the command line are the caller's; the script works from the repository root.
abs() { case $1 in /*) echo "$1" ;; *) echo "$PWD/$1" ;; esac; }
[ -z "$out" ] || out=$(abs "$out")
if [ -n "${CARGO_TARGET_DIR:-}" ]; then
  CARGO_TARGET_DIR=$(abs "$CARGO_TARGET_DIR")
  export CARGO_TARGET_DIR
fi
cd "$(dirname "$0")/.."
out=${out:-$PWD/dist}

log() { printf '[package] %s\n' "$*" >&2; }

cargo_version=$(sed -n 's/^version = "\(.*\)"/\1/p' Cargo.toml | head -1)
version=${version:-$cargo_version}
version=${version#v}
if ! [[ $version =~ ^[0-9]+\.[0-9]+\.[0-9]+(-[0-9A-Za-z.-]+)?(\+[0-9A-Za-z.-]+)?$ ]]; then
  echo "package.sh: version $version is not semver (krew requires one)" >&2
  exit 2
fi
tag=v$version
# Stamped only when it differs: an unchanged environment keeps cargo from relinking.
if [ "$version" != "$cargo_version" ]; then
  export KUBECTL_GITOPS_VERSION=$version
else
  unset KUBECTL_GITOPS_VERSION
fi

host=$(rustc -vV | sed -n 's/^host: //p')
target_dir=${CARGO_TARGET_DIR:-$PWD/target}
profile_dir=$([ "$profile" = dev ] && echo debug || echo release)
if [ "$platforms" = host ]; then platforms=$(case $host in
  x86_64-unknown-linux-*) echo linux/amd64 ;;
  aarch64-unknown-linux-*) echo linux/arm64 ;;
  x86_64-apple-darwin) echo darwin/amd64 ;;
  aarch64-apple-darwin) echo darwin/arm64 ;;
  x86_64-pc-windows-*) echo windows/amd64 ;;
  *) echo "package.sh: no release platform for host $host" >&2; exit 2 ;;
esac); fi

rust_target() { # PLATFORM -> the Rust target that builds it here
  case $1 in
    linux/amd64) echo x86_64-unknown-linux-gnu ;;
    linux/arm64) echo aarch64-unknown-linux-gnu ;;
    darwin/amd64) echo x86_64-apple-darwin ;;
    darwin/arm64) echo aarch64-apple-darwin ;;
    windows/amd64) case $host in *-windows-msvc) echo x86_64-pc-windows-msvc ;; *) echo x86_64-pc-windows-gnu ;; esac ;;
    *) return 1 ;;
  esac
}

c_compiler() { # TARGET -> the C compiler ring needs for it on this host, or nothing
  case $1 in
    "$host") echo cc ;;
    *-apple-darwin) case $host in *-apple-darwin) echo cc ;; esac ;;
    aarch64-unknown-linux-gnu) echo aarch64-linux-gnu-gcc ;;
    x86_64-unknown-linux-gnu) echo x86_64-linux-gnu-gcc ;;
    x86_64-pc-windows-gnu) echo x86_64-w64-mingw32-gcc ;;
  esac
}

has_std() { # TARGET: whether rustc has the standard library for it
  local dir
  dir=$(rustc --print target-libdir --target "$1" 2>/dev/null) || return 1
  compgen -G "$dir/libstd-*.rlib" >/dev/null
}

cannot() { # PLATFORM REASON
  if [ "$strict" = 1 ]; then
    echo "package.sh: cannot build $1: $2" >&2
    exit 1
  fi
  log "skipping $1: $2"
}

build() { # TARGET -> builds it and prints the binary's path
  local t=$1 cc args=(build --locked --bin kubectl-gitops --profile "$profile")
  if [ "$t" = "$host" ]; then
    # No --target for the host: the dev build then shares target/debug with `cargo test`.
    # Explicit returns: errexit does not reach into the $(...) this runs in.
    cargo "${args[@]}" >&2 || return 1
    case $host in
      *-windows-*) echo "$target_dir/$profile_dir/kubectl-gitops.exe" ;;
      *) echo "$target_dir/$profile_dir/kubectl-gitops" ;;
    esac
    return
  fi
  cc=$(c_compiler "$t")
  local upper
  upper=$(echo "$t" | tr 'a-z-' 'A-Z_')
  env "CC_${t//-/_}=$cc" "CARGO_TARGET_${upper}_LINKER=$cc" cargo "${args[@]}" --target "$t" >&2 || return 1
  local exe=kubectl-gitops
  [[ $t == *windows* ]] && exe=kubectl-gitops.exe
  echo "$target_dir/$t/$profile_dir/$exe"
}

mkdir -p "$out"
rm -f "$out/kubectl-gitops-$tag-"*.tar.gz "$out/kubectl-gitops-$tag-"*.tar.gz.sha256

# The completion scripts come from a binary this machine can run: the host build.
log "building $host ($profile profile, version $version)"
host_bin=$(build "$host")
scripts=$(mktemp -d)
trap 'rm -rf "$scripts"' EXIT
mkdir -p "$scripts/completion"
"$host_bin" completion bash >"$scripts/completion/kubectl-gitops.bash"
"$host_bin" completion zsh >"$scripts/completion/_kubectl-gitops"
"$host_bin" completion fish >"$scripts/completion/kubectl-gitops.fish"
"$host_bin" completion powershell >"$scripts/completion/kubectl-gitops.ps1"
# The version the binary reports must be the one the archive is named after.
reported=$("$host_bin" version --client)
case $reported in
  "Client Version: $tag "*) ;;
  *) echo "package.sh: the binary reports '$reported', expected $tag" >&2; exit 1 ;;
esac

built=0
for platform in $platforms; do
  t=$(rust_target "$platform") || { echo "package.sh: unknown platform $platform" >&2; exit 2; }
  if [ "$t" = "$host" ]; then
    bin=$host_bin
  else
    cc=$(c_compiler "$t")
    if [ -z "$cc" ] || ! command -v "$cc" >/dev/null 2>&1; then
      cannot "$platform" "no C compiler for $t on $host (${cc:-needs a macOS host})"
      continue
    fi
    if ! has_std "$t"; then
      log "rustup target add $t"
      if ! rustup target add "$t" >&2 || ! has_std "$t"; then
        cannot "$platform" "no Rust standard library for $t"
        continue
      fi
    fi
    log "building $t ($profile profile, version $version)"
    bin=$(build "$t")
  fi
  stage=$(mktemp -d)
  exe=$(basename "$bin")
  install -m 755 "$bin" "$stage/$exe"
  # A dev binary is mostly debug info (over 200 MB): stripped, the test's archives pack in
  # seconds. Release builds are stripped by Cargo.toml's profile.
  if [ "$profile" = dev ] && [ "$t" = "$host" ] && command -v strip >/dev/null 2>&1; then
    strip "$stage/$exe"
  fi
  install -m 644 LICENSE "$stage/LICENSE"
  # kubectl finds the completion helper by name on PATH; Windows runs a .cmd, not a sh script.
  case $platform in
    windows/*)
      helper=kubectl_complete-gitops.cmd
      printf '@kubectl-gitops.exe __complete %%*\r\n' >"$stage/$helper" ;;
    *)
      helper=kubectl_complete-gitops
      install -m 755 plugin/kubectl_complete-gitops "$stage/$helper" ;;
  esac
  mkdir -p "$stage/completion"
  install -m 644 "$scripts"/completion/* "$stage/completion/"
  archive=$out/kubectl-gitops-$tag-${platform/\//-}.tar.gz
  tar -C "$stage" -czf "$archive.tmp" "$exe" LICENSE "$helper" completion
  rm -rf "$stage"
  mv "$archive.tmp" "$archive"
  (cd "$out" && if command -v sha256sum >/dev/null 2>&1; then sha256sum "$(basename "$archive")"; else shasum -a 256 "$(basename "$archive")"; fi) >"$archive.sha256"
  log "$(cat "$archive.sha256")"
  built=$((built + 1))
done
if [ "$built" = 0 ]; then
  echo "package.sh: no archive built" >&2
  exit 1
fi

manifest_args=(--out "$out" --version "$version")
[ -n "$base_url" ] && manifest_args+=(--base-url "$base_url")
bash plugin/manifest.sh "${manifest_args[@]}"
