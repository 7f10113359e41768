#!/usr/bin/env bash
# Sets everything up, builds in release mode, and starts tsql: the Prometheus
# API on 127.0.0.1:9090 over ./data, scraping its own /metrics every 5 s
# (scripts/default-prometheus.yml), and, on a terminal, the interactive
# shell over the same data (leaving the shell stops the server).
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/setup.sh
swift build -c release --product tsql
data="${TSQL_DATA:-./data}"
exec .build/release/tsql serve --config.file "${TSQL_CONFIG:-scripts/default-prometheus.yml}" \
  --storage.tsdb.path "$data" "$@"
