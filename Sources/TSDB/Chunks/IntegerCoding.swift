// Integer codings shared by the chunk encoders: selection, GCD, Rice codes,
// frame-of-reference bit packing.

/// The element that would be at index count/2 after sorting (quickselect,
/// linear on average). `values` must not be empty.
func median(_ values: [Int64]) -> Int64 {
    let first = values[0]
    if values.allSatisfy({ $0 == first }) { return first }  // regular scrapes, flat series
    var copy = values
    return copy.withUnsafeMutableBufferPointer { a in
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
    /// One Rice code. When the whole code lies in the register (the usual
    /// case: short quotients, small k) it is taken with one count of leading
    /// ones and two shifts; otherwise the general path reads it piecewise.
    @inline(__always)
    mutating func readRice(k: Int) -> UInt64 {
        if valid <= 56 { refill() }
        let q = (~buffer).leadingZeroBitCount  // leading ones; if they run past `valid`, n > valid
        let n = q &+ 1 &+ k
        guard q < RiceCode.escape && n < 64 && n <= valid else { return readRiceInParts(k: k) }
        let low = k == 0 ? 0 : (buffer &<< UInt64(q &+ 1)) &>> UInt64(64 &- k)
        buffer = buffer &<< UInt64(n)
        valid -= n
        return UInt64(q) &<< UInt64(k) | low
    }

    @inline(never)
    mutating func readRiceInParts(k: Int) -> UInt64 {
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
        var best = Plan(base: base, width: 64, bits: Int.max)
        let headerBits = 64 + 6  // base varint (estimate) + width
        withUnsafeTemporaryAllocation(of: Int.self, capacity: 130) { counts in
            counts.initialize(repeating: 0)
            // [w]: values needing exactly w bits; [65 + w]: values equal to 2^w - 1.
            for v in values {
                let z = zigzag(v &- base)
                let w = 64 - z.leadingZeroBitCount
                counts[w] += 1
                if z & (z &+ 1) == 0 { counts[65 + w] += 1 }
            }
            var wider = values.count - counts[0]  // values needing more than W bits
            for width in 0...63 {
                if width > 0 { wider -= counts[width] }
                if width == 0 && wider > 0 { continue }  // width 0 has no escape pattern
                let escapes = width == 0 ? 0 : wider + counts[65 + width]
                let bits = headerBits + values.count * width + escapes * 64
                if bits < best.bits { best = Plan(base: base, width: width, bits: bits) }
            }
        }
        // Rice: the best k is near log2 of the typical residual (the median,
        // which outliers such as counter resets do not move); try a few around
        // it, and small k for mostly-tiny residuals with bursts.
        let typical = UInt64(bitPattern: median(values.map { Int64(bitPattern: min(zigzag($0 &- base), 1 << 62)) }))
        let center = typical == 0 ? 0 : 63 - typical.leadingZeroBitCount
        var tried: UInt64 = 0  // bit k: k was tried
        for k in [0, 1, 2, 3, center - 2, center - 1, center, center + 1, center + 2] where k >= 0 && k <= 62 {
            guard tried & (1 << UInt64(k)) == 0 else { continue }
            tried |= 1 << UInt64(k)
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
