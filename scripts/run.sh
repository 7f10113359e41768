#!/usr/bin/env bash
# Sets everything up, builds in release mode and starts tsql on ./data.
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/setup.sh
swift build -c release --product tsql
exec .build/release/tsql --data "${TSQL_DATA:-./data}" "$@"
