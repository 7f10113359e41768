/// A native histogram's buckets with their boundaries, in ascending order of
/// value: what the HTTP API prints and what quantiles interpolate over.
extension NativeHistogram {
    /// One bucket with its boundaries and which of them belong to it.
    public struct BoundedBucket: Sendable, Equatable {
        public var lower: Double
        public var upper: Double
        public var lowerInclusive: Bool
        public var upperInclusive: Bool
        public var count: Double
    }

    /// Negative buckets (most negative first), the zero bucket if it holds
    /// anything, then positive buckets. A bucket reaching into the zero
    /// bucket is cut at the zero threshold. Buckets with count 0 are included.
    public func boundedBuckets() -> [BoundedBucket] {
        var out: [BoundedBucket] = []
        out.reserveCapacity(positive.count + negative.count + 1)
        for b in negative.reversed() {
            let lower = -upperBound(b.index), upper = min(-upperBound(b.index &- 1), -zeroThreshold)
            out.append(BoundedBucket(lower: lower, upper: upper, lowerInclusive: lower < 0, upperInclusive: upper > 0,
                                     count: b.count))
        }
        if zeroCount > 0 {
            out.append(BoundedBucket(lower: -zeroThreshold, upper: zeroThreshold, lowerInclusive: true, upperInclusive: true,
                                     count: zeroCount))
        }
        for b in positive {
            let rawLower = upperBound(b.index &- 1), upper = upperBound(b.index)
            if usesCustomBuckets {
                out.append(BoundedBucket(lower: rawLower, upper: upper, lowerInclusive: b.index == 0, upperInclusive: true,
                                         count: b.count))
            } else {
                let lower = max(rawLower, zeroThreshold)
                out.append(BoundedBucket(lower: lower, upper: upper, lowerInclusive: lower < 0, upperInclusive: upper > 0,
                                         count: b.count))
            }
        }
        return out
    }
}
