/// Decodes a chunk of any `ChunkEncoding` sample by sample, without
/// allocating. The bytes are borrowed: the caller keeps them alive.
///
///     var it = ChunkIterator(encoding: .xor, bytes: raw)
///     while it.next() { use(it.t, it.v) }
///     if let e = it.error { … corrupted chunk … }
public struct ChunkIterator {
    var reader: BitReader
    let encoding: ChunkEncoding
    public let count: Int
    var index = 0
    /// Timestamp and value of the current sample (valid after `next()` returned true).
    public private(set) var t: Int64 = .min
    public var v: Double { Double(bitPattern: bits) }
    var bits: UInt64 = 0
    var tDelta: Int64 = 0
    var leading = 0
    var trailing = 0
    var ival: Int64 = 0
    var iDelta: Int64 = 0
    var exponent = 0
    var dodValues = false
    /// Set when the chunk turned out to be malformed; iteration then stops.
    public private(set) var error: TSDBError?

    public init(encoding: ChunkEncoding, bytes: UnsafeRawBufferPointer) {
        self.encoding = encoding
        guard bytes.count >= 2 else {
            reader = BitReader(UnsafeRawBufferPointer(start: nil, count: 0))
            count = 0
            error = TSDBError(.corruption, "chunk shorter than its 2-byte header")
            return
        }
        count = Int(bytes[0]) << 8 | Int(bytes[1])
        reader = BitReader(UnsafeRawBufferPointer(rebasing: bytes[2...]))
        if encoding == .scaledInt && count > 0 {
            let flags = reader.readBits(8)
            exponent = Int(flags & 0x0f)
            dodValues = flags & 0x10 != 0
            if reader.overrun || exponent > ScaledIntEncoder.maxExponent {
                error = TSDBError(.corruption, "scaled-int chunk has invalid flags \(flags)")
            }
        }
    }

    /// Advances to the next sample; false at the end or on corruption.

    public mutating func next() -> Bool {
        guard index < count, error == nil else { return false }
        switch encoding {
        case .xor: decodeXOR()
        case .scaledInt: decodeScaledInt()
        }
        if reader.overrun {
            markCorrupt("chunk ends early: sample \(index + 1) of \(count) is truncated")
            return false
        }
        index += 1
        return error == nil
    }

    /// Advances to the first sample with timestamp ≥ `target` (staying put if
    /// the current one already qualifies); false if there is none.

    public mutating func seek(to target: Int64) -> Bool {
        if index > 0 && t >= target { return true }
        while next() {
            if t >= target { return true }
        }
        return false
    }

    @inline(never)
    mutating func markCorrupt(_ message: String) {
        error = TSDBError(.corruption, message)
    }

    @inline(__always)
    mutating func decodeXOR() {
        switch index {
        case 0:
            t = reader.readVarint()
            bits = reader.readBits(64)
            return
        case 1:
            tDelta = reader.readVarint()
        default:
            tDelta = tDelta &+ readXORTimestampDoD()
        }
        t = t &+ tDelta
        guard reader.readBit() else { return }  // same value
        if reader.readBit() {
            leading = Int(reader.readBits(5))
            var sig = Int(reader.readBits(6))
            if sig == 0 { sig = 64 }
            trailing = 64 - leading - sig
            if trailing < 0 { markCorrupt("XOR window of \(sig) bits after \(leading) leading zeros exceeds 64"); return }
        }
        let sig = 64 - leading - trailing
        bits ^= reader.readBits(sig) << UInt64(trailing)
    }

    @inline(__always)
    mutating func readXORTimestampDoD() -> Int64 {
        var ones = 0
        while ones < 4 && reader.readBit() { ones += 1 }
        switch ones {
        case 0: return 0
        case 1: return BitReader.signExtend(reader.readBits(14), width: 14)
        case 2: return BitReader.signExtend(reader.readBits(17), width: 17)
        case 3: return BitReader.signExtend(reader.readBits(20), width: 20)
        default: return Int64(bitPattern: reader.readBits(64))
        }
    }

    @inline(__always)
    mutating func decodeScaledInt() {
        switch index {
        case 0:
            t = reader.readVarint()
            ival = reader.readVarint()
        case 1:
            tDelta = reader.readVarint()
            iDelta = reader.readVarint()
            t = t &+ tDelta
            ival = ival &+ iDelta
        default:
            tDelta = tDelta &+ reader.readFineDoD()
            t = t &+ tDelta
            let d = reader.readFineDoD()
            iDelta = dodValues ? iDelta &+ d : d
            ival = ival &+ iDelta
        }
        bits = ScaledIntEncoder.decode(ival, exponent: exponent).bitPattern
    }
}
