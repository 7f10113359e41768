import Foundation

/// Sample values for tables and axes: exact integers, otherwise up to
/// `digits` significant digits, Prometheus' spellings for the special values.
public enum ValueFormat {
    public static func text(_ v: Double, digits: Int = 6) -> String {
        if v.isNaN { return "NaN" }
        if v.isInfinite { return v > 0 ? "+Inf" : "-Inf" }
        if v == v.rounded() && abs(v) < 1e15 { return String(Int64(v)) }
        let a = abs(v)
        if a >= 1e-4 && a < 1e15 {
            var s = String(format: "%.\(digits)g", v)
            if s.contains("e") { s = String(format: "%.\(max(0, digits - 1 - Int(log10(a).rounded(.down))))f", v) }
            return s
        }
        return String(format: "%.\(digits - 1)e", v)
    }

    /// What a metric's values measure, guessed from its name's unit suffix.
    public enum Unit: Sendable, Equatable {
        case bytes, seconds, ratio, plain

        public init(metricName: String) {
            let n = metricName.lowercased()
            if n.hasSuffix("_bytes") || n.hasSuffix("_bytes_total") { self = .bytes }
            else if n.hasSuffix("_seconds") || n.hasSuffix("_seconds_total") { self = .seconds }
            else if n.hasSuffix("_ratio") { self = .ratio }
            else { self = .plain }
        }
    }

    /// A short axis label: `1.5k`, `3.2 MiB`, `250ms`, `45%`.
    public static func axis(_ v: Double, unit: Unit) -> String {
        if !v.isFinite { return text(v) }
        switch unit {
        case .bytes:
            let (x, unit) = ByteCount.scaled(v)
            return compact(x) + " " + unit
        case .seconds:
            let a = abs(v)
            if a == 0 { return "0s" }
            if a < 1e-3 { return compact(v * 1e6) + "µs" }
            if a < 1 { return compact(v * 1e3) + "ms" }
            if a < 120 { return compact(v) + "s" }
            if a < 7200 { return compact(v / 60) + "m" }
            return compact(v / 3600) + "h"
        case .ratio:
            return compact(v * 100) + "%"
        case .plain:
            let a = abs(v)
            let prefixes: [(Double, String)] = [(1e12, "T"), (1e9, "G"), (1e6, "M"), (1e3, "k")]
            for (scale, p) in prefixes where a >= scale { return compact(v / scale) + p }
            if a > 0 && a < 1e-2 {
                if a >= 1e-3 { return compact(v * 1e3) + "m" }
                return compact(v * 1e6) + "µ"
            }
            return compact(v)
        }
    }

    /// Three significant digits at most, no trailing zeros: `1.5`, `120`, `0.25`.
    static func compact(_ v: Double) -> String {
        if v == v.rounded() && abs(v) < 1e6 { return String(Int64(v)) }
        var s = String(format: "%.3g", v)
        if s.contains("e") { s = String(format: "%.0f", v) }
        return s
    }
}
