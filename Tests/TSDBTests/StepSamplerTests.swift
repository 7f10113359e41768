import Testing
@testable import TSDB
import TSDBTestSupport

@Suite("Step sampler")
struct StepSamplerTests {
    /// The definition: at each time, the newest sample at or before it, if
    /// newer than `time - lookback` and not a staleness marker.
    static func expected(_ samples: [Sample], times: [Int64], lookback: Int64, timestamps: Bool) -> [Double?] {
        times.map { time in
            guard let s = samples.last(where: { $0.t <= time }), s.t > time - lookback, !StaleNaN.isStale(s.v) else { return nil }
            return timestamps ? Double(s.t) : s.v
        }
    }

    static func run(_ series: Series, times: [Int64], lookback: Int64, timestamps: Bool) throws -> (values: [Double?], read: Int) {
        var values = [Double](repeating: -1, count: times.count)
        var present = [Bool](repeating: false, count: times.count)
        var read = 0
        try times.withUnsafeBufferPointer { times in
            try values.withUnsafeMutableBufferPointer { values in
                try present.withUnsafeMutableBufferPointer { present in
                    var sampler = StepSampler(times: times, lookback: lookback, values: values, present: present,
                                              timestamps: timestamps)
                    try series.sample(into: &sampler)
                    sampler.finish()
                    #expect(sampler.selected == present.filter { $0 }.count)
                    read = sampler.samplesRead
                }
            }
        }
        return (zip(values, present).map { $1 ? $0 : nil }, read)
    }

    @Test("equals the newest-sample-in-lookback definition over chunks in order, overlapping and with deletions",
          arguments: 0..<48)
    func matchesDefinition(seed: Int) throws {
        var rng = SeededRandom(seed: UInt64(seed) &+ 31_000)
        // Samples every 15 s with gaps, staleness markers, integers (scaled-int chunks) or fractions (XOR).
        var samples: [Sample] = []
        var t = Int64(rng.next() % 100_000) - 50_000
        for i in 0..<Int(rng.next() % 600 + 1) {
            let v: Double = rng.next() % 13 == 0 ? StaleNaN.value : (seed % 2 == 0 ? Double(i % 5) : Double(i) / 7)
            samples.append(Sample(t, v))
            t += rng.next() % 10 == 0 ? Int64(rng.next() % 900_000) + 1 : 15_000
        }
        let cut = [0] + (1..<4).map { _ in Int(rng.next() % UInt64(samples.count)) }.sorted() + [samples.count]
        var chunks: [ChunkMeta] = []
        for (lo, hi) in zip(cut, cut.dropFirst()) where lo < hi {
            let part = Array(samples[lo..<hi])
            let chunk = ChunkEncoder.encode(part)
            chunks.append(ChunkMeta(mint: part[0].t, maxt: part.last!.t, encoding: chunk.encoding, storage: ChunkBytes(chunk.bytes)))
        }
        var deleted: [ClosedRange<Int64>] = []
        switch seed % 3 {
        case 1 where chunks.count >= 2:  // a chunk read twice: the merging path
            chunks.insert(chunks[chunks.count / 2], at: 0)
        case 2:
            let from = samples[Int(rng.next() % UInt64(samples.count))].t
            deleted = [from...(from + 200_000)]
        default: break
        }
        let lookback = Int64(rng.next() % 600_000) + 1
        var step = Int64(rng.next() % 120_000) + 1
        var start = samples[0].t - Int64(rng.next() % 400_000)
        if seed % 2 == 1 {  // times on the samples' grid: a sample at exactly a step's time belongs to it
            step = 15_000 * Int64(rng.next() % 4 + 1)
            start = samples[0].t + 15_000 * (Int64(rng.next() % 20) - 10)
        }
        var times = (0..<Int(rng.next() % 300 + 2)).map { start + Int64($0) * step }
        if seed % 4 == 3 { times = times.flatMap { [$0, $0] } }  // repeated times (an `@` modifier)
        let series = Series(labels: Labels(["__name__": "m"]), chunks: chunks, deleted: deleted,
                            mint: times.first! - lookback + 1, maxt: times.last!)
        let visible = try series.samples()
        for timestamps in [false, true] {
            let (values, read) = try Self.run(series, times: times, lookback: lookback, timestamps: timestamps)
            let want = Self.expected(visible, times: times, lookback: lookback, timestamps: timestamps)
            #expect(values.map { $0?.bitPattern } == want.map { $0?.bitPattern }, "seed \(seed)")
            #expect(read == visible.count, "seed \(seed): every sample in the range is counted")
        }
    }

    @Test("a series read as its newest sample is sampled like its chunks")
    func newestSample() throws {
        let series = Series(labels: Labels(["__name__": "m"]), chunks: [], deleted: [], mint: 0, maxt: 100_000,
                            newest: Sample(40_000, 2.5))
        let times: [Int64] = [30_000, 40_000, 60_000, 400_000]
        #expect(try Self.run(series, times: times, lookback: 300_000, timestamps: false).values == [nil, 2.5, 2.5, nil])
    }
}
