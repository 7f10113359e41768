import TSDB

/// Whether the selector being evaluated feeds only `histogram_count`,
/// `histogram_sum` or `histogram_avg`, which read a histogram's count and sum.
/// Prometheus then reads such selectors' histograms without their buckets,
/// through an iterator that detects counter resets as it goes and states
/// them in the hints (`HistogramStatsIterator`): its answers, and the warnings
/// about conflicting hints, follow from that, so ours do the same.
///
/// A selector is read that way when one of those functions is above it and
/// nothing that needs buckets is: `histogram_quantile`, `histogram_quantiles`,
/// `histogram_fraction`, a trim operator (`</`, `>/`) or a subquery (whose own
/// reset detection needs them).
enum HistogramStatsDecoding: Equatable {
    case off
    case on
    /// Something above needs the buckets: stays off whatever comes below.
    case vetoed

    /// The mode for the arguments of `function`, called in this mode.
    func entering(_ function: String) -> HistogramStatsDecoding {
        switch function {
        case "histogram_count", "histogram_sum", "histogram_avg": self == .off ? .on : self
        case "histogram_quantile", "histogram_quantiles", "histogram_fraction": .vetoed
        default: self
        }
    }
}

extension Evaluator {
    /// The histogram samples of one series as `HistogramStatsIterator` returns
    /// them to a selector evaluated at `times` (ascending) that looks back
    /// `delta` (the lookback delta, or a range selector's range): schema, count,
    /// sum and a hint only (the schema, so that exponential and custom buckets
    /// still do not mix). A stored `unknown` hint becomes `counterReset` or
    /// `notCounterReset` when the histogram before it was read since the
    /// iterator last sought; `floats` (the series' float samples) move the
    /// iterator too.
    static func statsOnlyHistograms(_ histograms: [HistogramSample], floats: [Sample], times: [Int64],
                                    delta: Int64) -> [HistogramSample] {
        // The samples in the order the iterator meets them: floats as -1.
        var order: [(t: Int64, histogram: Int)] = floats.map { ($0.t, -1) } + histograms.indices.map { (histograms[$0].t, $0) }
        if !floats.isEmpty { order.sort { $0.t < $1.t } }
        var hints = [NativeHistogram.CounterResetHint?](repeating: nil, count: histograms.count)
        var last: Int?  // the last histogram read since the last seek
        func read(_ k: Int) {
            let i = order[k].histogram
            guard i >= 0, !StaleNaN.isStale(histograms[i].h.sum) else { return }
            if hints[i] == nil {
                let stored = histograms[i].h.counterResetHint
                hints[i] = stored != .unknown ? stored
                    : last.map { histograms[i].h.isCounterReset(after: histograms[$0].h) ? .counterReset : .notCounterReset } ?? .unknown
            }
            last = i
        }
        var position = 0
        var sought = false
        for t in times where position < order.count {
            let windowStart = t - delta
            // The first step seeks; a later one only when its window starts past the
            // sample at hand, and seeking forward forgets the sample read before.
            if !sought || windowStart > order[position].t {
                if sought { last = nil }
                sought = true
                while position < order.count && order[position].t < windowStart { position += 1 }
            }
            while position < order.count && order[position].t < t {
                read(position)
                position += 1
            }
            if position < order.count && order[position].t == t { read(position) }
        }
        return histograms.indices.map { i in
            let h = histograms[i].h
            if StaleNaN.isStale(h.sum) { return histograms[i] }
            return HistogramSample(histograms[i].t, NativeHistogram(counterResetHint: hints[i] ?? h.counterResetHint,
                                                                    schema: h.schema, count: h.count, sum: h.sum))
        }
    }
}
