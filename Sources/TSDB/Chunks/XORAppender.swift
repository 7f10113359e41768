/// Streams samples into a Gorilla (XOR) chunk one at a time, as the head does
/// for each series' open chunk. Layout: docs/format/chunks.md.
///
/// Timestamps must be strictly increasing (the head guarantees it); the
/// arithmetic wraps, so any Int64 timestamps round-trip.
public struct XORAppender: ~Copyable {
    var writer: BitWriter
    public private(set) var count: Int = 0
    public private(set) var lastT: Int64 = 0
    private var lastDelta: Int64 = 0
    private var values = XORValueWriter()
    /// Where a reader can start decoding instead of at the first sample:
    /// the decoder state after every `XORResumePoint.interval` samples.
    public private(set) var resumePoints: [XORResumePoint] = []

    public init() {
        writer = BitWriter(capacity: 32)
        writer.writeBits(0, count: 16)  // sample count, patched in `bytes`
    }

    /// The chunk bytes so far, with the sample count filled in.
    public var bytes: [UInt8] {
        var b = writer.bytes
        b[0] = UInt8(truncatingIfNeeded: count >> 8)
        b[1] = UInt8(truncatingIfNeeded: count)
        return b
    }

    /// The chunk bytes so far in a `ChunkBytes` of their own (one copy, for readers of an open chunk).
    public var chunkBytes: ChunkBytes {
        ChunkBytes(count: writer.byteCount) { dst in
            writer.copy(into: dst)
            dst[0] = UInt8(truncatingIfNeeded: count >> 8)
            dst[1] = UInt8(truncatingIfNeeded: count)
        }
    }

    public var chunk: Chunk { Chunk(encoding: .xor, bytes: bytes) }
    public var byteCount: Int { writer.byteCount }

    public mutating func append(_ t: Int64, _ v: Double) {
        let bits = v.bitPattern
        switch count {
        case 0:
            writer.writeVarint(t)
            values.writeFirst(bits, to: &writer)
        case 1:
            lastDelta = t &- lastT
            writer.writeVarint(lastDelta)
            writeValue(bits)
        default:
            let delta = t &- lastT
            writer.writeTimestampDoD(delta &- lastDelta)
            lastDelta = delta
            writeValue(bits)
        }
        lastT = t
        count += 1
        if count % XORResumePoint.interval == 0 { recordResumePoint() }
    }

    private mutating func recordResumePoint() {
        guard let point = XORResumePoint(
            index: count, bitOffset: writer.bitCount - 16, t: lastT, tDelta: lastDelta, bits: values.lastBits,
            leading: values.window.leading, trailing: values.window.trailing) else { return }
        if resumePoints.isEmpty { resumePoints.reserveCapacity(3) }
        resumePoints.append(point)
    }

    private mutating func writeValue(_ bits: UInt64) {
        values.write(bits, to: &writer)
    }
}

/// Gorilla's value coding: each value XOR'd with the previous one, the
/// result written as `0` (equal), `10` + bits inside the current window of
/// leading/trailing zeros, or `11` + 5-bit leading count + 6-bit length +
/// the meaningful bits (a new window). Shared by the XOR encodings.
struct XORValueWriter: Sendable {
    private(set) var lastBits: UInt64 = 0
    private var leading: Int = 0xff  // 0xff: no window yet
    private var trailing: Int = 0

    /// The current window of leading and trailing zeros, as a decoder holds it
    /// (zeros before the first: the next value then opens a window).
    var window: (leading: Int, trailing: Int) { leading == 0xff ? (0, 0) : (leading, trailing) }

    /// Writes the first value verbatim.
    mutating func writeFirst(_ bits: UInt64, to writer: inout BitWriter) {
        writer.writeBits(bits, count: 64)
        lastBits = bits
    }

    mutating func write(_ bits: UInt64, to writer: inout BitWriter) {
        let x = bits ^ lastBits
        lastBits = bits
        if x == 0 {
            writer.writeBit(false)
            return
        }
        let lead = Swift.min(x.leadingZeroBitCount, 31)
        let trail = x.trailingZeroBitCount
        if leading != 0xff && lead >= leading && trail >= trailing {
            writer.writeBits(0b10, count: 2)
            writer.writeBits(x >> UInt64(trailing), count: 64 - leading - trailing)
        } else {
            leading = lead
            trailing = trail
            let sig = 64 - lead - trail
            writer.writeBits(0b11, count: 2)
            writer.writeBits(UInt64(lead), count: 5)
            writer.writeBits(UInt64(sig & 63), count: 6)  // 64 is stored as 0
            writer.writeBits(x >> UInt64(trail), count: sig)
        }
    }
}

extension BitWriter {
    /// Prometheus' timestamp delta-of-delta buckets: 0 | 10+14 | 110+17 | 1110+20 | 1111+64 bits.
    mutating func writeTimestampDoD(_ dod: Int64) {
        switch dod {
        case 0:
            writeBit(false)
        case -8191...8192:
            writeBits(0b10, count: 2); writeBits(UInt64(bitPattern: dod), count: 14)
        case -65535...65536:
            writeBits(0b110, count: 3); writeBits(UInt64(bitPattern: dod), count: 17)
        case -524_287...524_288:
            writeBits(0b1110, count: 4); writeBits(UInt64(bitPattern: dod), count: 20)
        default:
            writeBits(0b1111, count: 4); writeBits(UInt64(bitPattern: dod), count: 64)
        }
    }
}
