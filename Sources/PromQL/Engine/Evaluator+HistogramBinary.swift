import TSDB

/// Binary operations where an operand is a native histogram (Prometheus'
/// `vectorElemBinop`): histograms add and subtract, scale by a float
/// (`*` either way, `/` by a float), are trimmed at a float (`</`, `>/`)
/// and compare for (in)equality; any other combination has no result and
/// raises an info.
extension Evaluator {
    /// The outcome of one step: a value (nil: filtered out by a comparison)
    /// and what to tell the user about it.
    struct HistogramBinopResult {
        enum Note {
            /// No result: the operator does not apply to these operand types (an info).
            case incompatibleTypes(String)
            /// Custom bounds were reduced to the shared ones during this operation (an info).
            case reconciled(String)
            /// The histograms cannot be combined (a warning).
            case incompatible(HistogramError)
        }

        var value: StepValue?
        var note: Note?
    }

    static func histogramBinop(_ op: BinaryOperator, _ l: StepValue, _ r: StepValue, returnBool: Bool) -> HistogramBinopResult {
        func incompatible(_ a: String, _ b: String) -> HistogramBinopResult {
            HistogramBinopResult(note: .incompatibleTypes("\"\(op.rawValue)\": \(a) \(op.rawValue) \(b)"))
        }
        var value: StepValue
        var keep = true
        switch (l, r) {
        case (.float(let x), .histogram(let h)):
            guard op == .mul else { return incompatible("float", "histogram") }
            value = .histogram(h.scaled(by: x).compacted())
        case (.histogram(let h), .float(let x)):
            switch op {
            case .mul: value = .histogram(h.scaled(by: x).compacted())
            case .div: value = .histogram(h.divided(by: x).compacted())
            case .trimUpper: value = .histogram(h.trimmed(.keepBelow, at: x))
            case .trimLower: value = .histogram(h.trimmed(.keepAbove, at: x))
            default: return incompatible("histogram", "float")
            }
        case (.histogram(let a), .histogram(let b)):
            switch op {
            case .add, .sub:
                do {
                    let (result, reconciliation) = op == .add ? try a.adding(b) : try a.subtracting(b)
                    value = .histogram(result.compacted())
                    var out = HistogramBinopResult(value: value)
                    if reconciliation.customBoundsIntersected { out.note = .reconciled(op == .add ? "addition" : "subtraction") }
                    if returnBool { out.value = .float(1) }
                    return out
                } catch {
                    return HistogramBinopResult(note: .incompatible(error))
                }
            case .eql, .neq:
                let equal = a.compacted().isIdentical(to: b.compacted())
                keep = op == .eql ? equal : !equal
                value = .histogram(a)  // a comparison keeps the left-hand sample
            default:
                return incompatible("histogram", "histogram")
            }
        case (.float, .float):
            preconditionFailure("histogramBinop needs a histogram operand")
        }
        if returnBool { return HistogramBinopResult(value: .float(keep ? 1 : 0)) }
        return HistogramBinopResult(value: keep ? value : nil)
    }

    /// Trim operators have no result for a float on the left: an info, as for other type mismatches.
    mutating func noteTrimmedFloats(_ b: Binary) {
        note(HistogramBinopResult(note: .incompatibleTypes("\"\(b.op.rawValue)\": float \(b.op.rawValue) float")), b)
    }

    /// Records a result's annotation at the binary expression.
    mutating func note(_ r: HistogramBinopResult, _ b: Binary) {
        switch r.note {
        case .incompatibleTypes(let what)?: annotations.info("incompatible sample types encountered for binary operator " + what, at: b.position)
        case .reconciled(let operation)?: annotations.reconciledCustomBuckets(during: operation, at: b.position)
        case .incompatible(.incompatibleSchemas)?: annotations.mixedExponentialCustomHistograms(metric: "", at: b.position)
        case .incompatible?: annotations.warn("incompatible bucket layout encountered for binary operator \(b.op.rawValue)", at: b.position)
        case nil: break
        }
    }
}
