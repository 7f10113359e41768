import Foundation
import Testing
@testable import TSDB
import TSDBTestSupport

@Suite("Chunk codec")
struct ChunkCodecTests {
    static func timestamps(_ rng: inout SeededRandom, count: Int) -> [Int64] {
        var t: Int64
        switch rng.next() % 4 {
        case 0: t = -Int64(rng.next() % 1_000_000_000_000)  // negative
        case 1: t = Int64.min + Int64(rng.next() % 1000)  // extreme
        default: t = Int64(rng.next() % 2_000_000_000_000)
        }
        var out: [Int64] = []
        for _ in 0..<count {
            out.append(t)
            let gap: Int64 = switch rng.next() % 10 {
            case 0: Int64(rng.next() % (1 << 40)) + 1  // huge gap
            case 1: Int64(rng.next() % 5) + 1  // irregular, tiny
            case 2: 15000 + Int64(rng.next() % 9) - 4  // jitter
            default: 15000
            }
            if t > Int64.max - gap { break }
            t += gap
        }
        return out
    }

    @Test("XOR round-trips every bit pattern and timestamp shape", arguments: 0..<300)
    func xorRoundTrip(seed: Int) throws {
        var rng = SeededRandom(seed: UInt64(seed))
        let ts = Self.timestamps(&rng, count: Int(rng.next() % 240) + 1)
        let samples = ts.map { Sample($0, AdversarialFloats.random(&rng)) }
        var app = XORAppender()
        for s in samples { app.append(s.t, s.v) }
        let decoded = try app.chunk.samples()
        #expect(decoded.bits == samples.bits, "seed \(seed)")
        // The best-encoding path must be lossless too.
        #expect(try ChunkEncoder.encode(samples).samples().bits == samples.bits, "seed \(seed)")
        if samples.count >= 1 {
            #expect(try ChunkEncoder.encodeXORSparseTimestamps(samples).samples().bits == samples.bits, "seed \(seed)")
        }
    }

    @Test("bulk decoding equals the sample iterator, filtered to a range, across output batches", arguments: 0..<60)
    func bulkDecodeMatchesIterator(seed: Int) throws {
        var rng = SeededRandom(seed: UInt64(seed) &+ 7_000)
        // Counts around the batch size and well past it; each encoding; stale
        // markers sprinkled into half of the series (the others can be scaled-int).
        let sizes = [1, 2, 3, ChunkIterator.batchSize - 1, ChunkIterator.batchSize, ChunkIterator.batchSize + 1, 300, 1000]
        let count = sizes[Int(rng.next() % UInt64(sizes.count))]
        var t = Int64(rng.next() % 1_000_000)
        var samples: [Sample] = []
        var counter = 1e6
        let stale = (seed / 4) % 2 == 1
        let irregular = (seed / 8) % 2 == 1  // timestamps off the grid: exceptions, or no grid at all
        for i in 0..<count {
            let v: Double
            switch seed % 4 {
            case 0: v = Double(i * 3 + Int(rng.next() % 3))  // steady counter: fixed-width residuals
            case 1: v = Double(rng.next() % 1000) / 7  // full precision: XOR variants
            case 2: v = Double(rng.next() % 100) / 100  // two-decimal gauge
            default:  // bursty counter: Rice-coded residuals
                counter += rng.next() % 10 == 0 ? Double(rng.next() % 100_000) : Double(rng.next() % 4)
                v = counter
            }
            samples.append(Sample(t, stale && rng.next() % 17 == 0 ? Double(bitPattern: StaleNaN.bits) : v))
            t += irregular && rng.next() % 8 == 0 ? Int64(rng.next() % 40_000) + 1 : 15_000
        }
        for chunk in [ChunkEncoder.encode(samples), ChunkEncoder.encodeXORSparseTimestamps(samples)] {
            let all = try chunk.samples()
            #expect(all.bits == samples.bits, "seed \(seed) \(chunk.encoding)")
            if chunk.encoding != .xorSparseTimestamps && !stale && seed % 4 != 1 && count >= 3 {
                #expect(chunk.encoding == .scaledInt, "seed \(seed): decimal values without markers should be scaled-int")
            }
            for _ in 0..<4 {
                let mint = samples[Int(rng.next() % UInt64(count))].t - Int64(rng.next() % 2)
                let maxt = rng.next() % 3 == 0 ? Int64.max : mint + Int64(rng.next() % 3_000_000)
                for dropStale in [false, true] {
                    let expected = all.filter { $0.t >= mint && $0.t <= maxt && !(dropStale && $0.v.bitPattern == StaleNaN.bits) }
                    var got = [Sample(-1, -1)]  // appended to, not replaced
                    let more = chunk.bytes.withUnsafeBytes { raw in
                        var it = ChunkIterator(encoding: chunk.encoding, bytes: raw)
                        return it.decodeAll(into: &got, mint: mint, maxt: maxt, dropStale: dropStale)
                    }
                    #expect(got.first == Sample(-1, -1))
                    #expect(Array(got.dropFirst()).bits == expected.bits, "seed \(seed) \(chunk.encoding) count \(count)")
                    #expect(more == (all.last!.t <= maxt), "seed \(seed) \(chunk.encoding)")
                }
            }
        }
    }

    @Test("chunks whose residuals are all the same (constant, fixed step, fixed acceleration) bulk-decode exactly",
          arguments: 0..<16)
    func uniformResidualsBulkDecode(seed: Int) throws {
        var rng = SeededRandom(seed: UInt64(seed) &+ 9_000)
        let count = [3, 4, ChunkIterator.batchSize + 1, 240][seed % 4]
        let exponent = seed / 4 % 2 == 0 ? 1.0 : 100.0  // integers, or two decimals
        let t0 = Int64(rng.next() % 1_000_000)
        let values: [Double] = (0..<count).map { i in
            switch seed / 8 {
            case 0: seed % 2 == 0 ? 1 : Double(i * 5 + 7) / exponent  // `up`; a steady counter
            default: Double(i * i * 3 + 2) / exponent  // constant delta of deltas
            }
        }
        // A jittered scrape (a timestamp exception) in half of them.
        let samples = values.indices.map { i in
            Sample(t0 + Int64(i) * 15_000 + (seed % 3 == 0 && i == count / 2 ? 7 : 0), values[i])
        }
        let chunk = ChunkEncoder.encode(samples)
        #expect(chunk.encoding == .scaledInt, "seed \(seed)")
        #expect(try chunk.samples().bits == samples.bits, "seed \(seed)")
        for (mint, maxt) in [(Int64.min, Int64.max), (samples[1].t, samples[count - 2].t), (samples[count / 2].t + 1, Int64.max)] {
            var got: [Sample] = []
            var last = (t: Int64(0), v: 0.0)
            chunk.bytes.withUnsafeBytes { raw in
                var it = ChunkIterator(encoding: chunk.encoding, bytes: raw)
                _ = it.decodeAll(into: &got, mint: mint, maxt: maxt, dropStale: false)
                last = (it.t, it.v)
            }
            #expect(got.bits == samples.filter { $0.t >= mint && $0.t <= maxt }.bits, "seed \(seed)")
            // The iterator is left at the last sample it read.
            let read = samples.last { $0.t <= maxt } ?? samples[0]
            let stop = samples.first { $0.t > maxt } ?? read
            #expect([read, stop].contains { $0.t == last.t && $0.v.bitPattern == last.v.bitPattern }, "seed \(seed)")
        }
    }

    @Test("every special float survives, staleness marker stays distinct from NaN")
    func specials() throws {
        let samples = AdversarialFloats.specials.enumerated().map { Sample(Int64($0.offset) * 1000 - 5000, $0.element) }
        let c = ChunkEncoder.encode(samples)
        let back = try c.samples()
        #expect(back.bits == samples.bits)
        let staleIndex = AdversarialFloats.specials.firstIndex { $0.bitPattern == StaleNaN.bits }!
        #expect(StaleNaN.isStale(back[staleIndex].v))
        #expect(!StaleNaN.isStale(back[6].v))  // plain NaN
        #expect(back[1].v.sign == .minus && back[1].v == 0)  // -0.0
    }

    @Test("integer, decimal and constant series use the scaled-int variant and shrink", arguments: [
        (0, "counter"), (2, "2-decimal gauge"), (0, "constant"),
    ])
    func scaledIntVariant(exponent: Int, kind: String) throws {
        var rng = SeededRandom(seed: 7)
        var v = 1000.0
        var samples: [Sample] = []
        for i in 0..<120 {
            switch kind {
            case "counter": v += Double(rng.next() % 50)
            case "constant": v = 1
            default: v = Double(Int(rng.next() % 10_000)) / 100
            }
            samples.append(Sample(1_700_000_000_000 + Int64(i) * 15000 + (i % 17 == 0 ? 3 : 0), v))
        }
        var xor = XORAppender()
        for s in samples { xor.append(s.t, s.v) }
        let best = ChunkEncoder.encode(samples)
        #expect(best.encoding == .scaledInt)
        #expect(best.bytes.count < xor.bytes.count)
        #expect(try best.samples().bits == samples.bits)
    }

    @Test("a common factor of the steps (memory pages, disk sectors) is divided out")
    func commonFactor() throws {
        var rng = SeededRandom(seed: 11)
        var v = 8_589_934_592.0
        let samples = (0..<480).map { i -> Sample in
            v += Double(Int(rng.next() % 2000) - 1000) * 4096
            return Sample(Int64(i) * 15000, v)
        }
        let chunk = try #require(ScaledIntEncoder.encode(samples))
        #expect(try chunk.samples().bits == samples.bits)
        // As small as the same series already divided by 4096 (plus the factor's header bytes).
        let divided = try #require(ScaledIntEncoder.encode(samples.map { Sample($0.t, $0.v / 4096) }))
        #expect(chunk.bytes.count <= divided.bytes.count + 8)
        var it = XORAppender()
        for s in samples { it.append(s.t, s.v) }
        #expect(chunk.bytes.count * 2 < it.bytes.count)
    }

    @Test("counters with geometric-like increments get Rice-coded residuals", arguments: 0..<20)
    func riceResiduals(seed: Int) throws {
        var rng = SeededRandom(seed: UInt64(seed))
        var v = 1e9
        let samples = (0..<480).map { i -> Sample in
            let u = Double(rng.next() % 1_000_000 + 1) / 1_000_001
            v += (-log(u) * 300).rounded()  // exponential increments, mean 300
            if i == 300 && seed % 2 == 0 { v = 0 }  // a reset: an escape
            return Sample(Int64(i) * 15000, v)
        }
        let chunk = try #require(ScaledIntEncoder.encode(samples))
        #expect(chunk.bytes[2] & 0x80 != 0, "expected Rice coding")
        #expect(try chunk.samples().bits == samples.bits)
        var bulk: [Sample] = []
        let more = chunk.bytes.withUnsafeBytes { raw in
            var it = ChunkIterator(encoding: chunk.encoding, bytes: raw)
            return it.decodeAll(into: &bulk, mint: samples[7].t, maxt: samples[400].t, dropStale: true)
        }
        #expect(!more)
        #expect(bulk.bits == Array(samples[7...400]).bits)
    }

    @Test("counter resets and outliers use the escape and still round-trip")
    func escapes() throws {
        var samples: [Sample] = []
        var v = 0.0
        for i in 0..<300 {
            v = i == 150 ? 3 : v + Double(i % 7)  // reset in the middle
            if i == 200 { v += 1e12 }  // one huge jump
            samples.append(Sample(Int64(i) * 1000, v))
        }
        let chunk = try #require(ScaledIntEncoder.encode(samples))
        #expect(try chunk.samples().bits == samples.bits)
    }

    @Test("full-precision floats at a regular interval get sparse timestamps")
    func sparseTimestampXOR() throws {
        var rng = SeededRandom(seed: 5)
        let samples = (0..<480).map { i -> Sample in
            let jitter: Int64 = i % 50 == 7 ? 3 : 0
            return Sample(1_793_491_200_000 + Int64(i) * 15000 + jitter, Double(rng.next() % 1_000_000) / 7.3)
        }
        var xor = XORAppender()
        for s in samples { xor.append(s.t, s.v) }
        let best = ChunkEncoder.encode(samples)
        #expect(best.encoding == .xorSparseTimestamps)
        #expect(best.bytes.count + 50 < xor.bytes.count)  // ~2 bits/sample of timestamps saved
        #expect(try best.samples().bits == samples.bits)
        // Irregular timestamps and special floats round-trip through this encoding too.
        let odd = AdversarialFloats.specials.enumerated().map { Sample(Int64($0.offset * $0.offset) - 77, $0.element) }
        #expect(try ChunkEncoder.encodeXORSparseTimestamps(odd).samples().bits == odd.bits)
    }

    @Test("values that are not exact scaled integers stay XOR")
    func variantRefusesInexact() {
        let samples = (0..<50).map { Sample(Int64($0), 37.850000000000023 + Double($0) * 1e-9) }
        #expect(ScaledIntEncoder.encode(samples) == nil || (try? ScaledIntEncoder.encode(samples)!.samples().bits) == samples.bits)
        let negZero = [Sample(0, 1), Sample(1, -0.0)]
        #expect(ScaledIntEncoder.encode(negZero) == nil)
    }

    @Test("median by selection equals the sorted middle element", arguments: 0..<100)
    func medianSelection(seed: Int) {
        var rng = SeededRandom(seed: UInt64(seed))
        let values = (0..<(Int(rng.next() % 300) + 1)).map { _ in Int64(rng.next() % 50) - 25 }
        #expect(median(values) == values.sorted()[values.count / 2])
    }

    @Test("seek finds the first sample at or after the target")
    func seek() throws {
        var app = XORAppender()
        for i in 0..<100 { app.append(Int64(i * 10), Double(i)) }
        let bytes = app.bytes
        bytes.withUnsafeBytes { raw in
            var it = ChunkIterator(encoding: .xor, bytes: raw)
            let s55 = it.seek(to: 55); #expect(s55)
            #expect(it.t == 60)
            let stay = it.seek(to: 60); #expect(stay)  // stays
            #expect(it.t == 60)
            let s990 = it.seek(to: 990); #expect(s990)
            #expect(it.t == 990)
            let s991 = it.seek(to: 991); #expect(!s991)
        }
    }

    @Test("truncated and garbage chunks report corruption instead of crashing", arguments: 0..<200)
    func corruptChunks(seed: Int) {
        var rng = SeededRandom(seed: UInt64(seed) + 1000)
        var counter = 0.0
        let samples = (0..<120).map { i -> Sample in
            if (seed / 2) % 2 == 0 { return Sample(Int64(i) * 15000, AdversarialFloats.random(&rng)) }
            counter += rng.next() % 9 == 0 ? Double(rng.next() % 50_000) : Double(rng.next() % 5)  // scaled-int, Rice
            return Sample(Int64(i) * 15000 + (rng.next() % 20 == 0 ? 3 : 0), counter)
        }
        let chunk = ChunkEncoder.encode(samples)
        var bytes = chunk.bytes
        if seed % 2 == 0 {
            bytes.removeLast(Int(rng.next() % UInt64(bytes.count - 2)) + 1)
        } else {
            for _ in 0..<4 { bytes[2 + Int(rng.next() % UInt64(bytes.count - 2))] ^= UInt8(truncatingIfNeeded: rng.next() | 1) }
        }
        bytes.withUnsafeBytes { raw in
            var it = ChunkIterator(encoding: chunk.encoding, bytes: raw)
            var stepped: [Sample] = []
            while it.next() { stepped.append(Sample(it.t, it.v)) }
            #expect(stepped.count <= 120)
            if seed % 2 == 0 { #expect(it.error != nil) }
            // The bulk decoder sees the same damage the same way.
            var bulk = ChunkIterator(encoding: chunk.encoding, bytes: raw)
            var all: [Sample] = []
            _ = bulk.decodeAll(into: &all, mint: .min, maxt: .max, dropStale: false)
            #expect(all.bits == stepped.bits, "seed \(seed) \(chunk.encoding)")
            #expect((bulk.error == nil) == (it.error == nil), "seed \(seed)")
        }
    }
}
