import Testing
import TSDBTestSupport
@testable import TSDB

@Suite("Native histograms")
struct NativeHistogramTests {
    typealias H = NativeHistogram

    static func b(_ pairs: (Int32, Double)...) -> [HistogramBucket] { pairs.map { HistogramBucket($0.0, $0.1) } }

    @Test("bucket boundaries: powers of two per schema, Prometheus' fractions, custom bounds, the last finite bucket")
    func bounds() {
        #expect(HistogramBounds.exponentialUpperBound(index: 3, schema: 0) == 8)
        #expect(HistogramBounds.exponentialUpperBound(index: -2, schema: 0) == 0.25)
        #expect(HistogramBounds.exponentialUpperBound(index: 1, schema: -1) == 4)
        #expect(HistogramBounds.exponentialUpperBound(index: -1, schema: -2) == 1.0 / 16)
        // 2^(1/2) and 2^(1/4) as Prometheus has them (one ulp below the nearest double for √2).
        #expect(HistogramBounds.exponentialUpperBound(index: 1, schema: 1) == 1.414213562373095)
        #expect(HistogramBounds.exponentialUpperBound(index: 1, schema: 2) == 1.189207115002721)
        #expect(HistogramBounds.exponentialUpperBound(index: -1, schema: 2) == 0.8408964152537144)
        #expect(HistogramBounds.exponentialUpperBound(index: 1023 * 256 + 255, schema: 8) == 0.9972960560854698 * 0x1p1023 * 2)
        // The bucket below the one for ±Inf ends at the largest finite double, in every schema.
        #expect(HistogramBounds.exponentialUpperBound(index: 1024, schema: 0) == .greatestFiniteMagnitude)
        #expect(HistogramBounds.exponentialUpperBound(index: 256, schema: -2) == .greatestFiniteMagnitude)
        #expect(HistogramBounds.exponentialUpperBound(index: 1024 * 4, schema: 2) == .greatestFiniteMagnitude)
        #expect(HistogramBounds.exponentialUpperBound(index: 1025, schema: 0) == .infinity)
        // Each schema's fractions are every other one of the next finer schema's.
        for s in 0..<8 {
            let coarse = HistogramBounds.fractions[s], fine = HistogramBounds.fractions[s + 1]
            #expect(coarse.count == 1 << s && coarse == stride(from: 0, to: fine.count, by: 2).map { fine[$0] })
        }
        // Within four units in the last place of 2^(j/256)/2, strictly increasing.
        let f8 = HistogramBounds.fractions[8]
        for j in f8.indices {
            let exact = Foundation.exp2(Double(j) / 256) / 2
            #expect(abs(f8[j] - exact) <= 4 * exact.ulp, "fraction \(j)")
            if j > 0 { #expect(f8[j] > f8[j - 1]) }
        }
        let custom = H(schema: H.customBucketsSchema, customValues: [5, 10])
        #expect(custom.upperBound(0) == 5 && custom.upperBound(1) == 10 && custom.upperBound(2) == .infinity)
        #expect(custom.upperBound(-1) == -.infinity)
    }

    @Test("spans and buckets convert both ways; bad spans are errors")
    func spans() throws {
        let spans = [HistogramSpan(offset: -2, length: 2), HistogramSpan(offset: 3, length: 1)]
        let buckets = try H.buckets(spans: spans, counts: [1, 2, 3])
        #expect(buckets == Self.b((-2, 1), (-1, 2), (3, 3)))
        let back = H.spans(of: buckets)
        #expect(back.spans == spans && back.counts == [1, 2, 3])
        #expect(H.spans(of: []).spans.isEmpty)
        #expect(throws: HistogramError.self) { try H.buckets(spans: spans, counts: [1, 2]) }
        #expect(throws: HistogramError.self) { try H.buckets(spans: spans, counts: [1, 2, 3, 4]) }
        #expect(throws: HistogramError.self) {
            try H.buckets(spans: [HistogramSpan(offset: 0, length: 1), HistogramSpan(offset: -1, length: 1)], counts: [1, 1])
        }
    }

    @Test("a coarser schema merges bucket pairs, negative indices included")
    func reducingResolution() {
        let h = H(schema: 1, count: 15, positive: Self.b((-1, 1), (0, 2), (1, 3), (2, 4), (3, 5)), negative: Self.b((2, 7)))
        let r = h.reducingResolution(to: 0)
        #expect(r.schema == 0)
        #expect(r.positive == Self.b((0, 3), (1, 7), (2, 5)))
        #expect(r.negative == Self.b((1, 7)))
        #expect(h.reducingResolution(to: -1).positive == Self.b((0, 3), (1, 12)))
        #expect(h.reducingResolution(to: 2).isIdentical(to: h), "no finer schema")
    }

    @Test("adding: coarser schema, buckets merged by index, counts and sums added")
    func adding() throws {
        let a = H(schema: 0, count: 3, sum: 5, positive: Self.b((1, 1), (2, 2)))
        let b = H(schema: 1, count: 4, sum: 7, positive: Self.b((1, 1), (2, 1), (7, 2)), negative: Self.b((0, 1)))
        let (sum, r) = try a.adding(b)
        #expect(!r.customBoundsIntersected)
        #expect(sum.schema == 0 && sum.count == 7 && sum.sum == 12)
        #expect(sum.positive == Self.b((1, 3), (2, 2), (4, 2)))
        #expect(sum.negative == Self.b((0, 1)))
        let (difference, _) = try sum.subtracting(b)
        #expect(difference.count == 3 && difference.sum == 5)
        #expect(difference.positive == Self.b((1, 1), (2, 2), (4, 0)), "a bucket emptied by subtraction stays, with count 0")
        #expect(difference.negative == Self.b((0, 0)))
        #expect(difference.compacted().positive == a.positive && difference.compacted().negative.isEmpty)
    }

    @Test("zero buckets widen to the larger threshold, moving up to the end of a populated bucket they would split")
    func zeroBuckets() throws {
        // Buckets (0.5,1], (1,2], (2,4]; the other's zero bucket is [-2, 2].
        let a = H(schema: 0, count: 7, positive: Self.b((0, 1), (1, 2), (2, 4)))
        let b = H(schema: 0, zeroThreshold: 2, zeroCount: 1, count: 2, positive: Self.b((2, 1)))
        let (sum, _) = try a.adding(b)
        #expect(sum.zeroThreshold == 2 && sum.zeroCount == 4)
        #expect(sum.positive == Self.b((2, 5)))
        // A threshold of 1.5 lies inside (1,2], which is populated: it moves to 2.
        #expect(a.zeroCountForLargerThreshold(1.5) == (3, 2))
        // Inside an empty bucket it stays, and the empty bucket adds nothing.
        let gap = H(schema: 0, positive: Self.b((1, 0), (2, 4)))
        #expect(gap.zeroCountForLargerThreshold(1.5) == (0, 1.5))
        // The negative side moves it too, and the positive side is counted again at the new threshold.
        let both = H(schema: 0, positive: Self.b((1, 1), (3, 1)), negative: Self.b((2, 3)))
        #expect(both.zeroCountForLargerThreshold(3) == (4, 4))
        let wide = H(schema: 0, positive: Self.b((1, 1), (2, 1), (3, 1)), negative: Self.b((3, 2)))
        #expect(wide.zeroCountForLargerThreshold(5) == (5, 8))
        // A NaN threshold is an error, not an endless loop; a smaller one changes nothing.
        let nan = H(schema: 0, zeroThreshold: .nan, count: 1)
        #expect(throws: HistogramError.invalidZeroThreshold) { try a.adding(nan) }
        #expect(a.zeroCountForLargerThreshold(.nan) == (0, 0) && b.zeroCountForLargerThreshold(1) == (1, 2))
        let nanLarger = H(schema: 0, zeroThreshold: .nan, count: 100)
        #expect(nanLarger.isCounterReset(after: a), "a zero bucket that is not a number is a layout change, not a trap")
        // The other histogram's buckets inside the widened zero bucket are not added as buckets.
        let narrow = H(schema: 0, zeroThreshold: 4, zeroCount: 1, count: 1)
        let (s2, _) = try narrow.adding(a)
        #expect(s2.zeroThreshold == 4 && s2.zeroCount == 8 && s2.positive.isEmpty)
    }

    @Test("custom buckets: same bounds add by index, different bounds keep the shared ones, mixing with exponential is an error")
    func customBuckets() throws {
        let a = H(schema: H.customBucketsSchema, count: 6, sum: 10, positive: Self.b((0, 1), (1, 2), (2, 3)), customValues: [1, 2, 5])
        let b = H(schema: H.customBucketsSchema, count: 6, sum: 20, positive: Self.b((0, 1), (1, 2), (2, 3)), customValues: [2, 5, 10])
        let (same, r0) = try a.adding(a)
        #expect(!r0.customBoundsIntersected && same.positive == Self.b((0, 2), (1, 4), (2, 6)))
        let (sum, r) = try a.adding(b)
        #expect(r.customBoundsIntersected)
        #expect(sum.customValues == [2, 5])
        // a: (−Inf,1]+(1,2] → (−Inf,2]; (2,5] → (2,5]. b: (−Inf,2] → 0; (2,5] → 1; (5,10] → (5,+Inf].
        #expect(sum.positive == Self.b((0, 4), (1, 5), (2, 3)))
        #expect(sum.count == 12 && sum.sum == 30)
        #expect(throws: HistogramError.incompatibleSchemas) { try a.adding(H(schema: 0, count: 1)) }
    }

    @Test("counter resets: hints decide, else a count that falls, a populated bucket that vanishes, a finer schema or a narrower zero bucket")
    func counterResets() {
        let prev = H(schema: 0, zeroThreshold: 1, zeroCount: 1, count: 5, sum: 10, positive: Self.b((1, 2), (2, 2)))
        var next = prev
        next.count = 6
        next.positive[1].count = 3
        #expect(!next.isCounterReset(after: prev))
        var fell = next
        fell.positive[0].count = 1
        #expect(fell.isCounterReset(after: prev))
        var vanished = next
        vanished.positive.removeFirst()
        #expect(vanished.isCounterReset(after: prev))
        var sumFell = next
        sumFell.sum = 1
        #expect(!sumFell.isCounterReset(after: prev), "the sum is not looked at")
        var finer = next
        finer = H(schema: 1, zeroThreshold: 1, zeroCount: 1, count: 6, positive: Self.b((2, 2), (3, 0), (4, 4)))
        #expect(finer.isCounterReset(after: prev))
        let coarser = H(schema: -1, zeroThreshold: 1, zeroCount: 1, count: 6, positive: Self.b((1, 5)))
        #expect(!coarser.isCounterReset(after: prev), "prev at schema −1: (1,4] holds 4")
        var narrower = next
        narrower.zeroThreshold = 0.5
        #expect(narrower.isCounterReset(after: prev))
        var hinted = next
        hinted.counterResetHint = .counterReset
        #expect(hinted.isCounterReset(after: prev))
        fell.counterResetHint = .notCounterReset
        #expect(!fell.isCounterReset(after: prev))
        // Other custom bounds: compared on the bounds both have ([5] here; (−Inf,5] holds 1, then 1, then 0).
        let before = H(schema: H.customBucketsSchema, count: 1, positive: [HistogramBucket(0, 1)], customValues: [5])
        let rebucketed = H(schema: H.customBucketsSchema, count: 1, positive: [HistogramBucket(0, 1)], customValues: [5, 10])
        #expect(!rebucketed.isCounterReset(after: before))
        let emptied = H(schema: H.customBucketsSchema, count: 1, positive: [HistogramBucket(2, 1)], customValues: [5, 10])
        #expect(emptied.isCounterReset(after: before))
    }

    @Test("counter-reset hints combine as in Prometheus")
    func hints() {
        let c = { (a: H.CounterResetHint, b: H.CounterResetHint) in H.combinedHint(a, b) }
        #expect(c(.notCounterReset, .notCounterReset) == .notCounterReset)
        #expect(c(.gauge, .counterReset) == .gauge && c(.counterReset, .gauge) == .gauge)
        #expect(c(.unknown, .notCounterReset) == .unknown && c(.notCounterReset, .unknown) == .unknown)
        #expect(c(.counterReset, .notCounterReset) == .unknown)
    }

    @Test("buckets with bounds: negative side first, the zero bucket, the edges cut at the zero threshold")
    func boundedBuckets() {
        let h = H(schema: 0, zeroThreshold: 0.75, zeroCount: 2, count: 9,
                  positive: Self.b((0, 1), (2, 3)), negative: Self.b((1, 3)))
        let out = h.boundedBuckets()
        typealias B = H.BoundedBucket
        #expect(out == [
            B(lower: -2, upper: -1, lowerInclusive: true, upperInclusive: false, count: 3),
            B(lower: -0.75, upper: 0.75, lowerInclusive: true, upperInclusive: true, count: 2),
            B(lower: 0.75, upper: 1, lowerInclusive: false, upperInclusive: true, count: 1),
            B(lower: 2, upper: 4, lowerInclusive: false, upperInclusive: true, count: 3),
        ])
        let custom = H(schema: H.customBucketsSchema, count: 3, positive: Self.b((0, 1), (2, 2)), customValues: [5, 10])
        #expect(custom.boundedBuckets() == [
            B(lower: -.infinity, upper: 5, lowerInclusive: true, upperInclusive: true, count: 1),
            B(lower: 10, upper: .infinity, lowerInclusive: false, upperInclusive: true, count: 2),
        ])
    }
}

import Foundation

@Suite("Native histogram sums")
struct NativeHistogramSumTests {
    typealias H = NativeHistogram

    @Test("sums keep small counts beside huge ones that cancel (Kahan), and means switch to incremental on overflow")
    func compensated() throws {
        let sums: [Double] = [1, 1e100, 1, -1e100]
        let hs = sums.enumerated().map { H(schema: 0, count: Double($0.offset + 1), sum: $0.element, positive: [HistogramBucket(0, 1)]) }
        let (total, r) = try H.compensatedTotal(hs, mean: false)
        #expect(total.sum == 2 && total.count == 10 && total.positive == [HistogramBucket(0, 4)] && !r.customBoundsIntersected)
        #expect(hs.dropFirst().reduce(hs[0]) { try! $0.adding($1).0 }.sum == 0, "plain addition loses them")
        let (mean, _) = try H.compensatedTotal(hs, mean: true)
        #expect(mean.sum == 0.5 && mean.count == 2.5)
        // Counts that overflow a direct sum: the mean of 1.7976931348623157e308 and 1e308 is still finite.
        let big = [H(schema: 0, count: .greatestFiniteMagnitude), H(schema: 0, count: 1e308)]
        let (bigMean, _) = try H.compensatedTotal(big, mean: true)
        #expect(bigMean.count.isFinite && abs(bigMean.count - 1.3988465674311579e308) / 1.4e308 < 1e-12)
        // Different schemas and custom bounds are reconciled first.
        let (mixed, _) = try H.compensatedTotal([H(schema: 1, count: 1, positive: [HistogramBucket(1, 1)]),
                                                 H(schema: 0, count: 1, positive: [HistogramBucket(1, 1)])], mean: false)
        #expect(mixed.schema == 0 && mixed.positive == [HistogramBucket(1, 2)])
        let (nhcb, rc) = try H.compensatedTotal([H(schema: -53, count: 1, positive: [HistogramBucket(0, 1)], customValues: [1, 2]),
                                                 H(schema: -53, count: 1, positive: [HistogramBucket(0, 1)], customValues: [2])], mean: false)
        #expect(nhcb.customValues == [2] && nhcb.positive == [HistogramBucket(0, 2)] && rc.customBoundsIntersected)
        #expect(throws: HistogramError.self) { try H.compensatedTotal([H(schema: 0), H(schema: -53)], mean: false) }
    }

    /// Sums take the union of the bucket layouts: in a dense table when the
    /// indices lie close together, in a dictionary when they are far apart.
    @Test("sums over layouts near and far apart", arguments: [(Int32(-3), Int32(5)), (Int32(-300), Int32(400))])
    func unionOfLayouts(low: Int32, high: Int32) throws {
        let a = H(count: 3, sum: 1, positive: NativeHistogramTests.b((low, 1), (0, 2)), negative: NativeHistogramTests.b((1, 1)))
        let b = H(count: 7, sum: 2, positive: NativeHistogramTests.b((0, 3), (high, 4)), negative: NativeHistogramTests.b((high, 2)))
        let (total, _) = try H.compensatedTotal([a, b], mean: false)
        #expect(total.positive.map(\.index) == [low, 0, high] && total.positive.map(\.count) == [1, 5, 4])
        #expect(total.negative.map(\.index) == [1, high] && total.negative.map(\.count) == [1, 2])
        #expect(total.count == 10 && total.sum == 3)
        let (mean, _) = try H.compensatedTotal([a, b], mean: true)
        #expect(mean.positive.map(\.count) == [0.5, 2.5, 2])
    }
}

@Suite("Chunk cuts")
struct HistogramChunkCutTests {
    @Test("the same-layout reset check agrees with isCounterReset(after:)", arguments: 0..<4)
    func sameLayoutResetCheck(seed: UInt64) {
        var rng = SeededRandom(seed: seed)
        for _ in 0..<500 {
            let custom = rng.next() % 4 == 0
            let schema: Int32 = custom ? NativeHistogram.customBucketsSchema : Int32(rng.next() % 4)
            let threshold = custom ? 0 : [0, 0.001, 0.3, 1.5][Int(rng.next() % 4)]
            let count = Int(rng.next() % 6)
            var indices: [Int32] = []
            for k in 0..<count where !custom || k >= 2 { indices.append(Int32(k) * 2 - 4) }
            func random() -> NativeHistogram {
                func n() -> Double { Double(rng.next() % 5) }
                var h = NativeHistogram(schema: schema, zeroThreshold: threshold, zeroCount: custom ? 0 : n(), count: n() * 4,
                                        positive: indices.map { HistogramBucket($0, n()) },
                                        negative: custom ? [] : indices.map { HistogramBucket($0, n()) })
                if custom { h.customValues = [0.5, 1, 2, 4, 8, 16, 32] }
                return h
            }
            let a = random(), b = random()
            #expect(HistogramChunkCuts.fellWithinLayout(b, a) == b.isCounterReset(after: a), "\(a) → \(b)")
        }
    }
}
