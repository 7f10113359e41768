import Foundation

/// PromQL's trim operators on a histogram: `h </ t` keeps the observations
/// below `t`, `h >/ t` those above it.
///
/// A bucket wholly on the kept side stays, one wholly on the other side is
/// emptied, and one that `t` cuts keeps the share of its count on the kept
/// side: interpolated exponentially in an exponential bucket, linearly in a
/// custom bucket or the zero bucket. The zero bucket stands for [0, w] when
/// only positive buckets hold observations, for [−w, 0] when only negative
/// ones do, and for [−w, w] otherwise. Observations in a bucket reaching to
/// −∞ are taken to be at −∞, except in a first custom bucket with a positive
/// upper bound, which (as for `histogram_quantile`) stands for [0, upper];
/// cut below 0 it is emptied whichever side is kept. Observations in a
/// bucket reaching to +∞ are at +∞.
///
/// When nothing was trimmed the histogram comes back as it was. Otherwise
/// the count is the sum of what the buckets kept and the sum is estimated
/// from them, each kept count at the middle of the part of its bucket that
/// was kept (the geometric middle in an exponential bucket).
extension NativeHistogram {
    public enum TrimSide: Sendable {
        /// `</`: keep the observations below the threshold.
        case keepBelow
        /// `>/`: keep the observations above the threshold.
        case keepAbove
    }

    public func trimmed(_ side: TrimSide, at threshold: Double) -> NativeHistogram {
        var out = self
        var changed = false
        var count = 0.0, sum = 0.0
        func trim(lower: Double, upper: Double, count c: Double, linear: Bool) -> Double {
            let k = Self.kept(side, threshold, lower: lower, upper: upper, count: c, linear: linear)
            if k.count != c { changed = true }
            if k.count != 0 {
                count += k.count
                sum += k.count * Self.middle(k.from, k.to, linear: linear)
            }
            return k.count
        }
        if !usesCustomBuckets {
            let positiveSide = positive.contains { $0.count > 0 }, negativeSide = negative.contains { $0.count > 0 }
            let lower = positiveSide && !negativeSide ? 0 : -zeroThreshold
            let upper = negativeSide && !positiveSide ? 0 : zeroThreshold
            out.zeroCount = trim(lower: lower, upper: upper, count: zeroCount, linear: true)
        }
        for k in positive.indices {
            let index = positive[k].index
            var lower = upperBound(index &- 1)
            if !usesCustomBuckets { lower = max(lower, zeroThreshold) }
            out.positive[k].count = trim(lower: lower, upper: upperBound(index), count: positive[k].count, linear: usesCustomBuckets)
        }
        for k in negative.indices {
            let index = negative[k].index
            let upper = min(-upperBound(index &- 1), -zeroThreshold)
            out.negative[k].count = trim(lower: -upperBound(index), upper: upper, count: negative[k].count, linear: false)
        }
        guard changed else { return self }
        out.count = count
        out.sum = sum
        return out.compacted()
    }

    /// What a bucket [lower, upper] holding `count` keeps, and the part [from, to] of it kept.
    static func kept(_ side: TrimSide, _ t: Double, lower: Double, upper: Double, count: Double,
                     linear: Bool) -> (count: Double, from: Double, to: Double) {
        let keepBelow = side == .keepBelow
        if keepBelow ? upper <= t : lower >= t { return (count, lower, upper) }
        if keepBelow ? lower >= t : upper <= t { return (0, lower, upper) }
        // t cuts the bucket: the share of its observations below t.
        let below: Double
        if lower == -.infinity {
            if upper == .infinity { return (0, lower, upper) }
            if upper <= 0 {
                below = 1
            } else if t >= 0 {
                below = t / upper  // a first custom bucket stands for [0, upper]
            } else {
                return (0, lower, upper)
            }
        } else if upper == .infinity {
            below = 0
        } else if linear {
            below = (t - lower) / (upper - lower)
        } else if lower > 0 {
            below = (log2(t) - log2(lower)) / (log2(upper) - log2(lower))
        } else {  // mirrored: the share above t of the magnitudes
            let magnitudes: (t: Double, lower: Double, upper: Double) = (log2(-t), log2(-upper), log2(-lower))
            below = 1 - (magnitudes.t - magnitudes.lower) / (magnitudes.upper - magnitudes.lower)
        }
        return keepBelow ? (count * below, lower, t) : (count * (1 - below), t, upper)
    }

    /// The value standing for the observations in [a, b].
    static func middle(_ a: Double, _ b: Double, linear: Bool) -> Double {
        if a == -.infinity { return b == .infinity ? 0 : b > 0 ? b / 2 : b }
        if b == .infinity { return a }
        if linear { return (a + b) / 2 }
        let geometric = (a * b).magnitude.squareRoot()
        return a < 0 ? -geometric : geometric
    }
}
