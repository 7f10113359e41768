import TSDB

/// Evaluates PromQL over a database: instant queries at one time, range
/// queries at `start, start+step, …, end` (milliseconds).
public struct Engine: Sendable {
    public var options: QueryOptions

    public init(options: QueryOptions = QueryOptions()) { self.options = options }

    public func instantQuery(_ query: String, at t: Int64, db: DB) throws(PromQLError) -> QueryResult {
        let expr = try Parser.parse(query)
        return try instantQuery(expr, at: t, db: db)
    }

    public func instantQuery(_ expr: Expr, at t: Int64, db: DB) throws(PromQLError) -> QueryResult {
        var stats = QueryStatistics()
        return try instantQuery(expr, at: t, db: db, stats: &stats)
    }

    /// An instant query that also reports what it cost.
    public func instantQuery(_ expr: Expr, at t: Int64, db: DB, stats: inout QueryStatistics) throws(PromQLError) -> QueryResult {
        var ev = Evaluator(db: db, start: t, end: t, step: 0, options: options)
        let result: QueryResult
        switch try ev.eval(expr) {
        case .scalar(let vs): result = .scalar(t: t, v: vs[0])
        case .string(let s): result = .string(t: t, s: s)
        case .vector(let raw):
            let series = try ev.finalize(raw)
            let samples = series.compactMap { s in
                if let h = s.histogram(0) { return VectorSample(labels: s.labels, t: t, v: 0, h: h) }
                return s.present[0] ? VectorSample(labels: s.labels, t: t, v: s.values[0]) : nil
            }
            result = .vector(try Self.ordered(samples, by: expr, evaluator: &ev))
        case .matrix(let series):
            result = .matrix(Self.sortedByLabels(series))
        }
        stats.record(ev, result: result)
        return result
    }

    /// A matrix in label order. Often it already is (series come from storage
    /// in label order); otherwise a permutation is sorted and applied once
    /// (sorting the series themselves retained and released their arrays at
    /// every move: a tenth of a small join's time).
    static func sortedByLabels(_ series: [RangeSeries]) -> [RangeSeries] {
        series.withUnsafeBufferPointer { s in
            let labels = UnsafeMutableBufferPointer<Labels>.allocate(capacity: s.count)
            defer { labels.deinitialize().deallocate() }
            _ = labels.initialize(from: s.lazy.map(\.labels))
            if (1..<max(1, s.count)).allSatisfy({ !(labels[$0] < labels[$0 - 1]) }) { return series }
            let order = s.indices.sorted { Labels.precedes(labels.baseAddress! + $0, labels.baseAddress! + $1) }
            return order.map { s[$0] }
        }
    }

    /// Instant results are ordered by `sort`, `sort_desc`, `sort_by_label[_desc]`
    /// and top-level `topk`/`bottomk`, as in Prometheus; otherwise left as produced.
    static func ordered(_ samples: [VectorSample], by expr: Expr, evaluator ev: inout Evaluator) throws(PromQLError) -> [VectorSample] {
        func valueOrder(_ a: Double, _ b: Double, descending: Bool) -> Bool {
            if a.isNaN { return false }
            if b.isNaN { return true }
            return descending ? a > b : a < b
        }
        switch expr {
        case .paren(let inner):
            return try ordered(samples, by: inner, evaluator: &ev)
        case .call(let c) where c.function.name == "sort" || c.function.name == "sort_desc":
            let desc = c.function.name == "sort_desc"
            return samples.sorted { valueOrder($0.v, $1.v, descending: desc) }
        case .call(let c) where c.function.name == "sort_by_label" || c.function.name == "sort_by_label_desc":
            var names: [String] = []
            for a in c.args.dropFirst() { names.append(try ev.stringArg(a)) }
            let desc = c.function.name == "sort_by_label_desc"
            return samples.sorted { a, b in
                for n in names {
                    let x = a.labels[n], y = b.labels[n]
                    if x != y { return desc ? NaturalOrder.less(y, x) : NaturalOrder.less(x, y) }
                }
                return desc ? b.labels < a.labels : a.labels < b.labels
            }
        case .aggregate(let a) where a.op == .topk || a.op == .bottomk:
            return samples.sorted { valueOrder($0.v, $1.v, descending: a.op == .topk) }
        default:
            return samples
        }
    }

    public func rangeQuery(_ query: String, start: Int64, end: Int64, step: Int64, db: DB) throws(PromQLError) -> QueryResult {
        var stats = QueryStatistics()
        return try rangeQuery(try Parser.parse(query), start: start, end: end, step: step, db: db, stats: &stats)
    }

    /// A range query that also reports what it cost.
    public func rangeQuery(_ expr: Expr, start: Int64, end: Int64, step: Int64, db: DB,
                           stats: inout QueryStatistics) throws(PromQLError) -> QueryResult {
        guard step > 0 else { throw PromQLError("zero or negative query resolution step widths are not accepted. Try a positive integer") }
        guard end >= start else { throw PromQLError("end timestamp must not be before start time") }
        guard (end - start) / step < Int64(options.maxPointsPerSeries) else {
            throw PromQLError("exceeded maximum resolution of \(options.maxPointsPerSeries) points per timeseries. Try decreasing the query resolution (?step=XX)")
        }
        guard expr.type == .scalar || expr.type == .vector else {
            throw PromQLError("invalid expression type \"\(expr.type.rawValue)\" for range query, must be Scalar or instant Vector")
        }
        var ev = Evaluator(db: db, start: start, end: end, step: step, options: options)
        let result: QueryResult
        switch try ev.eval(expr) {
        case .scalar(let vs):
            result = .matrix([RangeSeries(labels: .empty, points: vs.enumerated().map { Sample(ev.time($0.offset), $0.element) })])
        case .vector(let raw):
            let series = try ev.finalize(raw)
            var out: [RangeSeries] = []
            for s in series {
                var points: [Sample] = []
                for i in 0..<ev.steps where s.present[i] { points.append(Sample(ev.time(i), s.values[i])) }
                var histograms: [HistogramSample] = []
                if let hs = s.histograms {
                    for i in 0..<ev.steps { if let h = hs[i] { histograms.append(HistogramSample(ev.time(i), h)) } }
                }
                if !points.isEmpty || !histograms.isEmpty { out.append(RangeSeries(labels: s.labels, points: points, histograms: histograms)) }
            }
            result = .matrix(Self.sortedByLabels(out))
        case .string, .matrix:
            throw PromQLError("invalid expression type \"\(expr.type.rawValue)\" for range query, must be Scalar or instant Vector")
        }
        stats.record(ev, result: result)
        return result
    }
}

/// What evaluating a query cost (the API's `stats` parameter) and the annotations it raised.
public struct QueryStatistics: Sendable {
    /// Samples decoded from storage, summed over all selectors (what `--query.max-samples` limits).
    public var samplesLoaded = 0
    /// Prometheus' `totalQueryableSamples`: per step, the samples the selectors picked.
    public var totalQueryableSamples = 0
    /// Prometheus' `peakSamples`, approximated as the larger of the most samples one
    /// selector picked and the points of the result.
    public var peakSamples = 0
    /// The warnings and infos the query raised.
    public var annotations = Annotations()

    public init() {}

    mutating func record(_ ev: Evaluator, result: QueryResult) {
        samplesLoaded = ev.samplesLoaded
        totalQueryableSamples = ev.samplesSelected
        let points: Int
        switch result {
        case .scalar, .string: points = 1
        case .vector(let xs): points = xs.count
        case .matrix(let xs): points = xs.reduce(0) { $0 + $1.points.count + $1.histograms.count }
        }
        peakSamples = max(ev.peakSamples, points)
        annotations = ev.annotations
    }
}

/// Natural ("human") order of strings: digit runs compare as numbers (`a2 < a10`).
enum NaturalOrder {
    static func less(_ a: String, _ b: String) -> Bool {
        var i = a.unicodeScalars.makeIterator(), j = b.unicodeScalars.makeIterator()
        var x = i.next(), y = j.next()
        while let cx = x, let cy = y {
            if cx.properties.numericType != nil && cy.properties.numericType != nil,
               let dx = Int(String(cx)), let dy = Int(String(cy)) {
                var nx = dx, ny = dy
                x = i.next(); y = j.next()
                while let c = x, let d = Int(String(c)) { nx = nx &* 10 &+ d; x = i.next() }
                while let c = y, let d = Int(String(c)) { ny = ny &* 10 &+ d; y = j.next() }
                if nx != ny { return nx < ny }
                continue
            }
            if cx != cy { return cx.value < cy.value }
            x = i.next(); y = j.next()
        }
        return x == nil && y != nil
    }
}
