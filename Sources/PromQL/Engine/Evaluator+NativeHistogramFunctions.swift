import TSDB

/// Functions of native histograms that give floats: `histogram_count`,
/// `_sum`, `_avg`, `_stddev`, `_stdvar`, and the native half of
/// `histogram_quantile` and `histogram_fraction`. Float samples are left out.
extension Evaluator {
    static let histogramStatistics: [String: @Sendable (NativeHistogram) -> Double] = [
        "histogram_count": { $0.count },
        "histogram_sum": { $0.sum },
        "histogram_avg": { $0.sum / $0.count },
        "histogram_stddev": { $0.variance.squareRoot() },
        "histogram_stdvar": { $0.variance },
    ]

    /// `f` of every histogram sample of the argument; the name is dropped.
    mutating func histogramStatistic(_ c: Call, _ f: (NativeHistogram) -> Double) throws(PromQLError) -> [StepSeries] {
        guard case .vector(let input) = try eval(c.args[0]) else { throw PromQLError("expected an instant vector argument") }
        return input.compactMap { s in mapHistograms(s) { h, _ in f(h) } }
    }

    /// A series with `f` of its histogram at each step that has one, as floats; nil if it has none.
    func mapHistograms(_ s: StepSeries, _ f: (NativeHistogram, Int) -> Double) -> StepSeries? {
        guard let hs = s.histograms else { return nil }
        var out = StepSeries(labels: s.labels, values: StepArrays.zeros(steps), present: StepArrays.absent(steps), dropName: true)
        var any = false
        for i in 0..<steps {
            guard let h = hs[i] else { continue }
            out.values[i] = f(h, i)
            out.present[i] = true
            any = true
        }
        return any ? out : nil
    }

    /// `histogram_quantile`/`histogram_fraction` of the native histograms in
    /// `input`. Where a classic histogram (`classicKeys`: its buckets' labels
    /// without `le`, at the steps it has buckets) has the same labels as a
    /// native one at a step, neither is evaluated there: the step is listed
    /// in `conflicts` and a warning raised.
    mutating func nativeHistogramFunction(_ input: [StepSeries], isQuantile: Bool, _ p1: [Double], _ p2: [Double],
                                          classicSteps: [Labels: [Bool]], conflicts: inout [Labels: [Bool]],
                                          position: Int) -> [StepSeries] {
        var out: [StepSeries] = []
        for s in input where s.histograms != nil {
            let classic = classicSteps[s.labels]
            var notes: Set<String> = []
            let result = mapHistograms(s) { h, i in
                let (value, nan) = isQuantile ? h.quantile(p1[i]) : h.fraction(between: p1[i], and: p2[i])
                switch nan {
                case .resultIsNaN?: notes.insert("input to histogram_quantile has NaN observations, result is NaN")
                case .resultSkewedHigher?: notes.insert("input to histogram_quantile has NaN observations, result is skewed higher")
                case .excludedFromFractions?: notes.insert("input to histogram_fraction has NaN observations, which are excluded from all fractions")
                case nil: break
                }
                return value
            }
            for note in notes.sorted() { annotations.info(note + Annotations.forMetric(Self.metricName(s)), at: position) }
            guard var result else { continue }
            if let classic {
                for i in 0..<steps where classic[i] && result.present[i] {
                    result.present[i] = false
                    conflicts[s.labels, default: StepArrays.absent(steps)][i] = true
                    annotations.mixedClassicNativeHistograms(metric: Self.metricName(s), at: position)
                }
                guard result.present.contains(true) else { continue }
            }
            out.append(result)
        }
        return out
    }
}

extension Array where Element == Bool {
    /// Sets each element that is true in `other`.
    mutating func formUnion(_ other: [Bool]) {
        for i in indices where other[i] { self[i] = true }
    }
}
