#!/usr/bin/env bash
# Runs the whole test suite (installing missing system packages and the Python test client first).
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/setup.sh --test-clients
# The crash test drives the tsql binary as a child process: build it first.
swift build --product tsql
# A hung test must fail the run, not use up CI's 90 minutes: the suite takes ~5.
status=0
timeout --kill-after=30s 40m swift test "$@" || status=$?
if [ "$status" -eq 124 ] || [ "$status" -eq 137 ]; then
  echo "test.sh: the test suite did not finish within 40 minutes (a hung test?)" >&2
fi
exit "$status"
