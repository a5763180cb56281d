#!/usr/bin/env bash
# Installs what the tests need beyond the machine image's Go, Rust and kubectl: Debian tools for
# the test control plane's certificates and health checks, and rustfmt/clippy. Idempotent.
set -euo pipefail

need_apt=()
for tool in openssl curl git; do
  command -v "$tool" >/dev/null 2>&1 || need_apt+=("$tool")
done
if [ ${#need_apt[@]} -gt 0 ]; then
  echo "[install-deps] apt-get install ${need_apt[*]}" >&2
  apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "${need_apt[@]}"
fi

for tool in go cargo kubectl; do
  command -v "$tool" >/dev/null 2>&1 || { echo "[install-deps] $tool is required but missing" >&2; exit 1; }
done
rustup component list --installed 2>/dev/null | grep -q '^rustfmt' || rustup component add rustfmt
rustup component list --installed 2>/dev/null | grep -q '^clippy' || rustup component add clippy
