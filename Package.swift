// swift-tools-version: 6.1
import PackageDescription

let package = Package(
    name: "tsdb",
    platforms: [.macOS(.v15)],
    products: [
        .library(name: "TSDB", targets: ["TSDB"]),
        .library(name: "PromQL", targets: ["PromQL"]),
        .library(name: "Server", targets: ["Server"]),
        .executable(name: "tsql", targets: ["tsql"]),
    ],
    dependencies: [
        .package(url: "https://github.com/apple/swift-argument-parser", from: "1.5.0"),
        .package(url: "https://github.com/hummingbird-project/hummingbird", from: "2.0.0"),
        .package(url: "https://github.com/apple/swift-nio", from: "2.65.0"),
        .package(url: "https://github.com/apple/swift-nio-extras", from: "1.24.0"),
        .package(url: "https://github.com/apple/swift-http-types", from: "1.0.0"),
        .package(url: "https://github.com/apple/swift-protobuf", from: "1.28.0"),
        .package(url: "https://github.com/jpsim/Yams", from: "6.0.0"),
        .package(url: "https://github.com/apple/swift-log", from: "1.5.0"),
        .package(url: "https://github.com/adam-fowler/compress-nio", from: "1.5.0"),
        .package(url: "https://github.com/swift-server/swift-prometheus", from: "2.0.0"),
        .package(url: "https://github.com/swift-server/async-http-client", from: "1.25.0"),
        .package(url: "https://github.com/apple/swift-nio-ssl", from: "2.29.0"),
        .package(url: "https://github.com/swift-server/swift-service-lifecycle", from: "2.6.0"),
        // Tests only: the WebSocket client that drives Chromium (DevTools protocol) and Firefox (WebDriver BiDi).
        .package(url: "https://github.com/hummingbird-project/swift-websocket", from: "1.6.0"),
    ],
    targets: [
        // Thin system-library targets: the only places C types appear.
        .systemLibrary(name: "CLZ4", pkgConfig: "liblz4", providers: [.apt(["liblz4-dev"])]),
        .systemLibrary(name: "CSnappy", pkgConfig: "snappy", providers: [.apt(["libsnappy-dev"])]),
        .systemLibrary(name: "CReadline", pkgConfig: "readline", providers: [.apt(["libreadline-dev"])]),
        .systemLibrary(name: "CZlib", pkgConfig: "zlib", providers: [.apt(["zlib1g-dev"])]),

        // CRC-32C in hardware where the CPU has it (a few lines of C around the SSE 4.2 instruction).
        .target(name: "CCRC32C"),
        // jemalloc as the executable's malloc (its configuration and two mallctl reads; see allocator.c).
        .target(name: "CJemalloc", linkerSettings: [.linkedLibrary("jemalloc")]),

        // Storage engine: chunks, head, WAL, blocks, index, querier. Imports nothing of ours.
        .target(name: "TSDB", dependencies: ["CLZ4", "CCRC32C"]),
        // PromQL parser and evaluator (issue 3). Depends on TSDB only.
        .target(name: "PromQL", dependencies: ["TSDB"]),
        // Exposition parsers, remote-write decoding, scraper, bulk import (issue 5).
        .target(
            name: "Ingest",
            dependencies: [
                "TSDB", "CSnappy", "CZlib",
                .product(name: "Yams", package: "Yams"),
                .product(name: "AsyncHTTPClient", package: "async-http-client"),
                .product(name: "NIOSSL", package: "swift-nio-ssl"),
            ]
        ),
        // The Prometheus-compatible HTTP API (issue 4) and the web UI (issue 9;
        // its files in WebUI/assets are embedded by scripts/gen_webui.py).
        .target(
            name: "Server",
            dependencies: [
                "TSDB", "PromQL", "Ingest", "Rules",
                .product(name: "Hummingbird", package: "hummingbird"),
                .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOHTTPTypes", package: "swift-nio-extras"),
                .product(name: "HTTPTypes", package: "swift-http-types"),
                .product(name: "SwiftProtobuf", package: "swift-protobuf"),
                .product(name: "Yams", package: "Yams"),
                .product(name: "CompressNIO", package: "compress-nio"),
                .product(name: "Prometheus", package: "swift-prometheus"),
                .product(name: "Logging", package: "swift-log"),
            ],
            exclude: ["WebUI/assets"]
        ),
        // Rule files, recording and alerting rules (issue 8).
        .target(
            name: "Rules",
            dependencies: [
                "TSDB", "PromQL", "Ingest", .product(name: "Yams", package: "Yams"),
                .product(name: "AsyncHTTPClient", package: "async-http-client"),
                .product(name: "NIOHTTP1", package: "swift-nio"),
            ]
        ),
        // The interactive shell's logic (issue 6): session, meta-commands,
        // completion, tables, charts, embedded and remote backends. No terminal I/O.
        .target(
            name: "Shell",
            dependencies: [
                "TSDB", "PromQL", "Ingest", "Server",
                .product(name: "AsyncHTTPClient", package: "async-http-client"),
                .product(name: "NIOHTTP1", package: "swift-nio"),
            ]
        ),
        .executableTarget(
            name: "tsql",
            dependencies: [
                "TSDB", "PromQL", "Ingest", "Server", "Shell", "Rules", "CReadline", "CJemalloc",
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
                .product(name: "Yams", package: "Yams"),
                .product(name: "Logging", package: "swift-log"),
            ]
        ),

        .target(name: "TSDBTestSupport", dependencies: ["TSDB"], path: "Tests/TSDBTestSupport"),
        .testTarget(name: "TSDBTests", dependencies: ["TSDB", "TSDBTestSupport"]),
        .testTarget(name: "PromQLTests", dependencies: ["PromQL", "TSDB"]),
        .testTarget(name: "IngestTests", dependencies: ["Ingest", "TSDB", "TSDBTestSupport"]),
        .testTarget(name: "RulesTests", dependencies: ["Rules", "Ingest", "PromQL", "TSDB", "TSDBTestSupport"]),
        .testTarget(name: "ShellTests", dependencies: ["Shell", "PromQL", "TSDB", "Server", "TSDBTestSupport"]),
        .testTarget(
            name: "ServerTests",
            dependencies: [
                "Server", "TSDB", "Ingest", "PromQL", "TSDBTestSupport",
                .product(name: "HummingbirdTesting", package: "hummingbird"),
                .product(name: "HummingbirdTLS", package: "hummingbird"),
                .product(name: "NIOEmbedded", package: "swift-nio"),
                .product(name: "NIOHTTPTypes", package: "swift-nio-extras"),
                .product(name: "NIOSSL", package: "swift-nio-ssl"),
                .product(name: "CompressNIO", package: "compress-nio"),
                .product(name: "WSClient", package: "swift-websocket"),
            ]
        ),
    ],
    swiftLanguageModes: [.v6]
)
