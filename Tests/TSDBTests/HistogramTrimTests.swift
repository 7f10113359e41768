import Testing
@testable import TSDB

/// `NativeHistogram.trimmed`: the properties the trim operators promise
/// whatever the threshold (Prometheus' script pins the interpolated values).
@Suite("Histogram trims")
struct HistogramTrimTests {
    static let exponential = NativeHistogram(schema: 1, zeroThreshold: 0.01, zeroCount: 3, count: 31, sum: 12.5,
                                             positive: [HistogramBucket(-2, 1), HistogramBucket(0, 4), HistogramBucket(1, 6), HistogramBucket(5, 2)],
                                             negative: [HistogramBucket(0, 5), HistogramBucket(3, 10)])
    static let custom = NativeHistogram(schema: NativeHistogram.customBucketsSchema, count: 15, sum: 40,
                                        positive: [HistogramBucket(0, 2), HistogramBucket(1, 6), HistogramBucket(2, 4), HistogramBucket(3, 3)],
                                        customValues: [1, 2, 10])
    static let thresholds: [Double] = [-.infinity, -100, -3, -2.5, -1, -0.005, 0, 0.003, 0.7, 1, 1.2, 2, 5.5, 10, 1e6, .infinity]

    @Test("below t plus above t is everything; each side only loses observations", arguments: [exponential, custom])
    func complementaryCounts(h: NativeHistogram) {
        for t in Self.thresholds {
            let below = h.trimmed(.keepBelow, at: t), above = h.trimmed(.keepAbove, at: t)
            let (b, a) = (below.count, above.count)
            // The first custom bucket (−∞, 1] stands for [0, 1]: cut below 0, it is discarded on both sides.
            if h.usesCustomBuckets && t.isFinite && t < 0 {
                #expect(b + a == h.count - 2, "t = \(t)")
            } else {
                #expect(abs(b + a - h.count) < 1e-9, "t = \(t): \(b) + \(a)")
            }
            #expect(b <= h.count && a <= h.count)
            #expect(below.schema == h.schema && below.customValues == h.customValues && below.zeroThreshold == h.zeroThreshold)
        }
    }

    @Test func identityAndAnnihilation() {
        for h in [Self.exponential, Self.custom] {
            #expect(h.trimmed(.keepBelow, at: .infinity).isIdentical(to: h))
            #expect(h.trimmed(.keepAbove, at: -.infinity).isIdentical(to: h))
            let none = h.trimmed(.keepAbove, at: .infinity)
            #expect(none.count == 0 && none.sum == 0 && none.positive.isEmpty && none.negative.isEmpty && none.zeroCount == 0)
        }
    }

    /// Trimming twice keeps what trimming once at the tighter threshold keeps.
    @Test func nestedTrimsCount() {
        for (t1, t2) in [(5.5, 1.2), (1.2, 5.5), (-0.005, 0.003)] {
            let twice = Self.exponential.trimmed(.keepBelow, at: t1).trimmed(.keepBelow, at: t2)
            let once = Self.exponential.trimmed(.keepBelow, at: min(t1, t2))
            #expect(abs(twice.count - once.count) < 1e-9, "\(t1), \(t2)")
        }
    }
}
