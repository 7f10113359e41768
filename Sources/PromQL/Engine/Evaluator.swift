import TSDB

/// An instant-vector-typed value over all steps of a query: one row per
/// series, one column per step. Evaluating a node for every step at once
/// (instead of step by step) lets selectors decode each series once and
/// lets grouping and matching be computed once per query.
///
/// `dropName`: the metric name is to be removed when the query finishes
/// (Prometheus 3 removes it lazily, so `label_replace(rate(x[5m]), …,
/// "__name__", …)` still sees it).
///
/// Native histograms: `histograms[i]` holds a histogram value at step `i`
/// (nil: none); `present[i]` says only whether there is a *float* value.
/// Operations written for floats therefore see no value where a series has
/// a histogram and leave it out, which is what Prometheus does for most of
/// them; the ones that handle histograms read `histograms`. `histograms` is
/// nil for series that have no histogram at any step (nearly all).
struct StepSeries {
    var labels: Labels
    var values: [Double]
    var present: [Bool]
    var dropName = false
    var histograms: [NativeHistogram?]?

    init(labels: Labels, values: [Double], present: [Bool], dropName: Bool = false, histograms: [NativeHistogram?]? = nil) {
        self.labels = labels
        self.values = values
        self.present = present
        self.dropName = dropName
        self.histograms = histograms
    }

    /// The histogram at step `i`, if the value there is one.
    @inline(__always)
    func histogram(_ i: Int) -> NativeHistogram? { histograms?[i] }

    /// Whether there is a value (float or histogram) at step `i`.
    @inline(__always)
    func hasValue(_ i: Int) -> Bool { present[i] || histograms?[i] != nil }

    /// Removes the value at step `i`, float or histogram.
    mutating func clear(_ i: Int) {
        present[i] = false
        if histograms?[i] != nil { histograms![i] = nil }
    }

    /// Sets a histogram value at step `i` (clearing a float there).
    mutating func setHistogram(_ i: Int, _ h: NativeHistogram?, steps: Int) {
        if histograms == nil {
            guard h != nil else { return }
            histograms = Array(repeating: nil, count: steps)
        }
        histograms![i] = h
        if h != nil { present[i] = false }
    }
}

/// What evaluating a node yields.
enum EvalValue {
    /// One value per step.
    case scalar([Double])
    case string(String)
    case vector([StepSeries])
    /// Only at the top of an instant query (`foo[5m]`, subqueries).
    case matrix([RangeSeries])
}

/// A query's time grid: its start, end and step in milliseconds (step 0 for an instant query).
struct QueryGrid {
    let start: Int64
    let end: Int64
    let step: Int64
    var range: Int64 { end - start }
}

/// Evaluates one query over its step grid. Internal to the engine.
struct Evaluator {
    let db: DB
    let start: Int64
    let end: Int64
    let step: Int64
    let options: QueryOptions
    /// Number of evaluation steps.
    let steps: Int
    /// The top-level query's grid, which `@ start()`, `@ end()`, `step()` and
    /// `range()` refer to also inside subqueries (Prometheus resolves them before evaluating).
    let query: QueryGrid
    var samplesLoaded = 0
    /// Prometheus' `totalQueryableSamples`: per step, the samples each selector
    /// picked (one per series for instant selectors, the window for ranges).
    var samplesSelected = 0
    /// Prometheus' `peakSamples`, approximated: the most samples one selector picked.
    var peakSamples = 0
    /// Warnings and infos raised so far.
    var annotations = Annotations()
    /// Whether selectors evaluated now read histograms as count and sum only.
    var histogramStats = HistogramStatsDecoding.off
    /// When the query must have finished (`options.timeout` after it started).
    let deadline: ContinuousClock.Instant

    init(db: DB, start: Int64, end: Int64, step: Int64, options: QueryOptions, deadline: ContinuousClock.Instant? = nil,
         query: QueryGrid? = nil) {
        self.db = db
        self.start = start
        self.end = end
        self.step = step
        self.query = query ?? QueryGrid(start: start, end: end, step: step)
        self.options = options
        steps = step == 0 ? 1 : Int((end - start) / step) + 1  // instant queries have step 0
        self.deadline = deadline ?? .now + .milliseconds(Int64(options.timeout * 1000))
    }

    /// Throws Prometheus' timeout error once the deadline has passed.
    func checkDeadline() throws(PromQLError) {
        if ContinuousClock.now > deadline { throw Self.timedOut }
        if options.cancellation?.isCancelled == true { throw Self.canceled }
    }

    static let timedOut = PromQLError("query timed out in query execution")
    static let canceled = PromQLError("query was canceled in query execution")

    /// Timestamp of step `i`.
    @inline(__always)
    func time(_ i: Int) -> Int64 { start + Int64(i) * step }

    mutating func eval(_ expr: Expr) throws(PromQLError) -> EvalValue {
        try checkDeadline()
        switch expr {
        case .number(let v, _):
            return .scalar([Double](repeating: v, count: steps))
        case .string(let s):
            return .string(s)
        case .paren(let e):
            return try eval(e)
        case .unary(let negate, let e):
            let v = try eval(e)
            guard negate else { return v }
            switch v {
            case .scalar(let xs): return .scalar(xs.map { -$0 })
            case .vector(var series):
                for i in series.indices {
                    series[i].dropName = true
                    for j in 0..<steps { series[i].values[j] = -series[i].values[j] }
                    if let hs = series[i].histograms { series[i].histograms = hs.map { $0?.scaled(by: -1) } }
                }
                return .vector(series)
            default: throw PromQLError("unary minus on \(expr.type.rawValue)")
            }
        case .vectorSelector(let vs):
            return .vector(try selectInstant(vs))
        case .matrixSelector(let ms):
            return .matrix(try selectRange(ms))
        case .binary(let b):
            return try evalBinary(b)
        case .aggregate(let a):
            return try evalAggregate(a)
        case .call(let c):
            let outer = histogramStats
            histogramStats = outer.entering(c.function.name)
            defer { histogramStats = outer }
            return try evalCall(c)
        case .subquery(let sq):
            return .matrix(try evalSubquery(sq))
        }
    }

    /// The metric name and the metadata labels that go with it (Prometheus'
    /// type-and-unit labels): dropped together.
    static func droppingName(_ labels: Labels) -> Labels {
        labels.filter { $0.name != Labels.metricName && $0.name != "__type__" && $0.name != "__unit__" }
    }

    /// Removes the metric names (and type and unit labels) marked for removal, then merges series that
    /// now have the same labels if they never have a value at the same step;
    /// if they do, that is Prometheus' "same labelset" error.
    func finalize(_ series: [StepSeries]) throws(PromQLError) -> [StepSeries] {
        var index: [HashedLabels: Int] = [:]
        index.reserveCapacity(series.count)
        var out: [StepSeries] = []
        out.reserveCapacity(series.count)
        for var s in series {
            if s.dropName {
                s.labels = Self.droppingName(s.labels)
                s.dropName = false
            }
            let key = HashedLabels(s.labels)
            guard let k = index[key] else {
                index[key] = out.count
                out.append(s)
                continue
            }
            for i in 0..<steps where s.hasValue(i) {
                if out[k].hasValue(i) { throw PromQLError("vector cannot contain metrics with the same labelset") }
                if let h = s.histogram(i) {
                    out[k].setHistogram(i, h, steps: steps)
                } else {
                    out[k].present[i] = true
                    out[k].values[i] = s.values[i]
                }
            }
        }
        return out
    }

    // MARK: selectors

    /// The time an `@` modifier pins a node to (nil without one): `start()`
    /// and `end()` are the query's, also inside subqueries.
    func pinnedTime(_ at: AtModifier?) -> Int64? {
        switch at {
        case .timestamp(let t)?: t
        case .start?: query.start
        case .end?: query.end
        case nil: nil
        }
    }

    /// The evaluation time of step `i` for a node with `@` and `offset`.
    func selectorTime(_ i: Int, at: AtModifier?, offset: Int64) -> Int64 {
        (pinnedTime(at) ?? time(i)) - offset
    }

    func offsetMillis(_ d: DurationExpr?) throws(PromQLError) -> Int64 {
        try d?.evaluate(step: query.step, range: query.range) ?? 0
    }

    /// The stored series matching `matchers` within [mint, maxt], not yet decoded.
    /// With `newestOnly`, series may hold just their newest sample in the range
    /// (see `Querier.selectNewest`): for selectors evaluated at one time.
    func selectSeries(_ matchers: [LabelMatcher], mint: Int64, maxt: Int64, newestOnly: Bool = false) throws(PromQLError) -> [Series] {
        do {
            let querier = db.querier(mint: mint, maxt: maxt)
            return try newestOnly ? querier.selectNewest(matchers) : querier.select(matchers)
        } catch {
            throw PromQLError("error reading series: \(error)")
        }
    }

    /// Decodes one series into `buffer` (emptied first, capacity kept),
    /// enforcing the sample limit and the deadline.
    mutating func load(_ series: Series, into buffer: inout [Sample], dropStale: Bool) throws(PromQLError) {
        try checkDeadline()
        try Self.decode(series, into: &buffer, dropStale: dropStale)
        samplesLoaded += buffer.count
        if samplesLoaded > options.maxSamples { throw Self.tooManySamples }
    }

    /// Decodes series 0..<count (`decode(k, &buffer)`) in parallel tasks,
    /// each with its own buffer, and turns each into a row (nil: no values);
    /// enforces the deadline and the sample limit. `work` estimates the whole
    /// job (see `Parallel.workPerTask`): a small one stays on this thread.
    /// `split` fixes the tasks and the range length instead (a fused aggregation keys its state by range).
    mutating func decodeRows(
        count: Int,
        work: Int,
        split: (tasks: Int, grain: Int)? = nil,
        decode: @Sendable (Int, inout [Sample]) throws(PromQLError) -> Void,
        row: @Sendable (Int, UnsafeBufferPointer<Sample>) -> StepRow?
    ) throws(PromQLError) -> [StepRow?] {
        try makeRows(count: count, work: work, split: split) { k, buffer throws(PromQLError) in
            try decode(k, &buffer)
            return (buffer.isEmpty ? nil : buffer.withUnsafeBufferPointer { row(k, $0) }, buffer.count)
        }
    }

    /// Rows of series 0..<count from `make(k, &buffer)`, which also says how
    /// many samples it read, in parallel tasks each with its own buffer
    /// (as `decodeRows`, for makers that need no decoded samples).
    mutating func makeRows(
        count: Int,
        work: Int,
        split: (tasks: Int, grain: Int)? = nil,
        _ make: @Sendable (Int, inout [Sample]) throws(PromQLError) -> (row: StepRow?, samplesRead: Int)
    ) throws(PromQLError) -> [StepRow?] {
        try checkDeadline()
        let rows = SharedSlots<StepRow?>(repeating: nil, count: count)
        let errors = SharedSlots<PromQLError?>(repeating: nil, count: Parallel.cores)
        let loaded = SharedSlots<Int>(repeating: 0, count: Parallel.cores)
        let (alreadyLoaded, maxSamples, deadline, cancellation) = (samplesLoaded, options.maxSamples, deadline, options.cancellation)
        let tasks = split?.tasks ?? Parallel.tasks(count: count, work: work)
        Parallel.forEachRange(count: count, tasks: tasks, grain: split?.grain) { range, task in
            var buffer: [Sample] = []
            for k in range {
                do throws(PromQLError) {
                    if ContinuousClock.now > deadline { throw Self.timedOut }
                    if cancellation?.isCancelled == true { throw Self.canceled }
                    let (row, samplesRead) = try make(k, &buffer)
                    loaded[task] += samplesRead
                    if alreadyLoaded + loaded[task] > maxSamples { throw Self.tooManySamples }
                    rows[k] = row
                } catch {
                    errors[task] = error
                    return
                }
            }
        }
        for task in 0..<tasks {
            if let e = errors[task] { throw e }
            samplesLoaded += loaded[task]
        }
        if samplesLoaded > maxSamples { throw Self.tooManySamples }
        let result = rows.toArray()
        countSelected(result.reduce(0) { $0 + ($1?.selected ?? 0) })
        return result
    }

    /// Adds one selector's picked samples to the statistics.
    mutating func countSelected(_ n: Int) {
        samplesSelected += n
        peakSamples = max(peakSamples, n)
    }

    /// One series' values at every step.
    /// Per-step arrays of one series. With one step (every instant query)
    /// they are array literals: `Array(repeating:count:)` looks up the
    /// array's generic metadata on every call, which was a sixth of a small
    /// instant query (`count by (job) (up)`: 54 → 44 µs in process).
    enum StepArrays {
        static func zeros(_ steps: Int) -> [Double] { steps == 1 ? [0] : [Double](repeating: 0, count: steps) }
        static func absent(_ steps: Int) -> [Bool] { steps == 1 ? [false] : [Bool](repeating: false, count: steps) }
    }

    struct StepRow {
        var values: [Double]
        var present: [Bool]
        /// Samples picked over all steps (for the statistics).
        var selected: Int
    }

    static let tooManySamples = PromQLError("query processing would load too many samples into memory in query execution")

    /// Decodes one series into `buffer` (emptied first, capacity kept).
    static func decode(_ series: Series, into buffer: inout [Sample], dropStale: Bool) throws(PromQLError) {
        buffer.removeAll(keepingCapacity: true)
        do {
            try series.appendSamples(to: &buffer, dropStale: dropStale)
        } catch {
            throw PromQLError("error reading series \(series.labels): \(error)")
        }
    }

    /// The evaluation times of all steps for a node with `@` and `offset`.
    func selectorTimes(at: AtModifier?, offset: Int64) -> [Int64] {
        (0..<steps).map { selectorTime($0, at: at, offset: offset) }
    }

    /// An instant selector at every step: the newest sample in (t - lookback, t],
    /// unless it is a staleness marker. With `sampleTimes`, the value is the
    /// sample's timestamp in seconds (for `timestamp()`).
    mutating func selectInstant(_ vs: VectorSelector, sampleTimes: Bool = false) throws(PromQLError) -> [StepSeries] {
        let offset = try offsetMillis(vs.offset)
        let times = selectorTimes(at: vs.at, offset: offset)
        let (lookback, steps) = (options.lookbackDelta, steps)
        // At a single time only the newest sample in the window counts: the head has it at hand.
        // A smoothed selector also needs the next sample after each time.
        let smoothed = vs.smoothed
        let series = try selectSeries(vs.matchers, mint: times.min()! - lookback + 1, maxt: times.max()! + (smoothed ? lookback : 0),
                                      newestOnly: times.count == 1 && !smoothed)
        let work = series.reduce(0) { $0 + $1.encodedByteCount } + series.count * steps
        let rows: [StepRow?]
        let anyHistograms = series.contains { $0.hasHistograms }
        if !smoothed && steps > 1 && zip(times, times.dropFirst()).allSatisfy({ $0 <= $1 }) {
            rows = try makeRows(count: series.count, work: work) { k, _ throws(PromQLError) in
                if anyHistograms && series[k].hasHistograms { return (nil, 0) }  // below
                return try Self.sampleRow(series[k], times: times, lookback: lookback, sampleTimes: sampleTimes)
            }
        } else {
            rows = try decodeRows(count: series.count, work: work) { k, buffer throws(PromQLError) in
                if anyHistograms && series[k].hasHistograms { buffer.removeAll(); return }  // below
                try Self.decode(series[k], into: &buffer, dropStale: false)
            } row: { _, samples in
                smoothed ? Self.smoothedRow(samples, times: times, lookback: lookback, steps: steps)
                    : Self.instantRow(samples, times: times, lookback: lookback, steps: steps, sampleTimes: sampleTimes)
            }
        }
        // Series with histograms take the general path, spread over the cores like the rest.
        let withHistograms = anyHistograms ? series.indices.filter { series[$0].hasHistograms } : []
        let histogramWork = withHistograms.reduce(0) { $0 + series[$1].encodedHistogramByteCount } * Parallel.histogramWeight
        let position = vs.position
        var mixed = try forEachForked(count: withHistograms.count, work: histogramWork) { ev, j throws(PromQLError) in
            let s = series[withHistograms[j]]
            return smoothed ? try ev.smoothedMixedSeries(s, times: times, lookback: lookback, position: position)
                : try ev.mixedInstantSeries(s, times: times, lookback: lookback, sampleTimes: sampleTimes)
        }[...]
        var out: [StepSeries] = []
        for k in series.indices {
            if anyHistograms && series[k].hasHistograms {
                if let s = mixed.popFirst()! { out.append(s) }
                continue
            }
            guard let row = rows[k] else { continue }
            out.append(StepSeries(labels: series[k].labels, values: row.values, present: row.present))
        }
        return out
    }

    /// `instantRow` decoded straight into the row (`times` non-decreasing),
    /// and the number of samples read.
    static func sampleRow(_ series: Series, times: [Int64], lookback: Int64,
                          sampleTimes: Bool) throws(PromQLError) -> (row: StepRow?, samplesRead: Int) {
        var values = StepArrays.zeros(times.count)
        var present = StepArrays.absent(times.count)
        let result = times.withUnsafeBufferPointer { times in
            values.withUnsafeMutableBufferPointer { values in
                present.withUnsafeMutableBufferPointer { present in
                    var sampler = StepSampler(times: times, lookback: lookback, values: values, present: present, timestamps: sampleTimes)
                    let result = Result { try series.sample(into: &sampler) }
                    sampler.finish()
                    return result.map { (selected: sampler.selected, samplesRead: sampler.samplesRead) }
                }
            }
        }
        switch result {
        case .success(let (selected, samplesRead)):
            if sampleTimes {
                for i in values.indices where present[i] { values[i] /= 1000 }  // milliseconds to seconds
            }
            return (selected > 0 ? StepRow(values: values, present: present, selected: selected) : nil, samplesRead)
        case .failure(let error):
            throw PromQLError("error reading series \(series.labels): \(error)")
        }
    }

    /// The newest sample in (t - lookback, t] at every step unless it is a
    /// staleness marker; nil if there is none at any step.
    static func instantRow(_ samples: UnsafeBufferPointer<Sample>, times: [Int64], lookback: Int64, steps: Int,
                           sampleTimes: Bool) -> StepRow? {
        var values = StepArrays.zeros(steps)
        var present = StepArrays.absent(steps)
        var any = false
        var selected = 0
        var cursor = 0  // first sample with t > current time (times are non-decreasing unless @)
        for i in 0..<steps {
            let t = times[i]
            if i > 0 && t < times[i - 1] { cursor = 0 }
            while cursor < samples.count && samples[cursor].t <= t { cursor += 1 }
            guard cursor > 0 else { continue }
            let s = samples[cursor - 1]
            if s.t > t - lookback && !StaleNaN.isStale(s.v) {
                values[i] = sampleTimes ? Double(s.t) / 1000 : s.v
                present[i] = true
                any = true
                selected += 1
            }
        }
        return any ? StepRow(values: values, present: present, selected: selected) : nil
    }

    /// A range selector at one time (instant queries): samples in (t - range, t], stale markers dropped.
    mutating func selectRange(_ ms: MatrixSelector) throws(PromQLError) -> [RangeSeries] {
        let offset = try offsetMillis(ms.selector.offset)
        let range = try ms.range.evaluate(step: query.step, range: query.range)
        let t = selectorTime(0, at: ms.selector.at, offset: offset)
        var out: [RangeSeries] = []
        var buffer: [Sample] = []
        var selected = 0
        if ms.selector.anchored || ms.selector.smoothed {
            let ext = RangeExtension(smoothed: ms.selector.smoothed, lookback: options.lookbackDelta)
            let reach = ext.reach(rangeStart: t - range, rangeEnd: t)
            for series in try selectSeries(ms.selector.matchers, mint: reach.after + 1, maxt: reach.upTo) {
                try load(series, into: &buffer, dropStale: true)
                let points = buffer.withUnsafeBufferPointer {
                    Self.extendedPoints($0, rangeStart: t - range, rangeEnd: t, smoothed: ext.smoothed)
                }
                if !points.isEmpty { out.append(RangeSeries(labels: series.labels, points: points)) }
                selected += points.count
            }
            countSelected(selected)
            return out
        }
        for series in try selectSeries(ms.selector.matchers, mint: t - range + 1, maxt: t) {
            if series.hasHistograms {
                var (floats, histograms) = try loadMixed(series)
                floats.removeAll { StaleNaN.isStale($0.v) }
                histograms.removeAll { StaleNaN.isStale($0.h.sum) }
                if !floats.isEmpty || !histograms.isEmpty { out.append(RangeSeries(labels: series.labels, points: floats, histograms: histograms)) }
                selected += floats.count + histograms.count
                continue
            }
            try load(series, into: &buffer, dropStale: true)
            if !buffer.isEmpty { out.append(RangeSeries(labels: series.labels, points: buffer)) }
            selected += buffer.count
        }
        countSelected(selected)
        return out
    }

    /// A subquery at an instant query's time: the inner expression's points in (t - range, t].
    mutating func evalSubquery(_ sq: Subquery) throws(PromQLError) -> [RangeSeries] {
        let (series, range, offset) = try subqueryPoints(sq)
        let t = selectorTime(0, at: sq.at, offset: offset)
        return series.compactMap { s in
            let p = s.points.filter { $0.t > t - range && $0.t <= t }
            let h = s.histograms.filter { $0.t > t - range && $0.t <= t }
            return p.isEmpty && h.isEmpty ? nil : RangeSeries(labels: s.labels, points: p, histograms: h)
        }
    }

    /// Evaluates a subquery's inner expression once, at the multiples of its
    /// step that any of the outer steps' windows (t - range, t] contain.
    mutating func subqueryPoints(_ sq: Subquery) throws(PromQLError) -> (series: [RangeSeries], range: Int64, offset: Int64) {
        let offset = try offsetMillis(sq.offset)
        let range = try sq.range.evaluate(step: query.step, range: query.range)
        let subStep = try sq.step?.evaluate(step: query.step, range: query.range) ?? options.defaultSubqueryStep
        guard subStep > 0 else { throw PromQLError("subquery step must be positive") }
        let times = (0..<steps).map { selectorTime($0, at: sq.at, offset: offset) }
        let lo = times.min()! - range, hi = times.max()!
        var first = Self.floorDiv(lo, subStep) * subStep
        if first <= lo { first += subStep }  // windows are left-open
        guard first <= hi else { return ([], range, offset) }
        let last = Self.floorDiv(hi, subStep) * subStep
        var inner = Evaluator(db: db, start: first, end: last, step: subStep, options: options, deadline: deadline, query: query)
        inner.samplesLoaded = samplesLoaded
        inner.histogramStats = .vetoed  // resets seen through a subquery's steps need the buckets
        let value = try inner.eval(sq.expr)
        samplesLoaded = inner.samplesLoaded
        samplesSelected += inner.samplesSelected
        peakSamples = max(peakSamples, inner.peakSamples)
        annotations.merge(inner.annotations)
        var out: [RangeSeries] = []
        switch value {
        case .vector(let raw):
            for s in try inner.finalize(raw) {  // pending name removal applies at the subquery's end
                var points: [Sample] = []
                for i in 0..<inner.steps where s.present[i] { points.append(Sample(inner.time(i), s.values[i])) }
                var histograms: [HistogramSample] = []
                if let hs = s.histograms {
                    for i in 0..<inner.steps {
                        guard var h = hs[i] else { continue }
                        // Subquery steps may skip samples: a hint about the sample before no longer holds.
                        if h.counterResetHint != .gauge { h.counterResetHint = .unknown }
                        histograms.append(HistogramSample(inner.time(i), h))
                    }
                }
                if !points.isEmpty || !histograms.isEmpty { out.append(RangeSeries(labels: s.labels, points: points, histograms: histograms)) }
            }
        case .scalar(let vs):
            out.append(RangeSeries(labels: .empty, points: vs.enumerated().map { Sample(inner.time($0.offset), $0.element) }))
        default:
            throw PromQLError("subquery is only allowed on instant vector")
        }
        return (out, range, offset)
    }

    static func floorDiv(_ a: Int64, _ b: Int64) -> Int64 {
        let q = a / b
        return (a % b != 0 && (a < 0) != (b < 0)) ? q - 1 : q
    }
}
