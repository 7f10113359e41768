/// Encodes a sealed run of samples as a `.scaledInt` chunk when every value is
/// an integer after scaling by 10^k: the values become exact Int64s, stored
/// as deltas or delta-of-deltas (whichever is smaller for this chunk). The
/// encoder refuses (returns nil) unless decoding reproduces every bit pattern.
public enum ScaledIntEncoder {
    static let maxExponent = 9
    static let powersOf10: [Double] = (0...9).map { p in
        var x = 1.0
        for _ in 0..<p { x *= 10 }
        return x
    }
    static let maxExactInteger = 9_007_199_254_740_992.0  // 2^53

    /// The value a decoder produces for integer `i` at exponent `k`.
    @inline(__always)
    static func decode(_ i: Int64, exponent k: Int) -> Double {
        k == 0 ? Double(i) : Double(i) / powersOf10[k]
    }

    /// The integer for `v` at exponent `k`, if it round-trips bit-exactly.
    static func integer(for v: Double, exponent k: Int) -> Int64? {
        let s = (v * powersOf10[k]).rounded()
        guard s.isFinite, abs(s) < maxExactInteger else { return nil }
        let i = Int64(s)
        return decode(i, exponent: k).bitPattern == v.bitPattern ? i : nil
    }

    /// Smallest exponent at which `v` is an exact scaled integer, if any.
    static func minimalExponent(_ v: Double) -> Int? {
        guard v.isFinite else { return nil }
        for k in 0...maxExponent where integer(for: v, exponent: k) != nil { return k }
        return nil
    }

    public static func encode(_ samples: [Sample]) -> Chunk? {
        guard !samples.isEmpty, samples.count <= Int(UInt16.max) else { return nil }
        var k = 0
        for s in samples {
            guard let e = minimalExponent(s.v) else { return nil }
            k = max(k, e)
        }
        var ints: [Int64] = []
        ints.reserveCapacity(samples.count)
        for s in samples {
            guard let i = integer(for: s.v, exponent: k) else { return nil }
            ints.append(i)
        }
        let byDelta = encode(samples, ints, exponent: k, dod: false)
        let byDoD = encode(samples, ints, exponent: k, dod: true)
        return byDoD.bytes.count < byDelta.bytes.count ? byDoD : byDelta
    }

    static func encode(_ samples: [Sample], _ ints: [Int64], exponent k: Int, dod: Bool) -> Chunk {
        var w = BitWriter(capacity: samples.count)
        w.writeBits(UInt64(samples.count), count: 16)
        w.writeBits(UInt64(k) | (dod ? 0x10 : 0), count: 8)
        var lastT: Int64 = 0, lastTDelta: Int64 = 0, lastV: Int64 = 0, lastVDelta: Int64 = 0
        for (n, s) in samples.enumerated() {
            let i = ints[n]
            switch n {
            case 0:
                w.writeVarint(s.t)
                w.writeVarint(i)
            case 1:
                lastTDelta = s.t &- lastT
                lastVDelta = i &- lastV
                w.writeVarint(lastTDelta)
                w.writeVarint(lastVDelta)
            default:
                let td = s.t &- lastT
                w.writeFineDoD(td &- lastTDelta)
                lastTDelta = td
                let vd = i &- lastV
                w.writeFineDoD(dod ? vd &- lastVDelta : vd)
                lastVDelta = vd
            }
            lastT = s.t
            lastV = i
        }
        return Chunk(encoding: .scaledInt, bytes: w.bytes)
    }
}

/// The bucket table of `.scaledInt` chunks: prefix bits → payload width.
/// Finer than XOR's timestamp buckets, because scrape jitter and small
/// counter increments are a few units, not thousands.

enum FineBuckets {
    // '0' → 0; '10' → 4; '110' → 8; '1110' → 14; '11110' → 24; '111110' → 36; '111111' → 64.
    static let widths = [4, 8, 14, 24, 36]
}

extension BitWriter {
    mutating func writeFineDoD(_ v: Int64) {
        if v == 0 {
            writeBit(false)
            return
        }
        for (i, width) in FineBuckets.widths.enumerated() {
            let half = Int64(1) << (width - 1)
            if v > -half && v <= half {
                writeBits((1 << UInt64(i + 2)) - 2, count: i + 2)  // i+1 ones then a zero
                writeBits(UInt64(bitPattern: v), count: width)
                return
            }
        }
        writeBits(0b111111, count: 6)
        writeBits(UInt64(bitPattern: v), count: 64)
    }
}

extension BitReader {
    @inline(__always)
    mutating func readFineDoD() -> Int64 {
        var ones = 0
        while ones < 6 && readBit() { ones += 1 }
        if ones == 0 { return 0 }
        let width = ones == 6 ? 64 : FineBuckets.widths[ones - 1]
        return Self.signExtend(readBits(width), width: width)
    }

    /// Interprets the low `width` bits as Prometheus' signed bucket value:
    /// values above 2^(width-1) are negative.
    @inline(__always)
    static func signExtend(_ raw: UInt64, width: Int) -> Int64 {
        if width == 64 { return Int64(bitPattern: raw) }
        let v = Int64(raw)
        return v > (Int64(1) << (width - 1)) ? v - (Int64(1) << width) : v
    }
}
