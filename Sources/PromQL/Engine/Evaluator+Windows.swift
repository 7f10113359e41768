import TSDB

/// Range-vector arguments: for every step, the samples of each series in
/// the step's window (t - range, t], found by sliding two cursors over the
/// series' samples. Series are decoded one at a time into one reused buffer.
extension Evaluator {
    /// A range-vector function: one step's value from its window, nil for none.
    /// A struct rather than a bare closure type: a closure stored in a
    /// dictionary is kept in its most general form and every call went
    /// through two reabstraction thunks that copy the window (a quarter of a
    /// cheap function's range query).
    struct WindowFunction: Sendable {
        let apply: @Sendable (Window) -> Double?

        init(_ apply: @escaping @Sendable (Window) -> Double?) { self.apply = apply }
    }

    /// The samples of one series in one step's window (never empty), with
    /// the window's geometry.
    struct Window: RandomAccessCollection {
        let samples: UnsafeBufferPointer<Sample>
        /// The window is (rangeStart, rangeEnd], `range` long.
        let rangeStart: Int64
        let rangeEnd: Int64
        let range: Int64
        /// The function's scalar argument at this step.
        let param: Double
        /// The step's own time (without `@` and offset).
        let stepTime: Int64
        /// True when no value in the window is smaller than the one before
        /// it, so counter functions need not look for resets.
        let noCounterResets: Bool

        var startIndex: Int { 0 }
        var endIndex: Int { samples.count }
        subscript(i: Int) -> Sample { samples[i] }

        /// The samples' values.
        var values: Values { Values(samples: samples) }

        /// The values of a window's samples as a collection of their own: generic
        /// code specialised for it reads them in a tight loop (a lazy map of the
        /// samples cost an indirect call per value, three quarters of `avg_over_time`).
        struct Values: RandomAccessCollection {
            let samples: UnsafeBufferPointer<Sample>
            var startIndex: Int { 0 }
            var endIndex: Int { samples.count }
            subscript(i: Int) -> Double { samples[i].v }
        }
    }

    /// The series of a range-vector argument: stored series (a range
    /// selector, decoded lazily) or points computed by a subquery.
    enum WindowInput {
        case stored([Series])
        case computed([RangeSeries])
    }

    /// A range-vector argument with its window geometry.
    struct WindowSource {
        let input: WindowInput
        let range: Int64
        /// The window end of every step (after `@` and offset).
        let times: [Int64]
        /// Set for `anchored` and `smoothed` selectors: the series hold samples past the windows' edges.
        var rangeExtension: RangeExtension? = nil

        var count: Int {
            switch input {
            case .stored(let s): s.count
            case .computed(let s): s.count
            }
        }

        /// Estimated cost of decoding every series and evaluating each
        /// step's window (see `Parallel.workPerTask`).
        func work(steps: Int) -> Int {
            let samples = switch input {
            case .stored(let s): s.reduce(0) { $0 + $1.encodedByteCount }
            case .computed(let s): s.reduce(0) { $0 + $1.points.count }
            }
            return samples + count * steps
        }

        func labels(_ k: Int) -> Labels {
            switch input {
            case .stored(let s): s[k].labels
            case .computed(let s): s[k].labels
            }
        }
    }

    /// Resolves a range-vector argument: a range selector's series (stale
    /// markers are dropped when decoded) or a subquery's points.
    mutating func windowSource(_ e: Expr) throws(PromQLError) -> WindowSource {
        switch e {
        case .matrixSelector(let ms):
            let offset = try offsetMillis(ms.selector.offset)
            let range = try ms.range.evaluate(step: query.step, range: query.range)
            let times = selectorTimes(at: ms.selector.at, offset: offset)
            if ms.selector.anchored || ms.selector.smoothed {
                let ext = RangeExtension(smoothed: ms.selector.smoothed, lookback: options.lookbackDelta)
                let reach = ext.reach(rangeStart: times.min()! - range, rangeEnd: times.max()!)
                let series = try selectSeries(ms.selector.matchers, mint: reach.after + 1, maxt: reach.upTo)
                return WindowSource(input: .stored(series), range: range, times: times, rangeExtension: ext)
            }
            let series = try selectSeries(ms.selector.matchers, mint: times.min()! - range + 1, maxt: times.max()!)
            return WindowSource(input: .stored(series), range: range, times: times)
        case .subquery(let sq):
            let (series, range, offset) = try subqueryPoints(sq)
            return WindowSource(input: .computed(series), range: range, times: selectorTimes(at: sq.at, offset: offset))
        case .paren(let inner):
            return try windowSource(inner)
        default:
            throw PromQLError("expected a range vector argument")
        }
    }

    /// Calls `f` with every non-empty window of every series of the range-vector
    /// `arg`; a series is in the result if `f` gave a value at some step.
    /// `params` holds the scalar argument per step; `scanResets` computes
    /// `Window.noCounterResets` (one pass per series finds its resets). Series are processed
    /// in parallel, each task decoding into its own buffer.
    /// With `extreme` (true: the maximum, false: the minimum) and several steps, rows come
    /// from `slidingExtremeRow` instead of calling `f` for every window; with `extrapolation`
    /// (rate, increase, delta), from `extrapolatedRate` with a memo per series.
    mutating func forEachWindow(
        of arg: Expr, dropName: Bool, params: [Double]? = nil, scanResets: Bool = false, extreme: Bool? = nil,
        extrapolation: (counter: Bool, rate: Bool)? = nil, fusion: FusionRequest? = nil,
        _ f: @Sendable (Window, Int) -> Double?
    ) throws(PromQLError) -> [StepSeries] {
        try forEachWindow(source: try windowSource(arg), dropName: dropName, params: params, scanResets: scanResets,
                          extreme: extreme, extrapolation: extrapolation, fusion: fusion, f)
    }

    /// `forEachWindow(of:…)` over a resolved source. With `skipHistogramSeries`,
    /// stored series that hold histogram samples are left out (the caller
    /// evaluates them with `histogramWindows`).
    mutating func forEachWindow(
        source: WindowSource, dropName: Bool, params: [Double]? = nil, scanResets: Bool = false, extreme: Bool? = nil,
        extrapolation: (counter: Bool, rate: Bool)? = nil, fusion: FusionRequest? = nil, skipHistogramSeries: Bool = false,
        _ f: @Sendable (Window, Int) -> Double?
    ) throws(PromQLError) -> [StepSeries] {
        let times = source.times, windowLength = source.range, steps = steps
        let fused = fusion.flatMap { fusedAggregation($0, source) }
        let sliding = steps > 1 && zip(times, times.dropFirst()).allSatisfy { $0 <= $1 } ? extreme : nil
        let (t0, dt) = (start, step)
        let (deadline, cancellation) = (deadline, options.cancellation)
        let interrupted: @Sendable () -> Bool = { ContinuousClock.now > deadline || cancellation?.isCancelled == true }
        @Sendable func compute(_ samples: UnsafeBufferPointer<Sample>) -> StepRow? {
            if let ext = source.rangeExtension {
                return Self.extendedRow(samples, times: times, range: windowLength, extension: ext, steps: steps,
                                        interrupted: interrupted) { reachable, rangeStart, rangeEnd, i in
                    if let (counter, rate) = extrapolation {
                        return Self.extendedRate(reachable, rangeStart: rangeStart, rangeEnd: rangeEnd, smoothed: ext.smoothed,
                                                 counter: counter, rate: rate)
                    }
                    // changes, resets: the anchor and the window's samples.
                    guard let w = Self.anchoredSamples(reachable, rangeStart: rangeStart, rangeEnd: rangeEnd) else { return nil }
                    return f(Window(samples: w, rangeStart: rangeStart, rangeEnd: rangeEnd, range: windowLength,
                                    param: params?[i] ?? 0, stepTime: t0 + Int64(i) * dt, noCounterResets: false), i)
                }
            }
            if let max = sliding {
                return Self.slidingExtremeRow(samples, times: times, range: windowLength, steps: steps, max: max,
                                              interrupted: interrupted)
            }
            var memo = ExtrapolationMemo()
            return Self.windowRow(samples, times: times, range: windowLength, steps: steps, scanResets: scanResets,
                           interrupted: interrupted) { w, i, monotonic in
                let window = Window(samples: w, rangeStart: times[i] - windowLength, rangeEnd: times[i], range: windowLength,
                                    param: params?[i] ?? 0, stepTime: t0 + Int64(i) * dt, noCounterResets: monotonic)
                if let (counter, rate) = extrapolation {
                    return Self.extrapolatedRate(window, counter: counter, rate: rate, memo: &memo)
                }
                return f(window, i)
            }
        }
        let split = fused.map { (tasks: $0.tasks, grain: $0.grain) }
        let rows = try decodeRows(count: source.count, work: source.work(steps: steps), split: split) { k, buffer throws(PromQLError) in
            switch source.input {
            case .stored(let series):
                if skipHistogramSeries && series[k].hasHistograms {
                    buffer.removeAll()
                    return
                }
                try Self.decode(series[k], into: &buffer, dropStale: true)
            case .computed(let series): buffer = skipHistogramSeries && !series[k].histograms.isEmpty ? [] : series[k].points
            }
        } row: { k, samples in
            let row = compute(samples)
            guard let fused, let row else { return row }
            fused.add(k, row)
            return StepRow(values: [], present: [], selected: row.selected)  // the series had values; its row is spent
        }
        try checkDeadline()  // rows cut short by a timeout or cancellation must not count
        var out: [StepSeries] = []
        for (k, row) in rows.enumerated() {
            guard let row else { continue }
            out.append(StepSeries(labels: source.labels(k), values: row.values, present: row.present, dropName: dropName))
        }
        return out
    }

    /// Ranges per task when rows are aggregated as they are made: each range
    /// holds a partial state per group, so fewer than for plain rows.
    static let fusedRangesPerTask = 2

    /// The aggregation `fusion` asks for, over `source`'s series, if it pays:
    /// the query has several steps, more than one task decodes, and the
    /// partial states (groups × ranges) stay a third of the rows they replace.
    func fusedAggregation(_ fusion: FusionRequest, _ source: WindowSource) -> FusedAggregation? {
        guard steps > 1, FusedAggregation.supports(fusion.op) else { return nil }
        let tasks = Parallel.tasks(count: source.count, work: source.work(steps: steps))
        guard tasks > 1 else { return nil }
        let groupOf = (0..<source.count).map { fusion.grouping.id(of: source.labels($0)) }
        let grain = Parallel.grain(count: source.count, tasks: tasks, rangesPerTask: Self.fusedRangesPerTask)
        let ranges = (source.count + grain - 1) / grain
        guard fusion.grouping.count * ranges * 3 <= source.count else { return nil }
        let fused = FusedAggregation(op: fusion.op, groupOf: groupOf, groupCount: fusion.grouping.count, steps: steps,
                                     tasks: tasks, grain: grain)
        fusion.result = fused
        return fused
    }

    /// Slides the window over `samples` and calls `f(window, step, noCounterResets)` at each step;
    /// with `scanResets`, `noCounterResets` tells whether no value in the window is smaller than
    /// the one before it (so counter functions need not look), else it is false.
    /// Every `interruptionCheckSteps` steps it asks `interrupted` (deadline, cancellation) and gives up if so.
    static func windowRow(
        _ samples: UnsafeBufferPointer<Sample>, times: [Int64], range: Int64, steps: Int, scanResets: Bool,
        interrupted: () -> Bool = { false }, _ f: (UnsafeBufferPointer<Sample>, Int, Bool) -> Double?
    ) -> StepRow? {
        let resets = scanResets ? decreases(samples) : []
        var values = StepArrays.zeros(steps)
        var present = StepArrays.absent(steps)
        var any = false
        var selected = 0
        // Written through buffer pointers: an array subscript checked uniqueness at every step.
        let finished = values.withUnsafeMutableBufferPointer { values in
            present.withUnsafeMutableBufferPointer { present in
                var lo = 0, hi = 0
                var loStride = 0, hiStride = 0
                var nextReset = 0  // the first decrease after `lo`
                for i in 0..<steps {
                    if i % interruptionCheckSteps == interruptionCheckSteps - 1 && interrupted() { return false }
                    let t = times[i]
                    if i > 0 && t < times[i - 1] { lo = 0; hi = 0; nextReset = 0 }
                    hi = firstLater(than: t, in: samples, from: hi, end: samples.count, stride: &hiStride)
                    lo = firstLater(than: t - range, in: samples, from: lo, end: hi, stride: &loStride)
                    while nextReset < resets.count && resets[nextReset] <= lo { nextReset += 1 }
                    selected += hi - lo
                    let noResets = scanResets && (nextReset == resets.count || resets[nextReset] >= hi)
                    guard lo < hi, let v = f(UnsafeBufferPointer(rebasing: samples[lo..<hi]), i, noResets) else { continue }
                    values[i] = v
                    present[i] = true
                    any = true
                }
                return true
            }
        }
        return finished && any ? StepRow(values: values, present: present, selected: selected) : nil
    }

    /// Steps between two looks at the clock for the deadline (a step costs
    /// tens of nanoseconds; reading the clock every 16 took 4 % of a query).
    static let interruptionCheckSteps = 256

    /// The first index in `from..<end` whose sample is later than `t`, or `end`.
    /// With regular scrapes a window edge moves by the same number of samples
    /// at every step: `from + stride` (the last move) is checked first, with
    /// two well-predicted comparisons; a scan that stops at a varying count
    /// mispredicts its exit branch (8 % of an 8 h range query at 60 s steps).
    @inline(__always)
    static func firstLater(than t: Int64, in samples: UnsafeBufferPointer<Sample>, from: Int, end: Int,
                           stride: inout Int) -> Int {
        let guess = from + stride
        if guess <= end && (guess == from || samples[guess - 1].t <= t) && (guess == end || samples[guess].t > t) {
            return guess  // samples are in time order: everything before `guess` is at or before `t`
        }
        var i = from
        while i < end && samples[i].t <= t { i += 1 }
        stride = i - from
        return i
    }

    /// The indices whose value is smaller than the one before (counter resets).
    static func decreases(_ samples: UnsafeBufferPointer<Sample>) -> [Int] {
        var out: [Int] = []
        for i in samples.indices.dropFirst() where samples[i].v < samples[i - 1].v { out.append(i) }
        return out
    }

    /// Evaluates a range-vector function at every step; its scalar argument
    /// (if any) is evaluated once for all steps.
    /// With `fusion`, the rows may be aggregated as they are made (then the
    /// series returned carry labels only; see `FusionRequest`).
    mutating func rangeFunction(_ c: Call, dropName: Bool, _ f: WindowFunction,
                                fusion: FusionRequest? = nil) throws(PromQLError) -> [StepSeries] {
        var params: [Double]?
        var matrixArg = c.args[0]
        for (i, a) in c.args.enumerated() where a.type == .matrix { matrixArg = c.args[i] }
        for a in c.args where a.type == .scalar { params = try scalarArg(a) }
        let extreme: Bool? = switch c.function.name {
        case "max_over_time": true
        case "min_over_time": false
        default: nil
        }
        let extrapolation: (counter: Bool, rate: Bool)? = switch c.function.name {
        case "rate": (true, true)
        case "increase": (true, false)
        case "delta": (false, false)
        default: nil
        }
        let counter = extrapolation?.counter == true
        let source = try windowSource(matrixArg)
        let histogramSeries: [Int] = switch source.input {
        case .stored(let series): series.indices.filter { series[$0].hasHistograms }
        case .computed(let series): series.indices.filter { !series[$0].histograms.isEmpty }
        }
        var out = try forEachWindow(source: source, dropName: dropName, params: params, scanResets: counter, extreme: extreme,
                                    extrapolation: extrapolation, fusion: histogramSeries.isEmpty ? fusion : nil,
                                    skipHistogramSeries: !histogramSeries.isEmpty) { w, _ in f.apply(w) }
        if !histogramSeries.isEmpty {
            out += try histogramWindows(c, f, source: source, indices: histogramSeries, params: params, dropName: dropName)
        }
        if counter {
            // Prometheus' hint that the input may be a gauge, once per metric name (floats only).
            for s in out where s.present.contains(true) {
                let name = s.labels.metricName
                if !name.isEmpty && !["_total", "_sum", "_count", "_bucket"].contains(where: { name.hasSuffix($0) }) {
                    annotations.possibleNonCounter(metric: name, at: c.argPosition(0))
                }
            }
        }
        if c.function.name == "quantile_over_time", let params, !out.isEmpty {
            for q in Set(params.map(\.bitPattern)).map(Double.init(bitPattern:)) where q.isNaN || q < 0 || q > 1 {
                annotations.invalidQuantile(q, at: c.argPosition(0))
            }
        }
        return out
    }
}
