import TSDB

/// The experimental `anchored` and `smoothed` selector modifiers
/// (Prometheus 3, `promql-extended-range-selectors`).
///
/// - `foo[5m] anchored`: the window (t - 5m, t] starts with the last sample
///   at or before t - 5m (looked for up to the lookback delta back), so
///   `increase` is the plain difference of the edge values, with counter
///   resets added back and no extrapolation; `changes` and `resets` count the
///   step into the window too.
/// - `foo[5m] smoothed`: the values at both edges are interpolated between
///   the samples around them (up to the lookback delta beyond each edge); for
///   counters across a reset, from zero.
/// - `foo smoothed`: the value at t interpolated between the samples around
///   it; after the last one, that one's value.
extension Evaluator {
    /// How far past its edges a range selector's windows look.
    struct RangeExtension: Sendable {
        let smoothed: Bool
        let lookback: Int64

        /// The samples a window (rangeStart, rangeEnd] may use: (rangeStart - lookback, rangeEnd (+ lookback)].
        func reach(rangeStart: Int64, rangeEnd: Int64) -> (after: Int64, upTo: Int64) {
            (rangeStart - lookback, smoothed ? rangeEnd + lookback : rangeEnd)
        }
    }

    /// Calls `f(samples, rangeStart, rangeEnd, step)` with the samples each
    /// step's extended window may use (see `RangeExtension.reach`).
    static func extendedRow(
        _ samples: UnsafeBufferPointer<Sample>, times: [Int64], range: Int64, extension ext: RangeExtension, steps: Int,
        interrupted: () -> Bool, _ f: (UnsafeBufferPointer<Sample>, Int64, Int64, Int) -> Double?
    ) -> StepRow? {
        var values = StepArrays.zeros(steps)
        var present = StepArrays.absent(steps)
        var any = false
        var selected = 0
        for i in 0..<steps {
            if i % interruptionCheckSteps == interruptionCheckSteps - 1 && interrupted() { return nil }
            let rangeEnd = times[i], rangeStart = rangeEnd - range
            let reach = ext.reach(rangeStart: rangeStart, rangeEnd: rangeEnd)
            let lo = firstIndex(after: reach.after, in: samples), hi = firstIndex(after: reach.upTo, in: samples)
            guard lo < hi, let v = f(UnsafeBufferPointer(rebasing: samples[lo..<hi]), rangeStart, rangeEnd, i) else { continue }
            selected += hi - lo
            values[i] = v
            present[i] = true
            any = true
        }
        return any ? StepRow(values: values, present: present, selected: selected) : nil
    }

    /// The first index whose sample is later than `t` (binary search).
    static func firstIndex(after t: Int64, in samples: UnsafeBufferPointer<Sample>, below end: Int? = nil) -> Int {
        var lo = 0, hi = end ?? samples.count
        while lo < hi {
            let mid = (lo + hi) / 2
            if samples[mid].t > t { hi = mid } else { lo = mid + 1 }
        }
        return lo
    }

    /// The edge samples of an extended window over `f` (the samples it may
    /// use): `first` is the last at or before `rangeStart` (else the first),
    /// `last` the newest (anchored) or the first at or after `rangeEnd`
    /// (smoothed; else the newest). Nil when no sample falls in the window.
    static func extendedEdges(_ f: UnsafeBufferPointer<Sample>, rangeStart: Int64, rangeEnd: Int64,
                              smoothed: Bool) -> (first: Int, last: Int)? {
        let n = f.count
        let first = max(0, firstIndex(after: rangeStart, in: f, below: n - 1) - 1)
        // Smoothed: the first sample at or after rangeEnd (timestamps are whole milliseconds).
        let last = smoothed ? firstIndex(after: rangeEnd - 1, in: f, below: n - 1) : n - 1
        if f[last].t <= rangeStart || (smoothed && f[first].t > rangeEnd) { return nil }
        return (first, last)
    }

    /// The value of the line through `a` and `b` at `t`; for counters that
    /// fall from `a` to `b`, the line from zero (the counter restarted).
    static func interpolate(_ a: Sample, _ b: Sample, at t: Int64, counter: Bool) -> Double {
        let y1 = counter && b.v < a.v ? 0 : a.v
        return y1 + (b.v - y1) * Double(t - a.t) / Double(b.t - a.t)
    }

    /// The values at a window's two edges: the edge samples', or with `smoothed`
    /// interpolated where the edge sample lies outside the window.
    static func edgeValues(_ f: UnsafeBufferPointer<Sample>, _ e: (first: Int, last: Int), rangeStart: Int64, rangeEnd: Int64,
                           smoothed: Bool, counter: Bool) -> (left: Double, right: Double) {
        let left = smoothed && f[e.first].t < rangeStart
            ? interpolate(f[e.first], f[e.first + 1], at: rangeStart, counter: counter) : f[e.first].v
        let right = smoothed && e.last > 0 && f[e.last].t > rangeEnd
            ? interpolate(f[e.last - 1], f[e.last], at: rangeEnd, counter: counter) : f[e.last].v
        return (left, right)
    }

    /// `rate`, `increase` and `delta` over an anchored or smoothed window:
    /// the difference of the edge values, counter resets inside added back.
    static func extendedRate(_ f: UnsafeBufferPointer<Sample>, rangeStart: Int64, rangeEnd: Int64, smoothed: Bool,
                             counter: Bool, rate: Bool) -> Double? {
        guard let e = extendedEdges(f, rangeStart: rangeStart, rangeEnd: rangeEnd, smoothed: smoothed) else { return nil }
        let (left, right) = edgeValues(f, e, rangeStart: rangeStart, rangeEnd: rangeEnd, smoothed: smoothed, counter: counter)
        var result = right - left
        if counter {
            // Resets at the edges are in the edge values; look only between them.
            let from = f[e.first].t <= rangeStart ? e.first + 1 : e.first
            let to = f[e.last].t >= rangeEnd ? e.last - 1 : e.last
            var prev = left
            if from <= to {
                for k in from...to {
                    if f[k].v < prev { result += prev }
                    prev = f[k].v
                }
            }
            if right < prev { result += prev }
        }
        return rate ? result / (Double(rangeEnd - rangeStart) / 1000) : result
    }

    /// An anchored window's samples for `changes` and `resets`: the anchor
    /// (if any) followed by the samples in the window.
    static func anchoredSamples(_ f: UnsafeBufferPointer<Sample>, rangeStart: Int64, rangeEnd: Int64) -> UnsafeBufferPointer<Sample>? {
        guard let e = extendedEdges(f, rangeStart: rangeStart, rangeEnd: rangeEnd, smoothed: false) else { return nil }
        return UnsafeBufferPointer(rebasing: f[e.first...e.last])
    }

    /// A range selector's points at one time with the window's edges made
    /// explicit: a point at each edge (the edge values), the samples between.
    static func extendedPoints(_ f: UnsafeBufferPointer<Sample>, rangeStart: Int64, rangeEnd: Int64, smoothed: Bool) -> [Sample] {
        guard !f.isEmpty, let e = extendedEdges(f, rangeStart: rangeStart, rangeEnd: rangeEnd, smoothed: smoothed) else { return [] }
        let (left, right) = edgeValues(f, e, rangeStart: rangeStart, rangeEnd: rangeEnd, smoothed: smoothed, counter: false)
        let from = f[e.first].t <= rangeStart ? e.first + 1 : e.first
        let to = f[e.last].t >= rangeEnd ? e.last - 1 : e.last
        var out = [Sample(rangeStart, left)]
        if from <= to { out.append(contentsOf: f[from...to]) }
        out.append(Sample(rangeEnd, right))
        return out
    }

    /// A smoothed instant selector at every step: the sample at t, else the
    /// line between the newest sample before t and the next one after it
    /// (each within the lookback delta), else the newest sample's value.
    /// Stale markers end the series as usual.
    static func smoothedRow(_ samples: UnsafeBufferPointer<Sample>, times: [Int64], lookback: Int64, steps: Int) -> StepRow? {
        var values = StepArrays.zeros(steps)
        var present = StepArrays.absent(steps)
        var any = false
        var selected = 0
        for i in 0..<steps {
            let t = times[i]
            let next = firstIndex(after: t, in: samples)
            guard next > 0 else { continue }
            let prev = samples[next - 1]
            guard prev.t > t - lookback && !StaleNaN.isStale(prev.v) else { continue }
            var v = prev.v
            if prev.t < t, next < samples.count, samples[next].t <= t + lookback, !StaleNaN.isStale(samples[next].v) {
                v = interpolate(prev, samples[next], at: t, counter: false)
            }
            values[i] = v
            present[i] = true
            any = true
            selected += 1
        }
        return any ? StepRow(values: values, present: present, selected: selected) : nil
    }
}
