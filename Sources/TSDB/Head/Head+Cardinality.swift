/// Cardinality statistics of the head, as `/api/v1/status/tsdb` shows them.
public struct HeadCardinality: Sendable {
    /// A name (metric, label, or `label=value` pair) and its count.
    public struct Entry: Sendable, Equatable {
        public var name: String
        public var value: UInt64
    }

    public var numSeries = 0
    public var numLabelPairs = 0
    public var chunkCount = 0
    public var minTime: Int64?
    public var maxTime: Int64?
    /// Each list holds the `limit` largest entries, largest first.
    public var seriesCountByMetricName: [Entry] = []
    public var labelValueCountByLabelName: [Entry] = []
    /// Bytes of label values per label name, counted once per series carrying them.
    public var memoryInBytesByLabelName: [Entry] = []
    public var seriesCountByLabelValuePair: [Entry] = []
}

extension Head {
    /// Counts series per metric name, values per label, value bytes per label
    /// and series per label pair from the head's postings (as Prometheus'
    /// `PostingsStats`), keeping the `limit` largest of each.
    public func cardinality(limit: Int) -> HeadCardinality {
        lock.withLock {
            var c = HeadCardinality()
            var metrics: [HeadCardinality.Entry] = []
            var values: [HeadCardinality.Entry] = []
            var bytes: [HeadCardinality.Entry] = []
            var pairs: [HeadCardinality.Entry] = []
            for (name, byValue) in postings.lists {
                var size: UInt64 = 0
                for (value, refs) in byValue {
                    let count = UInt64(refs.count)
                    if name == "__name__" { metrics.append(.init(name: value, value: count)) }
                    pairs.append(.init(name: name + "=" + value, value: count))
                    size += UInt64(value.utf8.count) * count
                    c.numLabelPairs += 1
                }
                values.append(.init(name: name, value: UInt64(byValue.count)))
                bytes.append(.init(name: name, value: size))
            }
            func top(_ xs: [HeadCardinality.Entry]) -> [HeadCardinality.Entry] {
                Array(xs.sorted { $0.value != $1.value ? $0.value > $1.value : $0.name < $1.name }.prefix(limit))
            }
            c.seriesCountByMetricName = top(metrics)
            c.labelValueCountByLabelName = top(values)
            c.memoryInBytesByLabelName = top(bytes)
            c.seriesCountByLabelValuePair = top(pairs)
            c.numSeries = liveSeries
            for s in allSeriesLocked { c.chunkCount += s.chunkCount }
            c.minTime = minT == .max ? nil : minT
            c.maxTime = maxT == .min ? nil : maxT
            return c
        }
    }
}
