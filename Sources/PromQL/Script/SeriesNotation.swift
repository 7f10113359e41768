import TSDB

/// One point of a series written in the test notation.
public enum SeriesPoint: Sendable, Equatable {
    case value(Double)
    /// `_`: no sample at this step.
    case missing
    /// `stale`: the staleness marker.
    case stale
    /// `{{…}}`: a native histogram sample.
    case histogram(NativeHistogram)

    public static func == (a: SeriesPoint, b: SeriesPoint) -> Bool {
        switch (a, b) {
        case (.value(let x), .value(let y)): x.bitPattern == y.bitPattern || (x.isNaN && y.isNaN)
        case (.missing, .missing), (.stale, .stale): true
        case (.histogram(let x), .histogram(let y)): x.isIdentical(to: y)
        default: false
        }
    }
}

/// The expanding value notation of promqltest and `promtool test rules`:
/// `a+bxn` → a, a+b, …, a+n·b; `a-bxn` likewise downwards; `axn` → a repeated
/// n+1 times; `_` a missing sample, `_xn` n missing samples; `stale`; plain
/// numbers (`1e3`, `Inf`, `-NaN`); `{{…}}` native histograms.
public enum SeriesNotation {
    /// Expands the values part of a series line.
    public static func expand(_ text: String) throws(PromQLError) -> [SeriesPoint] {
        var out: [SeriesPoint] = []
        for item in try tokens(text) {
            if item.hasPrefix("{{") {
                out += try HistogramNotation.expand(item).map { .histogram($0) }
                continue
            }
            out += try expandItem(item)
        }
        return out
    }

    /// Splits on whitespace, keeping `{{ … }}` (which contains spaces) whole.
    static func tokens(_ text: String) throws(PromQLError) -> [String] {
        var out: [String] = []
        var current = ""
        var depth = 0
        var chars = Array(text)
        var i = 0
        while i < chars.count {
            let c = chars[i]
            if c == "{" && i + 1 < chars.count && chars[i + 1] == "{" { depth += 1; current += "{{"; i += 2; continue }
            if c == "}" && i + 1 < chars.count && chars[i + 1] == "}" && depth > 0 {
                depth -= 1; current += "}}"; i += 2
                // A histogram may be followed directly by an expansion like `x3`.
                continue
            }
            if depth == 0 && (c == " " || c == "\t") {
                if !current.isEmpty { out.append(current); current = "" }
            } else {
                current.append(c)
            }
            i += 1
        }
        if depth != 0 { throw PromQLError("unterminated native histogram \"{{\" in \"\(text)\"") }
        if !current.isEmpty { out.append(current) }
        chars.removeAll()
        return out
    }

    /// A plain decimal number (no hex: in this notation `0x59` means "0, 59 more times").
    static func number(_ s: Substring) -> Double? {
        if s.contains(where: { $0 == "x" || $0 == "X" }) { return nil }
        switch s.lowercased() {
        case "inf", "+inf": return .infinity
        case "-inf": return -.infinity
        case "nan", "+nan", "-nan": return .nan
        default: return Double(s)
        }
    }

    static func expandItem(_ item: String) throws(PromQLError) -> [SeriesPoint] {
        if item == "_" { return [.missing] }
        if item == "stale" { return [.stale] }
        if let v = number(Substring(item)) { return [.value(v)] }
        // _xn
        if item.hasPrefix("_x"), let n = Int(item.dropFirst(2)), n >= 0 {
            return Array(repeating: .missing, count: n)
        }
        // a+bxn, a-bxn, axn
        guard let x = item.lastIndex(of: "x"), let n = Int(item[item.index(after: x)...]), n >= 0 else {
            throw PromQLError("invalid value \"\(item)\" in series values")
        }
        let head = item[..<x]
        var a: Double, b = 0.0
        // Find the operator between a and b: the last + or - that is not a sign or part of an exponent.
        var split: String.Index?
        var i = head.index(before: head.endIndex)
        while i > head.startIndex {
            let c = head[i]
            let prev = head[head.index(before: i)]
            if (c == "+" || c == "-") && prev != "e" && prev != "E" { split = i; break }
            i = head.index(before: i)
        }
        if let s = split {
            guard let av = number(head[..<s]), let bv = number(head[head.index(after: s)...]) else {
                throw PromQLError("invalid value \"\(item)\" in series values")
            }
            a = av
            b = head[s] == "-" ? -bv : bv
        } else {
            guard let av = number(head) else { throw PromQLError("invalid value \"\(item)\" in series values") }
            a = av
        }
        // Repeated addition, as Prometheus does, so floating-point results match exactly.
        var out: [SeriesPoint] = [.value(a)]
        var v = a
        for _ in 0..<n {
            v += b
            out.append(.value(v))
        }
        return out
    }
}
