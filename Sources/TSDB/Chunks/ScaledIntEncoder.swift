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

    public static func encode(_ samples: [Sample]) -> Chunk? {
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
        let times = TimestampExceptions(samples)

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

/// The timestamp section of a scaled-int chunk: t0, then either a regular
/// grid `t0 + j·step` with the samples that are off the grid listed as
/// (gap, offset), or delta-of-deltas with the non-zero ones listed. One
/// jittered scrape is one grid exception but three non-zero dods; irregular
/// series are better served by dods. The smaller is chosen per chunk.
struct TimestampExceptions {
    var grid: Bool
    var t0: Int64
    /// Grid: the step; dod mode: t1 - t0.
    var step: Int64
    /// (sample index, value) of the exceptions, ascending.
    var exceptions: [(Int, Int64)]
    /// First sample index an exception can have (grid 1, dod 2).
    var firstIndex: Int

    init(_ samples: [Sample]) {
        let n = samples.count
        t0 = samples[0].t
        var dodList: [(Int, Int64)] = []
        var dodStep: Int64 = 0
        if n >= 2 { dodStep = samples[1].t &- samples[0].t }
        if n >= 3 {
            for j in 2..<n {
                let dod = (samples[j].t &- samples[j - 1].t) &- (samples[j - 1].t &- samples[j - 2].t)
                if dod != 0 { dodList.append((j, dod)) }
            }
        }
        var gridList: [(Int, Int64)] = []
        var gridStep: Int64 = 0
        if n >= 2 {
            gridStep = median((1..<n).map { samples[$0].t &- samples[$0 - 1].t })
            for j in 1..<n {
                let off = samples[j].t &- (t0 &+ Int64(j) &* gridStep)
                if off != 0 { gridList.append((j, off)) }
            }
        }
        func cost(_ list: [(Int, Int64)], from: Int) -> Int {
            let (gaps, values) = TimestampExceptions.split(list, from: from)
            return RiceCode.best(gaps).bits + RiceCode.best(values).bits
        }
        if n >= 2 && cost(gridList, from: 1) < cost(dodList, from: 2) {
            grid = true; step = gridStep; exceptions = gridList; firstIndex = 1
        } else {
            grid = false; step = dodStep; exceptions = dodList; firstIndex = 2
        }
    }

    /// Gaps (samples skipped since the previous exception) and zig-zag values.
    static func split(_ list: [(Int, Int64)], from: Int) -> (gaps: [UInt64], values: [UInt64]) {
        var prev = from - 1
        var gaps: [UInt64] = [], values: [UInt64] = []
        for (j, v) in list {
            gaps.append(UInt64(j - prev - 1))
            values.append(PackedInts.zigzag(v))
            prev = j
        }
        return (gaps, values)
    }

    func write(to w: inout BitWriter) {
        w.writeVarint(t0)
        w.writeVarint(step)
        w.writeUvarint(UInt64(exceptions.count))
        guard !exceptions.isEmpty else { return }
        let (gaps, values) = TimestampExceptions.split(exceptions, from: firstIndex)
        let kg = RiceCode.best(gaps).k, kv = RiceCode.best(values).k
        w.writeBits(UInt64(kg), count: 4)
        w.writeBits(UInt64(kv), count: 4)
        for (g, v) in zip(gaps, values) {
            RiceCode.write(g, k: kg, to: &w)
            RiceCode.write(v, k: kv, to: &w)
        }
    }
}

/// The element that would be at index count/2 after sorting (quickselect,
/// linear on average). `values` must not be empty.
func median(_ values: [Int64]) -> Int64 {
    var a = values
    var lo = 0, hi = a.count - 1
    let k = a.count / 2
    while lo < hi {
        let pivot = a[(lo + hi) / 2]
        var i = lo, j = hi
        while i <= j {
            while a[i] < pivot { i += 1 }
            while a[j] > pivot { j -= 1 }
            if i <= j { a.swapAt(i, j); i += 1; j -= 1 }
        }
        if k <= j { hi = j } else if k >= i { lo = i } else { return a[k] }
    }
    return a[k]
}

/// Rice codes of unsigned integers with parameter k: `q = z >> k` as q one
/// bits and a zero bit, then the k low bits of z; q ≥ 32 is an escape: 32 one
/// bits and the 64-bit z. Near-optimal for geometric-like distributions.
enum RiceCode {
    static let escape = 32

    @inline(__always)
    static func cost(_ z: UInt64, k: Int) -> Int {
        let q = z >> UInt64(k)
        return q < UInt64(escape) ? Int(q) + 1 + k : escape + 64
    }

    static func write(_ z: UInt64, k: Int, to w: inout BitWriter) {
        let q = z >> UInt64(k)
        if q < UInt64(escape) {
            w.writeBits((1 << (q + 1)) - 2, count: Int(q) + 1)  // q ones, then a zero
            w.writeBits(z, count: k)
        } else {
            w.writeBits((1 << UInt64(escape)) - 1, count: escape)
            w.writeBits(z, count: 64)
        }
    }

    /// The k (0…15) with the smallest total cost for `zs`, and that cost.
    static func best(_ zs: [UInt64]) -> (k: Int, bits: Int) {
        var best = (k: 0, bits: Int.max)
        for k in 0...15 {
            let bits = zs.reduce(0) { $0 + cost($1, k: k) }
            if bits < best.bits { best = (k, bits) }
        }
        return best
    }
}

extension BitReader {
    @inline(__always)
    mutating func readRice(k: Int) -> UInt64 {
        let q = readUnary(max: RiceCode.escape)
        if q == RiceCode.escape { return readBits(64) }
        return k == 0 ? UInt64(q) : UInt64(q) << UInt64(k) | readBits(k)
    }
}

/// Greatest common divisor of |a| and |b| (0 if both are 0); never overflows
/// for the values used here (|v| < 2^54).
func gcd(_ a: Int64, _ b: Int64) -> Int64 {
    var x = a.magnitude, y = b.magnitude
    while y != 0 { (x, y) = (y, x % y) }
    return Int64(x)
}

/// Frame-of-reference bit packing of a run of integers: a base (the median),
/// a width W, and per value the zig-zag distance from the base in W bits.
/// A value whose distance does not fit below the all-ones W-bit pattern is
/// written as all-ones followed by its 64-bit zig-zag distance.
enum PackedInts {
    struct Plan {
        var base: Int64
        /// Frame of reference: bits per value. Rice: the parameter k.
        var width: Int
        var bits: Int
        /// Rice coding instead of fixed width: `q = z >> k` in unary (q ones,
        /// a zero), then the k low bits; q ≥ 32 is an escape: 32 ones and
        /// the 64-bit z. Better than a fixed width when most residuals are
        /// small and a few are large (bursty counters).
        var rice = false
    }


    @inline(__always)
    static func zigzag(_ v: Int64) -> UInt64 { UInt64(bitPattern: (v << 1) ^ (v >> 63)) }
    @inline(__always)
    static func unzigzag(_ u: UInt64) -> Int64 { Int64(bitPattern: (u >> 1) ^ (0 &- (u & 1))) }

    /// Chooses the width that minimises the packed size.
    static func plan(_ values: [Int64]) -> Plan {
        guard !values.isEmpty else { return Plan(base: 0, width: 0, bits: 0) }
        let base = median(values)
        var widthCount = [Int](repeating: 0, count: 65)  // values needing exactly w bits
        var allOnes = [Int](repeating: 0, count: 65)  // values equal to 2^w - 1
        for v in values {
            let z = zigzag(v &- base)
            let w = 64 - z.leadingZeroBitCount
            widthCount[w] += 1
            if z & (z &+ 1) == 0 { allOnes[w] += 1 }
        }
        let headerBits = 64 + 6  // base varint (estimate) + width
        var best = Plan(base: base, width: 64, bits: Int.max)
        var wider = values.count - widthCount[0]  // values needing more than W bits
        for width in 0...63 {
            if width > 0 { wider -= widthCount[width] }
            if width == 0 && wider > 0 { continue }  // width 0 has no escape pattern
            let escapes = width == 0 ? 0 : wider + allOnes[width]
            let bits = headerBits + values.count * width + escapes * 64
            if bits < best.bits { best = Plan(base: base, width: width, bits: bits) }
        }
        // Rice: the best k is near log2 of the typical residual (the median,
        // which outliers such as counter resets do not move); try a few around
        // it, and small k for mostly-tiny residuals with bursts.
        let typical = UInt64(bitPattern: median(values.map { Int64(bitPattern: min(zigzag($0 &- base), 1 << 62)) }))
        let center = typical == 0 ? 0 : 63 - typical.leadingZeroBitCount
        for k in Set(Array(max(0, center - 2)...min(62, center + 2)) + [0, 1, 2, 3]) {
            var bits = headerBits
            for v in values { bits += RiceCode.cost(zigzag(v &- base), k: k) }
            if bits < best.bits { best = Plan(base: base, width: k, bits: bits, rice: true) }
        }
        return best
    }

    static func write(_ values: [Int64], plan: Plan, to w: inout BitWriter) {
        w.writeVarint(plan.base)
        w.writeBits(UInt64(plan.width), count: 6)
        if plan.rice {
            for v in values { RiceCode.write(zigzag(v &- plan.base), k: plan.width, to: &w) }
            return
        }
        guard plan.width > 0 else { return }
        let escape: UInt64 = (1 << UInt64(plan.width)) - 1
        for v in values {
            let z = zigzag(v &- plan.base)
            if z < escape {
                w.writeBits(z, count: plan.width)
            } else {
                w.writeBits(escape, count: plan.width)
                w.writeBits(z, count: 64)
            }
        }
    }
}
