import TSDB

/// `anchored` and `smoothed` range selectors over histogram samples
/// (Prometheus' `extendedHistogramRate`): `rate`, `increase` and `delta`
/// take the histograms at the window's edges (the anchor sample before the
/// window, or values interpolated at the edges), subtract, and add back
/// what counter resets in between lost; `changes` and `resets` count from
/// the anchor sample.
extension Evaluator {
    /// One step of an extended window over a series with histogram samples;
    /// `w` holds every sample the step may use (see `RangeExtension.reach`).
    mutating func extendedHistogramWindow(_ name: String, _ w: MixedWindow, smoothed: Bool, metric: String,
                                          position: Int) -> StepValue? {
        switch name {
        case "rate", "increase", "delta":
            if !w.floats.isEmpty {
                annotations.mixedFloatsHistograms(metric: metric, at: position)
                return nil
            }
            return extendedHistogramRate(Array(w.histograms), w, smoothed: smoothed, counter: name != "delta", rate: name == "rate",
                                         metric: metric, position: position).map(StepValue.histogram)
        case "changes", "resets":
            // From the anchor: the newest sample at or before the window start, of either kind.
            let anchorT = Swift.max(w.floats.last { $0.t <= w.rangeStart }?.t ?? .min, w.histograms.last { $0.t <= w.rangeStart }?.t ?? .min)
            var anchored = w
            anchored.floats = w.floats.filter { $0.t >= anchorT && $0.t <= w.rangeEnd }[...]
            anchored.histograms = w.histograms.filter { $0.t >= anchorT && $0.t <= w.rangeEnd }[...]
            guard anchored.floats.contains(where: { $0.t > w.rangeStart }) || anchored.histograms.contains(where: { $0.t > w.rangeStart }) else {
                return nil
            }
            return .float(Double(Self.countTransitions(anchored, resets: name == "resets")))
        default:
            return nil
        }
    }

    mutating func extendedHistogramRate(_ h: [HistogramSample], _ w: MixedWindow, smoothed: Bool, counter: Bool, rate: Bool,
                                        metric: String, position: Int) -> NativeHistogram? {
        guard !h.isEmpty else { return nil }
        let lastPossible = h.count - 1
        var first = Swift.max(0, (h[..<lastPossible].firstIndex { $0.t > w.rangeStart } ?? lastPossible) - 1)
        let last = smoothed ? (h[..<lastPossible].firstIndex { $0.t >= w.rangeEnd } ?? lastPossible) : lastPossible
        if h[last].t <= w.rangeStart || (smoothed && h[first].t > w.rangeEnd) { return nil }
        let custom = h[first].h.usesCustomBuckets
        for p in h[first...last] {
            guard p.h.usesCustomBuckets == custom else {
                annotations.mixedExponentialCustomHistograms(metric: metric, at: position)
                return nil
            }
            if counter && p.h.counterResetHint == .gauge { annotations.histogramNotCounter(metric: metric, at: position) }
        }
        func edge(_ a: HistogramSample, _ b: HistogramSample, at t: Int64) -> NativeHistogram? {
            interpolate(a, b, at: t, counter: counter, metric: metric, position: position)
        }
        guard let left = smoothed && h[first].t < w.rangeStart ? edge(h[first], h[first + 1], at: w.rangeStart) : h[first].h,
              let right = smoothed && last > 0 && h[last].t > w.rangeEnd ? edge(h[last - 1], h[last], at: w.rangeEnd) : h[last].h else {
            return nil
        }
        if !counter && (left.counterResetHint != .gauge || right.counterResetHint != .gauge) {
            annotations.histogramNotGauge(metric: metric, at: position)
        }
        guard var result = combine(right, left, subtract: true, metric: metric, position: position) else { return nil }
        if counter {
            // Resets between the edges: each adds back the value before it.
            var prev = left
            if smoothed && h[first].t < w.rangeStart && h[first + 1].h.isCounterReset(after: h[first].h) {
                prev = h[first + 1].h  // the left edge's interpolation already spanned this reset
                first += 1
            }
            var correction: NativeHistogram?
            if first + 1 <= last {
                for p in h[(first + 1)..<last] {
                    if p.h.isCounterReset(after: prev) {
                        guard let c = correction.map({ combine($0, prev, subtract: false, metric: metric, position: position) }) ?? prev else { return nil }
                        correction = c
                    }
                    prev = p.h
                }
                if right.isCounterReset(after: prev) {
                    guard let c = correction.map({ combine($0, prev, subtract: false, metric: metric, position: position) }) ?? prev else { return nil }
                    correction = c
                }
            }
            if let correction {
                guard let total = combine(result, correction, subtract: false, metric: metric, position: position) else { return nil }
                result = total
            }
        }
        if rate { result = result.divided(by: Double(w.range) / 1000) }
        result.counterResetHint = .gauge
        return result.compacted()
    }

    /// The histogram at `t` on the line from `a` to `b`; for counters across a reset, from zero.
    mutating func interpolate(_ a: HistogramSample, _ b: HistogramSample, at t: Int64, counter: Bool, metric: String,
                              position: Int) -> NativeHistogram? {
        if t == a.t { return a.h }
        if t == b.t { return b.h }
        let fraction = Double(t - a.t) / Double(b.t - a.t)
        if counter && b.h.isCounterReset(after: a.h) { return b.h.scaled(by: fraction) }
        guard let difference = combine(b.h, a.h, subtract: true, metric: metric, position: position) else { return nil }
        return combine(difference.scaled(by: fraction), a.h, subtract: false, metric: metric, position: position)
    }

    /// `a ± b` with the annotations Prometheus raises; nil (and a warning) if they cannot be combined.
    mutating func combine(_ a: NativeHistogram, _ b: NativeHistogram, subtract: Bool, metric: String, position: Int) -> NativeHistogram? {
        do {
            let (result, reconciliation) = subtract ? try a.subtracting(b) : try a.adding(b)
            if reconciliation.customBoundsIntersected {
                annotations.reconciledCustomBuckets(during: subtract ? "subtraction" : "addition", at: position)
            }
            return result
        } catch {
            annotations.incompatibleHistograms(error, metric: metric, at: position)
            return nil
        }
    }
}
