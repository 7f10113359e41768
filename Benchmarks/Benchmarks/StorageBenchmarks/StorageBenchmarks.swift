import Benchmark
import Foundation
import TSDB

/// Storage-engine benchmarks. Run (release) with:
///   cd Benchmarks && swift package benchmark --target StorageBenchmarks
/// Throughput is reported per "scaled iteration" = one sample (or one series
/// for the memory benchmark), in millions (M) per second.
let benchmarks: @Sendable () -> Void = {
    Benchmark.defaultConfiguration = .init(
        metrics: [.wallClock, .throughput, .mallocCountTotal],
        scalingFactor: .mega,
        maxDuration: .seconds(5),
        maxIterations: 20)

    Benchmark("XOR encode (node_exporter-like values)") { benchmark in
        let chunks = Workload.chunksOfSamples()
        benchmark.startMeasurement()
        var done = 0
        while done < benchmark.scaledIterations.count {
            for c in chunks {
                var app = XORAppender()
                for s in c { app.append(s.t, s.v) }
                blackHole(app.byteCount)
                done += c.count
            }
        }
    }

    Benchmark("Best-encoding seal (XOR + scaled-int choice)") { benchmark in
        let chunks = Workload.chunksOfSamples()
        benchmark.startMeasurement()
        var done = 0
        while done < benchmark.scaledIterations.count {
            for c in chunks {
                blackHole(ChunkEncoder.encode(c).bytes.count)
                done += c.count
            }
        }
    }

    Benchmark("Chunk decode, XOR") { benchmark in
        try decodeBenchmark(benchmark, Workload.xorChunks())
    }

    Benchmark("Chunk decode, best encoding") { benchmark in
        try decodeBenchmark(benchmark, Workload.chunksOfSamples().map { ChunkEncoder.encode($0) })
    }

    Benchmark("Chunk bulk decode (query path), XOR") { benchmark in
        try bulkDecodeBenchmark(benchmark, Workload.xorChunks())
    }

    Benchmark("Chunk bulk decode (query path), best encoding") { benchmark in
        try bulkDecodeBenchmark(benchmark, Workload.chunksOfSamples().map { ChunkEncoder.encode($0) })
    }

    Benchmark("Head append by ref, WAL on (batches of 10k)") { benchmark in
        let dir = NSTemporaryDirectory() + "/tsdb-bench-\(UUID().uuidString)"
        defer { try? FileManager.default.removeItem(atPath: dir) }
        var o = DBOptions()
        o.compactionInterval = nil
        let db = try DB.open(dir, options: o)
        let app = db.appender()
        var refs: [SeriesRef] = []
        for i in 0..<10_000 {
            refs.append(try app.append(Labels(["__name__": "m\(i % 100)", "instance": "host-\(i / 100)", "job": "node"]), 0, 0))
        }
        try app.commit()
        var t: Int64 = 15000
        benchmark.startMeasurement()
        var done = 0
        while done < benchmark.scaledIterations.count {
            for (i, r) in refs.enumerated() { try app.append(ref: r, t, Double(t / 1000 + Int64(i))) }
            try app.commit()
            done += refs.count
            t += 15000
        }
        benchmark.stopMeasurement()
        try db.close()
    }

    Benchmark("WAL replay (DB.open)", configuration: .init(metrics: [.wallClock, .throughput], scalingFactor: .one, maxIterations: 5)) { benchmark in
        let dir = NSTemporaryDirectory() + "/tsdb-bench-\(UUID().uuidString)"
        defer { try? FileManager.default.removeItem(atPath: dir) }
        var o = DBOptions()
        o.compactionInterval = nil
        o.walSyncPolicy = .onSegmentClose
        do {
            let db = try DB.open(dir, options: o)
            let app = db.appender()
            var refs: [SeriesRef] = []
            for i in 0..<20_000 { refs.append(try app.append(Labels(["__name__": "m\(i % 200)", "instance": "host-\(i / 200)"]), 0, 0)) }
            try app.commit()
            for step in 1...120 {
                for (i, r) in refs.enumerated() { try app.append(ref: r, Int64(step) * 15000, Double(step * 3 + i)) }
                try app.commit()
            }
            try db.close()
        }
        let walBytes = FileManager.default.subpaths(atPath: dir + "/wal")!.reduce(0) {
            $0 + ((try? FileManager.default.attributesOfItem(atPath: dir + "/wal/" + $1)[.size] as? Int) ?? 0)
        }
        for _ in benchmark.scaledIterations {
            let start = Date()
            let db = try DB.open(dir, options: o)
            let secs = Date().timeIntervalSince(start)
            try db.close()
            print(String(format: "WAL replay: %.1f MB in %.3f s = %.0f MB/s, %.1f M samples/s", Double(walBytes) / 1e6, secs,
                         Double(walBytes) / 1e6 / secs, 20_000 * 121 / secs / 1e6))
        }
    }

    Benchmark("Head memory, 1M series x 10 labels", configuration: .init(
        metrics: [.peakMemoryResident, .wallClock], scalingFactor: .one, maxIterations: 1)) { benchmark in
        let dir = NSTemporaryDirectory() + "/tsdb-bench-\(UUID().uuidString)"
        defer { try? FileManager.default.removeItem(atPath: dir) }
        var o = DBOptions()
        o.compactionInterval = nil
        o.walSyncPolicy = .onSegmentClose
        let db = try DB.open(dir, options: o)
        let before = Workload.residentBytes()
        for batch in 0..<100 {
            let app = db.appender()
            for i in 0..<10_000 {
                let n = batch * 10_000 + i
                try app.append(Labels([
                    "__name__": "metric_\(n % 500)", "instance": "host-\(n / 1000).dc\(n % 3).example.internal:9100",
                    "job": "node", "env": "prod", "dc": "dc\(n % 3)", "device": "eth\(n % 4)",
                    "mode": ["user", "system", "idle", "iowait"][n % 4], "cpu": String(n % 64),
                    "role": "web", "series_id": String(n),
                ]), 0, Double(n))
            }
            try app.commit()
        }
        let after = Workload.residentBytes()
        print("head RSS growth: \((after - before) / 1_000_000) bytes per series (1M series, 10 labels, 1 sample each)")
        try db.close()
    }
}

/// The per-sample iterator over every chunk.
func decodeBenchmark(_ benchmark: Benchmark, _ chunks: [Chunk]) throws {
    measureDecoding(benchmark, chunks) { it in
        var sum = 0.0
        while it.next() { sum += it.v }
        return sum
    }
}

/// `decodeAll`, as the querier reads chunks: every sample into a reused array.
func bulkDecodeBenchmark(_ benchmark: Benchmark, _ chunks: [Chunk]) throws {
    var out: [Sample] = []
    out.reserveCapacity(200)
    measureDecoding(benchmark, chunks) { it in
        out.removeAll(keepingCapacity: true)
        _ = it.decodeAll(into: &out, mint: .min, maxt: .max, dropStale: true)
        return out[out.count - 1].v
    }
}

/// Decodes the chunks round after round until the benchmark's sample count
/// is reached; `decode` reads one chunk (a closure call per chunk, not per sample).
func measureDecoding(_ benchmark: Benchmark, _ chunks: [Chunk], _ decode: (inout ChunkIterator) -> Double) {
    let stored = chunks.map { ChunkBytes($0.bytes) }
    let encodings = chunks.map(\.encoding)
    benchmark.startMeasurement()
    var done = 0
    var sum = 0.0
    while done < benchmark.scaledIterations.count {
        for (i, c) in stored.enumerated() {
            var it = ChunkIterator(encoding: encodings[i], bytes: c.raw)
            sum += decode(&it)
            done += it.count
        }
    }
    blackHole(sum)
}

/// Sample shapes of the shared bench data set (see ../shared/bench/README.md):
/// integer and 0.01-resolution counters, decimal and integer gauges,
/// constants, full-precision noise; 15 s scrapes with 2 % jitter.
enum Workload {
    static func chunksOfSamples() -> [[Sample]] {
        var rng = SystemRandomNumberGenerator()
        var out: [[Sample]] = []
        for series in 0..<200 {
            var t: Int64 = 1_793_491_200_000 + Int64(series) * 10
            var v = Double(series * 1000)
            var chunk: [Sample] = []
            for i in 0..<120 {
                let jitter: Int64 = Int.random(in: 0..<50, using: &rng) == 0 ? Int64.random(in: -4...4, using: &rng) : 0
                switch series % 7 {
                case 0: v += Double(Int.random(in: 0..<5000, using: &rng))  // integer counter
                case 1: v += Double(Int.random(in: 0..<300, using: &rng)) / 100  // cpu seconds
                case 2: v = Double(Int.random(in: 2000..<9000, using: &rng)) / 100  // 2-decimal gauge
                case 3: v = Double(Int.random(in: 0..<1_000_000, using: &rng) * 1024)  // memory bytes
                case 4: v = 1  // constant
                case 5: v = Double.random(in: 0..<1, using: &rng)  // full-precision noise
                default: v = v + Double(i % 3)  // slow counter
                }
                chunk.append(Sample(t + jitter, v))
                t += 15000
            }
            out.append(chunk)
        }
        return out
    }

    /// The same samples as Gorilla XOR chunks, the encoding of the head.
    static func xorChunks() -> [Chunk] {
        chunksOfSamples().map { s in
            var app = XORAppender()
            for x in s { app.append(x.t, x.v) }
            return app.chunk
        }
    }

    static func residentBytes() -> Int {
        guard let s = try? String(contentsOfFile: "/proc/self/statm", encoding: .utf8) else { return 0 }
        let parts = s.split(separator: " ")
        return (Int(parts[1]) ?? 0) * 4096
    }
}
