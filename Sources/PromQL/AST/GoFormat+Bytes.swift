/// Byte-level versions of `GoFormat`, for writing large API responses
/// without building Swift strings (same output as `formatFloat`).
extension GoFormat {
    /// "00" "01" … "99": two digits per lookup (a static string: no lazy
    /// initialisation check on every call, as a global array would have).
    static let digitPairs: StaticString = """
        0001020304050607080910111213141516171819202122232425262728293031323334353637383940414243444546474849\
        5051525354555657585960616263646566676869707172737475767778798081828384858687888990919293949596979899
        """

    /// Bytes `writeInt` may write.
    public static let maxIntLength = 20

    /// How many decimal digits `m` has.
    @inline(__always)
    static func decimalDigits(_ m: UInt64) -> Int {
        var digits = 1
        var x = m
        while x >= 10_000 { x /= 10_000; digits += 4 }
        if x >= 1000 { return digits + 3 }
        if x >= 100 { return digits + 2 }
        if x >= 10 { return digits + 1 }
        return digits
    }

    /// Writes the decimal digits of `n` at `p` (room for `maxIntLength`
    /// bytes); returns how many.
    @inline(__always)
    public static func writeInt(_ n: Int64, to p: UnsafeMutablePointer<UInt8>) -> Int {
        var m = n.magnitude
        var len = 0
        if n < 0 {
            p[0] = UInt8(ascii: "-")
            len = 1
        }
        var i = len + decimalDigits(m)
        len = i
        let pairs = digitPairs.utf8Start
        while m >= 100 {
            let r = Int(m % 100)
            m /= 100
            i -= 2
            p[i] = pairs[2 * r]
            p[i + 1] = pairs[2 * r + 1]
        }
        if m >= 10 {
            p[i - 2] = pairs[2 * Int(m)]
            p[i - 1] = pairs[2 * Int(m) + 1]
        } else {
            p[i - 1] = 48 + UInt8(m)
        }
        return len
    }

    /// Bytes `writeAPIFloat` may write.
    public static let maxAPIFloatLength = 32

    /// Writes `formatFloat(v, .api)` at `p` (room for `maxAPIFloatLength`
    /// bytes); returns how many. Integers and values with a short exact
    /// decimal form take a fast path.
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
            if a == a.rounded(.towardZero) { return len + writeInt(Int64(a), to: p + len) }
            if a >= 1e-6, looksShortDecimal(a), let (n, k) = shortDecimal(a) {
                let digits = writeInt(n, to: p + len)
                if digits > k {
                    // Insert the point k digits from the right.
                    let intDigits = digits - k
                    for i in stride(from: len + digits - 1, through: len + intDigits, by: -1) { p[i + 1] = p[i] }
                    p[len + intDigits] = UInt8(ascii: ".")
                    return len + digits + 1
                }
                // 0.000ddd: move the digits right behind "0." and the zeros.
                let zeros = k - digits
                for i in stride(from: len + digits - 1, through: len, by: -1) { p[i + 2 + zeros] = p[i] }
                p[len] = UInt8(ascii: "0")
                p[len + 1] = UInt8(ascii: ".")
                for z in 0..<zeros { p[len + 2 + z] = UInt8(ascii: "0") }
                return len + 2 + zeros + digits
            }
        }
        if a >= 1e-4 && a < 9_007_199_254_740_992 {
            // Swift writes these in plain decimal notation with the same shortest
            // digits as Go ("0.0123", "1234.5678"): let it write them in place.
            var sink = ASCIISink(p + len, capacity: maxAPIFloatLength - len)
            a.write(to: &sink)
            if !sink.sawExponent { return len + sink.count }
        }
        return withUnsafeTemporaryAllocation(of: UInt8.self, capacity: 24) { buf in
            let digits = buf.baseAddress!
            let (count, point) = shortestDigits(a, into: digits)
            let x = point - 1
            var n = len
            if x < -6 || x >= 21 {
                // d.ddde±XX
                p[n] = 48 + digits[0]
                n += 1
                if count > 1 {
                    p[n] = UInt8(ascii: ".")
                    n += 1
                    for i in 1..<count { p[n] = 48 + digits[i]; n += 1 }
                }
                p[n] = UInt8(ascii: "e")
                p[n + 1] = x < 0 ? UInt8(ascii: "-") : UInt8(ascii: "+")
                n += 2
                if abs(x) < 10 { p[n] = 48; n += 1 }
                return n + writeInt(Int64(abs(x)), to: p + n)
            }
            return n + writePlain(digits, count: count, point: point, to: p + n)
        }
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

    /// The shortest k-decimal form of a positive non-integer `a`: `n` with
    /// `a == n / 10^k` exactly after rounding (so "n·10^-k" parses back to
    /// `a`), for the smallest k ≤ 4, or nil. With n < 2^50 at most one
    /// integer lies in `a`'s rounding interval at that scale and the
    /// product `a * 10^k` is within 0.25 of it, so rounding finds it: the
    /// result is exactly the shortest round-trip digits Go prints.
    /// A cheap filter before `shortDecimal`: whether `a * 10^4` is close to an integer.
    @inline(__always)
    static func looksShortDecimal(_ a: Double) -> Bool {
        let scaled = a * 10_000
        return (scaled - scaled.rounded()).magnitude <= scaled * 1e-11
    }

    @inline(__always)
    static func shortDecimal(_ a: Double) -> (Int64, Int)? {
        var scale = 1.0
        for k in 1...4 {
            scale *= 10  // exact: powers of ten up to 10^22 are doubles
            let scaled = a * scale
            if scaled >= 1_125_899_906_842_624 { return nil }  // 2^50
            let n = scaled.rounded()
            if n / scale == a { return (Int64(n), k) }
        }
        return nil
    }

    /// The shortest decimal digits that read back as the positive finite `a`
    /// (as Go's strconv and Swift's `description` choose them), written as
    /// values 0…9 at `digits` (room for 24): `a = 0.d₁d₂… × 10^point`.
    static func shortestDigits(_ a: Double, into digits: UnsafeMutablePointer<UInt8>) -> (count: Int, point: Int) {
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
    private(set) var sawExponent = false

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
        for i in 0..<n {
            let c = bytes[i]
            if c == UInt8(ascii: "e") { sawExponent = true }
            base[count + i] = c
        }
        count += n
    }
}
