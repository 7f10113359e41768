#!/usr/bin/env bash
# Installs the Debian packages the build and tests need, if missing.
set -euo pipefail
need=()
# zlib1g-dev: gzip responses (compress-nio); prometheus and the node exporter: the interoperability tests' real peers;
# prometheus-alertmanager: the alerting interop test's receiver; tmux: the shell's end-to-end test drives tsql in a real terminal.
# libjemalloc-dev: the tsql executable's malloc (Sources/CJemalloc).
for p in liblz4-dev libsnappy-dev libreadline-dev libjemalloc-dev pkg-config zlib1g-dev prometheus prometheus-node-exporter prometheus-alertmanager tmux; do
  dpkg -s "$p" >/dev/null 2>&1 || need+=("$p")
done
if [ ${#need[@]} -gt 0 ]; then
  echo "setup: installing ${need[*]}"
  SUDO=""; [ "$(id -u)" -ne 0 ] && SUDO=sudo
  $SUDO apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq "${need[@]}" >/dev/null
fi

# --test-clients: headless Chromium and Firefox for the web UI's browser tests, and
# the Python client the API tests drive (prometheus-api-client from PyPI, with its
# DataFrame and analytics extras), in a venv of the project's own.
if [ "${1:-}" = "--test-clients" ]; then
  browsers=()
  for p in chromium firefox-esr; do dpkg -s "$p" >/dev/null 2>&1 || browsers+=("$p"); done
  if [ ${#browsers[@]} -gt 0 ]; then
    echo "setup: installing ${browsers[*]}"
    SUDO=""; [ "$(id -u)" -ne 0 ] && SUDO=sudo
    $SUDO apt-get update -qq
    DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq "${browsers[@]}" >/dev/null
  fi
  venv="$(cd "$(dirname "$0")/.." && pwd)/.build-python"
  if [ ! -x "$venv/bin/python" ] || ! "$venv/bin/python" -c 'import prometheus_api_client, pandas' 2>/dev/null; then
    if ! python3 -m venv --help >/dev/null 2>&1 || ! python3 -c 'import ensurepip' 2>/dev/null; then
      SUDO=""; [ "$(id -u)" -ne 0 ] && SUDO=sudo
      $SUDO apt-get update -qq
      DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq python3 python3-venv >/dev/null
    fi
    echo "setup: installing prometheus-api-client into $venv"
    rm -rf "$venv"
    python3 -m venv "$venv"
    "$venv/bin/pip" install -q --disable-pip-version-check "prometheus-api-client[dataframe,analytics]==0.7.2"
  fi
fi
