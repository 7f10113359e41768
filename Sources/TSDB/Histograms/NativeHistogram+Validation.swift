extension NativeHistogram {
    /// Checks what Prometheus checks before storing a histogram: a known
    /// schema, no negative bucket counts, buckets in ascending index order,
    /// and for custom buckets increasing finite bounds that cover every
    /// bucket, no zero bucket and no negative side (an exponential histogram
    /// has no custom bounds). Counts are not checked against each other:
    /// float rounding makes them disagree legitimately.
    public func validate() throws(HistogramError) {
        if usesCustomBuckets {
            var previous = -Double.infinity
            for (i, bound) in customValues.enumerated() {
                if bound.isNaN { throw HistogramError("custom buckets: bound number \(i + 1) is NaN") }
                if i > 0 && bound <= previous {
                    throw HistogramError("custom buckets: previous bound is \(previous) and current is \(bound): bounds must increase")
                }
                previous = bound
            }
            if previous == .infinity { throw HistogramError("custom buckets: last +Inf bound must not be explicitly defined") }
            if let b = positive.first(where: { $0.index < 0 || Int($0.index) > customValues.count }) {
                throw HistogramError("custom buckets: bucket index \(b.index) is outside the \(customValues.count + 1) buckets the bounds define")
            }
            if zeroCount != 0 { throw HistogramError("custom buckets: must have zero count of 0") }
            if zeroThreshold != 0 { throw HistogramError("custom buckets: must have zero threshold of 0") }
            if !negative.isEmpty { throw HistogramError("custom buckets: must not have negative buckets") }
        } else {
            guard Self.exponentialSchemas.contains(schema) else {
                throw HistogramError("histogram has schema \(schema), outside \(Self.exponentialSchemas.lowerBound)…"
                    + "\(Self.exponentialSchemas.upperBound) and \(Self.customBucketsSchema)")
            }
            if !customValues.isEmpty { throw HistogramError("histogram with exponential schema must not have custom bounds") }
            try Self.checkBuckets(negative, side: "negative")
        }
        try Self.checkBuckets(positive, side: "positive")
    }

    private static func checkBuckets(_ buckets: [HistogramBucket], side: String) throws(HistogramError) {
        for (i, b) in buckets.enumerated() {
            if b.count < 0 {
                throw HistogramError("\(side) side: bucket number \(i + 1) has observation count of \(b.count): histogram has a bucket whose observation count is negative")
            }
            if i > 0 && b.index <= buckets[i - 1].index {
                throw HistogramError("\(side) side: bucket indices are not ascending (\(buckets[i - 1].index) then \(b.index))")
            }
        }
    }
}
