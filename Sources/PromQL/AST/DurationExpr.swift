/// A duration in a range, subquery step or offset: a literal (`5m`, `1h30m`,
/// a bare number of seconds) or, as Prometheus 3 allows, arithmetic over
/// them with `step()`, `range()`, `min_of()`, `max_of()`. Evaluated to
/// milliseconds when the query runs (step and range are only known then).
public indirect enum DurationExpr: Sendable, Equatable {
    /// Milliseconds.
    case literal(Int64, text: String)
    /// A bare number: seconds.
    case seconds(Double, text: String)
    case unary(negate: Bool, DurationExpr)
    case binary(BinaryOperator, DurationExpr, DurationExpr)
    case paren(DurationExpr)
    case step
    case range
    case minOf(DurationExpr, DurationExpr)
    case maxOf(DurationExpr, DurationExpr)

    /// Milliseconds, given the query's step and range (ms).
    public func evaluate(step: Int64 = 0, range: Int64 = 0) throws(PromQLError) -> Int64 {
        switch self {
        case .literal(let ms, _): return ms
        case .seconds(let s, _):
            guard s.isFinite, abs(s * 1000) < 9.2e18 else { throw PromQLError("duration \(s)s is out of range") }
            return Int64((s * 1000).rounded())
        case .unary(let negate, let d): return negate ? -(try d.evaluate(step: step, range: range)) : try d.evaluate(step: step, range: range)
        case .paren(let d): return try d.evaluate(step: step, range: range)
        case .step: return step
        case .range: return range
        case .minOf(let a, let b): return min(try a.evaluate(step: step, range: range), try b.evaluate(step: step, range: range))
        case .maxOf(let a, let b): return max(try a.evaluate(step: step, range: range), try b.evaluate(step: step, range: range))
        case .binary(let op, let a, let b):
            // Arithmetic on seconds, as Prometheus does, then back to milliseconds.
            let x = Double(try a.evaluate(step: step, range: range)) / 1000
            let y = Double(try b.evaluate(step: step, range: range)) / 1000
            let r: Double
            switch op {
            case .add: r = x + y
            case .sub: r = x - y
            case .mul: r = x * y
            case .div:
                guard y != 0 else { throw PromQLError("division by zero in duration expression") }
                r = x / y
            case .mod:
                guard y != 0 else { throw PromQLError("modulo by zero in duration expression") }
                r = x.truncatingRemainder(dividingBy: y)
            case .pow: r = Foundation.pow(x, y)
            default: throw PromQLError("operator \(op.rawValue) is not allowed in duration expressions")
            }
            guard r.isFinite, abs(r * 1000) < 9.2e18 else { throw PromQLError("duration expression is out of range") }
            return Int64((r * 1000).rounded())
        }
    }
}

import Foundation

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
