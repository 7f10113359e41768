import TSDB

/// Selecting series that hold native-histogram samples (alone or beside
/// floats): the slow, general path the float-only selectors hand them to.
extension Evaluator {
    /// A series' float samples (staleness markers kept) and histogram samples, decoded.
    mutating func loadMixed(_ series: Series) throws(PromQLError) -> (floats: [Sample], histograms: [HistogramSample]) {
        var floats: [Sample] = []
        try load(series, into: &floats, dropStale: false)
        let histograms: [HistogramSample]
        do { histograms = try series.histogramSamples() } catch {
            throw PromQLError("error reading series \(series.labels): \(error)")
        }
        samplesLoaded += histograms.count
        if samplesLoaded > options.maxSamples { throw Self.tooManySamples }
        return (floats, histograms)
    }

    /// An instant selector over a series with histogram samples: at each
    /// step the newest sample in (t − lookback, t], float or histogram,
    /// unless it is a staleness marker (a histogram marker has a stale sum).
    mutating func mixedInstantSeries(_ series: Series, times: [Int64], lookback: Int64, sampleTimes: Bool) throws(PromQLError) -> StepSeries? {
        var (floats, histograms) = try loadMixed(series)
        if histogramStats == .on { histograms = Self.statsOnlyHistograms(histograms, floats: floats, times: times, delta: lookback) }
        var out = StepSeries(labels: series.labels, values: StepArrays.zeros(times.count), present: StepArrays.absent(times.count))
        var selected = 0
        for (i, t) in times.enumerated() {
            let f = Self.newest(floats, atOrBefore: t) { $0.t }
            let h = Self.newest(histograms, atOrBefore: t) { $0.t }
            let float = f.map { floats[$0] }, histogram = h.map { histograms[$0] }
            // The newer one counts; on a tie (overlapping blocks) the float.
            if let histogram, histogram.t > float?.t ?? .min {
                guard histogram.t > t - lookback, !StaleNaN.isStale(histogram.h.sum) else { continue }
                if sampleTimes {
                    out.values[i] = Double(histogram.t) / 1000
                    out.present[i] = true
                } else {
                    out.setHistogram(i, histogram.h, steps: times.count)
                }
            } else if let float {
                guard float.t > t - lookback, !StaleNaN.isStale(float.v) else { continue }
                out.values[i] = sampleTimes ? Double(float.t) / 1000 : float.v
                out.present[i] = true
            } else {
                continue
            }
            selected += 1
        }
        countSelected(selected)
        return selected > 0 ? out : nil
    }

    /// Index of the last element with time ≤ `t` (elements in time order).
    static func newest<T>(_ xs: [T], atOrBefore t: Int64, time: (T) -> Int64) -> Int? {
        var lo = 0, hi = xs.count  // first index with time > t
        while lo < hi {
            let mid = (lo + hi) / 2
            if time(xs[mid]) <= t { lo = mid + 1 } else { hi = mid }
        }
        return lo > 0 ? lo - 1 : nil
    }
}

extension Evaluator {
    /// A `smoothed` instant selector over a series with histogram samples:
    /// at each step the sample at t, else the histogram on the line between
    /// the newest sample before t and the next one after it (each within the
    /// lookback delta; across a counter reset, from zero), else the newest.
    /// Floats and histograms around the same step give no value and a warning.
    mutating func smoothedMixedSeries(_ series: Series, times: [Int64], lookback: Int64, position: Int) throws(PromQLError) -> StepSeries? {
        var (floats, histograms) = try loadMixed(series)
        floats.removeAll { StaleNaN.isStale($0.v) }
        histograms.removeAll { StaleNaN.isStale($0.h.sum) }
        let metric = series.labels.metricName
        var out = StepSeries(labels: series.labels, values: StepArrays.zeros(times.count), present: StepArrays.absent(times.count))
        var any = false
        for (i, t) in times.enumerated() {
            let f = Self.window(floats, after: t - lookback, upTo: t + lookback) { $0.t }
            let h = Self.window(histograms, after: t - lookback, upTo: t + lookback) { $0.t }
            if !f.isEmpty && !h.isEmpty {
                annotations.mixedFloatsHistograms(metric: metric, at: position)
                continue
            }
            if !f.isEmpty {
                let prev = floats[f].last { $0.t <= t }, next = floats[f].first { $0.t > t }
                guard let prev else { continue }
                out.values[i] = next.map { Self.interpolate(prev, $0, at: t, counter: false) } ?? prev.v
                out.present[i] = true
                any = true
                continue
            }
            guard let prev = histograms[h].last(where: { $0.t <= t }) else { continue }
            var value = prev.h
            if prev.t < t, let next = histograms[h].first(where: { $0.t > t }) {
                guard prev.h.usesCustomBuckets == next.h.usesCustomBuckets else {
                    annotations.mixedExponentialCustomHistograms(metric: metric, at: position)
                    continue
                }
                guard let interpolated = interpolate(prev, next, at: t, counter: prev.h.counterResetHint != .gauge,
                                                     metric: metric, position: position) else { continue }
                value = interpolated
            }
            out.setHistogram(i, value, steps: times.count)
            any = true
        }
        return any ? out : nil
    }
}
