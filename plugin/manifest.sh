#!/usr/bin/env bash
# Writes the krew manifest for the release archives of one version: DIR/gitops.yaml, made from
# plugin/krew-manifest.template.yaml with one platform entry per archive
# DIR/kubectl-gitops-vVERSION-OS-ARCH.tar.gz, each with the sha256 of that archive, computed
# here from the archive itself. No hash is ever typed by hand.
#
#   plugin/manifest.sh [--out DIR] [--version X.Y.Z] [--base-url URL] [--manifest FILE]
#
# --out      where the archives are and the manifest goes (default: dist)
# --manifest write the manifest there instead of DIR/gitops.yaml
# --version  the version of the archives (default: Cargo.toml's)
# --base-url where users' krew will download the archives from (default: the GitHub release of
#            the version); the krew test points it at a loopback server
#
# plugin/package.sh runs it after building archives; the release workflow runs it once more
# over the archives of every platform. The file is named gitops.yaml because krew requires a
# manifest's file name to be its plugin name (the krew index keeps it as plugins/gitops.yaml).
set -euo pipefail

out=
version=
base_url=
manifest=
while [ $# -gt 0 ]; do
  case $1 in
    --out) out=$2; shift 2 ;;
    --version) version=$2; shift 2 ;;
    --base-url) base_url=$2; shift 2 ;;
    --manifest) manifest=$2; shift 2 ;;
    *) echo "manifest.sh: unknown argument $1" >&2; exit 2 ;;
  esac
done
# Paths on the command line are the caller's; the script works from the repository root.
abs() { case $1 in /*) echo "$1" ;; *) echo "$PWD/$1" ;; esac; }
[ -z "$out" ] || out=$(abs "$out")
[ -z "$manifest" ] || manifest=$(abs "$manifest")
cd "$(dirname "$0")/.."
out=${out:-$PWD/dist}
[ -n "$version" ] || version=$(sed -n 's/^version = "\(.*\)"/\1/p' Cargo.toml | head -1)
version=${version#v}
tag=v$version
[ -n "$base_url" ] || base_url=https://github.com/kubectl-gitops/kubectl-gitops/releases/download/$tag
base_url=${base_url%/}

sha256() { # prints the lowercase sha256 of a file
  if command -v sha256sum >/dev/null 2>&1; then sha256sum "$1"; else shasum -a 256 "$1"; fi |
    cut -d' ' -f1 | tr 'A-F' 'a-f'
}

platforms=$(mktemp)
trap 'rm -f "$platforms"' EXIT
count=0
shopt -s nullglob
for archive in "$out/kubectl-gitops-$tag-"*.tar.gz; do
  name=$(basename "$archive")
  platform=${name#"kubectl-gitops-$tag-"}
  platform=${platform%.tar.gz}
  os=${platform%%-*}
  arch=${platform#*-}
  case $os/$arch in
    linux/amd64 | linux/arm64 | darwin/amd64 | darwin/arm64 | windows/amd64) ;;
    *) echo "manifest.sh: $name: unknown platform $os/$arch" >&2; exit 1 ;;
  esac
  bin=kubectl-gitops helper=kubectl_complete-gitops
  [ "$os" = windows ] && bin=kubectl-gitops.exe helper=kubectl_complete-gitops.cmd
  sum=$(sha256 "$archive")
  [[ $sum =~ ^[a-f0-9]{64}$ ]] || { echo "manifest.sh: bad sha256 for $name: $sum" >&2; exit 1; }
  cat >>"$platforms" <<ENTRY
  - selector:
      matchLabels:
        os: $os
        arch: $arch
    uri: $base_url/$name
    sha256: $sum
    bin: $bin
    files:
    - from: $bin
      to: .
    - from: LICENSE
      to: .
    - from: $helper
      to: .
    - from: completion/*
      to: completion
ENTRY
  count=$((count + 1))
done
if [ "$count" = 0 ]; then
  echo "manifest.sh: no archive kubectl-gitops-$tag-*.tar.gz in $out" >&2
  exit 1
fi

[ -n "$manifest" ] || manifest=$out/gitops.yaml
mkdir -p "$(dirname "$manifest")"
{
  while IFS= read -r line; do
    case $line in
      '@PLATFORMS@') cat "$platforms" ;;
      \#*) ;; # the template's own comment is about the template, not the manifest
      *) printf '%s\n' "${line//@VERSION@/$tag}" ;;
    esac
  done <plugin/krew-manifest.template.yaml
} >"$manifest.tmp"
mv "$manifest.tmp" "$manifest"
echo "$manifest ($count platforms)"
