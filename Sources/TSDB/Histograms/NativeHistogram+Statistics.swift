import Foundation

/// Estimates over a native histogram's buckets, as Prometheus computes them
/// for `histogram_quantile`, `histogram_fraction` and `histogram_stddev`.
extension NativeHistogram {
    /// What NaN observations (counted, but in no bucket; the sum is then NaN) did to an estimate.
    public enum NaNObservations: Sendable, Equatable {
        /// The quantile lies among them: the result is NaN.
        case resultIsNaN
        /// They rank above every bucket: the quantile is skewed higher.
        case resultSkewedHigher
        /// They are in no fraction: fractions add up to less than 1.
        case excludedFromFractions
    }

    /// The q-quantile: interpolated exponentially within an exponential
    /// bucket, linearly within the zero bucket and custom buckets. A zero
    /// bucket is taken to start (end) at 0 when there are only positive
    /// (negative) buckets. NaN without observations or for q NaN; ∓Inf for
    /// q outside [0, 1]. Counted from the top for q ≥ 0.5 unless the sum is
    /// NaN: NaN observations rank above +Inf, so then from the bottom.
    public func quantile(_ q: Double) -> (value: Double, nanObservations: NaNObservations?) {
        if q < 0 { return (-.infinity, nil) }
        if q > 1 { return (.infinity, nil) }
        if count == 0 || q.isNaN { return (.nan, nil) }
        let forward = sum.isNaN || q < 0.5
        let all = boundedBuckets()
        let buckets = forward ? all : all.reversed()
        var rank = forward ? q * count : (1 - q) * count
        var seen = 0.0
        var bucket = BoundedBucket(lower: 0, upper: 0, lowerInclusive: false, upperInclusive: false, count: 0)
        var next = buckets.startIndex
        while next < buckets.endIndex {
            let b = buckets[next]
            next += 1
            guard b.count != 0 else { continue }
            bucket = b
            seen += b.count
            if seen >= rank { break }
        }
        if !usesCustomBuckets && bucket.lower < 0 && bucket.upper > 0 {
            if negative.isEmpty && !positive.isEmpty { bucket.lower = 0 } else if positive.isEmpty && !negative.isEmpty { bucket.upper = 0 }
        } else if usesCustomBuckets {
            if bucket.lower == -.infinity {
                if bucket.upper <= 0 { return (bucket.upper, nil) }
                bucket.lower = 0
            } else if bucket.upper == .infinity {
                return (bucket.lower, nil)
            }
        }
        seen = Swift.min(seen, count)
        if seen < rank { return sum.isNaN ? (.nan, .resultIsNaN) : (bucket.upper, nil) }
        rank = forward ? rank - (seen - bucket.count) : seen - rank
        var note: NaNObservations?
        if sum.isNaN {
            // Fewer observations in buckets than counted: NaNs, which rank above the result.
            var total = seen
            while next < buckets.endIndex { total += buckets[next].count; next += 1 }
            if total < count { note = .resultSkewedHigher }
        }
        let fraction = rank / bucket.count
        if usesCustomBuckets || (bucket.lower <= 0 && bucket.upper >= 0) {
            return (bucket.lower + (bucket.upper - bucket.lower) * fraction, note)
        }
        let logLower = log2(abs(bucket.lower)), logUpper = log2(abs(bucket.upper))
        if bucket.lower > 0 { return (exp2(logLower + (logUpper - logLower) * fraction), note) }
        return (-exp2(logUpper + (logLower - logUpper) * (1 - fraction)), note)
    }

    /// The fraction of observations between `lower` and `upper`, interpolated
    /// as `quantile` does (an infinite bucket bound is not interpolated). NaN
    /// without observations or for a NaN bound, 0 when lower ≥ upper. NaN
    /// observations are in no fraction.
    public func fraction(between lower: Double, and upper: Double) -> (value: Double, nanObservations: NaNObservations?) {
        if count == 0 || lower.isNaN || upper.isNaN { return (.nan, nil) }
        if lower >= upper { return (0, nil) }
        var rank = 0.0, lowerRank = 0.0, upperRank = 0.0
        var lowerSet = false, upperSet = false
        var inBuckets = 0.0
        let buckets = boundedBuckets()
        var next = 0
        while next < buckets.count {
            var b = buckets[next]
            next += 1
            inBuckets += b.count
            var zeroBucket = false
            if b.lower <= 0 && b.upper >= 0 {
                zeroBucket = true
                if negative.isEmpty && !positive.isEmpty { b.lower = 0 } else if positive.isEmpty && !negative.isEmpty { b.upper = 0 }
            }
            func interpolate(_ v: Double) -> Double {
                if usesCustomBuckets || zeroBucket {
                    if b.lower == -.infinity { return b.count }
                    return rank + b.count * (v - b.lower) / (b.upper - b.lower)
                }
                let logLower = log2(abs(b.lower)), logUpper = log2(abs(b.upper)), logV = log2(abs(v))
                let f = v > 0 ? (logV - logLower) / (logUpper - logLower) : 1 - (logV - logUpper) / (logLower - logUpper)
                return rank + b.count * f
            }
            if !lowerSet && b.lower >= lower { lowerRank = rank; lowerSet = true }
            if !upperSet && b.lower >= upper { upperRank = rank; upperSet = true }
            if lowerSet && upperSet { break }
            if !lowerSet && b.lower < lower && b.upper > lower { lowerRank = interpolate(lower); lowerSet = true }
            if !upperSet && b.lower < upper && b.upper > upper { upperRank = interpolate(upper); upperSet = true }
            if lowerSet && upperSet { break }
            rank += b.count
        }
        var note: NaNObservations?
        var total = count
        if sum.isNaN {
            // Only the observations in buckets can be in a fraction.
            while next < buckets.count { inBuckets += buckets[next].count; next += 1 }
            if inBuckets < count { note = .excludedFromFractions }
            total = inBuckets
        }
        if !lowerSet || lowerRank > total { lowerRank = total }
        if !upperSet || upperRank > total { upperRank = total }
        return ((upperRank - lowerRank) / count, note)
    }

    /// The variance of the observations, each bucket standing for its
    /// midpoint: the arithmetic one for custom buckets, 0 for the zero
    /// bucket, the geometric one for exponential buckets (Kahan-summed).
    public var variance: Double {
        let mean = sum / count
        var total = KahanSum()
        for b in boundedBuckets() where b.count != 0 {
            let value: Double
            if usesCustomBuckets {
                value = (b.upper + b.lower) / 2
            } else if b.lower <= 0 && b.upper >= 0 {
                value = 0
            } else {
                value = b.upper < 0 ? -(b.upper * b.lower).squareRoot() : (b.upper * b.lower).squareRoot()
            }
            let delta = value - mean
            total.add(b.count * delta * delta)
        }
        return total.value / count
    }
}

