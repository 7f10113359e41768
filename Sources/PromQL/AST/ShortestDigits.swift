/// The shortest decimal that reads back as a given double, by Giulietti's
/// Schubfach algorithm ("The Schubfach way to render doubles", 2020): three
/// 64×128-bit products with a table of powers of ten and a few comparisons,
/// no loops over digits and no big integers. Among the shortest decimals it
/// picks the closest (ties to an even last digit), as Go's `strconv` and
/// Swift's `description` do, so the digits are the ones Prometheus prints.
/// Formatting API responses calls it for every full-precision sample: one
/// value is written in 31 ns, where going through `description` took 43
/// (`FormatBenchmarks`).
enum ShortestDigits {
    /// `a = significand × 10^exponent`, with the fewest significant digits
    /// and no trailing zeros in `significand`, for a positive normal `a`;
    /// nil for zero, subnormals, infinities and NaN (callers use the
    /// standard library for those rare cases).
    @inline(__always)
    static func decimal(_ a: Double) -> (significand: UInt64, exponent: Int)? {
        guard var (f, e) = schubfach(a) else { return nil }
        // Up to 16 trailing zeros ("0.1" comes out as 10000000000000000e-17).
        while f % 100_000_000 == 0 { f /= 100_000_000; e += 8 }
        if f % 10_000 == 0 { f /= 10_000; e += 4 }
        if f % 100 == 0 { f /= 100; e += 2 }
        if f % 10 == 0 { f /= 10; e += 1 }
        return (f, e)
    }

    private static let hiddenBit: UInt64 = 1 << 52
    private static let qMin = -1074
    private static let mask63: UInt64 = (1 << 63) - 1

    /// floor(log10(2^e)) for |e| ≤ 5456721.
    @inline(__always) static func flog10pow2(_ e: Int) -> Int { (e &* 661_971_961_083) >> 41 }
    /// floor(log10(3/4 · 2^e)) for |e| ≤ 5456721.
    @inline(__always) static func flog10threeQuartersPow2(_ e: Int) -> Int { (e &* 661_971_961_083 &- 274_743_187_321) >> 41 }
    /// floor(log2(10^e)) for |e| ≤ 1838394.
    @inline(__always) static func flog2pow10(_ e: Int) -> Int { (e &* 913_124_641_741) >> 38 }

    /// The decimal `s × 10^k` (trailing zeros possible) for a positive normal
    /// double, as the paper's figure 7 computes it.
    @inline(__always)
    static func schubfach(_ a: Double) -> (UInt64, Int)? {
        let bits = a.bitPattern
        let biased = Int((bits >> 52) & 0x7FF)
        guard biased != 0, biased != 0x7FF, bits >> 63 == 0 else { return nil }
        let c = hiddenBit | (bits & (hiddenBit - 1))
        let mq = -qMin + 1 - biased  // -q
        if 0 < mq && mq < 53 {
            // Integers below 2^53: c / 2^-q exactly.
            let f = c >> UInt64(mq)
            if f << UInt64(mq) == c { return (f, 0) }
        }
        let q = -mq
        let out: UInt64 = c & 1  // even significands round to themselves: the interval is closed
        let cb = c << 2
        let cbr = cb + 2
        let cbl: UInt64
        let k: Int
        if c != hiddenBit || q == qMin {
            cbl = cb - 2
            k = flog10pow2(q)
        } else {
            // At a power of two the next lower double is half as far away.
            cbl = cb - 1
            k = flog10threeQuartersPow2(q)
        }
        let h = UInt64(q + flog2pow10(-k) + 2)
        let index = 2 * (k - kMin)
        let g1 = g[index], g0 = g[index + 1]
        let vb = roundToOdd(g1, g0, cb << h)
        let vbl = roundToOdd(g1, g0, cbl << h)
        let vbr = roundToOdd(g1, g0, cbr << h)
        let s = vb >> 2
        if s >= 100 {
            // One digit fewer: s' = floor(s / 10) by multiplication.
            let sp10 = 10 &* s.multipliedFullWidth(by: 115_292_150_460_684_698 << 4).high
            let tp10 = sp10 + 10
            let upIn = vbl + out <= sp10 << 2
            let wpIn = (tp10 << 2) + out <= vbr
            if upIn != wpIn { return (upIn ? sp10 : tp10, k) }
        }
        let t = s + 1
        let uIn = vbl + out <= s << 2
        let wIn = (t << 2) + out <= vbr
        if uIn != wIn { return (uIn ? s : t, k) }
        // Both candidates read back as `a`: the closer one, ties to even.
        let cmp = Int64(bitPattern: vb &- ((s + t) << 1))
        return (cmp < 0 || cmp == 0 && s & 1 == 0 ? s : t, k)
    }

    /// cp × g / 2^127 rounded to odd, g = g1·2^63 + g0 (the paper's `rop`).
    @inline(__always)
    private static func roundToOdd(_ g1: UInt64, _ g0: UInt64, _ cp: UInt64) -> UInt64 {
        let x1 = g0.multipliedFullWidth(by: cp).high
        let y = g1.multipliedFullWidth(by: cp)
        let z = (y.low >> 1) &+ x1
        let vbp = y.high &+ (z >> 63)
        return vbp | (((z & mask63) &+ mask63) >> 63)
    }
}
