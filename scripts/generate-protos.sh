#!/usr/bin/env bash
# Regenerates the committed Swift code for proto/*.proto. Needs protoc
# (Debian: protobuf-compiler) and protoc-gen-swift built from the same
# swift-protobuf version the package resolves, e.g.:
#   git clone https://github.com/apple/swift-protobuf && cd swift-protobuf &&
#   git checkout 1.39.0 && swift build -c release --product protoc-gen-swift
# then: PROTOC_GEN_SWIFT=/path/to/.build/release/protoc-gen-swift scripts/generate-protos.sh
set -euo pipefail
cd "$(dirname "$0")/.."
plugin=${PROTOC_GEN_SWIFT:-$(command -v protoc-gen-swift)}
protoc --plugin=protoc-gen-swift="$plugin" --swift_opt=Visibility=Internal \
  --swift_out=Sources/Server/Generated -I proto proto/remote_read.proto
