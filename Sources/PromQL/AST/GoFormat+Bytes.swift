/// Byte-level versions of `GoFormat`, for writing large API responses
/// without building Swift strings (same output as `formatFloat`).
extension GoFormat {
    /// Appends the decimal digits of `n`.
    @inline(__always)
    public static func appendInt(_ n: Int64, into out: inout [UInt8]) {
        if n < 0 { out.append(UInt8(ascii: "-")) }
        var m = n.magnitude
        if m < 10 {
            out.append(48 + UInt8(m))
            return
        }
        var tmp: (UInt8, UInt8, UInt8, UInt8, UInt8, UInt8, UInt8, UInt8, UInt8, UInt8,
                  UInt8, UInt8, UInt8, UInt8, UInt8, UInt8, UInt8, UInt8, UInt8, UInt8) =
            (0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0)
        var count = 0
        withUnsafeMutableBytes(of: &tmp) { buf in
            while m > 0 {
                buf[count] = 48 + UInt8(m % 10)
                m /= 10
                count += 1
            }
            for i in stride(from: count - 1, through: 0, by: -1) { out.append(buf[i]) }
        }
    }

    /// Appends `formatFloat(v, style)`.
    public static func appendFloat(_ v: Double, _ style: FloatStyle, into out: inout [UInt8]) {
        if v.isNaN { out += [78, 97, 78]; return }  // NaN
        if v.isInfinite { out += v < 0 ? Array("-Inf".utf8) : Array("+Inf".utf8); return }
        // Integers below 2^53 print as their digits in both styles.
        if v.magnitude < 9_007_199_254_740_992, v == v.rounded(.towardZero) {
            if v == 0 {
                if v.sign == .minus { out.append(UInt8(ascii: "-")) }
                out.append(UInt8(ascii: "0"))
                return
            }
            appendInt(Int64(v), into: &out)
            return
        }
        // General case: shortest digits from Swift's description, laid out as Go does.
        var digits: [UInt8] = []
        digits.reserveCapacity(20)
        var exp = 0, pointSeen = false, intDigits = 0, inExponent = false, expSign = 1, expValue = 0
        for c in "\(v.magnitude)".utf8 {
            if inExponent {
                if c == UInt8(ascii: "-") { expSign = -1 } else if c != UInt8(ascii: "+") { expValue = expValue * 10 + Int(c - 48) }
            } else if c == UInt8(ascii: "e") || c == UInt8(ascii: "E") {
                inExponent = true
            } else if c == UInt8(ascii: ".") {
                pointSeen = true
            } else {
                digits.append(c - 48)
                if !pointSeen { intDigits += 1 }
            }
        }
        exp = expSign * expValue
        var point = intDigits + exp
        while digits.first == 0 && digits.count > 1 { digits.removeFirst(); point -= 1 }
        while digits.last == 0 && digits.count > 1 { digits.removeLast() }
        if v < 0 { out.append(UInt8(ascii: "-")) }
        let x = point - 1
        if style == .api && (x < -6 || x >= 21) {
            out.append(48 + digits[0])
            if digits.count > 1 {
                out.append(UInt8(ascii: "."))
                for d in digits.dropFirst() { out.append(48 + d) }
            }
            out.append(UInt8(ascii: "e"))
            out.append(x < 0 ? UInt8(ascii: "-") : UInt8(ascii: "+"))
            if abs(x) < 10 { out.append(48) }
            appendInt(Int64(abs(x)), into: &out)
            return
        }
        if point <= 0 {
            out += [48, UInt8(ascii: ".")]
            for _ in 0..<(-point) { out.append(48) }
            for d in digits { out.append(48 + d) }
        } else if point >= digits.count {
            for d in digits { out.append(48 + d) }
            for _ in 0..<(point - digits.count) { out.append(48) }
        } else {
            for d in digits[..<point] { out.append(48 + d) }
            out.append(UInt8(ascii: "."))
            for d in digits[point...] { out.append(48 + d) }
        }
    }
}
