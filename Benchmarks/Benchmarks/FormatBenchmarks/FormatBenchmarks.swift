import Benchmark
import PromQL
import Server
import TSDB

/// Response-formatting benchmarks: sample values written as the Prometheus
/// API writes them (Go's shortest round-trip digits). Run (release) with:
///   cd Benchmarks && swift package benchmark --target FormatBenchmarks
/// Throughput is per value (per point for matrices), in millions (M) per second.
let benchmarks: @Sendable () -> Void = {
    Benchmark.defaultConfiguration = .init(
        metrics: [.wallClock, .throughput],
        scalingFactor: .mega,
        maxDuration: .seconds(3),
        maxIterations: 20)

    for (name, values) in FormatWorkload.all {
        Benchmark("API float, \(name)") { benchmark in
            formatBenchmark(benchmark, values) { v, p in GoFormat.writeAPIFloat(v, to: p) }
        }
    }
    // A range query's matrix: 96 series × 241 steps of full-precision values
    // (the harness' scrape_duration_raw over 1 h), and the same points at
    // irregular times (raw samples of a range selector).
    for (name, series) in [("range query steps", FormatWorkload.matrix(irregular: false)),
                           ("irregular times", FormatWorkload.matrix(irregular: true))] {
        let points = series.reduce(0) { $0 + $1.points.count }
        Benchmark("matrix response, \(name)", configuration: .init(scalingFactor: .kilo)) { benchmark in
            benchmark.startMeasurement()
            var done = 0
            var bytes = 0
            while done < benchmark.scaledIterations.count {
                bytes += APIServer.queryResponseBody(QueryResult.matrix(series)).readableBytes
                done += points / 1000
            }
            blackHole(bytes)
        }
    }
    Benchmark("Double.description (standard library), full precision") { benchmark in
        let values = FormatWorkload.fullPrecision
        benchmark.startMeasurement()
        var done = 0
        var bytes = 0
        while done < benchmark.scaledIterations.count {
            for v in values { bytes += v.description.utf8.count }
            done += values.count
        }
        blackHole(bytes)
    }
}

func formatBenchmark(_ benchmark: Benchmark, _ values: [Double],
                     _ write: (Double, UnsafeMutablePointer<UInt8>) -> Int) {
    let buffer = UnsafeMutablePointer<UInt8>.allocate(capacity: GoFormat.maxAPIFloatLength)
    defer { buffer.deallocate() }
    benchmark.startMeasurement()
    var done = 0
    var bytes = 0
    while done < benchmark.scaledIterations.count {
        for v in values { bytes += write(v, buffer) }
        done += values.count
    }
    blackHole(bytes)
}

/// Value shapes of the bench data set: full-precision durations and
/// temperatures, 0.01-resolution CPU seconds, integer counters.
enum FormatWorkload {
    static let count = 100_000
    static var fullPrecision: [Double] {
        var rng = SystemRandomNumberGenerator()
        return (0..<count).map { _ in Double.random(in: 0.001..<2, using: &rng) }
    }
    static var shortDecimals: [Double] {
        var rng = SystemRandomNumberGenerator()
        return (0..<count).map { _ in Double(Int.random(in: 0..<10_000_000, using: &rng)) / 100 }
    }
    static var integers: [Double] {
        var rng = SystemRandomNumberGenerator()
        return (0..<count).map { _ in Double(Int.random(in: 0..<1 << 40, using: &rng)) }
    }
    static func matrix(irregular: Bool) -> [RangeSeries] {
        var rng = SystemRandomNumberGenerator()
        let start: Int64 = 1_793_516_399_835
        return (0..<96).map { i in
            let points = (0..<241).map { k in
                Sample(start + Int64(k) * 15_000 + (irregular ? Int64.random(in: 0..<15_000, using: &rng) : 0),
                       Double.random(in: 0.001..<2, using: &rng))
            }
            return RangeSeries(labels: Labels(["__name__": "scrape_duration_seconds", "instance": "host-\(i):9100", "job": "node"]),
                               points: points)
        }
    }
    static var all: [(String, [Double])] {
        [("full precision", fullPrecision), ("two decimals", shortDecimals), ("integers", integers)]
    }
}
