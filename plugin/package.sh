#!/usr/bin/env bash
# Builds the release binary and the krew archive (binary + LICENSE) for this platform into dist/,
# and prints the archive's sha256 for krew-manifest.yaml.
set -euo pipefail
cd "$(dirname "$0")/.."
version=v$(sed -n 's/^version = "\(.*\)"/\1/p' Cargo.toml | head -1)
target=$(rustc -vV | sed -n 's/^host: //p')
cargo build --release --locked
stage=$(mktemp -d)
cp target/release/kubectl-gitops LICENSE "$stage/"
mkdir -p dist
archive=dist/kubectl-gitops-$version-$target.tar.gz
tar -C "$stage" -czf "$archive" kubectl-gitops LICENSE
rm -rf "$stage"
echo "$archive"
sha256sum "$archive" | cut -d' ' -f1
