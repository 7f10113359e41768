/// One timestamped native-histogram sample.
public struct HistogramSample: Sendable {
    public var t: Int64
    public var h: NativeHistogram

    public init(_ t: Int64, _ h: NativeHistogram) {
        self.t = t
        self.h = h
    }
}

/// Where a series' histogram samples start a new chunk, and which
/// counter-reset hint each sample is stored with: the same for the head and
/// for blocks, so that a histogram reads back with the hint Prometheus would
/// give it.
///
/// A new chunk starts at a layout change (our codec has one layout per
/// chunk), at a switch between gauge and counter histograms, and at a counter
/// reset: the producer's hint says so, or the counts say so. Prometheus reads
/// a counter chunk's first sample as `unknown` (the chunk before it may be
/// gone or out of order) and every later one as `notCounterReset`; a gauge
/// histogram stays `gauge`. Stored that way, readers take hints as stored.
public enum HistogramChunkCuts {
    /// Whether `h` cannot follow `previous` (as stored) in the chunk `appender` is writing.
    public static func startsNewChunk(_ h: NativeHistogram, after previous: NativeHistogram,
                                      in appender: borrowing HistogramChunkAppender, maxSamples: Int) -> Bool {
        if appender.count >= maxSamples || !appender.canAppend(h) { return true }
        let gauge = h.counterResetHint == .gauge
        if gauge != (previous.counterResetHint == .gauge) { return true }
        if gauge { return false }
        if h.counterResetHint == .counterReset { return true }
        // The producer's "not a reset" is not trusted over falling counts.
        if !h.zeroThreshold.isNaN { return fellWithinLayout(h, previous) }
        var unhinted = h
        unhinted.counterResetHint = .unknown
        return unhinted.isCounterReset(after: previous)
    }

    /// `isCounterReset(after:)` for two histograms of one layout (what
    /// `canAppend` established), without its allocations: a count, the zero
    /// count or a bucket beyond the zero bucket that fell.
    static func fellWithinLayout(_ h: NativeHistogram, _ previous: NativeHistogram) -> Bool {
        if h.count < previous.count || h.zeroCount < previous.zeroCount { return true }
        let threshold = h.usesCustomBuckets ? -Double.infinity : h.zeroThreshold
        for (a, b) in zip(h.positive, previous.positive) where a.count < b.count {
            if threshold <= 0 || h.upperBound(a.index) > threshold { return true }
        }
        for (a, b) in zip(h.negative, previous.negative) where a.count < b.count {
            if threshold <= 0 || h.upperBound(a.index) > threshold { return true }
        }
        return false
    }

    /// `h` with the hint it is stored with, as the first sample of a chunk or a later one.
    public static func stored(_ h: NativeHistogram, firstInChunk: Bool) -> NativeHistogram {
        var out = h
        if h.counterResetHint != .gauge { out.counterResetHint = firstInChunk ? .unknown : .notCounterReset }
        return out
    }
}
