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
    public internal(set) var t: Int64 = .min
    public var v: Double { Double(bitPattern: bits) }
    var bits: UInt64 = 0
    var tDelta: Int64 = 0
    var leading = 0
    var trailing = 0
    var ival: Int64 = 0
    var iDelta: Int64 = 0
    var exponent = 0
    // Scaled-int: timestamps exceptions are read by a second cursor.
    var exceptionReader: BitReader
    var exceptionsLeft = 0
    var nextException = Int.max  // sample index of the next non-zero timestamp dod
    var gridTimestamps = false
    var t0: Int64 = 0
    var step: Int64 = 0
    var firstValue: Int64 = 0
    var secondDelta: Int64 = 0
    var factor: Int64 = 1
    var offset: Int64 = 0
    var residuals = ScaledIntResiduals()
    var gapK = 0
    var offsetK = 0
    /// Set when the chunk turned out to be malformed; iteration then stops.
    public private(set) var error: TSDBError?

    public init(encoding: ChunkEncoding, bytes: UnsafeRawBufferPointer) {
        self.encoding = encoding
        guard bytes.count >= 2 else {
            reader = BitReader(UnsafeRawBufferPointer(start: nil, count: 0))
            exceptionReader = reader
            count = 0
            error = TSDBError(.corruption, "chunk shorter than its 2-byte header")
            return
        }
        count = Int(bytes[0]) << 8 | Int(bytes[1])
        reader = BitReader(UnsafeRawBufferPointer(rebasing: bytes[2...]))
        exceptionReader = reader
        if count > 0 {
            switch encoding {
            case .xor: break
            case .scaledInt: startScaledInt()
            case .xorSparseTimestamps: startXORSparseTimestamps()
            case .floatHistogram: markCorrupt("a histogram chunk was read as float samples")
            }
        }
    }

    /// Reads the timestamp section shared by scaled-int and sparse-timestamp
    /// XOR chunks, leaving `exceptionReader` at the exceptions and `reader`
    /// just after them. Returns false (and marks corruption) if invalid.
    mutating func startSparseTimestamps(flags: UInt64) -> Bool {
        gridTimestamps = flags & 0x40 != 0
        t0 = reader.readVarint()
        step = reader.readVarint()
        exceptionsLeft = Int(clamping: reader.readUvarint())
        if reader.overrun || exceptionsLeft > count {
            markCorrupt("chunk has an invalid timestamp header")
            return false
        }
        if exceptionsLeft > 0 {
            gapK = Int(reader.readBits(4))
            offsetK = Int(reader.readBits(4))
        }
        exceptionReader = reader
        for _ in 0..<exceptionsLeft {
            _ = reader.readRice(k: gapK)
            _ = reader.readRice(k: offsetK)
        }
        let firstIndex = gridTimestamps ? 1 : 2
        nextException = exceptionsLeft > 0 ? firstIndex + readGap() : Int.max
        return true
    }

    /// The next exception gap, bounded by the sample count so that garbage
    /// cannot overflow the index arithmetic (an out-of-range gap simply never matches).
    @inline(__always)
    mutating func readGap() -> Int {
        min(Int(clamping: exceptionReader.readRice(k: gapK)), count)
    }

    mutating func startXORSparseTimestamps() {
        let flags = reader.readBits(8)
        if flags & ~0x40 != 0 { markCorrupt("sparse-timestamp XOR chunk has invalid flags \(flags)"); return }
        _ = startSparseTimestamps(flags: flags)
    }

    /// Reads the header and the timestamp section of a scaled-int chunk and
    /// leaves `reader` at the value residuals and `exceptionReader` at the
    /// timestamp exceptions (docs/format/chunks.md).
    mutating func startScaledInt() {
        let flags = reader.readBits(8)
        exponent = Int(flags & 0x0f)
        residuals.deltaOfDeltas = flags & 0x10 != 0
        if flags & 0x20 != 0 {
            factor = Int64(truncatingIfNeeded: reader.readUvarint())
            offset = reader.readVarint()
        }
        residuals.rice = flags & 0x80 != 0
        if exponent > ScaledIntEncoder.maxExponent || factor < 1 {
            markCorrupt("scaled-int chunk has an invalid header (flags \(flags))")
            return
        }
        guard startSparseTimestamps(flags: flags) else { return }
        firstValue = reader.readVarint()
        if count >= 2 { secondDelta = reader.readVarint() }
        if count >= 3 {
            residuals.base = reader.readVarint()
            residuals.width = Int(reader.readBits(6))
            residuals.escape = residuals.width == 0 ? 0 : (1 << UInt64(residuals.width)) - 1
        }
    }

    /// Advances to the next sample; false at the end or on corruption.

    public mutating func next() -> Bool {
        guard index < count, error == nil else { return false }
        switch encoding {
        case .xor: decodeXOR()
        case .scaledInt: decodeScaledInt()
        case .xorSparseTimestamps:
            decodeSparseTimestamp()
            if index == 0 { bits = reader.readBits(64) } else { decodeXORValue() }
        case .floatHistogram: return false  // refused in init
        }
        if reader.overrun {
            markTruncated()
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

    /// Starts decoding at `point` (of this XOR chunk) instead of the first
    /// sample: `next()` then yields sample `point.index`.
    mutating func resume(at point: XORResumePoint) {
        guard encoding == .xor, error == nil, point.index > 0, point.index <= count,
              point.bitOffset >= 0, point.bitOffset <= reader.bytes.count * 8 else { return }
        reader.pos = point.bitOffset >> 3
        reader.buffer = 0
        reader.valid = 0
        if point.bitOffset & 7 > 0 { _ = reader.readBits(point.bitOffset & 7) }
        index = point.index
        t = point.t
        tDelta = point.tDelta
        bits = point.bits
        leading = point.leading
        trailing = point.trailing
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
        decodeXORValue()
    }

    /// Gorilla value decoding: updates `bits` from the XOR control bits.
    @inline(__always)
    mutating func decodeXORValue() {
        if !Self.readXORValue(&reader, bits: &bits, leading: &leading, trailing: &trailing) {
            markBadXORWindow()
        }
    }

    /// Gorilla value decoding on a given reader and state (the bulk decoder
    /// keeps them in locals); false if the window is malformed.
    @inline(__always)
    static func readXORValue(_ reader: inout BitReader, bits: inout UInt64, leading: inout Int, trailing: inout Int) -> Bool {
        guard reader.readBit() else { return true }  // same value
        if reader.readBit() {
            guard readXORWindow(&reader, leading: &leading, trailing: &trailing) else { return false }
        }
        let sig = 64 - leading - trailing
        bits ^= reader.readBits(sig) &<< UInt64(trailing)  // trailing is 0...63 here
        return true
    }

    /// A new XOR window: leading zeros and significant bits. Out of line, as
    /// are the other rare paths of the decoders: the optimiser stops inlining
    /// into a function past a size budget, and the common paths must fit.
    @inline(never)
    static func readXORWindow(_ reader: inout BitReader, leading: inout Int, trailing: inout Int) -> Bool {
        leading = Int(reader.readBits(5))
        var sig = Int(reader.readBits(6))
        if sig == 0 { sig = 64 }
        trailing = 64 - leading - sig
        return trailing >= 0
    }

    @inline(never)
    mutating func markBadXORWindow() {
        markCorrupt("XOR window of \(64 - leading - trailing) bits after \(leading) leading zeros exceeds 64")
    }

    @inline(__always)
    mutating func readXORTimestampDoD() -> Int64 { Self.readXORTimestampDoD(&reader) }

    /// The delta of delta; a single 0 bit (the same interval again) is the
    /// common case and taken inline.
    @inline(__always)
    static func readXORTimestampDoD(_ reader: inout BitReader) -> Int64 {
        if reader.valid > 0 && reader.buffer >> 63 == 0 {
            reader.consume(1)
            return 0
        }
        return readXORTimestampDoDInParts(&reader)
    }

    @inline(never)
    static func readXORTimestampDoDInParts(_ reader: inout BitReader) -> Int64 {
        switch reader.readUnary(max: 4) {
        case 0: return 0
        case 1: return BitReader.signExtend(reader.readBits(14), width: 14)
        case 2: return BitReader.signExtend(reader.readBits(17), width: 17)
        case 3: return BitReader.signExtend(reader.readBits(20), width: 20)
        default: return Int64(bitPattern: reader.readBits(64))
        }
    }

    /// The timestamp exception at the current sample, or 0 (and advances the list).
    @inline(__always)
    mutating func takeException() -> Int64 {
        guard index == nextException else { return 0 }
        let v = PackedInts.unzigzag(exceptionReader.readRice(k: offsetK))
        exceptionsLeft -= 1
        nextException = exceptionsLeft > 0 ? index + 1 + readGap() : Int.max
        if exceptionReader.overrun { markCorrupt("scaled-int timestamp exceptions are truncated") }
        return v
    }

    @inline(__always)
    mutating func decodeSparseTimestamp() {
        if gridTimestamps {
            t = t0 &+ Int64(index) &* step &+ takeException()
        } else {
            switch index {
            case 0: t = t0
            case 1: tDelta = step; t = t0 &+ step
            default: tDelta = tDelta &+ takeException(); t = t &+ tDelta
            }
        }
    }

    @inline(__always)
    mutating func decodeScaledInt() {
        decodeSparseTimestamp()
        switch index {
        case 0:
            ival = firstValue
        case 1:
            iDelta = secondDelta
            ival = ival &+ iDelta
        default:
            residuals.advance(&reader, value: &ival, delta: &iDelta)
        }
        bits = ScaledIntEncoder.decode(offset &+ ival &* factor, exponent: exponent).bitPattern
    }
}

/// How a scaled-int chunk codes its values from the third on: a residual per
/// sample, Rice-coded or in a fixed width with an escape, relative to a base
/// (docs/format/chunks.md).
struct ScaledIntResiduals {
    var base: Int64 = 0
    /// Fixed width, or the Rice parameter k.
    var width = 0
    /// The all-ones fixed-width pattern that announces a 64-bit residual.
    var escape: UInt64 = 0
    var rice = false
    /// Residuals are deltas of deltas rather than deltas.
    var deltaOfDeltas = false

    /// Reads the next residual and advances the value.
    @inline(__always)
    func advance(_ reader: inout BitReader, value: inout Int64, delta: inout Int64) {
        var z: UInt64 = 0
        if rice {
            z = reader.readRice(k: width)
        } else if width > 0 {
            z = reader.readBits(width)
            if z == escape { z = reader.readBits(64) }
        }
        let residual = base &+ PackedInts.unzigzag(z)
        delta = deltaOfDeltas ? delta &+ residual : residual
        value = value &+ delta
    }
}
