import TSDB

/// Aggregating native-histogram samples: `sum` and `avg` add them up,
/// `count` and `group` count them with the floats; the operators of float
/// values leave them out with an info.
extension Evaluator {
    /// The histogram column of each group (nil: none), after the float pass
    /// has filled `values`/`present`; adjusts those where histograms count.
    mutating func aggregateHistograms(_ a: Aggregate, _ input: [StepSeries], groups: [[Int]],
                                      values: inout [[Double]], present: inout [[Bool]]) -> [[NativeHistogram?]?] {
        var out = [[NativeHistogram?]?](repeating: nil, count: groups.count)
        for (g, members) in groups.enumerated() {
            let withHistograms = members.filter { input[$0].histograms != nil }
            guard !withHistograms.isEmpty else { continue }
            for i in 0..<steps {
                let hs = withHistograms.compactMap { input[$0].histogram(i) }
                guard !hs.isEmpty else { continue }
                switch a.op {
                case .count:
                    values[g][i] = (present[g][i] ? values[g][i] : 0) + Double(hs.count)
                    present[g][i] = true
                case .group:
                    values[g][i] = 1
                    present[g][i] = true
                case .sum, .avg:
                    if present[g][i] {
                        annotations.mixedFloatsHistogramsInAggregation(at: a.exprPosition)
                        present[g][i] = false
                        continue
                    }
                    guard let total = compensatedTotal(hs, mean: a.op == .avg, metric: "", position: a.exprPosition) else { continue }
                    if out[g] == nil { out[g] = Array(repeating: nil, count: steps) }
                    out[g]![i] = total.compacted()
                default:  // min, max, stddev, stdvar, quantile
                    annotations.histogramIgnoredInAggregation(a.op.rawValue, at: a.exprPosition)
                }
            }
        }
        return out
    }
}
