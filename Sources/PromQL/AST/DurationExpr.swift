import Foundation

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
