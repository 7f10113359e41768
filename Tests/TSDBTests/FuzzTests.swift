import Testing
@testable import TSDB
import TSDBTestSupport

/// Decoders of outside bytes must never trap: random input and mutated valid
/// input either decode or report corruption.
@Suite("Decoder fuzzing")
struct FuzzTests {
    static let encodings: [ChunkEncoding] = [.xor, .scaledInt, .xorSparseTimestamps]

    static func drain(_ bytes: [UInt8], _ encoding: ChunkEncoding) -> Int {
        bytes.withUnsafeBytes { raw in
            var it = ChunkIterator(encoding: encoding, bytes: raw)
            var n = 0
            while it.next() { n += 1 }
            _ = it.seek(to: .max)
            return n
        }
    }

    @Test("random bytes into every chunk decoder", arguments: 0..<3)
    func randomChunks(encodingIndex: Int) {
        var rng = SeededRandom(seed: UInt64(encodingIndex) * 7919)
        for _ in 0..<3000 {
            let n = Int(rng.next() % 64)
            let bytes = (0..<n).map { _ in UInt8(truncatingIfNeeded: rng.next()) }
            #expect(Self.drain(bytes, Self.encodings[encodingIndex]) <= 0xffff)
        }
    }

    @Test("bit flips and truncations of valid chunks", arguments: 0..<60)
    func mutatedChunks(seed: Int) {
        var rng = SeededRandom(seed: UInt64(seed))
        var v = 100.0
        let samples = (0..<200).map { i -> Sample in
            v += Double(rng.next() % 5)
            return Sample(Int64(i) * 15000 + (i % 13 == 0 ? 2 : 0), seed % 3 == 0 ? AdversarialFloats.random(&rng) : v)
        }
        for chunk in [ChunkEncoder.encode(samples), ChunkEncoder.encodeXORSparseTimestamps(samples)] {
            for _ in 0..<50 {
                var b = chunk.bytes
                switch rng.next() % 3 {
                case 0: b[Int(rng.next() % UInt64(b.count))] ^= UInt8(1 << (rng.next() % 8))
                case 1: b.removeLast(Int(rng.next() % UInt64(b.count)))
                default: for _ in 0..<8 { b[Int(rng.next() % UInt64(b.count))] = UInt8(truncatingIfNeeded: rng.next()) }
                }
                #expect(Self.drain(b, chunk.encoding) <= 0xffff)
            }
        }
    }

    @Test("huge varints in chunk headers are corruption, not overflow traps")
    func hugeVarints() {
        let maxVarint: [UInt8] = [0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0x01]
        for encoding in [ChunkEncoding.scaledInt, .xorSparseTimestamps] {
            // count 5, flags, t0 = 0, step = 0, one exception whose gap is 2^64-1, its value, then zeros.
            let bytes: [UInt8] = [0, 5, 0x40, 0, 0, 1] + maxVarint + [2] + [UInt8](repeating: 0, count: 32)
            #expect(Self.drain(bytes, encoding) <= 5)
            let hugeCount: [UInt8] = [0, 5, 0x40, 0, 0] + maxVarint + [UInt8](repeating: 0, count: 32)
            #expect(Self.drain(hugeCount, encoding) <= 5)
        }
    }

    @Test("a count against an empty table is an error, not a trap")
    func countWithNegativeLimit() {
        [UInt8]([0]).withUnsafeBytes { raw in
            var r = ByteReader(raw)
            #expect(throws: TSDBError.self) { try r.count(max: -1, what: "symbol index") }
        }
    }

    @Test("random bytes into the WAL record decoder")
    func walRecords() {
        var rng = SeededRandom(seed: 99)
        for _ in 0..<5000 {
            let bytes = (0..<Int(rng.next() % 48)).map { _ in UInt8(truncatingIfNeeded: rng.next()) }
            bytes.withUnsafeBytes { raw in
                var r = ByteReader(raw)
                _ = try? WALRecord.decode(type: UInt8(rng.next() % 4), &r)
            }
        }
    }
}
