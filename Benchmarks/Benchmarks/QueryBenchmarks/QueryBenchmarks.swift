import Benchmark
import Foundation
import PromQL
import TSDB

/// PromQL range queries over 8 h of synthetic counters in four 2 h blocks,
/// the shape of the bench harness' heavy queries. Run (release) with:
///   cd Benchmarks && swift package benchmark --target QueryBenchmarks
/// One iteration is one query. The `* 1` variant keeps every series' row
/// before aggregating (the unfused path; the multiplication is a pass of
/// its own), for comparison with the aggregation done inside the decode tasks.
let benchmarks: @Sendable () -> Void = {
    Benchmark.defaultConfiguration = .init(
        metrics: [.wallClock, .cpuTotal, .mallocCountTotal, .peakMemoryResident],
        maxDuration: .seconds(10),
        maxIterations: 40)

    // (name, query, the database it reads): float counters, then native histograms.
    let queries: [(String, String, @Sendable () -> DB)] = [
        ("sum by (g) (rate[5m]), 2,000 counters, 8 h at 60 s", "sum by (g) (rate(c_total[5m]))", { QueryWorkload.database }),
        ("sum by (g) (rate[5m] * 1), rows kept, 8 h at 60 s", "sum by (g) (rate(c_total[5m]) * 1)", { QueryWorkload.database }),
        ("count by (g) (selector), 8 h at 60 s", "count by (g) (c_total)", { QueryWorkload.database }),
        ("max_over_time[1h], 2,000 series, 8 h at 60 s", "max_over_time(c_total[1h])", { QueryWorkload.database }),
        ("histogram_quantile(0.9, sum by (g) (rate[5m])), 200 native histograms, 8 h at 60 s",
         "histogram_quantile(0.9, sum by (g) (rate(h[5m])))", { HistogramWorkload.database }),
        ("histogram_count(h), 200 native histograms, 8 h at 60 s", "histogram_count(h)", { HistogramWorkload.database }),
    ]
    for (name, query, database) in queries {
        Benchmark(name) { benchmark in
            let db = database()
            let (start, end) = (QueryWorkload.end - 8 * 3_600_000 + 300_000, QueryWorkload.end)
            benchmark.startMeasurement()
            for _ in benchmark.scaledIterations {
                blackHole(try Engine().rangeQuery(query, start: start, end: end, step: 60_000, db: db))
            }
        }
    }
    Benchmark("append 200 native histograms × 240 samples (schema 3, 24 buckets), one commit per scrape") { benchmark in
        let dir = NSTemporaryDirectory() + "/tsdb-histogram-append-bench-\(UUID().uuidString)"
        defer { try? FileManager.default.removeItem(atPath: dir) }
        var options = DBOptions()
        options.compactionInterval = nil
        let db = try DB.open(dir, options: options)
        defer { try? db.close() }
        benchmark.startMeasurement()
        HistogramWorkload.fill(db, series: 200, samples: 240, end: QueryWorkload.end)
    }
}

/// 200 counter histograms (schema 3, 24 buckets, in 10 groups) scraped every
/// 15 s for 8 h (384,000 histogram samples), flushed to blocks once per process.
enum HistogramWorkload {
    static let database: DB = {
        let dir = NSTemporaryDirectory() + "/tsdb-histogram-bench-\(UUID().uuidString)"
        var options = DBOptions()
        options.compactionInterval = nil
        let db = try! DB.open(dir, options: options)
        fill(db, series: 200, samples: 8 * 240, end: QueryWorkload.end)
        _ = try! db.flushHead()
        return db
    }()

    static func fill(_ db: DB, series: Int, samples: Int, end: Int64) {
        // Inside the measured loop: the system generator (a getrandom call per
        // number, 25 per histogram) would cost more than the appends.
        var rng = XorShift(seed: 20261206)
        let labels = (0..<series).map { s in Labels(["__name__": "h", "g": "g\(s % 10)", "s": String(s)]) }
        var counts = [[Double]](repeating: [Double](repeating: 0, count: 24), count: series)
        var sums = [Double](repeating: 0, count: series)
        for k in 0..<samples {
            let app = db.appender()
            for s in 0..<series {
                for b in 0..<24 { counts[s][b] += Double(Int.random(in: 0..<4, using: &rng)) }
                sums[s] += Double(Int.random(in: 0..<1000, using: &rng)) / 10
                let buckets = (0..<24).map { HistogramBucket(Int32($0) - 4, counts[s][$0]) }
                let h = NativeHistogram(schema: 3, count: counts[s].reduce(0, +), sum: sums[s], positive: buckets)
                try! app.appendHistogram(labels[s], end - Int64(samples - k) * 15_000, h)
            }
            try! app.commit()
        }
    }
}

/// A cheap, seeded generator (xorshift64*), for data made inside a measurement.
struct XorShift: RandomNumberGenerator {
    private var state: UInt64

    init(seed: UInt64) { state = seed | 1 }

    mutating func next() -> UInt64 {
        state ^= state >> 12
        state ^= state << 25
        state ^= state >> 27
        return state &* 0x2545_F491_4F6C_DD1D
    }
}

/// 2,000 counters in 20 groups, scraped every 15 s for 8 h (3.84 M samples),
/// written once per process into a temporary directory and flushed to blocks.
enum QueryWorkload {
    static let end: Int64 = 1_793_520_000_000

    static let database: DB = {
        let dir = NSTemporaryDirectory() + "/tsdb-query-bench-\(UUID().uuidString)"
        var options = DBOptions()
        options.compactionInterval = nil
        let db = try! DB.open(dir, options: options)
        var rng = SystemRandomNumberGenerator()
        let start = end - 8 * 3_600_000
        var values = (0..<2000).map { _ in Double(Int.random(in: 0..<100_000, using: &rng)) }
        let labels = (0..<2000).map { s in Labels(["__name__": "c_total", "g": "g\(s % 20)", "s": String(s)]) }
        var t = start
        while t < end {
            let app = db.appender()
            for s in 0..<2000 {
                values[s] += Double(Int.random(in: 0..<1000, using: &rng)) / 8
                try! app.append(labels[s], t, values[s])
            }
            try! app.commit()
            t += 15_000
        }
        _ = try! db.flushHead()
        return db
    }()
}
