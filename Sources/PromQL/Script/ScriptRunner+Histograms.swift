import TSDB

extension ScriptRunner {
    /// promqltest's `compareNativeHistogram`: the same schema, zero threshold,
    /// custom bounds and bucket layout; counts, sum, zero count and bucket
    /// counts equal within ε. The counter-reset hint is not compared.
    /// Both are compacted first (buckets with count 0 dropped), as promqltest does.
    static func sameHistogram(_ expectedRaw: NativeHistogram, _ gotRaw: NativeHistogram) -> Bool {
        let expected = expectedRaw.compacted(), got = gotRaw.compacted()
        guard expected.schema == got.schema, almostEqual(expected.count, got.count), almostEqual(expected.sum, got.sum) else { return false }
        if expected.usesCustomBuckets && !expected.customValues.elementsEqual(got.customValues) { return false }
        guard expected.zeroThreshold == got.zeroThreshold, almostEqual(expected.zeroCount, got.zeroCount) else { return false }
        func same(_ a: [HistogramBucket], _ b: [HistogramBucket]) -> Bool {
            a.count == b.count && zip(a, b).allSatisfy { $0.index == $1.index && almostEqual($0.count, $1.count) }
        }
        return same(expected.negative, got.negative) && same(expected.positive, got.positive)
    }

    static func describe(_ s: VectorSample) -> String { s.h.map(GoFormat.histogram) ?? "\(s.v)" }
}
