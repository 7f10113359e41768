#!/usr/bin/env bash
# Runs the whole test suite (installing missing system packages and the Python test client first).
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/setup.sh --test-clients
# The crash test drives the tsql binary as a child process: build it first.
swift build --product tsql
swift test "$@"
