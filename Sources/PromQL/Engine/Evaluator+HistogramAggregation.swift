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
                        annotations.warn("encountered a mix of histograms and floats for aggregation", at: a.exprPosition)
                        present[g][i] = false
                        continue
                    }
                    guard var total = sumHistograms(hs, position: a.exprPosition) else { continue }
                    if a.op == .avg { total = total.divided(by: Double(hs.count)) }
                    if out[g] == nil { out[g] = Array(repeating: nil, count: steps) }
                    out[g]![i] = total.compacted()
                default:  // min, max, stddev, stdvar, quantile
                    annotations.info("ignored histogram in \(a.op.rawValue) aggregation", at: a.exprPosition)
                }
            }
        }
        return out
    }

    /// The sum of histograms; nil (with a warning) if two cannot be added.
    mutating func sumHistograms(_ hs: [NativeHistogram], position: Int) -> NativeHistogram? {
        var total = hs[0]
        var reconciled = false
        for h in hs.dropFirst() {
            do {
                let (sum, r) = try total.adding(h)
                total = sum
                reconciled = reconciled || r.customBoundsIntersected
            } catch {
                annotations.warn(error == .incompatibleSchemas
                    ? "vector contains a mix of histograms with exponential and custom buckets schemas for metric name \"\""
                    : "\(error)", at: position)
                return nil
            }
        }
        if reconciled { annotations.info("mismatched custom buckets were reconciled during aggregation", at: position) }
        return total
    }
}
