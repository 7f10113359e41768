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
        var ev = Evaluator(db: db, start: t, end: t, step: 1, options: options)
        switch try ev.eval(expr) {
        case .scalar(let vs): return .scalar(t: t, v: vs[0])
        case .string(let s): return .string(t: t, s: s)
        case .vector(let series):
            return .vector(series.compactMap { s in s.present[0] ? VectorSample(labels: s.labels, t: t, v: s.values[0]) : nil })
        case .matrix(let series):
            return .matrix(series.sorted { $0.labels < $1.labels })
        }
    }

    public func rangeQuery(_ query: String, start: Int64, end: Int64, step: Int64, db: DB) throws(PromQLError) -> QueryResult {
        let expr = try Parser.parse(query)
        guard step > 0 else { throw PromQLError("zero or negative query resolution step widths are not accepted. Try a positive integer") }
        guard end >= start else { throw PromQLError("end timestamp must not be before start time") }
        guard (end - start) / step < Int64(options.maxPointsPerSeries) else {
            throw PromQLError("exceeded maximum resolution of \(options.maxPointsPerSeries) points per timeseries. Try decreasing the query resolution (?step=XX)")
        }
        guard expr.type == .scalar || expr.type == .vector else {
            throw PromQLError("invalid expression type \"\(expr.type.rawValue)\" for range query, must be Scalar or instant Vector")
        }
        var ev = Evaluator(db: db, start: start, end: end, step: step, options: options)
        switch try ev.eval(expr) {
        case .scalar(let vs):
            return .matrix([RangeSeries(labels: .empty, points: vs.enumerated().map { Sample(ev.time($0.offset), $0.element) })])
        case .vector(let series):
            var out: [RangeSeries] = []
            for s in series {
                var points: [Sample] = []
                for i in 0..<ev.steps where s.present[i] { points.append(Sample(ev.time(i), s.values[i])) }
                if !points.isEmpty { out.append(RangeSeries(labels: s.labels, points: points)) }
            }
            return .matrix(out.sorted { $0.labels < $1.labels })
        case .string, .matrix:
            throw PromQLError("invalid expression type \"\(expr.type.rawValue)\" for range query, must be Scalar or instant Vector")
        }
    }
}
