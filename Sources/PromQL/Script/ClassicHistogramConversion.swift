import TSDB

/// What promqltest's `load_with_nhcb` adds to a load: every classic
/// histogram (`X_bucket{le=…}`, `X_count`, `X_sum` with the same other
/// labels) also as a native histogram with custom buckets named `X`, one
/// sample per timestamp at which any of its series has a float sample
/// (Prometheus' `convertnhcb`).
enum ClassicHistogramConversion {
    /// One timestamp's collected values of one classic histogram.
    struct Collected {
        var buckets: [(le: Double, count: Double)] = []  // ascending le, cumulative counts
        var count: Double?
        var sum = 0.0
    }

    /// The native histograms to add, per series, in time order. Throws on
    /// input Prometheus refuses to convert (counts that are not cumulative,
    /// a count that differs from the +Inf bucket), naming the series.
    static func convert(_ points: [Labels: [Int64: SeriesPoint]]) throws(PromQLError) -> [(Labels, [HistogramSample])] {
        var collected: [Labels: [Int64: Collected]] = [:]
        for (labels, byTime) in points {
            let name = labels.metricName
            let base: Labels, apply: (inout Collected, Double) throws(PromQLError) -> Void
            if name.hasSuffix("_bucket") {
                guard let le = Evaluator.bucketBound(labels["le"]), !le.isNaN else { continue }
                base = labels.removing(["le"]).setting(Labels.metricName, to: String(name.dropLast(7)))
                apply = { c, v throws(PromQLError) in try setBucket(&c, le: le, count: v, series: labels) }
            } else if name.hasSuffix("_count") {
                base = labels.setting(Labels.metricName, to: String(name.dropLast(6)))
                apply = { c, v throws(PromQLError) in
                    guard v >= 0 else { throw PromQLError("load_with_nhcb: count must be non-negative in \(labels)") }
                    c.count = v
                }
            } else if name.hasSuffix("_sum") {
                base = labels.setting(Labels.metricName, to: String(name.dropLast(4)))
                apply = { c, v in c.sum = v }
            } else {
                continue
            }
            for (t, p) in byTime {
                guard case .value(let v) = p else { continue }
                try apply(&collected[base, default: [:]][t, default: Collected()], v)
            }
        }
        var out: [(Labels, [HistogramSample])] = []
        for (labels, byTime) in collected {
            var samples: [HistogramSample] = []
            for (t, c) in byTime.sorted(by: { $0.key < $1.key }) {
                samples.append(HistogramSample(t, try histogram(c, series: labels)))
            }
            out.append((labels, samples))
        }
        return out.sorted { $0.0 < $1.0 }
    }

    /// Adds a bucket in `le` order; a repeated `le` is ignored; counts must be cumulative.
    static func setBucket(_ c: inout Collected, le: Double, count: Double, series: Labels) throws(PromQLError) {
        guard count >= 0 else { throw PromQLError("load_with_nhcb: bucket count must be non-negative in \(series)") }
        let i = c.buckets.firstIndex { $0.le >= le } ?? c.buckets.count
        if i < c.buckets.count && c.buckets[i].le == le { return }
        if (i > 0 && count < c.buckets[i - 1].count) || (i < c.buckets.count && count > c.buckets[i].count) {
            throw PromQLError("load_with_nhcb: count is not cumulative in \(series)")
        }
        c.buckets.insert((le, count), at: i)
    }

    /// The custom-bucket histogram: bounds from the `le` values (+Inf
    /// implied), bucket counts as differences of the cumulative ones, empty
    /// buckets left out; the count from `_count`, else the highest bucket.
    static func histogram(_ c: Collected, series: Labels) throws(PromQLError) -> NativeHistogram {
        var buckets = c.buckets
        let count = c.count ?? buckets.last?.count ?? 0
        if buckets.last?.le != .infinity { buckets.append((.infinity, count)) }
        guard buckets[buckets.count - 1].count == count else {
            throw PromQLError("load_with_nhcb: count mismatch in \(series): count=\(count) != le=+Inf count=\(buckets[buckets.count - 1].count)")
        }
        var h = NativeHistogram(schema: NativeHistogram.customBucketsSchema, count: count, sum: c.sum,
                                customValues: buckets.dropLast().map(\.le))
        var previous = 0.0
        for (i, b) in buckets.enumerated() {
            let n = b.count - previous
            previous = b.count
            if n != 0 { h.positive.append(HistogramBucket(Int32(i), n)) }
        }
        return h
    }
}
