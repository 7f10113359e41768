/// Native-histogram arithmetic with Prometheus' semantics: sums and
/// differences at the coarser of two schemas, with zero buckets widened to
/// a common threshold and custom bounds reduced to the ones both share;
/// scaling; counter-reset detection.
extension NativeHistogram {
    /// What combining two histograms had to do that a query should mention.
    public struct Reconciliation: Sendable, Equatable {
        /// Custom bounds differed; the result has only the bounds both had.
        public var customBoundsIntersected = false
    }

    /// Every count and the sum multiplied by `factor`; the layout stays.
    public func scaled(by factor: Double) -> NativeHistogram {
        var h = self
        h.zeroCount *= factor
        h.count *= factor
        h.sum *= factor
        for i in h.positive.indices { h.positive[i].count *= factor }
        for i in h.negative.indices { h.negative[i].count *= factor }
        return h
    }

    /// Every count and the sum divided by `divisor`. Dividing by 0 leaves
    /// the count, sum and zero count infinite (or NaN) and removes every
    /// other bucket, as in Prometheus.
    public func divided(by divisor: Double) -> NativeHistogram {
        var h = self
        h.zeroCount /= divisor
        h.count /= divisor
        h.sum /= divisor
        if divisor == 0 {
            h.positive = []
            h.negative = []
            return h
        }
        for i in h.positive.indices { h.positive[i].count /= divisor }
        for i in h.negative.indices { h.negative[i].count /= divisor }
        return h
    }

    /// The bucket index in the coarser schema `target` that holds bucket
    /// `index` of `schema` (each step down merges pairs of buckets).
    @inline(__always)
    static func index(_ index: Int32, from schema: Int32, to target: Int32) -> Int32 {
        schema == target ? index : ((index &- 1) >> (schema - target)) &+ 1
    }

    /// The same histogram at the coarser exponential schema `target`
    /// (≤ `schema`), buckets merged. Custom-bucket histograms stay as they are.
    public func reducingResolution(to target: Int32) -> NativeHistogram {
        guard !usesCustomBuckets, target < schema else { return self }
        var h = self
        h.schema = target
        h.positive = Self.merged(positive, from: schema, to: target)
        h.negative = Self.merged(negative, from: schema, to: target)
        return h
    }

    static func merged(_ buckets: [HistogramBucket], from schema: Int32, to target: Int32) -> [HistogramBucket] {
        var out: [HistogramBucket] = []
        out.reserveCapacity(buckets.count)
        for b in buckets {
            let i = index(b.index, from: schema, to: target)
            if let last = out.last, last.index == i {
                out[out.count - 1].count += b.count
            } else {
                out.append(HistogramBucket(i, b.count))
            }
        }
        return out
    }

    /// The zero count this histogram would have with the zero bucket widened
    /// to `larger` (≥ `zeroThreshold`), and the threshold that takes: if it
    /// falls inside a populated bucket, it moves up to that bucket's upper
    /// boundary and the whole bucket joins the zero bucket.
    /// A threshold that is not larger (or NaN) leaves the zero bucket as it is.
    public func zeroCountForLargerThreshold(_ larger: Double) -> (count: Double, threshold: Double) {
        guard larger > zeroThreshold else { return (zeroCount, zeroThreshold) }
        var threshold = larger
        while true {
            var count = zeroCount
            var moved = false
            for side in [positive, negative] {
                for b in side {
                    let lower = upperBound(b.index &- 1), upper = upperBound(b.index)
                    if lower >= threshold { break }
                    count += b.count
                    if upper > threshold {
                        if b.count != 0 {
                            threshold = upper
                            moved = true
                        }
                        break
                    }
                }
                if moved { break }
            }
            if !moved { return (count, threshold) }
        }
    }

    /// Widens the zero bucket to `threshold` (a bucket boundary at or above
    /// every populated bucket it covers): their counts join the zero count,
    /// and the buckets go, as do all buckets with count 0 (Prometheus
    /// compacts the histogram at this point).
    mutating func widenZeroBucket(to threshold: Double) {
        (zeroCount, zeroThreshold) = zeroCountForLargerThreshold(threshold)
        let upper = upperBound
        positive.removeAll { $0.count == 0 || upper($0.index &- 1) < zeroThreshold }
        negative.removeAll { $0.count == 0 || upper($0.index &- 1) < zeroThreshold }
    }

    /// `self + other`. The result has the coarser schema and the wider zero
    /// bucket; counter-reset hints combine as in Prometheus (a gauge makes a
    /// gauge, unknown makes unknown, a reset against a non-reset is unknown).
    public func adding(_ other: NativeHistogram) throws(HistogramError) -> (NativeHistogram, Reconciliation) {
        try combined(with: other, sign: 1)
    }

    /// `self − other`, as `adding` (the counter-reset hint stays `self`'s).
    public func subtracting(_ other: NativeHistogram) throws(HistogramError) -> (NativeHistogram, Reconciliation) {
        try combined(with: other, sign: -1)
    }

    private func combined(with other: NativeHistogram, sign: Double) throws(HistogramError) -> (NativeHistogram, Reconciliation) {
        guard usesCustomBuckets == other.usesCustomBuckets else { throw .incompatibleSchemas }
        var reconciliation = Reconciliation()
        var h = self
        var o = other
        if sign > 0 { h.counterResetHint = Self.combinedHint(counterResetHint, other.counterResetHint) }
        if usesCustomBuckets {
            if customValues != other.customValues {
                let shared = Self.sharedBounds(customValues, other.customValues)
                h = h.mappingCustomBuckets(to: shared)
                o = o.mappingCustomBuckets(to: shared)
                reconciliation.customBoundsIntersected = true
            }
        } else {
            let target = min(h.schema, o.schema)
            h = h.reducingResolution(to: target)
            o = o.reducingResolution(to: target)
            // A common zero bucket wide enough for both, on a boundary of neither's populated buckets.
            guard !h.zeroThreshold.isNaN && !o.zeroThreshold.isNaN else { throw .invalidZeroThreshold }
            while h.zeroThreshold != o.zeroThreshold {
                if h.zeroThreshold > o.zeroThreshold {
                    (o.zeroCount, o.zeroThreshold) = o.zeroCountForLargerThreshold(h.zeroThreshold)
                }
                if o.zeroThreshold > h.zeroThreshold { h.widenZeroBucket(to: o.zeroThreshold) }
            }
        }
        h.zeroCount += sign * o.zeroCount
        h.count += sign * o.count
        h.sum += sign * o.sum
        // Buckets of the other histogram that now lie inside the zero bucket are already in its count.
        h.positive = Self.merge(h.positive, h.outsideZeroBucket(o.positive), sign: sign)
        h.negative = Self.merge(h.negative, h.outsideZeroBucket(o.negative), sign: sign)
        return (h, reconciliation)
    }

    /// Two ascending bucket lists merged, `b`'s counts times `sign` added to
    /// `a`'s where the indices meet.
    static func merge(_ a: [HistogramBucket], _ b: [HistogramBucket], sign: Double) -> [HistogramBucket] {
        if b.isEmpty { return a }
        var out: [HistogramBucket] = []
        out.reserveCapacity(a.count + b.count)
        var i = 0, j = 0
        while i < a.count || j < b.count {
            if j == b.count || (i < a.count && a[i].index < b[j].index) {
                out.append(a[i])
                i += 1
            } else if i == a.count || b[j].index < a[i].index {
                out.append(HistogramBucket(b[j].index, sign * b[j].count))
                j += 1
            } else {
                out.append(HistogramBucket(a[i].index, a[i].count + sign * b[j].count))
                i += 1
                j += 1
            }
        }
        return out
    }

    static func combinedHint(_ a: CounterResetHint, _ b: CounterResetHint) -> CounterResetHint {
        switch (a, b) {
        case _ where a == b: a
        case (.gauge, _), (_, .gauge): .gauge
        default: .unknown  // unknown with anything, or a reset against a non-reset
        }
    }

    /// The bounds both lists have, ascending.
    static func sharedBounds(_ a: [Double], _ b: [Double]) -> [Double] {
        var out: [Double] = []
        var i = 0, j = 0
        while i < a.count && j < b.count {
            if a[i] == b[j] {
                out.append(a[i])
                i += 1
                j += 1
            } else if a[i] < b[j] {
                i += 1
            } else {
                j += 1
            }
        }
        return out
    }

    /// The custom-bucket histogram re-bucketed onto `bounds`, a subset of
    /// its own: each bucket goes to the one of `bounds` that contains it.
    func mappingCustomBuckets(to bounds: [Double]) -> NativeHistogram {
        var h = self
        h.customValues = bounds
        var out: [HistogramBucket] = []
        var target: Int32 = 0
        for b in positive {
            let upper = upperBound(b.index)
            while Int(target) < bounds.count && bounds[Int(target)] < upper { target += 1 }
            if let last = out.last, last.index == target {
                out[out.count - 1].count += b.count
            } else {
                out.append(HistogramBucket(target, b.count))
            }
        }
        h.positive = out
        return h
    }

    /// Whether `self` follows a counter reset after `previous`: its hint says
    /// so, or (hint unknown or gauge) some count went down, a populated bucket
    /// vanished, the resolution rose or the zero bucket narrowed. The sum is
    /// not looked at.
    public func isCounterReset(after previous: NativeHistogram) -> Bool {
        switch counterResetHint {
        case .counterReset: return true
        case .notCounterReset: return false
        case .unknown, .gauge: break
        }
        if count < previous.count { return true }
        if usesCustomBuckets != previous.usesCustomBuckets { return true }
        if usesCustomBuckets {
            if customValues != previous.customValues {
                // Different bounds: compared on the bounds both have (as they are reconciled when combined).
                let shared = Self.sharedBounds(customValues, previous.customValues)
                return Self.decreased(mappingCustomBuckets(to: shared).positive, previous.mappingCustomBuckets(to: shared).positive)
            }
        } else {
            if schema > previous.schema || zeroThreshold < previous.zeroThreshold { return true }
        }
        var prev = previous.reducingResolution(to: schema)
        if !usesCustomBuckets {
            let (zero, threshold) = prev.zeroCountForLargerThreshold(zeroThreshold)
            if threshold != zeroThreshold { return true }  // the new zero bucket would split a populated bucket
            if zeroCount < zero { return true }
            prev.zeroCount = zero
        }
        return Self.decreased(outsideZeroBucket(positive), outsideZeroBucket(prev.positive))
            || Self.decreased(outsideZeroBucket(negative), outsideZeroBucket(prev.negative))
    }

    /// The buckets (at this histogram's schema) that reach beyond its zero
    /// bucket: all of them for custom buckets, which have no zero bucket.
    func outsideZeroBucket(_ buckets: [HistogramBucket]) -> [HistogramBucket] {
        guard !usesCustomBuckets else { return buckets }
        return buckets.filter { upperBound($0.index) > zeroThreshold }
    }

    /// Whether a populated bucket of `previous` is missing from `current` or has a larger count there.
    static func decreased(_ current: [HistogramBucket], _ previous: [HistogramBucket]) -> Bool {
        var i = 0
        for p in previous {
            while i < current.count && current[i].index < p.index { i += 1 }
            if i < current.count && current[i].index == p.index {
                if current[i].count < p.count { return true }
            } else if p.count != 0 {
                return true
            }
        }
        return false
    }
}
