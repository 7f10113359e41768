import TSDB

/// Range functions over series that hold native-histogram samples (alone or
/// beside floats): the general, slower path `rangeFunction` hands them to.
/// Each step's window holds the float samples and the histogram samples in
/// (t − range, t], staleness markers left out.
extension Evaluator {
    /// One step's window of a series with histogram samples.
    struct MixedWindow {
        var floats: ArraySlice<Sample>
        var histograms: ArraySlice<HistogramSample>
        let rangeStart: Int64
        let rangeEnd: Int64
        let range: Int64
        var isEmpty: Bool { floats.isEmpty && histograms.isEmpty }
    }

    /// A step's value: a float or a histogram.
    enum StepValue {
        case float(Double)
        case histogram(NativeHistogram)
    }

    /// `c` (a range function) over the series of `source` at `indices`, which hold histogram samples
    /// (stored series, or the points of a subquery), spread over the cores
    /// when there is enough work (`forEachForked`).
    mutating func histogramWindows(_ c: Call, _ f: WindowFunction, source: WindowSource, indices: [Int],
                                   params: [Double]?, dropName: Bool) throws(PromQLError) -> [StepSeries] {
        let work: Int = switch source.input {
        case .stored(let series): indices.reduce(0) { $0 + series[$1].encodedHistogramByteCount }
        case .computed(let series): indices.reduce(0) { $0 + series[$1].histograms.count }
        }
        return try forEachForked(count: indices.count, work: (work + indices.count * steps) * Parallel.histogramWeight) { ev, j throws(PromQLError) in
            try ev.histogramWindowRow(c, f, source: source, series: indices[j], params: params, dropName: dropName)
        }.compactMap { $0 }
    }

    /// `c` over one series of `source` (index `k`): nil when no step has a value.
    mutating func histogramWindowRow(_ c: Call, _ f: WindowFunction, source: WindowSource, series k: Int,
                                     params: [Double]?, dropName: Bool) throws(PromQLError) -> StepSeries? {
        let name = c.function.name, position = c.argPosition(0)
        var floats: [Sample], histograms: [HistogramSample]
        switch source.input {
        case .stored(let series):
            (floats, histograms) = try loadMixed(series[k])
            if histogramStats == .on {
                histograms = Self.statsOnlyHistograms(histograms, floats: floats, times: source.times, delta: source.range)
            }
        case .computed(let series): (floats, histograms) = (series[k].points, series[k].histograms)
        }
        floats.removeAll { StaleNaN.isStale($0.v) }
        histograms.removeAll { StaleNaN.isStale($0.h.sum) }
        let labels = source.labels(k)
        let metric = labels.metricName
        var row = StepSeries(labels: labels, values: StepArrays.zeros(steps), present: StepArrays.absent(steps),
                             dropName: dropName)
        var selected = 0
        for i in 0..<steps {
            let t = source.times[i]
            let lo = t - source.range
            // Extended windows may use samples beyond their edges.
            let reach = source.rangeExtension?.reach(rangeStart: lo, rangeEnd: t) ?? (after: lo, upTo: t)
            let fRange = Self.window(floats, after: reach.after, upTo: reach.upTo) { $0.t }
            let hRange = Self.window(histograms, after: reach.after, upTo: reach.upTo) { $0.t }
            let w = MixedWindow(floats: floats[fRange], histograms: histograms[hRange], rangeStart: lo, rangeEnd: t,
                                range: source.range)
            guard !w.isEmpty else { continue }
            selected += w.floats.count + w.histograms.count
            let value: StepValue?
            if let ext = source.rangeExtension {
                if !w.histograms.isEmpty, ["rate", "increase", "delta", "changes", "resets"].contains(name) {
                    value = extendedHistogramWindow(name, w, smoothed: ext.smoothed, metric: metric, position: position)
                } else {
                    value = w.floats.isEmpty ? nil : extendedFloatWindow(w, f, ext: ext, name: name, param: params?[i] ?? 0, step: i)
                }
            } else if w.histograms.isEmpty || !Self.histogramRangeFunctions.contains(name) {
                // Functions of floats (and anchored or smoothed windows): the floats alone,
                // with an info when histograms were left out beside them.
                if !w.histograms.isEmpty && !w.floats.isEmpty {
                    annotations.histogramsIgnoredInMixedRange(metric: metric, at: position)
                }
                value = w.floats.isEmpty ? nil : floatWindow(w, f, param: params?[i] ?? 0, step: i).map(StepValue.float)
            } else {
                value = histogramWindow(name, w, metric: metric, position: position)
            }
            switch value {
            case .float(let v)?:
                row.values[i] = v
                row.present[i] = true
            case .histogram(let h)?:
                row.setHistogram(i, h, steps: steps)
            case nil:
                break
            }
        }
        countSelected(selected)
        return row.present.contains(true) || row.histograms != nil ? row : nil
    }

    /// An extended window's float samples, as the float path evaluates them.
    func extendedFloatWindow(_ w: MixedWindow, _ f: WindowFunction, ext: RangeExtension, name: String, param: Double,
                             step i: Int) -> StepValue? {
        Array(w.floats).withUnsafeBufferPointer { reachable -> StepValue? in
            switch name {
            case "rate", "increase", "delta":
                return Self.extendedRate(reachable, rangeStart: w.rangeStart, rangeEnd: w.rangeEnd, smoothed: ext.smoothed,
                                         counter: name != "delta", rate: name == "rate").map(StepValue.float)
            default:
                guard let anchored = Self.anchoredSamples(reachable, rangeStart: w.rangeStart, rangeEnd: w.rangeEnd) else { return nil }
                let window = Window(samples: anchored, rangeStart: w.rangeStart, rangeEnd: w.rangeEnd, range: w.range,
                                    param: param, stepTime: time(i), noCounterResets: false)
                return f.apply(window).map(StepValue.float)
            }
        }
    }

    /// The float function over a window's float samples.
    func floatWindow(_ w: MixedWindow, _ f: WindowFunction, param: Double, step i: Int) -> Double? {
        Array(w.floats).withUnsafeBufferPointer { samples in
            let window = Window(samples: samples, rangeStart: w.rangeStart, rangeEnd: w.rangeEnd, range: w.range,
                                param: param, stepTime: time(i), noCounterResets: false)
            return f.apply(window)
        }
    }

    /// The indices of `xs` (in time order) with time in (after, upTo].
    static func window<T>(_ xs: [T], after: Int64, upTo: Int64, time: (T) -> Int64) -> Range<Int> {
        let lo = (newest(xs, atOrBefore: after, time: time) ?? -1) + 1
        let hi = (newest(xs, atOrBefore: upTo, time: time) ?? -1) + 1
        return lo..<Swift.max(lo, hi)
    }

    /// One step of a range function over a window with histogram samples.
    mutating func histogramWindow(_ name: String, _ w: MixedWindow, metric: String, position: Int) -> StepValue? {
        let mixed = !w.floats.isEmpty && !w.histograms.isEmpty
        switch name {
        case "rate", "increase", "delta":
            if mixed { annotations.mixedFloatsHistograms(metric: metric, at: position); return nil }
            guard w.histograms.count >= 2 else { return nil }
            return extrapolatedHistogramRate(w, counter: name != "delta", rate: name == "rate", metric: metric, position: position)
                .map(StepValue.histogram)
        case "irate", "idelta":
            return instantHistogramDelta(w, rate: name == "irate", metric: metric, position: position)
        case "sum_over_time", "avg_over_time":
            if mixed { annotations.mixedFloatsHistograms(metric: metric, at: position); return nil }
            guard let total = compensatedTotal(w.histograms.map(\.h), mean: name == "avg_over_time", metric: metric,
                                               position: position) else { return nil }
            return .histogram(total.compacted())
        case "count_over_time":
            return .float(Double(w.floats.count + w.histograms.count))
        case "present_over_time", "absent_over_time":
            return .float(1)
        case "last_over_time":
            if let h = w.histograms.last, h.t > w.floats.last?.t ?? .min { return .histogram(h.h) }
            return w.floats.last.map { .float($0.v) }
        case "first_over_time":
            if let h = w.histograms.first, h.t < w.floats.first?.t ?? .max { return .histogram(h.h) }
            return w.floats.first.map { .float($0.v) }
        case "changes", "resets":
            return .float(Double(Self.countTransitions(w, resets: name == "resets")))
        case "ts_of_last_over_time":
            return .float(Double(Swift.max(w.floats.last?.t ?? .min, w.histograms.last?.t ?? .min)) / 1000)
        case "ts_of_first_over_time":
            return .float(Double(Swift.min(w.floats.first?.t ?? .max, w.histograms.first?.t ?? .max)) / 1000)
        default:
            return nil
        }
    }

    /// The range functions that read histogram samples; the others read floats only.
    static let histogramRangeFunctions: Set<String> = [
        "rate", "increase", "delta", "irate", "idelta", "sum_over_time", "avg_over_time", "count_over_time",
        "present_over_time", "absent_over_time", "last_over_time", "first_over_time", "changes", "resets", "ts_of_last_over_time",
        "ts_of_first_over_time",
    ]

    /// `changes` and `resets` over floats and histograms in time order: a
    /// switch between the two kinds counts as one.
    static func countTransitions(_ w: MixedWindow, resets: Bool) -> Int {
        var n = 0
        var previous: StepValue?
        var i = w.floats.startIndex, j = w.histograms.startIndex
        while i < w.floats.endIndex || j < w.histograms.endIndex {
            let current: StepValue
            if j == w.histograms.endIndex || (i < w.floats.endIndex && w.floats[i].t < w.histograms[j].t) {
                current = .float(w.floats[i].v)
                i += 1
            } else {
                current = .histogram(w.histograms[j].h)
                j += 1
            }
            defer { previous = current }
            switch (previous, current) {
            case (nil, _): break
            case (.float(let a)?, .float(let b)):
                if resets ? b < a : !(a == b || (a.isNaN && b.isNaN)) { n += 1 }
            case (.histogram(let a)?, .histogram(let b)):
                if resets ? b.isCounterReset(after: a) : !b.isIdentical(to: a) || b.zeroThreshold.bitPattern != a.zeroThreshold.bitPattern { n += 1 }
            default:
                n += 1
            }
        }
        return n
    }

    /// The compensated sum or mean of histograms, with Prometheus' annotations; nil (and a warning) if they cannot be added.
    mutating func compensatedTotal(_ hs: [NativeHistogram], mean: Bool, metric: String, position: Int) -> NativeHistogram? {
        do {
            let (total, reconciliation) = try NativeHistogram.compensatedTotal(hs, mean: mean)
            if reconciliation.customBoundsIntersected {
                annotations.reconciledCustomBuckets(during: "aggregation", at: position)
            }
            if hs.contains(where: { $0.counterResetHint == .counterReset }) && hs.contains(where: { $0.counterResetHint == .notCounterReset }) {
                annotations.counterResetCollision(during: "aggregation", at: position)
            }
            return total
        } catch {
            annotations.incompatibleHistograms(error, metric: metric, at: position)
            return nil
        }
    }

    /// `rate`, `increase` and `delta` of histogram samples (Prometheus'
    /// `histogramRate` and its extrapolation): the last minus the first,
    /// at the coarsest schema, counter resets added back for counters,
    /// stretched to the window edges as for floats.
    mutating func extrapolatedHistogramRate(_ w: MixedWindow, counter: Bool, rate: Bool, metric: String,
                                            position: Int) -> NativeHistogram? {
        let points = w.histograms
        let first = points.first!, last = points.last!
        if counter && (first.h.counterResetHint == .gauge || last.h.counterResetHint == .gauge) {
            annotations.histogramNotCounter(metric: metric, at: position)
        }
        var prev = first.h
        var usingCustom = prev.usesCustomBuckets
        let second = points[points.startIndex + 1].h
        if counter && second.isCounterReset(after: prev) {
            // The first sample is only the state before a reset: its layout does not matter.
            prev = NativeHistogram(schema: second.schema, customValues: second.customValues)
            usingCustom = second.usesCustomBuckets
        }
        guard last.h.usesCustomBuckets == usingCustom else {
            annotations.mixedExponentialCustomHistograms(metric: metric, at: position)
            return nil
        }
        var minSchema = Swift.min(last.h.schema, prev.schema)
        for p in points.dropFirst().dropLast() where counter {
            if p.h.counterResetHint == .gauge { annotations.histogramNotCounter(metric: metric, at: position) }
            minSchema = Swift.min(minSchema, p.h.schema)
            guard p.h.usesCustomBuckets == usingCustom else {
                annotations.mixedExponentialCustomHistograms(metric: metric, at: position)
                return nil
            }
        }
        guard var h = combine(last.h.usesCustomBuckets ? last.h : last.h.reducingResolution(to: minSchema), prev, subtract: true,
                              metric: metric, position: position) else { return nil }
        if counter {
            var before = prev
            for p in points.dropFirst() {
                if p.h.isCounterReset(after: before) {
                    guard let total = combine(h, before, subtract: false, metric: metric, position: position) else { return nil }
                    h = total
                }
                before = p.h
            }
        } else if first.h.counterResetHint != .gauge || last.h.counterResetHint != .gauge {
            annotations.histogramNotGauge(metric: metric, at: position)
        }
        // Extrapolation, as for floats; the zero point of a counter is where its count would be 0.
        let sampled = Double(last.t - first.t) / 1000
        let average = sampled / Double(points.count - 1)
        let threshold = average * 1.1
        var toStart = Double(first.t - w.rangeStart) / 1000, toEnd = Double(w.rangeEnd - last.t) / 1000
        if toStart >= threshold { toStart = average / 2 }
        if counter && h.count > 0 && first.h.count >= 0 {
            toStart = Swift.min(toStart, sampled * (first.h.count / h.count))
        }
        if toEnd >= threshold { toEnd = average / 2 }
        var factor = (sampled + toStart + toEnd) / sampled
        if rate { factor /= Double(w.range) / 1000 }
        h = h.scaled(by: factor)
        h.counterResetHint = .gauge
        return h.compacted()
    }

    /// `irate` and `idelta` over the last two samples of either kind.
    mutating func instantHistogramDelta(_ w: MixedWindow, rate: Bool, metric: String, position: Int) -> StepValue? {
        var lastTwo: [(t: Int64, value: StepValue)] = w.floats.suffix(2).map { ($0.t, .float($0.v)) }
        lastTwo += w.histograms.suffix(2).map { ($0.t, .histogram($0.h)) }
        lastTwo.sort { $0.t < $1.t }
        guard lastTwo.count >= 2 else { return nil }
        let (a, b) = (lastTwo[lastTwo.count - 2], lastTwo[lastTwo.count - 1])
        let interval = b.t - a.t
        guard interval != 0 else { return nil }
        switch (a.value, b.value) {
        case (.histogram(let x), .histogram(let y)):
            if rate && (x.counterResetHint == .gauge || y.counterResetHint == .gauge) {
                annotations.histogramNotCounter(metric: metric, at: position)
            }
            if !rate && (x.counterResetHint != .gauge || y.counterResetHint != .gauge) {
                annotations.histogramNotGauge(metric: metric, at: position)
            }
            var result = y
            if !rate || !y.isCounterReset(after: x) {
                guard let difference = combine(y, x, subtract: true, metric: metric, position: position) else { return nil }
                result = difference
            }
            result.counterResetHint = .gauge
            if rate { result = result.divided(by: Double(interval) / 1000) }
            return .histogram(result.compacted())
        case (.float(let x), .float(let y)):
            var result = y - x
            if rate && y < x { result = y }
            if rate { result /= Double(interval) / 1000 }
            return .float(result)
        default:
            annotations.mixedFloatsHistograms(metric: metric, at: position)
            return nil
        }
    }
}
