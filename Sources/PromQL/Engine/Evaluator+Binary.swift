import Foundation
import TSDB

/// Binary operators with Prometheus' semantics: arithmetic drops the metric
/// name, comparisons filter (or give 0/1 with `bool`, dropping the name),
/// vector matching one-to-one or many-to-one with `on`/`ignoring` and
/// `group_left`/`group_right`, set operators `and`/`or`/`unless`.
extension Evaluator {
    /// `lhs op rhs` for two floats: the value, and whether a comparison holds.
    @inline(__always)
    static func apply(_ op: BinaryOperator, _ l: Double, _ r: Double) -> (Double, Bool) {
        switch op {
        case .add: (l + r, true)
        case .sub: (l - r, true)
        case .mul: (l * r, true)
        case .div: (l / r, true)
        case .pow: (Foundation.pow(l, r), true)
        case .mod: (fmod(l, r), true)
        case .atan2: (Foundation.atan2(l, r), true)
        case .eql: (l, l == r)
        case .neq: (l, l != r)
        case .gtr: (l, l > r)
        case .lss: (l, l < r)
        case .gte: (l, l >= r)
        case .lte: (l, l <= r)
        case .and, .or, .unless: (l, true)
        case .trimUpper, .trimLower: (l, false)  // histograms only: floats have no result
        }
    }

    mutating func evalBinary(_ b: Binary) throws(PromQLError) -> EvalValue {
        let outer = histogramStats
        if b.op.isTrim { histogramStats = .vetoed }  // trimming needs the buckets
        let lhs = try eval(b.lhs)
        let rhs = try eval(b.rhs)
        histogramStats = outer
        switch (lhs, rhs) {
        case (.scalar(let l), .scalar(let r)):
            if b.op.isTrim { throw PromQLError("operator \"\(b.op.rawValue)\" not allowed for Scalar operations") }
            return .scalar((0..<steps).map { i in
                let (v, keep) = Self.apply(b.op, l[i], r[i])
                return b.op.isComparison ? (keep ? 1 : 0) : v
            })
        case (.vector(let l), .scalar(let r)):
            return .vector(try vectorScalar(b, l, r, scalarOnLeft: false))
        case (.scalar(let l), .vector(let r)):
            return .vector(try vectorScalar(b, r, l, scalarOnLeft: true))
        case (.vector(let l), .vector(let r)):
            return .vector(try vectorVector(b, l, r))
        default:
            throw PromQLError("binary expression must contain only scalar and instant vector types")
        }
    }

    mutating func vectorScalar(_ b: Binary, _ vec: [StepSeries], _ scalar: [Double], scalarOnLeft: Bool) throws(PromQLError) -> [StepSeries] {
        var out: [StepSeries] = []
        out.reserveCapacity(vec.count)
        let dropName = !b.op.keepsMetricNameWithScalar || b.returnBool
        if b.op.isTrim && vec.contains(where: { $0.present.contains(true) }) { noteTrimmedFloats(b) }
        for var s in vec {
            var any = false
            for i in 0..<steps where s.present[i] {
                let x = s.values[i]
                var (v, keep) = scalarOnLeft ? Self.apply(b.op, scalar[i], x) : Self.apply(b.op, x, scalar[i])
                if b.op.isComparison && scalarOnLeft { v = x }  // the vector's value is kept
                if b.returnBool { v = keep ? 1 : 0; keep = true }
                if keep { s.values[i] = v; any = true } else { s.present[i] = false }
            }
            if let hs = s.histograms {
                for i in 0..<steps {
                    guard let h = hs[i] else { continue }
                    let x = StepValue.float(scalar[i]), y = StepValue.histogram(h)
                    let r = scalarOnLeft ? Self.histogramBinop(b.op, x, y, returnBool: b.returnBool)
                        : Self.histogramBinop(b.op, y, x, returnBool: b.returnBool)
                    note(r, b)
                    s.setHistogram(i, nil, steps: steps)
                    switch r.value {
                    case .histogram(let result)?: s.setHistogram(i, result, steps: steps)
                    case .float(let v)?:
                        s.values[i] = v
                        s.present[i] = true
                    case nil: continue
                    }
                    any = true
                }
            }
            if any {
                if dropName { s.dropName = true }
                out.append(s)
            }
        }
        return out
    }

    static func promLabels(_ l: Labels) -> String { GoFormat.labelSet(l.pairs.map { ($0.name, $0.value) }) }

    mutating func vectorVector(_ b: Binary, _ lhs: [StepSeries], _ rhs: [StepSeries]) throws(PromQLError) -> [StepSeries] {
        let m = b.matching ?? VectorMatching(cardinality: .oneToOne, labels: [], on: false, include: [], explicit: false)
        // The labels series are matched on (their signature, numbered): `on(…)` keeps
        // only the listed names, otherwise they and the metric name are dropped.
        var signatures = m.on ? LabelGroups(keeping: m.labels) : LabelGroups(dropping: m.labels + [Labels.metricName])
        let lsig = lhs.map { signatures.id(of: $0.labels) }
        let rsig = rhs.map { signatures.id(of: $0.labels) }
        switch b.op {
        case .and, .unless:
            let bySig = signatures.members(rsig)
            var out: [StepSeries] = []
            for (k, var s) in lhs.enumerated() {
                let others = bySig[lsig[k]]
                var any = false
                for i in 0..<steps where s.hasValue(i) {
                    let matched = others.contains { rhs[$0].hasValue(i) }
                    if matched == (b.op == .and) { any = true } else { s.clear(i) }
                }
                if any { out.append(s) }
            }
            return out
        case .or:
            let lhsAt = signatures.members(lsig)
            var out = lhs
            for (j, var s) in rhs.enumerated() {
                let others = lhsAt[rsig[j]]
                var any = false
                for i in 0..<steps where s.hasValue(i) {
                    if others.contains(where: { lhs[$0].hasValue(i) }) { s.clear(i) } else { any = true }
                }
                if any { out.append(s) }
            }
            return out
        default:
            return try matchArithmetic(b, m, lhs, rhs, lsig, rsig, signatures)
        }
    }

    /// One-to-one and many-to-one matching for arithmetic and comparisons;
    /// `lsig`/`rsig` are each side's signature ids in `signatures`. With fill
    /// modifiers, a series without a partner at a step meets the fill value.
    mutating func matchArithmetic(_ b: Binary, _ m: VectorMatching, _ lhs: [StepSeries], _ rhs: [StepSeries],
                         _ lsig: [Int], _ rsig: [Int], _ signatures: LabelGroups) throws(PromQLError) -> [StepSeries] {
        // The "many" side is `many`, the "one" side `one`; for group_right they swap.
        let swapped = m.cardinality == .oneToMany
        let many = swapped ? rhs : lhs, one = swapped ? lhs : rhs
        let manySig = swapped ? rsig : lsig, oneSig = swapped ? lsig : rsig
        // Prometheus fills the "many" side with the left value, the "one" side with the right.
        let fillMany = m.fillLeft, fillOne = m.fillRight
        let oneBySig = signatures.members(oneSig)
        // A trim between two vectors drops the name, as arithmetic does (Prometheus' tests say so).
        var output = OutputSeries(steps: steps, dropName: !b.op.isComparison || b.returnBool, capacity: many.count)
        // For one-to-one, the "many" side must not repeat a signature at a step either.
        let manySeen = m.cardinality == .oneToOne ? signatures.members(manySig) : []
        // The operation on a "many" and a "one" value (in operand order); nil when a comparison filters it out.
        var trimmedFloats = false
        func combine(_ manyValue: Double, _ oneValue: Double) -> Double? {
            if b.op.isTrim {
                trimmedFloats = true
                return nil
            }
            var (l, r) = (manyValue, oneValue)
            if swapped { swap(&l, &r) }
            let (v, keep) = Self.apply(b.op, l, r)
            if b.returnBool { return keep ? 1 : 0 }
            return keep ? v : nil
        }
        // Histogram samples take the general path (`has`, `histogramBinop`); float-only inputs never look.
        let mixed = lhs.contains { $0.histograms != nil } || rhs.contains { $0.histograms != nil }
        @inline(__always) func has(_ s: StepSeries, _ i: Int) -> Bool { s.present[i] || (mixed && s.histograms?[i] != nil) }
        @inline(__always) func value(_ s: StepSeries, _ i: Int) -> StepValue { s.histogram(i).map(StepValue.histogram) ?? .float(s.values[i]) }
        var histogramResults: [HistogramBinopResult] = []
        /// The operation where an operand is a histogram (in operand order).
        func combineMixed(_ manyValue: StepValue, _ oneValue: StepValue) -> StepValue? {
            let r = swapped ? Self.histogramBinop(b.op, oneValue, manyValue, returnBool: b.returnBool)
                : Self.histogramBinop(b.op, manyValue, oneValue, returnBool: b.returnBool)
            if r.note != nil { histogramResults.append(r) }
            return r.value
        }
        // With `fillMany`: whether one[j] met a partner at step i (index j * steps + i).
        var oneMatched = fillMany == nil ? [] : [Bool](repeating: false, count: one.count * steps)
        // As in Prometheus, two "one" series of a match group at one step are an
        // error even if no "many" series would meet them.
        for (sig, group) in oneBySig.enumerated() where group.count > 1 {
            for i in 0..<steps {
                var first: Int?
                for j in group where has(one[j], i) {
                    if let f = first {
                        let pair = [one[f].labels, one[j].labels].sorted(by: <).map(Self.promLabels)
                        throw PromQLError("found duplicate series for the match group \(Self.promLabels(signatures.keys[sig])) on the \(swapped ? "left" : "right") hand-side of the operation: [\(pair.joined(separator: ", "))];many-to-many matching not allowed: matching labels must be unique on one side")
                    }
                    first = j
                }
            }
        }
        for (k, ms) in many.enumerated() {
            let candidates = oneBySig[manySig[k]]
            guard !candidates.isEmpty || fillOne != nil else { continue }
            // Other "many" series with the same signature (looked up once, not per step).
            let peers = m.cardinality == .oneToOne ? manySeen[manySig[k]].filter { $0 != k } : []
            // The output series of the pair (k, j), kept while j stays the same (-2: the filled one side).
            var pairOne = -1, pairOut = -1
            for i in 0..<steps where has(ms, i) {
                // At most one: duplicates were ruled out above.
                let match = candidates.first { has(one[$0], i) }
                let oneValue: Double
                var oneHistogram: NativeHistogram?
                if let j = match {
                    if !peers.isEmpty, peers.contains(where: { has(many[$0], i) }) {
                        throw PromQLError("multiple matches for labels: many-to-one matching must be explicit (group_left/group_right)")
                    }
                    if fillMany != nil { oneMatched[j * steps + i] = true }
                    oneValue = one[j].values[i]
                    if mixed { oneHistogram = one[j].histogram(i) }
                } else if let fill = fillOne {
                    oneValue = fill
                } else {
                    continue
                }
                let result: StepValue
                if mixed && (oneHistogram != nil || ms.histogram(i) != nil) {
                    guard let r = combineMixed(value(ms, i), oneHistogram.map(StepValue.histogram) ?? .float(oneValue)) else { continue }
                    result = r
                } else {
                    guard let v = combine(ms.values[i], oneValue) else { continue }
                    result = .float(v)
                }
                let pair = match ?? -2
                if pair != pairOne {
                    let labels = resultLabels(ms.labels, match.map { one[$0].labels } ?? .empty, b, m)
                    pairOut = output.series(labels, dropName: ms.dropName)
                    pairOne = pair
                }
                try output.set(pairOut, step: i, to: result)
            }
        }
        // "One" series without a partner at a step meet the filled "many" side,
        // a series with just the labels they were matched on.
        if let fill = fillMany {
            for (j, os) in one.enumerated() {
                var out = -1
                for i in 0..<steps where has(os, i) && !oneMatched[j * steps + i] {
                    let result: StepValue
                    if let h = os.histogram(i) {
                        guard let r = combineMixed(.float(fill), .histogram(h)) else { continue }
                        result = r
                    } else {
                        guard let v = combine(fill, os.values[i]) else { continue }
                        result = .float(v)
                    }
                    if out < 0 { out = output.series(resultLabels(signatures.keys[oneSig[j]], os.labels, b, m), dropName: false) }
                    try output.set(out, step: i, to: result)
                }
            }
        }
        for r in histogramResults { note(r, b) }
        if trimmedFloats { noteTrimmedFloats(b) }
        return output.series
    }

    /// The result's labels (the name, if to be dropped, is removed when the query finishes).
    func resultLabels(_ many: Labels, _ one: Labels, _ b: Binary, _ m: VectorMatching) -> Labels {
        var result = many
        if m.cardinality == .oneToOne {
            let keepName = result[Labels.metricName]
            result = m.on ? result.keeping(m.labels) : result.removing(Set(m.labels))
            if !keepName.isEmpty && result[Labels.metricName].isEmpty { result = result.setting(Labels.metricName, to: keepName) }
        }
        for name in m.include {
            result = result.setting(name, to: one[name])
        }
        return result
    }
}
