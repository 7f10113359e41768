#!/usr/bin/env bash
# Installs the Debian packages the build and tests need, if missing.
set -euo pipefail
need=()
# zlib1g-dev: gzip responses (compress-nio); prometheus and the node exporter: the interoperability tests' real peers.
for p in liblz4-dev libsnappy-dev libreadline-dev pkg-config zlib1g-dev prometheus prometheus-node-exporter; do
  dpkg -s "$p" >/dev/null 2>&1 || need+=("$p")
done
if [ ${#need[@]} -gt 0 ]; then
  echo "setup: installing ${need[*]}"
  SUDO=""; [ "$(id -u)" -ne 0 ] && SUDO=sudo
  $SUDO apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq "${need[@]}" >/dev/null
fi
