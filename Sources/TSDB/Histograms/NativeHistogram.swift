/// A native histogram sample with float counts (Prometheus' `FloatHistogram`):
/// the total count and sum of the observations, a zero bucket, and sparse
/// exponential buckets on both sides of it, or custom buckets given by their
/// upper bounds (schema −53, classic histograms stored as one series).
///
/// Buckets are kept as (index, count) pairs in ascending index order, not as
/// Prometheus' spans: arithmetic is then a merge of two sorted lists. Spans
/// are the wire and storage form (`init(spans:)`, `spans(of:)`). A bucket
/// present with count 0 is kept (it is part of the layout, as in
/// Prometheus); `compacted()` drops such buckets.
public struct NativeHistogram: Sendable {
    /// What the producer said about counter resets since the previous sample.
    public enum CounterResetHint: UInt8, Sendable {
        case unknown = 0
        case counterReset = 1
        case notCounterReset = 2
        /// A gauge histogram: resets mean nothing.
        case gauge = 3
    }

    public static let customBucketsSchema: Int32 = -53
    public static let exponentialSchemas: ClosedRange<Int32> = -4...8

    public var counterResetHint: CounterResetHint = .unknown
    public var schema: Int32 = 0
    /// Observations with |v| ≤ `zeroThreshold` count in the zero bucket.
    public var zeroThreshold: Double = 0
    public var zeroCount: Double = 0
    public var count: Double = 0
    public var sum: Double = 0
    /// Positive buckets, ascending index; bucket i is (bound(i−1), bound(i)].
    public var positive: [HistogramBucket] = []
    /// Negative buckets, ascending index; bucket i is [−bound(i), −bound(i−1)).
    public var negative: [HistogramBucket] = []
    /// Upper bounds of the custom buckets (schema −53): bucket i ends at
    /// `customValues[i]`, the one past the last at +Inf.
    public var customValues: [Double] = []

    public init(counterResetHint: CounterResetHint = .unknown, schema: Int32 = 0, zeroThreshold: Double = 0,
                zeroCount: Double = 0, count: Double = 0, sum: Double = 0, positive: [HistogramBucket] = [],
                negative: [HistogramBucket] = [], customValues: [Double] = []) {
        self.counterResetHint = counterResetHint
        self.schema = schema
        self.zeroThreshold = zeroThreshold
        self.zeroCount = zeroCount
        self.count = count
        self.sum = sum
        self.positive = positive
        self.negative = negative
        self.customValues = customValues
    }

    public var usesCustomBuckets: Bool { schema == Self.customBucketsSchema }

    /// The upper boundary of bucket `index` of this histogram's positive side.
    public func upperBound(_ index: Int32) -> Double {
        usesCustomBuckets ? HistogramBounds.customUpperBound(index: index, customValues: customValues)
            : HistogramBounds.exponentialUpperBound(index: index, schema: schema)
    }
}

/// One bucket of a native histogram: its index in the schema and its count.
public struct HistogramBucket: Sendable, Equatable {
    public var index: Int32
    public var count: Double

    public init(_ index: Int32, _ count: Double) {
        self.index = index
        self.count = count
    }
}

/// A run of consecutive bucket indices (Prometheus' `Span`): the first span's
/// offset is the index of its first bucket, later ones count the indices
/// skipped since the previous span ended.
public struct HistogramSpan: Sendable, Equatable {
    public var offset: Int32
    public var length: UInt32

    public init(offset: Int32, length: UInt32) {
        self.offset = offset
        self.length = length
    }
}

/// Why a native histogram is invalid, or why two cannot be combined.
public struct HistogramError: Error, Sendable, Equatable, CustomStringConvertible {
    public let description: String

    public init(_ description: String) { self.description = description }

    public static let incompatibleSchemas = HistogramError(
        "cannot apply this operation on histograms with a mix of exponential and custom bucket schemas")
    public static let invalidZeroThreshold = HistogramError("histogram has a zero threshold that is not a number")
    public static let incompatibleCustomBounds = HistogramError(
        "cannot apply this operation on custom buckets histograms with different custom bounds")
}

extension NativeHistogram {
    /// Buckets from spans and absolute counts, in order.
    public static func buckets(spans: [HistogramSpan], counts: [Double]) throws(HistogramError) -> [HistogramBucket] {
        let needed = spans.reduce(0) { $0 + Int($1.length) }
        guard needed == counts.count else {
            throw HistogramError("histogram spans specify different number of buckets than provided: spans need \(needed), have \(counts.count)")
        }
        var out: [HistogramBucket] = []
        out.reserveCapacity(counts.count)
        var index: Int32 = 0
        var k = 0
        for (n, span) in spans.enumerated() {
            if n > 0 && span.offset < 0 {
                throw HistogramError("histogram has a span whose offset is negative: span number \(n + 1) with offset \(span.offset)")
            }
            index = n == 0 ? span.offset : index &+ span.offset
            for _ in 0..<span.length {
                guard k < counts.count else {
                    throw HistogramError("histogram spans specify different number of buckets than provided: have \(counts.count)")
                }
                out.append(HistogramBucket(index, counts[k]))
                k += 1
                index &+= 1
            }
        }
        guard k == counts.count else {
            throw HistogramError("histogram spans specify different number of buckets than provided: spans need \(k), have \(counts.count)")
        }
        return out
    }

    /// Spans and counts of buckets in ascending index order.
    public static func spans(of buckets: [HistogramBucket]) -> (spans: [HistogramSpan], counts: [Double]) {
        var spans: [HistogramSpan] = []
        var next: Int32 = 0  // the index after the last bucket seen
        for (k, b) in buckets.enumerated() {
            if k > 0 && b.index == next {
                spans[spans.count - 1].length += 1
            } else {
                spans.append(HistogramSpan(offset: k == 0 ? b.index : b.index - next, length: 1))
            }
            next = b.index &+ 1
        }
        return (spans, buckets.map(\.count))
    }

    /// The same histogram without buckets whose count is 0.
    public func compacted() -> NativeHistogram {
        var h = self
        h.positive.removeAll { $0.count == 0 }
        h.negative.removeAll { $0.count == 0 }
        return h
    }

    /// Identical sample: same layout (buckets with count 0 included), same
    /// counts, the same bits for the sum (a staleness marker is a sum).
    public func isIdentical(to other: NativeHistogram) -> Bool {
        schema == other.schema && zeroThreshold == other.zeroThreshold && zeroCount == other.zeroCount
            && count == other.count && sum.bitPattern == other.sum.bitPattern
            && positive == other.positive && negative == other.negative && customValues == other.customValues
    }
}
