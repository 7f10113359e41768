import Benchmark
import PromQL

/// Response-formatting benchmarks: sample values written as the Prometheus
/// API writes them (Go's shortest round-trip digits). Run (release) with:
///   cd Benchmarks && swift package benchmark --target FormatBenchmarks
/// Throughput is per value, in millions (M) per second.
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
    static var all: [(String, [Double])] {
        [("full precision", fullPrecision), ("two decimals", shortDecimals), ("integers", integers)]
    }
}
