/// Byte-level versions of `GoFormat`, for writing large API responses
/// without building Swift strings (same output as `formatFloat`).
extension GoFormat {
    /// Bytes `writeInt` may write.
    public static let maxIntLength = 20

    /// How many decimal digits `m` has (a comparison tree: no dependent
    /// divisions).
    @inline(__always)
    static func decimalDigits(_ m: UInt64) -> Int {
        if m < 100_000_000 {
            if m < 10_000 { return m < 100 ? (m < 10 ? 1 : 2) : (m < 1000 ? 3 : 4) }
            return m < 1_000_000 ? (m < 100_000 ? 5 : 6) : (m < 10_000_000 ? 7 : 8)
        }
        if m < 10_000_000_000_000_000 {
            if m < 1_000_000_000_000 {
                return m < 10_000_000_000 ? (m < 1_000_000_000 ? 9 : 10) : (m < 100_000_000_000 ? 11 : 12)
            }
            return m < 100_000_000_000_000 ? (m < 10_000_000_000_000 ? 13 : 14)
                : (m < 1_000_000_000_000_000 ? 15 : 16)
        }
        return m < 1_000_000_000_000_000_000 ? (m < 100_000_000_000_000_000 ? 17 : 18)
            : (m < 10_000_000_000_000_000_000 ? 19 : 20)
    }

    /// Writes the decimal digits of `n` at `p` (room for `maxIntLength`
    /// bytes); returns how many.
    @inline(__always)
    public static func writeInt(_ n: Int64, to p: UnsafeMutablePointer<UInt8>) -> Int {
        var len = 0
        if n < 0 {
            p[0] = UInt8(ascii: "-")
            len = 1
        }
        let m = n.magnitude
        let digits = decimalDigits(m)
        writeDigits(m, count: digits, to: p + len)
        return len + digits
    }

    /// Writes the `count` (= `decimalDigits(m)`) digits of `m` at `p`. It
    /// stores whole eight-byte words, so it may also write scratch bytes up
    /// to `p + 8` when `count` < 8: callers leave that room and write what
    /// follows the digits afterwards.
    @inline(__always)
    static func writeDigits(_ m: UInt64, count: Int, to p: UnsafeMutablePointer<UInt8>) {
        let raw = UnsafeMutableRawPointer(p)
        /// Stores the last `k` (1…8) digits of `n` < 10^8 at `raw + offset`, as the
        /// first `k` bytes of an eight-byte word (the rest is scratch for the next store).
        @inline(__always) func store(_ n: UInt64, digits k: Int, at offset: Int) {
            raw.storeBytes(of: (eightDigits(n) >> UInt64(64 - 8 * k)).littleEndian, toByteOffset: offset, as: UInt64.self)
        }
        if count <= 8 {
            store(m, digits: count, at: 0)
            return
        }
        let low = m % 100_000_000
        let high = m / 100_000_000
        if count <= 16 {
            store(high, digits: count - 8, at: 0)
        } else {
            store(high / 100_000_000, digits: count - 16, at: 0)
            store(high % 100_000_000, digits: 8, at: count - 16)
        }
        store(low, digits: 8, at: count - 8)
    }

    /// The eight decimal digits of `n` < 10^8 (leading zeros included) as
    /// ASCII bytes, the first digit in the lowest byte: the two four-digit
    /// halves, their two-digit quarters and the single digits are split in
    /// parallel lanes of one 64-bit word, by multiplications instead of
    /// eight dependent divisions (after Lemire, "Converting integers to
    /// decimal strings faster with AVX-512", and Khuong's SWAR variant).
    @inline(__always)
    static func eightDigits(_ n: UInt64) -> UInt64 {
        // Lanes of 32 bits: n / 10^4 and n % 10^4.
        let merged = (n / 10_000) | ((n % 10_000) << 32)
        // x / 100 as (x × 10486) >> 20, exact below 10^4; then lanes of 16 bits.
        let top = ((merged &* 10_486) >> 20) & ((0x7F << 32) | 0x7F)
        let bottom = merged &- 100 &* top
        let hundreds = (bottom << 16) | top
        // x / 10 as (x × 103) >> 10, exact below 100; then lanes of 8 bits.
        var tens = ((hundreds &* 103) >> 10) & ((0xF << 48) | (0xF << 32) | (0xF << 16) | 0xF)
        tens |= (hundreds &- 10 &* tens) << 8
        return tens | 0x3030_3030_3030_3030
    }

    /// Bytes `writeAPIFloat` may write.
    public static let maxAPIFloatLength = 32

    /// Writes `formatFloat(v, .api)` at `p` (room for `maxAPIFloatLength`
    /// bytes); returns how many. Integers and values with up to four
    /// decimals (most metrics) take fast paths; the rest go through
    /// `ShortestDigits`.
    public static func writeAPIFloat(_ v: Double, to p: UnsafeMutablePointer<UInt8>) -> Int {
        if v.isNaN { (p[0], p[1], p[2]) = (78, 97, 78); return 3 }
        if v.isInfinite { (p[0], p[1], p[2], p[3]) = (v < 0 ? 45 : 43, 73, 110, 102); return 4 }  // ±Inf
        if v == 0 {
            if v.sign == .minus { p[0] = UInt8(ascii: "-"); p[1] = UInt8(ascii: "0"); return 2 }
            p[0] = UInt8(ascii: "0")
            return 1
        }
        let a = v.magnitude
        var len = 0
        if v < 0 { p[0] = UInt8(ascii: "-"); len = 1 }
        if a < 9_007_199_254_740_992 {
            let i = Int64(a)
            if Double(i) == a { return len + writeInt(i, to: p + len) }
            if a >= 1e-6, looksShortDecimal(a), let (n, k) = shortDecimal(a) {
                return len + writeAPIDecimal(n, -k, to: p + len)
            }
        }
        if let (f, e) = ShortestDigits.decimal(a) { return len + writeAPIDecimal(f, e, to: p + len) }
        return withUnsafeTemporaryAllocation(of: UInt8.self, capacity: 24) { buf in
            // Subnormals: the standard library's digits (at most 17), laid out as any other value.
            let (count, point) = shortestDigits(a, into: buf.baseAddress!)
            let f = buf[..<count].reduce(UInt64(0)) { $0 * 10 + UInt64($1) }
            return len + writeAPIDecimal(f, point - count, to: p + len)
        }
    }

    /// Rounds a non-negative value below 2^52 to the nearest integer (ties
    /// to even) with two additions instead of a call to libm's `round`.
    @inline(__always)
    static func roundedSmall(_ x: Double) -> Double { (x + 0x1p52) - 0x1p52 }

    /// A cheap filter before `shortDecimal`: whether `a * 10^4` is close to
    /// an integer below 2^50.
    @inline(__always)
    static func looksShortDecimal(_ a: Double) -> Bool {
        let scaled = a * 10_000
        return scaled < 0x1p50 && (scaled - roundedSmall(scaled)).magnitude <= scaled * 1e-11
    }

    /// The shortest k-decimal form of a positive non-integer `a`: `n` with
    /// `a == n / 10^k` exactly after rounding (so "n·10^-k" parses back to
    /// `a`), for the smallest k ≤ 4, or nil. With n < 2^50 at most one
    /// integer lies in `a`'s rounding interval at that scale and the
    /// product `a * 10^k` is within 0.25 of it, so rounding finds it: the
    /// result is exactly the shortest round-trip digits Go prints.
    @inline(__always)
    static func shortDecimal(_ a: Double) -> (UInt64, Int)? {
        var scale = 1.0
        for k in 1...4 {
            scale *= 10  // exact: powers of ten up to 10^22 are doubles
            let scaled = a * scale
            if scaled >= 0x1p50 { return nil }
            let n = roundedSmall(scaled)
            if n / scale == a { return (UInt64(n), k) }
        }
        return nil
    }

    /// Writes `f × 10^e` (f without trailing zeros) in the API's form at `p`:
    /// plain decimal notation, or `d.ddde±XX` when the decimal exponent is
    /// below -6 or at least 21. Returns how many bytes.
    @inline(__always)
    static func writeAPIDecimal(_ f: UInt64, _ e: Int, to p: UnsafeMutablePointer<UInt8>) -> Int {
        let count = decimalDigits(f)
        let point = count + e
        let x = point - 1
        if x < -6 || x >= 21 {
            writeDigits(f, count: count, to: p + 1)
            p[0] = p[1]
            var n = 1
            if count > 1 {
                p[1] = UInt8(ascii: ".")
                n = count + 1
            }
            p[n] = UInt8(ascii: "e")
            p[n + 1] = x < 0 ? UInt8(ascii: "-") : UInt8(ascii: "+")
            n += 2
            if abs(x) < 10 { p[n] = 48; n += 1 }
            return n + writeInt(Int64(abs(x)), to: p + n)
        }
        if point <= 0 {
            // 0.00ddd: at most five zeros here (x ≥ -6), written as one word.
            p[0] = 48
            p[1] = UInt8(ascii: ".")
            UnsafeMutableRawPointer(p + 2).storeBytes(of: 0x3030_3030_3030_3030, as: UInt64.self)
            writeDigits(f, count: count, to: p + 2 - point)
            return 2 - point + count
        }
        if point >= count {
            writeDigits(f, count: count, to: p)
            for i in count..<point { p[i] = 48 }
            return point
        }
        // The digits one byte to the right, then the integer part back to make room for the point.
        writeDigits(f, count: count, to: p + 1)
        for i in 0..<point { p[i] = p[i + 1] }
        p[point] = UInt8(ascii: ".")
        return count + 1
    }

    /// Writes `0.d₁d₂… × 10^point` in plain decimal notation ("0.00ddd",
    /// "ddd00", "dd.ddd") at `p` (room for `count + |point| + 2` bytes);
    /// returns how many bytes.
    static func writePlain(_ digits: UnsafeMutablePointer<UInt8>, count: Int, point: Int,
                           to p: UnsafeMutablePointer<UInt8>) -> Int {
        var n = 0
        if point <= 0 {
            p[0] = 48
            p[1] = UInt8(ascii: ".")
            n = 2
            for _ in 0..<(-point) { p[n] = 48; n += 1 }
            for i in 0..<count { p[n] = 48 + digits[i]; n += 1 }
        } else if point >= count {
            for i in 0..<count { p[n] = 48 + digits[i]; n += 1 }
            for _ in 0..<(point - count) { p[n] = 48; n += 1 }
        } else {
            for i in 0..<point { p[n] = 48 + digits[i]; n += 1 }
            p[n] = UInt8(ascii: ".")
            n += 1
            for i in point..<count { p[n] = 48 + digits[i]; n += 1 }
        }
        return n
    }

    /// The shortest decimal digits that read back as the positive finite `a`
    /// (as Go's strconv and Swift's `description` choose them), written as
    /// values 0…9 at `digits` (room for 24): `a = 0.d₁d₂… × 10^point`.
    static func shortestDigits(_ a: Double, into digits: UnsafeMutablePointer<UInt8>) -> (count: Int, point: Int) {
        if let (f, e) = ShortestDigits.decimal(a) {
            let count = decimalDigits(f)
            writeDigits(f, count: count, to: digits)
            for i in 0..<count { digits[i] -= 48 }
            return (count, count + e)
        }
        // Swift's shortest round-trip form: "0.0012", "1.5e-07", "12.0".
        return withUnsafeTemporaryAllocation(of: UInt8.self, capacity: 40) { buffer in
            var sink = ASCIISink(buffer.baseAddress!, capacity: 40)
            a.write(to: &sink)
            let text = UnsafeBufferPointer(rebasing: buffer[..<sink.count])
            var count = 0, intDigits = 0, pointSeen = false, inExponent = false, expSign = 1, expValue = 0
            for c in text {
                if inExponent {
                    if c == UInt8(ascii: "-") { expSign = -1 } else if c != UInt8(ascii: "+") { expValue = expValue * 10 + Int(c - 48) }
                } else if c == UInt8(ascii: "e") || c == UInt8(ascii: "E") {
                    inExponent = true
                } else if c == UInt8(ascii: ".") {
                    pointSeen = true
                } else {
                    digits[count] = c - 48
                    count += 1
                    if !pointSeen { intDigits += 1 }
                }
            }
            var point = intDigits + expSign * expValue
            // "0.0012" has leading zeros, "12.0" a trailing one.
            var first = 0
            while first < count - 1 && digits[first] == 0 { first += 1; point -= 1 }
            if first > 0 {
                for i in first..<count { digits[i - first] = digits[i] }
                count -= first
            }
            while count > 1 && digits[count - 1] == 0 { count -= 1 }
            return (count, point)
        }
    }

    /// Appends `formatFloat(v, style)`.
    public static func appendFloat(_ v: Double, _ style: FloatStyle, into out: inout [UInt8]) {
        if style == .api || !v.isFinite || v == 0 || v.magnitude < 9_007_199_254_740_992 && v == v.rounded(.towardZero) {
            // The fixed style differs from the API's only for very large or small magnitudes.
            withUnsafeTemporaryAllocation(of: UInt8.self, capacity: maxAPIFloatLength) { buf in
                let n = writeAPIFloat(v, to: buf.baseAddress!)
                out.append(contentsOf: UnsafeBufferPointer(rebasing: buf[..<n]))
            }
            return
        }
        withUnsafeTemporaryAllocation(of: UInt8.self, capacity: 24) { buf in
            let digits = buf.baseAddress!
            let (count, point) = shortestDigits(v.magnitude, into: digits)
            // Fixed notation at any magnitude: as many zeros as the exponent asks for.
            withUnsafeTemporaryAllocation(of: UInt8.self, capacity: count + abs(point) + 3) { text in
                var n = 0
                if v < 0 { text[0] = UInt8(ascii: "-"); n = 1 }
                n += writePlain(digits, count: count, point: point, to: text.baseAddress! + n)
                out.append(contentsOf: UnsafeBufferPointer(rebasing: text[..<n]))
            }
        }
    }
}

/// A `TextOutputStream` that writes straight into a byte buffer: `Double`
/// hands its shortest digits to `_writeASCII` (the standard library's fast
/// path for ASCII text), so formatting a number allocates no `String`.
/// Anything written through `write(_:)` lands in the same buffer.
struct ASCIISink: TextOutputStream {
    let base: UnsafeMutablePointer<UInt8>
    let capacity: Int
    private(set) var count = 0

    init(_ base: UnsafeMutablePointer<UInt8>, capacity: Int) {
        self.base = base
        self.capacity = capacity
    }

    mutating func _writeASCII(_ buffer: UnsafeBufferPointer<UInt8>) {
        append(buffer)
    }

    mutating func write(_ string: String) {
        var s = string
        s.withUTF8 { append($0) }
    }

    private mutating func append(_ bytes: UnsafeBufferPointer<UInt8>) {
        let n = min(bytes.count, capacity - count)
        for i in 0..<n { base[count + i] = bytes[i] }
        count += n
    }
}
