import TSDB

/// The simple aggregations (`sum`, `avg`, `count`, `group`, `min`, `max`)
/// computed series by series: each input series is added into its group's
/// per-step state, so the inner loop runs over contiguous arrays. For every
/// group and step the values are combined in input order, as when they are
/// gathered step by step, so results are bit-identical.
extension Evaluator {
    static func isAccumulable(_ op: AggregateOp) -> Bool {
        switch op {
        case .sum, .avg, .count, .group, .min, .max: true
        default: false
        }
    }

    /// Aggregates `input` into `groupCount` groups (`groupOf[k]` is the group
    /// of series `k`): per group, its values and where it has one.
    func accumulate(_ op: AggregateOp, _ input: [StepSeries], groupOf: [Int], groupCount: Int)
        -> (values: [[Double]], present: [[Bool]])
    {
        var state = StepAccumulator(op: op, count: groupCount * steps)
        for (k, s) in input.enumerated() {
            state.add(s.values, s.present, base: groupOf[k] * steps)
        }
        return Self.groupSeries(state, groupCount: groupCount, steps: steps)
    }

    /// Per group, its values and where it has one, from the accumulated state.
    static func groupSeries(_ state: StepAccumulator, groupCount: Int, steps: Int) -> (values: [[Double]], present: [[Bool]]) {
        let (op, sum, comp, count, mean, sawInfinity) = (state.op, state.sum, state.comp, state.count, state.mean, state.sawInfinity)
        var values: [[Double]] = []
        var present: [[Bool]] = []
        values.reserveCapacity(groupCount)
        present.reserveCapacity(groupCount)
        for g in 0..<groupCount {
            var v = StepArrays.zeros(steps)
            var p = StepArrays.absent(steps)
            for i in 0..<steps {
                let j = g * steps + i
                let c = count[j]
                guard c > 0 else { continue }
                p[i] = true
                switch op {
                case .sum: v[i] = sum[j] + comp[j]
                case .avg:
                    let total = sum[j] + comp[j]
                    v[i] = total.isInfinite && !sawInfinity[j] ? mean[j] : total / c
                case .count: v[i] = c
                case .group: v[i] = 1
                default: v[i] = sum[j]
                }
            }
            values.append(v)
            present.append(p)
        }
        return (values, present)
    }
}

/// The per-group, per-step state of `sum`, `avg`, `count`, `group`, `min`
/// and `max` (index `group * steps + step`): values are added series by
/// series, each group and step seeing them in the order they are added.
struct StepAccumulator {
    let op: AggregateOp
    /// Kahan sum, or the min / max.
    var sum: [Double]
    var comp: [Double]
    var count: [Double]
    /// avg: the incremental mean, used if the sum overflows with finite inputs.
    var mean: [Double]
    var sawInfinity: [Bool]

    init(op: AggregateOp, count n: Int) {
        self.op = op
        sum = [Double](repeating: 0, count: n)
        comp = [Double](repeating: 0, count: op == .sum || op == .avg ? n : 0)
        count = [Double](repeating: 0, count: n)
        mean = [Double](repeating: 0, count: op == .avg ? n : 0)
        sawInfinity = [Bool](repeating: false, count: op == .avg ? n : 0)
    }

    /// Adds one series' values where `present`, its steps starting at index `base`.
    mutating func add(_ values: [Double], _ present: [Bool], base: Int) {
        let op = op
        values.withUnsafeBufferPointer { values in
            present.withUnsafeBufferPointer { present in
                for i in 0..<values.count where present[i] { add(values[i], at: base + i, op) }
            }
        }
    }

    @inline(__always)
    mutating func add(_ x: Double, at j: Int, _ op: AggregateOp) {
        let first = count[j] == 0
        count[j] += 1
        switch op {
        case .sum, .avg:
            var kahan = KahanSum(sum: sum[j], c: comp[j])
            kahan.add(x)
            (sum[j], comp[j]) = (kahan.sum, kahan.c)
            if op == .avg {
                mean[j] += x / count[j] - mean[j] / count[j]
                if x.isInfinite { sawInfinity[j] = true }
            }
        case .min:
            if first || sum[j] > x || sum[j].isNaN { sum[j] = x }
        case .max:
            if first || sum[j] < x || sum[j].isNaN { sum[j] = x }
        default:
            break
        }
    }
}
