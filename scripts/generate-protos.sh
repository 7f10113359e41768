#!/usr/bin/env bash
# Regenerates the committed Swift code for proto/*.proto. Needs protoc
# (Debian: apt-get install protobuf-compiler) and protoc-gen-swift built from
# the swift-protobuf version the package resolves (its checkout is in .build):
#   swift build -c release --package-path .build/checkouts/swift-protobuf \
#     --product protoc-gen-swift --scratch-path /tmp/protoc-gen-swift
#   PROTOC_GEN_SWIFT=/tmp/protoc-gen-swift/release/protoc-gen-swift scripts/generate-protos.sh
set -euo pipefail
cd "$(dirname "$0")/.."
plugin=${PROTOC_GEN_SWIFT:-$(command -v protoc-gen-swift)}
protoc --plugin=protoc-gen-swift="$plugin" --swift_opt=Visibility=Internal \
  --swift_out=Sources/Server/Generated -I proto proto/remote_read.proto
