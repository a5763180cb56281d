#!/usr/bin/env bash
# Regenerates ../cases.json by running every case of cases.go through Go's text/template and
# Sprig (needs Go and the Go module proxy; the Rust tests only read the committed output).
set -euo pipefail
cd "$(dirname "$0")"
TZ=UTC go run .
