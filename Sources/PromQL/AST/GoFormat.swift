/// Go's formatting of floats and strings, which Prometheus' output follows
/// byte for byte (printed queries, API values).
public enum GoFormat {
    /// Shortest round-trip digits and decimal exponent of a finite, non-zero
    /// magnitude: value = 0.d1d2… × 10^exponent.
    static func shortestDigits(_ v: Double) -> (digits: [UInt8], exponent: Int) {
        var text = "\(v.magnitude)"  // Swift prints the shortest round-trip representation
        var exp = 0
        if let e = text.firstIndex(where: { $0 == "e" || $0 == "E" }) {
            exp = Int(text[text.index(after: e)...])!
            text = String(text[..<e])
        }
        var intPart = text
        var frac = ""
        if let dot = text.firstIndex(of: ".") {
            intPart = String(text[..<dot])
            frac = String(text[text.index(after: dot)...])
        }
        var digits = Array((intPart + frac).utf8).map { $0 - 48 }
        var point = intPart.count + exp
        while digits.first == 0 && digits.count > 1 { digits.removeFirst(); point -= 1 }
        while digits.last == 0 && digits.count > 1 { digits.removeLast() }
        return (digits, point)
    }

    /// How to write a float: `strconv.FormatFloat(v, 'f', -1, 64)` (printed
    /// queries), or the API's form, which switches to 'e' when the decimal
    /// exponent is below -6 or at least 21 (as Go's JSON encoding does).
    public enum FloatStyle: Sendable {
        case fixed
        case api
        /// `strconv.FormatFloat(v, 'g', -1, 64)`, the exposition format's form: 'e' below 1e-4 and from 1e6 (`1e+06`).
        case exposition
        /// `strconv.FormatFloat(v, 'e', -1, 64)`, always 'e' (`1e+00`, `5.5e-02`): alert values in the rules API.
        case exponent
    }

    public static func formatFloat(_ v: Double, _ style: FloatStyle = .fixed) -> String {
        if v.isNaN { return "NaN" }
        if v.isInfinite { return v < 0 ? "-Inf" : "+Inf" }
        if v == 0 && style == .exponent { return v.sign == .minus ? "-0e+00" : "0e+00" }
        if v == 0 { return v.sign == .minus ? "-0" : "0" }
        let (digits, point) = shortestDigits(v)
        let sign = v < 0 ? "-" : ""
        let x = point - 1  // exponent in d.ddd × 10^x
        let ds = String(decoding: digits.map { $0 + 48 }, as: UTF8.self)
        if style == .exponent || (style == .api && (x < -6 || x >= 21)) || (style == .exposition && (x < -4 || x >= 6)) {
            var m = String(ds.first!)
            if ds.count > 1 { m += "." + ds.dropFirst() }
            let ex = abs(x) < 10 ? "0\(abs(x))" : "\(abs(x))"
            return sign + m + "e" + (x < 0 ? "-" : "+") + ex
        }
        if point <= 0 { return sign + "0." + String(repeating: "0", count: -point) + ds }
        if point >= ds.count { return sign + ds + String(repeating: "0", count: point - ds.count) }
        let i = ds.index(ds.startIndex, offsetBy: point)
        return sign + ds[..<i] + "." + ds[i...]
    }

    /// Float text as Prometheus 3 writes `le`/`quantile` label values: the
    /// fixed form with `.0` added to integers (`1.0`, `0.25`, `+Inf`).
    public static func floatLabelValue(_ v: Double) -> String {
        let s = formatFloat(v)
        return s.contains(where: { $0 == "." || $0 == "e" || $0 == "I" || $0 == "N" }) ? s : s + ".0"
    }

    /// A label set as Prometheus' `labels.String()` prints it: `{__name__="x", a="b", "c.d"="e"}`.
    public static func labelSet(_ labels: [(String, String)]) -> String {
        "{" + labels.map { "\(Expr.labelName($0.0))=\(quote($0.1))" }.joined(separator: ", ") + "}"
    }

    /// `strconv.Quote(s)`: double quotes, Go escapes, printable Unicode kept.
    public static func quote(_ s: String) -> String {
        var out = "\""
        for c in s.unicodeScalars { appendQuoted(c, to: &out) }
        return out + "\""
    }

    /// `strconv.Quote` of a byte string that may not be valid UTF-8: each
    /// byte outside a valid sequence is written `\xNN`, as Go does.
    public static func quote(bytes: [UInt8]) -> String {
        var out = "\""
        var i = 0
        while i < bytes.count {
            let lead = bytes[i]
            let length = lead < 0x80 ? 1 : lead >> 5 == 0b110 ? 2 : lead >> 4 == 0b1110 ? 3 : lead >> 3 == 0b11110 ? 4 : 0
            if length > 0, i + length <= bytes.count,
               let scalar = String(validating: bytes[i..<i + length], as: UTF8.self)?.unicodeScalars.first {
                appendQuoted(scalar, to: &out)
                i += length
            } else {
                out += "\\x" + String(lead, radix: 16).leftPadded(2)
                i += 1
            }
        }
        return out + "\""
    }

    private static func appendQuoted(_ c: Unicode.Scalar, to out: inout String) {
        switch c {
        case "\"": out += "\\\""
        case "\\": out += "\\\\"
        case "\u{07}": out += "\\a"
        case "\u{08}": out += "\\b"
        case "\u{0C}": out += "\\f"
        case "\n": out += "\\n"
        case "\r": out += "\\r"
        case "\t": out += "\\t"
        case "\u{0B}": out += "\\v"
        default:
            if c.value < 0x20 || c.value == 0x7f {
                out += "\\x" + String(c.value, radix: 16).leftPadded(2)
            } else if !c.properties.isGraphemeBase && c.properties.generalCategory == .unassigned {
                out += c.value <= 0xffff ? "\\u" + String(c.value, radix: 16).leftPadded(4)
                    : "\\U" + String(c.value, radix: 16).leftPadded(8)
            } else {
                out.unicodeScalars.append(c)
            }
        }
    }
}

extension String {
    func leftPadded(_ n: Int) -> String { count >= n ? self : String(repeating: "0", count: n - count) + self }
}
