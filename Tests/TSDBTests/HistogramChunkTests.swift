import Testing
@testable import TSDB
import TSDBTestSupport

@Suite("Histogram chunks")
struct HistogramChunkTests {
    /// A layout from `rng`: exponential (schema −4…8, a zero bucket, buckets on
    /// both sides, some in gaps) or custom bounds.
    static func layout(_ rng: inout SeededRandom) -> NativeHistogram {
        var h = NativeHistogram()
        if rng.next() % 4 == 0 {
            h.schema = NativeHistogram.customBucketsSchema
            let n = Int(rng.next() % 6)
            h.customValues = (0..<n).map { Double($0) * 2.5 + 0.1 }
            h.positive = (0...Int32(n)).filter { _ in rng.next() % 3 != 0 }.map { HistogramBucket($0, 0) }
            return h
        }
        h.schema = Int32(Int(rng.next() % 13) - 4)
        h.zeroThreshold = [0, 1e-128, 0.001, 2][Int(rng.next() % 4)]
        var index = Int32(Int(rng.next() % 40) - 20)
        for _ in 0..<Int(rng.next() % 12) {
            h.positive.append(HistogramBucket(index, 0))
            index += Int32(rng.next() % 3 + 1)
        }
        index = Int32(Int(rng.next() % 10) - 5)
        for _ in 0..<Int(rng.next() % 5) {
            h.negative.append(HistogramBucket(index, 0))
            index += Int32(rng.next() % 4 + 1)
        }
        return h
    }

    /// Counts that grow like a counter's, now and then something odd (NaN, ∞, a fraction, a staleness-marker sum).
    static func samples(_ rng: inout SeededRandom, layout: NativeHistogram, count: Int) -> [(Int64, NativeHistogram)] {
        let ts = ChunkCodecTests.timestamps(&rng, count: count)
        var h = layout
        return ts.map { t in
            for i in h.positive.indices { h.positive[i].count += Double(rng.next() % 5) }
            for i in h.negative.indices { h.negative[i].count += Double(rng.next() % 3) }
            h.zeroCount += Double(rng.next() % 2)
            h.count = h.zeroCount + (h.positive + h.negative).reduce(0) { $0 + $1.count }
            h.sum += Double(rng.next() % 1000) / 8
            h.counterResetHint = NativeHistogram.CounterResetHint(rawValue: UInt8(rng.next() % 4))!
            var s = h
            switch rng.next() % 25 {
            case 0: s.sum = StaleNaN.value
            case 1: s.sum = .nan
            case 2: s.count = .infinity
            case 3: if !s.positive.isEmpty { s.positive[0].count = 0.25 }
            default: break
            }
            return (t, s)
        }
    }

    static func decode(_ bytes: [UInt8]) -> (samples: [(Int64, NativeHistogram)], error: TSDBError?) {
        bytes.withUnsafeBytes { raw in
            var it = HistogramChunkIterator(bytes: raw)
            var out: [(Int64, NativeHistogram)] = []
            while it.next() { out.append((it.t, it.histogram)) }
            return (out, it.error)
        }
    }

    static func same(_ a: [(Int64, NativeHistogram)], _ b: [(Int64, NativeHistogram)]) -> Bool {
        a.count == b.count && zip(a, b).allSatisfy { x, y in
            x.0 == y.0 && x.1.isIdentical(to: y.1) && x.1.counterResetHint == y.1.counterResetHint
                && x.1.count.bitPattern == y.1.count.bitPattern
        }
    }

    @Test("every sample comes back bit for bit: layouts, timestamps, hints, special floats", arguments: 0..<200)
    func roundTrip(seed: Int) {
        var rng = SeededRandom(seed: UInt64(seed) &+ 51_000)
        let layout = Self.layout(&rng)
        let samples = Self.samples(&rng, layout: layout, count: Int(rng.next() % 150) + 1)
        var app = HistogramChunkAppender(layoutOf: samples[0].1)
        for (t, h) in samples {
            let fits = app.canAppend(h)
            #expect(fits)
            app.append(t, h)
        }
        let (decoded, error) = Self.decode(app.bytes)
        #expect(error == nil, "seed \(seed)")
        #expect(Self.same(decoded, samples), "seed \(seed)")
    }

    @Test("a sample with another layout does not fit the chunk")
    func layoutChanges() {
        let h = NativeHistogram(schema: 1, zeroThreshold: 0.001, count: 3,
                                positive: [HistogramBucket(0, 1), HistogramBucket(2, 2)], negative: [HistogramBucket(-1, 0)])
        let app = HistogramChunkAppender(layoutOf: h)
        var other = h
        other.positive[1].count = 7
        other.sum = 4
        let countsChange = app.canAppend(other)
        #expect(countsChange, "counts may change")
        for change in [
            { (x: inout NativeHistogram) in x.schema = 2 },
            { $0.zeroThreshold = 0.002 },
            { $0.positive[1].index = 3 },
            { $0.positive.append(HistogramBucket(5, 1)) },
            { $0.negative.removeAll() },
            { $0.customValues = [1] },
        ] {
            var x = h
            change(&x)
            let fits = app.canAppend(x)
            #expect(!fits)
        }
    }

    @Test("steady counters take a few bits per bucket and sample")
    func compact() {
        var h = NativeHistogram(schema: 3, positive: (0..<20).map { HistogramBucket($0, 0) })
        var app = HistogramChunkAppender(layoutOf: h)
        for i in 0..<120 {
            for k in h.positive.indices where (i + k) % 4 == 0 { h.positive[k].count += 1 }
            h.count = h.positive.reduce(0) { $0 + $1.count }
            h.sum += 1.5
            app.append(Int64(i) * 15_000, h)
        }
        let bytes = app.bytes
        let perBucketSample = Double(bytes.count * 8) / Double(120 * 23)
        #expect(perBucketSample < 8, "\(perBucketSample) bits per field and sample")
        #expect(Self.decode(bytes).samples.last?.1.isIdentical(to: h) == true)
    }

    @Test("truncated and garbage chunks report corruption instead of crashing", arguments: 0..<300)
    func corruption(seed: Int) {
        var rng = SeededRandom(seed: UInt64(seed) &+ 52_000)
        let samples = Self.samples(&rng, layout: Self.layout(&rng), count: Int(rng.next() % 40) + 1)
        var app = HistogramChunkAppender(layoutOf: samples[0].1)
        for (t, h) in samples { app.append(t, h) }
        var bytes = app.bytes
        switch seed % 3 {
        case 0:
            bytes.removeLast(Int(rng.next() % UInt64(bytes.count - 2)) + 1)
            let (decoded, error) = Self.decode(bytes)
            #expect(error != nil || decoded.count < samples.count, "seed \(seed): a truncated chunk is noticed")
            #expect(Self.same(decoded, Array(samples.prefix(decoded.count))) || error != nil)
        case 1:
            for _ in 0..<4 { bytes[2 + Int(rng.next() % UInt64(bytes.count - 2))] ^= UInt8(truncatingIfNeeded: rng.next() | 1) }
            _ = Self.decode(bytes)  // must not trap
        default:
            let garbage = (0..<Int(rng.next() % 200)).map { _ in UInt8(truncatingIfNeeded: rng.next()) }
            let (decoded, _) = Self.decode(garbage)
            #expect(decoded.count <= 65_535)
        }
    }
}
