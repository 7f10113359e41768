import Glibc

/// Number parsing over bytes, without building strings.
enum ExpositionNumbers {
    static let powersOf10: [Double] = [1e0, 1e1, 1e2, 1e3, 1e4, 1e5, 1e6, 1e7, 1e8, 1e9, 1e10, 1e11,
                                       1e12, 1e13, 1e14, 1e15, 1e16, 1e17, 1e18, 1e19, 1e20, 1e21, 1e22]

    /// Go's ParseFloat for the forms expositions use, correctly rounded: plain
    /// decimals of up to 15 significant digits by Clinger's fast path (an exact
    /// integer divided by an exact power of ten), everything else through strtod.
    static func parseDouble(_ t: UnsafeRawBufferPointer) -> Double? {
        guard !t.isEmpty else { return nil }
        var i = 0
        var negative = false
        if t[0] == UInt8(ascii: "-") || t[0] == UInt8(ascii: "+") {
            negative = t[0] == UInt8(ascii: "-")
            i = 1
        }
        var mantissa: UInt64 = 0
        var significant = 0, fraction = 0
        var sawPoint = false, sawDigit = false
        while i < t.count {
            let b = t[i]
            if b >= 48 && b <= 57 {
                sawDigit = true
                if mantissa != 0 || b != 48 { significant += 1 }
                if significant > 15 { return slow(t) }
                mantissa = mantissa * 10 + UInt64(b - 48)
                if sawPoint { fraction += 1 }
            } else if b == UInt8(ascii: ".") && !sawPoint {
                sawPoint = true
            } else {
                return slow(t)  // exponents, NaN, Inf, hex
            }
            i += 1
        }
        guard sawDigit, fraction <= 22 else { return slow(t) }
        let v = Double(mantissa) / powersOf10[fraction]
        return negative ? -v : v
    }

    /// strtod on a NUL-terminated copy (hex floats, exponents, NaN, Inf, long mantissas).
    static func slow(_ t: UnsafeRawBufferPointer) -> Double? {
        guard t.count < 64 else { return nil }
        // Go accepts "Inf", "+Inf", "-Inf", "NaN" in any case; strtod does too, plus "infinity".
        return withUnsafeTemporaryAllocation(of: CChar.self, capacity: t.count + 1) { buf in
            for k in 0..<t.count { buf[k] = CChar(bitPattern: t[k]) }
            buf[t.count] = 0
            var end: UnsafeMutablePointer<CChar>?
            let v = strtod(buf.baseAddress!, &end)
            guard let end, end - buf.baseAddress! == t.count else { return nil }
            return v
        }
    }

    /// A decimal Int64 with an optional sign.
    static func parseInt(_ t: UnsafeRawBufferPointer) -> Int64? {
        guard !t.isEmpty else { return nil }
        var i = 0
        var negative = false
        if t[0] == UInt8(ascii: "-") || t[0] == UInt8(ascii: "+") { negative = t[0] == UInt8(ascii: "-"); i = 1 }
        guard i < t.count else { return nil }
        var v: Int64 = 0
        while i < t.count {
            let b = t[i]
            guard b >= 48 && b <= 57 else { return nil }
            let (m, o1) = v.multipliedReportingOverflow(by: 10)
            let (s, o2) = m.addingReportingOverflow(Int64(b - 48))
            guard !o1 && !o2 else { return nil }
            v = s
            i += 1
        }
        return negative ? -v : v
    }

    /// `1604000000.123` seconds as milliseconds, exactly (digits beyond the
    /// millisecond are truncated toward zero); exponent forms through strtod.
    static func parseSecondsAsMilliseconds(_ t: UnsafeRawBufferPointer) -> Int64? {
        guard !t.isEmpty else { return nil }
        var i = 0
        var negative = false
        if t[0] == UInt8(ascii: "-") || t[0] == UInt8(ascii: "+") { negative = t[0] == UInt8(ascii: "-"); i = 1 }
        var seconds: Int64 = 0, millis: Int64 = 0, fraction = 0
        var sawPoint = false, sawDigit = false
        while i < t.count {
            let b = t[i]
            if b >= 48 && b <= 57 {
                sawDigit = true
                if sawPoint {
                    if fraction < 3 { millis = millis * 10 + Int64(b - 48) }
                    fraction += 1
                } else {
                    let (m, o1) = seconds.multipliedReportingOverflow(by: 10)
                    let (s, o2) = m.addingReportingOverflow(Int64(b - 48))
                    guard !o1 && !o2 else { return nil }
                    seconds = s
                }
            } else if b == UInt8(ascii: ".") && !sawPoint {
                sawPoint = true
            } else {
                // 1.6e9 and the like: through the float, as Prometheus reads them.
                guard let f = slow(t), f.isFinite, abs(f) < 9.2e15 else { return nil }
                return Int64((f * 1000).rounded(.towardZero))
            }
            i += 1
        }
        guard sawDigit else { return nil }
        if fraction < 3 { for _ in fraction..<3 { millis *= 10 } }
        let (ms, o1) = seconds.multipliedReportingOverflow(by: 1000)
        let (total, o2) = ms.addingReportingOverflow(millis)
        guard !o1 && !o2 else { return nil }
        return negative ? -total : total
    }
}
