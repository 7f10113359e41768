/// Encodes a sealed run of samples as a `.scaledInt` chunk when every value is
/// an integer after scaling by 10^k: the values become exact Int64s. The
/// encoder refuses (returns nil) unless decoding reproduces every bit pattern.
///
/// Layout (docs/format/chunks.md): timestamps as a sparse list of non-zero
/// delta-of-deltas (regular scrapes cost nothing per sample), values as
/// deltas or delta-of-deltas, frame-of-reference bit-packed with a per-chunk
/// width and escapes for outliers (counter resets).
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

    /// `times`: the samples' timestamp section, if the caller has it already.
    static func encode(_ samples: [Sample], times: TimestampSection? = nil) -> Chunk? {
        guard !samples.isEmpty, samples.count <= Int(UInt16.max) else { return nil }
        var k = 0
        for s in samples {
            guard let e = minimalExponent(s.v) else { return nil }
            k = max(k, e)
        }
        var ints: [Int64] = []
        ints.reserveCapacity(samples.count)  // var: divided by the common factor below
        for s in samples {
            guard let i = integer(for: s.v, exponent: k) else { return nil }
            ints.append(i)
        }
        // Common factor of all steps (memory in KiB or pages, disk bytes in
        // sectors): the stream then holds (v - v0) / g, a few bits narrower.
        var g: Int64 = 0
        for j in 1..<ints.count { g = gcd(g, ints[j] &- ints[j - 1]) }
        if g <= 1 { g = 1 }
        let first = ints[0]
        if g > 1 { for j in ints.indices { ints[j] = (ints[j] &- first) / g } }
        let n = samples.count
        // Residuals of values from the third sample on, in both modes.
        var deltas: [Int64] = []
        var dods: [Int64] = []
        if n >= 3 {
            deltas.reserveCapacity(n - 2)
            dods.reserveCapacity(n - 2)
            for j in 2..<n {
                let d = ints[j] &- ints[j - 1]
                deltas.append(d)
                dods.append(d &- (ints[j - 1] &- ints[j - 2]))
            }
        }
        let byDelta = PackedInts.plan(deltas)
        let byDoD = PackedInts.plan(dods)
        let useDoD = byDoD.bits < byDelta.bits
        let times = times ?? TimestampSection(samples)

        var w = BitWriter(capacity: n)
        w.writeBits(UInt64(n), count: 16)
        let plan = useDoD ? byDoD : byDelta
        w.writeBits(UInt64(k) | (useDoD ? 0x10 : 0) | (g > 1 ? 0x20 : 0) | (times.grid ? 0x40 : 0) | (plan.rice ? 0x80 : 0),
                    count: 8)
        if g > 1 {
            w.writeUvarint(UInt64(g))
            w.writeVarint(first)
        }
        times.write(to: &w)
        w.writeVarint(ints[0])
        if n >= 2 { w.writeVarint(ints[1] &- ints[0]) }
        if n >= 3 { PackedInts.write(useDoD ? dods : deltas, plan: plan, to: &w) }
        return Chunk(encoding: .scaledInt, bytes: w.bytes)
    }
}
