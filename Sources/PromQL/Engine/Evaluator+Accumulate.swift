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
        let n = groupCount * steps
        var sum = [Double](repeating: 0, count: n)  // Kahan sum, or the min / max
        var comp = [Double](repeating: 0, count: op == .sum || op == .avg ? n : 0)
        var count = [Double](repeating: 0, count: n)
        // avg: the incremental mean, used if the sum overflows with finite inputs.
        var mean = [Double](repeating: 0, count: op == .avg ? n : 0)
        var sawInfinity = [Bool](repeating: false, count: op == .avg ? n : 0)
        let steps = steps
        for (k, s) in input.enumerated() {
            let base = groupOf[k] * steps
            s.values.withUnsafeBufferPointer { values in
                s.present.withUnsafeBufferPointer { present in
                    for i in 0..<steps where present[i] {
                        let x = values[i], j = base + i
                        let first = count[j] == 0
                        count[j] += 1
                        switch op {
                        case .sum, .avg:
                            var kahan = KahanSum(sum: sum[j], c: comp[j])
                            kahan.add(x)
                            sum[j] = kahan.sum
                            comp[j] = kahan.c
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
            }
        }
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
