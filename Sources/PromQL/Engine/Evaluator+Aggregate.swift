import Foundation
import TSDB

/// Aggregation operators. Groups are computed once per query from the
/// series' labels; values are then accumulated step by step.
extension Evaluator {
    /// The groups of an aggregation. A name pending removal still counts for
    /// `by (__name__)` (as in Prometheus 3); `without` always drops the name.
    static func groups(_ a: Aggregate) -> LabelGroups {
        a.without ? LabelGroups(dropping: a.grouping + [Labels.metricName]) : LabelGroups(keeping: a.grouping)
    }

    /// The input series of each group, in input order.
    static func groupMembers(_ a: Aggregate, _ input: [StepSeries]) -> [[Int]] {
        var grouping = groups(a)
        let groupOf = input.map { grouping.id(of: $0.labels) }
        return grouping.members(groupOf)
    }

    mutating func evalAggregate(_ a: Aggregate) throws(PromQLError) -> EvalValue {
        var param: [Double] = []
        var label = ""
        if let p = a.param {
            switch try eval(p) {
            case .scalar(let vs): param = vs
            case .string(let s):
                if let quoted = a.invalidUTF8Param { throw PromQLError("invalid label name \(quoted)") }
                label = s
            default: throw PromQLError("invalid aggregation parameter")
            }
        }
        // A range function of a range query may aggregate its rows as it makes them.
        var fusion: FusionRequest?
        var functionDropsName = false
        let input: [StepSeries]
        if FusedAggregation.supports(a.op), steps > 1, case .call(let c) = a.expr, let f = Self.rangeFunctions[c.function.name] {
            fusion = FusionRequest(op: a.op, grouping: Self.groups(a))
            functionDropsName = Self.rangeFunctionDropsName(c.function.name)
            input = try rangeFunction(c, dropName: functionDropsName, f, fusion: fusion)
        } else {
            guard case .vector(let v) = try eval(a.expr) else { throw PromQLError("expected instant vector in aggregation") }
            input = v
        }
        if let fusion, let fused = fusion.result {
            let (values, present) = fused.result()
            return .vector(Self.groupOutput(fusion.grouping.keys, values, present) { _ in functionDropsName })
        }
        let distinctParams = Set(param.map(\.bitPattern)).map(Double.init(bitPattern:))
        if a.op == .quantile {
            for q in distinctParams where q.isNaN || q < 0 || q > 1 { annotations.invalidQuantile(q, at: a.paramPosition) }
        }
        if a.op == .limitRatio {
            for r in distinctParams where r < -1 || r > 1 { annotations.invalidRatio(r, cappedTo: r < 0 ? -1 : 1, at: a.paramPosition) }
        }
        if (a.op == .topk || a.op == .bottomk) && input.contains(where: { $0.histograms != nil }) {
            annotations.histogramIgnoredInAggregation(a.op.rawValue, at: a.exprPosition)
        }
        switch a.op {
        case .topk, .bottomk: return .vector(try kSelect(a, input, param))
        case .countValues: return .vector(try countValues(a, input, label))
        case .limitk: return .vector(try limitK(a, input, param))
        case .limitRatio: return .vector(try limitRatio(input, param))
        default: break
        }
        var grouping = Self.groups(a)
        let groupOf = input.map { grouping.id(of: $0.labels) }
        let groups = grouping.members(groupOf)
        var groupDropName = [Bool](repeating: false, count: groups.count)
        for (k, s) in input.enumerated() where s.dropName { groupDropName[groupOf[k]] = true }
        let groupKeys = grouping.keys
        var values: [[Double]], present: [[Bool]]
        if Self.isAccumulable(a.op) {
            (values, present) = accumulate(a.op, input, groupOf: groupOf, groupCount: groups.count)
        } else {
            values = []
            present = []
            var buffer: [Double] = []
            for members in groups {
                var v = StepArrays.zeros(steps)
                var p = StepArrays.absent(steps)
                for i in 0..<steps {
                    buffer.removeAll(keepingCapacity: true)
                    for k in members where input[k].present[i] { buffer.append(input[k].values[i]) }
                    guard !buffer.isEmpty else { continue }
                    p[i] = true
                    v[i] = Self.aggregate(a.op, buffer, param: param.isEmpty ? 0 : param[i])
                }
                values.append(v)
                present.append(p)
            }
        }
        var histograms: [[NativeHistogram?]?] = []
        if input.contains(where: { $0.histograms != nil }) {
            histograms = aggregateHistograms(a, input, groups: groups, values: &values, present: &present)
        }
        return .vector(Self.groupOutput(groupKeys, values, present, histograms: histograms) { groupDropName[$0] })
    }

    /// The groups that have a value at some step, as series. The name, when
    /// grouped by, is still removed if the group's inputs were to lose it.
    static func groupOutput(_ keys: [Labels], _ values: [[Double]], _ present: [[Bool]], histograms: [[NativeHistogram?]?] = [],
                            inputsDropName: (Int) -> Bool) -> [StepSeries] {
        var out: [StepSeries] = []
        for g in keys.indices {
            let column = g < histograms.count ? histograms[g] : nil
            guard present[g].contains(true) || column != nil else { continue }
            out.append(StepSeries(labels: keys[g], values: values[g], present: present[g],
                                  dropName: inputsDropName(g) && !keys[g][Labels.metricName].isEmpty, histograms: column))
        }
        return out
    }

    /// One aggregation over the values of a group (or of a window, for the
    /// `*_over_time` functions), in input order.
    static func aggregate<C: Collection>(_ op: AggregateOp, _ xs: C, param: Double) -> Double where C.Element == Double {
        switch op {
        case .sum:
            var k = KahanSum()
            for x in xs { k.add(x) }
            return k.value
        case .avg:
            var k = KahanSum()
            for x in xs { k.add(x) }
            if k.value.isInfinite && !xs.contains(where: \.isInfinite) {
                // Overflowed: fall back to an incremental mean.
                var mean = 0.0
                for (n, x) in xs.enumerated() { mean += x / Double(n + 1) - mean / Double(n + 1) }
                return mean
            }
            return k.value / Double(xs.count)
        case .count: return Double(xs.count)
        case .group: return 1
        case .min:
            var m = xs.first!
            for x in xs.dropFirst() where m > x || m.isNaN { m = x }
            return m
        case .max:
            var m = xs.first!
            for x in xs.dropFirst() where m < x || m.isNaN { m = x }
            return m
        case .stddev, .stdvar:
            var count = 0.0, mean = 0.0, m2 = 0.0
            for x in xs {
                count += 1
                let delta = x - mean
                mean += delta / count
                m2 += delta * (x - mean)
            }
            let variance = m2 / count
            return op == .stddev ? variance.squareRoot() : variance
        case .quantile:
            return quantile(param, Array(xs))
        default:
            return .nan
        }
    }

    /// Prometheus' quantile: linear interpolation between the closest ranks;
    /// φ < 0 → -Inf, φ > 1 → +Inf, NaN φ → NaN.
    static func quantile(_ q: Double, _ values: [Double]) -> Double {
        if values.isEmpty || q.isNaN { return .nan }
        if q < 0 { return -.infinity }
        if q > 1 { return .infinity }
        let sorted = values.sorted { a, b in (a.isNaN && !b.isNaN) || a < b }  // Go's sort.Float64s: NaN first
        let n = Double(sorted.count)
        let rank = q * (n - 1)
        let lower = max(0, Int(rank.rounded(.down)))
        let upper = min(sorted.count - 1, lower + 1)
        let weight = rank - rank.rounded(.down)
        return sorted[lower] * (1 - weight) + sorted[upper] * weight
    }

    /// topk / bottomk: the k largest (smallest) samples per group and step; NaN is always last.
    func kSelect(_ a: Aggregate, _ input: [StepSeries], _ ks: [Double]) throws(PromQLError) -> [StepSeries] {
        var out = input.map { s in
            StepSeries(labels: s.labels, values: s.values, present: StepArrays.absent(steps), dropName: s.dropName)
        }
        let groups = Self.groupMembers(a, input)
        let top = a.op == .topk
        /// Whether `x` ranks before `y` (NaN last); ties keep input order.
        @inline(__always) func before(_ x: Double, _ y: Double) -> Bool {
            if x.isNaN { return false }
            if y.isNaN { return true }
            return top ? x > y : x < y
        }
        // The k best of a group at a step, best first (a small k is the common case).
        var best: [(value: Double, series: Int)] = []
        for i in 0..<steps {
            let kf = ks[i]
            guard !kf.isNaN else { throw PromQLError("Parameter value is NaN") }
            guard kf >= 1 else { continue }
            let k = kf >= Double(Int.max) ? Int.max : Int(kf)
            for members in groups {
                if k >= members.count {
                    for idx in members where input[idx].present[i] { out[idx].present[i] = true }
                    continue
                }
                if k > 64 {
                    // Large k: sorting the group is cheaper than inserting into a long list.
                    let live = members.filter { input[$0].present[i] }
                    let sorted = live.sorted { before(input[$0].values[i], input[$1].values[i]) }
                    for idx in sorted.prefix(k) { out[idx].present[i] = true }
                    continue
                }
                best.removeAll(keepingCapacity: true)
                for idx in members where input[idx].present[i] {
                    let v = input[idx].values[i]
                    // Insert after every entry that is at least as good: a stable order.
                    var at = best.count
                    while at > 0 && before(v, best[at - 1].value) { at -= 1 }
                    guard at < k else { continue }
                    if best.count == k { best.removeLast() }
                    best.insert((v, idx), at: at)
                }
                for entry in best { out[entry.series].present[i] = true }
            }
        }
        return out.filter { $0.present.contains(true) }
    }

    /// limitk: per group and step, the first k series in input order (label order).
    /// limitk: the first k series of each group with a value (float or histogram) at each step.
    func limitK(_ a: Aggregate, _ input: [StepSeries], _ ks: [Double]) throws(PromQLError) -> [StepSeries] {
        var out = input.map { s in
            StepSeries(labels: s.labels, values: s.values, present: StepArrays.absent(steps), dropName: s.dropName)
        }
        let groups = Self.groupMembers(a, input)
        for i in 0..<steps {
            guard !ks[i].isNaN else { throw PromQLError("Parameter value is NaN") }
            guard ks[i] >= 1 else { continue }
            let k = ks[i] >= Double(Int.max) ? Int.max : Int(ks[i])
            for members in groups {
                var taken = 0
                for idx in members where input[idx].hasValue(i) && taken < k {
                    if let h = input[idx].histogram(i) { out[idx].setHistogram(i, h, steps: steps) } else { out[idx].present[i] = true }
                    taken += 1
                }
            }
        }
        return out.filter { $0.present.contains(true) || $0.histograms != nil }
    }

    /// limit_ratio: a deterministic sample of the series, decided per series
    /// by its label hash as in Prometheus (`hash / 2^64 < r` for r ≥ 0,
    /// `≥ 1 + r` for r < 0), so `limit_ratio(r, x)` and `limit_ratio(r - 1, x)`
    /// are complements. Ratios outside [-1, 1] are capped.
    func limitRatio(_ input: [StepSeries], _ ratios: [Double]) throws(PromQLError) -> [StepSeries] {
        if ratios.contains(where: \.isNaN) { throw PromQLError("Ratio value is NaN") }
        var out: [StepSeries] = []
        for var s in input {
            let offset = Double(s.labels.prometheusHash) / Double(UInt64.max)
            var any = false
            for i in 0..<steps where s.hasValue(i) {
                let r = Swift.max(-1, Swift.min(1, ratios[i]))
                if r >= 0 ? offset < r : offset >= 1 + r { any = true } else { s.clear(i) }
            }
            if any { out.append(s) }
        }
        return out
    }

    func countValues(_ a: Aggregate, _ input: [StepSeries], _ label: String) throws(PromQLError) -> [StepSeries] {
        guard !label.isEmpty else { throw PromQLError("invalid label name \"\(label)\"") }
        var grouping = Self.groups(a)
        var index: [Labels: Int] = [:]
        var out: [StepSeries] = []
        for s in input {
            let id = grouping.id(of: s.labels)  // may add a key: not inside the subscript of `keys`
            let base = grouping.keys[id]
            for i in 0..<steps where s.hasValue(i) {
                // A histogram counts under its text form, as Prometheus prints it.
                let text = s.histogram(i).map(GoFormat.histogram) ?? GoFormat.formatFloat(s.values[i])
                let labels = base.setting(label, to: text)
                let idx: Int
                if let e = index[labels] { idx = e } else {
                    idx = out.count
                    index[labels] = idx
                    out.append(StepSeries(labels: labels, values: StepArrays.zeros(steps),
                                          present: StepArrays.absent(steps)))
                }
                out[idx].values[i] += 1
                out[idx].present[i] = true
            }
        }
        return out
    }
}
