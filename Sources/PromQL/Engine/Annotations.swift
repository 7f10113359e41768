import TSDB
/// The warnings and infos a query raises besides its result (Prometheus'
/// annotations): a questionable quantile, a bucket without `le`, a histogram
/// that had to be made monotonic, `rate` over something that may not be a
/// counter. Each names the place in the query it is about; equal ones are
/// reported once, in the order they were first raised.
public struct Annotations: Sendable, Equatable {
    public enum Severity: Sendable, Equatable {
        case warning, info
    }

    public struct Annotation: Sendable, Hashable {
        public var severity: Severity
        /// Without the `PromQL warning: ` prefix and the position.
        public var message: String
        /// Byte offset in the query of the expression the annotation is about.
        public var position: Int

        /// Prometheus' text: `PromQL info: … (line:column)`.
        public func text(in query: String) -> String {
            let prefix = severity == .warning ? "PromQL warning: " : "PromQL info: "
            return prefix + message + " (" + Annotations.lineColumn(position, in: query) + ")"
        }
    }

    public private(set) var all: [Annotation] = []
    private var seen: Set<Annotation> = []

    public init() {}

    public static func == (a: Annotations, b: Annotations) -> Bool { a.all == b.all }

    public var isEmpty: Bool { all.isEmpty }

    public mutating func warn(_ message: String, at position: Int) {
        add(Annotation(severity: .warning, message: message, position: position))
    }

    public mutating func info(_ message: String, at position: Int) {
        add(Annotation(severity: .info, message: message, position: position))
    }

    public mutating func merge(_ other: Annotations) {
        for a in other.all { add(a) }
    }

    mutating func add(_ a: Annotation) {
        if seen.insert(a).inserted { all.append(a) }
    }

    /// The warnings and infos as the API reports them.
    public func strings(for query: String) -> (warnings: [String], infos: [String]) {
        (all.filter { $0.severity == .warning }.map { $0.text(in: query) },
         all.filter { $0.severity == .info }.map { $0.text(in: query) })
    }

    /// `line:column` of a byte offset, both 1-based, columns in bytes (Prometheus' `StartPosInput`).
    static func lineColumn(_ offset: Int, in query: String) -> String {
        let bytes = query.utf8
        guard offset >= 0 && offset <= bytes.count else { return "invalid position" }
        var line = 1, lastBreak = -1
        for (i, b) in bytes.prefix(offset).enumerated() where b == UInt8(ascii: "\n") {
            line += 1
            lastBreak = i
        }
        return "\(line):\(offset - lastBreak)"
    }

    // The messages, worded as Prometheus words them (util/annotations).

    mutating func invalidQuantile(_ q: Double, at position: Int) {
        warn("quantile value should be between 0 and 1, got \(GoFormat.formatFloat(q, .exposition))", at: position)
    }

    mutating func invalidRatio(_ r: Double, cappedTo capped: Double, at position: Int) {
        warn("ratio value should be between -1 and 1, got \(GoFormat.formatFloat(r, .exposition)), capping to \(GoFormat.formatFloat(capped, .exposition))",
             at: position)
    }

    mutating func badBucketLabel(metric: String, le: String, at position: Int) {
        warn("bucket label \"le\" is missing or has a malformed value of \(Self.quoted(le))" + Self.forMetric(metric), at: position)
    }

    mutating func forcedMonotonicity(metric: String, at position: Int) {
        info("input to histogram_quantile needed to be fixed for monotonicity "
             + "(see https://prometheus.io/docs/prometheus/latest/querying/functions/#histogram_quantile)" + Self.forMetric(metric),
             at: position)
    }

    mutating func possibleNonCounter(metric: String, at position: Int) {
        info("metric might not be a counter, name does not end in _total/_sum/_count/_bucket: \(Self.quoted(metric))", at: position)
    }

    mutating func sortInRangeQuery(at position: Int) {
        warn("sort is ineffective for range queries since results are always ordered by labels", at: position)
    }

    // Native histograms.

    mutating func mixedFloatsHistograms(metric: String, at position: Int) {
        warn("encountered a mix of histograms and floats for metric name \(Self.quoted(metric))", at: position)
    }

    mutating func mixedFloatsHistogramsInAggregation(at position: Int) {
        warn("encountered a mix of histograms and floats for aggregation", at: position)
    }

    mutating func mixedExponentialCustomHistograms(metric: String, at position: Int) {
        warn("vector contains a mix of histograms with exponential and custom buckets schemas for metric name \(Self.quoted(metric))",
             at: position)
    }

    /// The warning for histograms that cannot be combined (`HistogramError`).
    mutating func incompatibleHistograms(_ error: HistogramError, metric: String, at position: Int) {
        if error == .incompatibleSchemas { mixedExponentialCustomHistograms(metric: metric, at: position) } else { warn("\(error)", at: position) }
    }

    mutating func mixedClassicNativeHistograms(metric: String, at position: Int) {
        warn("vector contains a mix of classic and native histograms" + Self.forMetric(metric), at: position)
    }

    mutating func histogramNotCounter(metric: String, at position: Int) {
        warn("this native histogram metric is not a counter: \(Self.quoted(metric))", at: position)
    }

    mutating func histogramNotGauge(metric: String, at position: Int) {
        warn("this native histogram metric is not a gauge: \(Self.quoted(metric))", at: position)
    }

    /// `operation`: "addition", "subtraction" or "aggregation".
    mutating func reconciledCustomBuckets(during operation: String, at position: Int) {
        info("mismatched custom buckets were reconciled during \(operation)", at: position)
    }

    /// Histograms hinted as a counter reset and as none were added up. `operation`: "aggregation", "addition" or "subtraction".
    mutating func counterResetCollision(during operation: String, at position: Int) {
        warn("conflicting counter resets during histogram \(operation)", at: position)
    }

    mutating func histogramsIgnoredInMixedRange(metric: String, at position: Int) {
        info("ignored histograms in a range containing both floats and histograms for metric name \(Self.quoted(metric))", at: position)
    }

    mutating func histogramIgnoredInAggregation(_ op: String, at position: Int) {
        info("ignored histogram in \(op) aggregation", at: position)
    }

    static func forMetric(_ name: String) -> String { name.isEmpty ? "" : " for metric name \(quoted(name))" }

    /// Go's `%q` (`strconv.Quote`), as annotations quote names and values.
    static func quoted(_ s: String) -> String { GoFormat.quote(s) }
}
