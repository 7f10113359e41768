/// Parses and prints Prometheus durations (`1h30m`, `500ms`; units ms s m h d w y).
public enum DurationFormat {
    static let units: [(String, Int64)] = [
        ("y", 365 * 24 * 3600 * 1000), ("w", 7 * 24 * 3600 * 1000), ("d", 24 * 3600 * 1000),
        ("h", 3600 * 1000), ("m", 60 * 1000), ("s", 1000), ("ms", 1),
    ]

    /// Milliseconds of a duration literal; units must go from longest to shortest, each at most once.
    public static func parse(_ text: String) -> Int64? {
        var rest = Substring(text)
        var total: Int64 = 0
        var lastUnit = -1
        guard !rest.isEmpty else { return nil }
        while !rest.isEmpty {
            let digits = rest.prefix { $0.isASCII && $0.isNumber }
            guard !digits.isEmpty, let n = Int64(digits) else { return nil }
            rest = rest.dropFirst(digits.count)
            let unitText = rest.prefix { $0 >= "a" && $0 <= "z" }
            rest = rest.dropFirst(unitText.count)
            guard let u = units.firstIndex(where: { $0.0 == unitText }), u > lastUnit else { return nil }
            lastUnit = u
            let (m, o1) = n.multipliedReportingOverflow(by: units[u].1)
            let (t, o2) = total.addingReportingOverflow(m)
            guard !o1, !o2 else { return nil }
            total = t
        }
        return total
    }

    /// Prometheus' canonical form: largest units first, `0s` for zero.
    public static func format(_ ms: Int64) -> String {
        if ms == 0 { return "0s" }
        var out = ms < 0 ? "-" : ""
        var rest = ms.magnitude
        for (name, size) in units where rest >= UInt64(size) {
            out += "\(rest / UInt64(size))\(name)"
            rest %= UInt64(size)
        }
        return out
    }
}
