#!/usr/bin/env bash
# Regenerates ../cases.json by running every case of main.go through Masterminds/semver (needs
# Go and the Go module proxy; the Rust tests only read the committed output).
set -euo pipefail
cd "$(dirname "$0")"
go run . > ../cases.json
