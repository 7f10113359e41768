import Foundation
import Testing
@testable import TSDB
import TSDBTestSupport

/// Resume points of open XOR chunks: decoding from one gives exactly the
/// samples a decode from the start gives after it, and the head hands them to
/// queries that start after the chunk does.
@Suite("XOR resume points")
struct XORResumePointTests {
    /// 120 samples mixing what the XOR coding distinguishes: repeated values,
    /// small and large changes, NaN and staleness markers, negative and
    /// irregular timestamps (every delta-of-delta bucket).
    static func samples(seed: UInt64) -> [Sample] {
        var random = SeededRandom(seed: seed)
        var t = Int64.random(in: -1_000_000...1_000_000, using: &random)
        var v = 0.0
        var out: [Sample] = []
        for _ in 0..<120 {
            t += [15_000, 15_000, 15_001, 14_000, 60_000, 1, 9_000_000, 1 << 40][Int.random(in: 0..<8, using: &random)]
            switch Int.random(in: 0..<6, using: &random) {
            case 0: break
            case 1: v += 1
            case 2: v = Double.random(in: -1e9...1e9, using: &random)
            case 3: v = .nan
            case 4: v = StaleNaN.value
            default: v = Double(Int.random(in: 0...100, using: &random)) / 8
            }
            out.append(Sample(t, v))
        }
        return out
    }

    static func appender(_ samples: [Sample]) -> XORAppender {
        var a = XORAppender()
        for s in samples { a.append(s.t, s.v) }
        return a
    }

    @Test("decoding from each point yields the remaining samples bit for bit")
    func resumesExactly() throws {
        for seed: UInt64 in 1...40 {
            let samples = Self.samples(seed: seed)
            let a = Self.appender(samples)
            #expect(a.resumePoints.map(\.index) == [32, 64, 96])
            let storage = a.chunkBytes
            for point in a.resumePoints {
                #expect(point.t == samples[point.index - 1].t)
                let meta = ChunkMeta(mint: samples[0].t, maxt: samples.last!.t, encoding: .xor, storage: storage, resume: point)
                var it = meta.iterator()
                var got: [Sample] = []
                while it.next() { got.append(Sample(it.t, it.v)) }
                #expect(it.error == nil)
                #expect(got.bits == Array(samples[point.index...]).bits, "seed \(seed), point \(point.index)")
            }
        }
    }

    @Test("a time-bounded bulk decode from the last point before its start equals the full decode")
    func boundedDecodeMatches() throws {
        let samples = Self.samples(seed: 7)
        let a = Self.appender(samples)
        let storage = a.chunkBytes
        for k in stride(from: 0, to: samples.count, by: 3) {
            let mint = samples[k].t, maxt = samples[min(k + 25, samples.count - 1)].t
            let full = ChunkMeta(mint: samples[0].t, maxt: samples.last!.t, encoding: .xor, storage: storage)
            let resumed = ChunkMeta(mint: samples[0].t, maxt: samples.last!.t, encoding: .xor, storage: storage,
                                    resume: a.resumePoints.last { $0.t < mint })
            var expected: [Sample] = [], got: [Sample] = []
            var it = full.iterator()
            _ = it.decodeAll(into: &expected, mint: mint, maxt: maxt, dropStale: true)
            var it2 = resumed.iterator()
            _ = it2.decodeAll(into: &got, mint: mint, maxt: maxt, dropStale: true)
            #expect(got.bits == expected.bits, "window from sample \(k)")
        }
    }

    @Test("short chunks have no points; a point past the chunk is ignored")
    func edges() throws {
        let samples = Array(Self.samples(seed: 3).prefix(31))
        #expect(Self.appender(samples).resumePoints.isEmpty)
        let long = Self.appender(Self.samples(seed: 3))
        let point = try #require(long.resumePoints.last)
        let short = Self.appender(samples).chunkBytes
        var it = ChunkMeta(mint: 0, maxt: 0, encoding: .xor, storage: short, resume: point).iterator()
        var n = 0
        while it.next() { n += 1 }
        #expect(n == 31, "a point beyond the chunk's samples is not applied")
    }

    @Test("the head gives a query starting inside its open chunk the last point before its start")
    func headUsesPoints() throws {
        let tmp = TempDir()
        let db = try DB.open(tmp.path, options: testOptions())
        defer { try? db.close() }
        let app = db.appender()
        for step in 0..<110 { try app.append(Labels(["__name__": "m"]), Int64(step) * 15_000, Double(step % 7)) }
        try app.commit()

        let mint: Int64 = 100 * 15_000 - 5 * 60_000  // a 5-minute window ending at sample 100
        let series = try #require(try db.querier(mint: mint, maxt: 100 * 15_000).select([.equal("__name__", "m")]).first)
        let chunk = try #require(series.chunks.last)
        #expect(chunk.resume?.index == 64, "sample 64 is the last point before sample 80")
        #expect(try series.samples() == (80...100).map { Sample(Int64($0) * 15_000, Double($0 % 7)) })

        let fromStart = try #require(try db.querier(mint: 0, maxt: 100 * 15_000).select([.equal("__name__", "m")]).first)
        #expect(fromStart.chunks.last?.resume == nil)
        #expect(try fromStart.samples().count == 101)
    }
}
