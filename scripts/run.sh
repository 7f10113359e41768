#!/usr/bin/env bash
# Sets everything up, builds in release mode and serves the Prometheus API
# on 127.0.0.1:9090 with ./data (the interactive shell comes with issue 6).
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/setup.sh
swift build -c release --product tsql
data="${TSQL_DATA:-./data}"
.build/release/tsql info --data "$data"
exec .build/release/tsql serve --storage.tsdb.path "$data" "$@"
