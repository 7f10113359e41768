// swift-tools-version: 6.1
import PackageDescription

// Benchmarks of the storage engine, PromQL queries and response formatting, run in release mode:
//   cd Benchmarks && swift package benchmark
// Depends on the root package by path.
let package = Package(
    name: "tsdb-benchmarks",
    platforms: [.macOS(.v15)],
    dependencies: [
        .package(name: "tsdb", path: ".."),
        .package(url: "https://github.com/ordo-one/package-benchmark", from: "1.38.0", traits: ["MallocInterposer"]),
    ],
    targets: [
        .executableTarget(
            name: "StorageBenchmarks",
            dependencies: [
                .product(name: "TSDB", package: "tsdb"),
                .product(name: "Benchmark", package: "package-benchmark"),
            ],
            path: "Benchmarks/StorageBenchmarks",
            plugins: [.plugin(name: "BenchmarkPlugin", package: "package-benchmark")]
        ),
        .executableTarget(
            name: "FormatBenchmarks",
            dependencies: [
                .product(name: "PromQL", package: "tsdb"),
                .product(name: "Server", package: "tsdb"),
                .product(name: "Benchmark", package: "package-benchmark"),
            ],
            path: "Benchmarks/FormatBenchmarks",
            plugins: [.plugin(name: "BenchmarkPlugin", package: "package-benchmark")]
        ),
        .executableTarget(
            name: "QueryBenchmarks",
            dependencies: [
                .product(name: "PromQL", package: "tsdb"),
                .product(name: "TSDB", package: "tsdb"),
                .product(name: "Benchmark", package: "package-benchmark"),
            ],
            path: "Benchmarks/QueryBenchmarks",
            plugins: [.plugin(name: "BenchmarkPlugin", package: "package-benchmark")]
        ),
        // Ingests the shared bench data set (dumped by scripts/dump_dataset.py) in
        // scrape order and reports ingest rate, block bytes/sample and encodings.
        .executableTarget(
            name: "Footprint",
            dependencies: [.product(name: "TSDB", package: "tsdb")],
            path: "Benchmarks/Footprint"
        ),
    ],
    swiftLanguageModes: [.v6]
)
