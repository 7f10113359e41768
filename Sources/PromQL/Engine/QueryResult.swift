import Synchronization
import TSDB

/// The result of a query, in the shapes of Prometheus' API.
public enum QueryResult: Sendable {
    /// At the evaluation time (milliseconds).
    case scalar(t: Int64, v: Double)
    case string(t: Int64, s: String)
    /// One sample per series, all at the evaluation time.
    case vector([VectorSample])
    /// Several samples per series (range queries, or an instant range-vector query).
    case matrix([RangeSeries])
}

/// A series' sample in an instant vector: a float, or a native histogram
/// (`h` set; `v` is then meaningless).
public struct VectorSample: Sendable {
    public var labels: Labels
    public var t: Int64
    public var v: Double
    public var h: NativeHistogram?

    public init(labels: Labels, t: Int64, v: Double, h: NativeHistogram? = nil) {
        self.labels = labels
        self.t = t
        self.v = v
        self.h = h
    }
}

/// A series with samples at several times: float points and native-histogram
/// points apart, each in time order (as Prometheus' `Series`).
public struct RangeSeries: Sendable {
    public var labels: Labels
    public var points: [Sample]
    public var histograms: [HistogramSample]

    public init(labels: Labels, points: [Sample], histograms: [HistogramSample] = []) {
        self.labels = labels
        self.points = points
        self.histograms = histograms
    }
}

/// Engine limits and defaults (Prometheus' flag values).
public struct QueryOptions: Sendable {
    /// How far back an instant selector looks for a sample (`--query.lookback-delta`).
    public var lookbackDelta: Int64 = 5 * 60 * 1000
    /// Maximum samples a query may load at once (`--query.max-samples`).
    public var maxSamples = 50_000_000
    /// Maximum points per series of a range query (Prometheus' fixed cap).
    public var maxPointsPerSeries = 11_000
    /// Subquery step when none is given (the global evaluation interval).
    public var defaultSubqueryStep: Int64 = 60 * 1000
    /// Maximum time a query may run (`--query.timeout`), in seconds.
    public var timeout: Double = 120
    /// Set to stop the query early (Ctrl-C in the shell, a client gone).
    public var cancellation: QueryCancellation?

    public init() {}
}

/// A flag that stops a running query: the evaluator checks it wherever it
/// checks its deadline, and fails with Prometheus' "query was canceled".
public final class QueryCancellation: Sendable {
    private let flag = Atomic<Bool>(false)

    public init() {}

    public func cancel() { flag.store(true, ordering: .releasing) }
    public var isCancelled: Bool { flag.load(ordering: .acquiring) }
}
