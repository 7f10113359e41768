/// Sums and means of many histograms with Kahan compensation in every
/// field (Prometheus' `KahanAdd`): `sum`, `avg`, `sum_over_time` and
/// `avg_over_time` of histograms whose counts span many magnitudes keep the
/// small ones.
extension NativeHistogram {
    /// The sum, or with `mean` the mean, of `histograms` (not empty), all
    /// brought to one layout first: the coarsest schema and a zero bucket
    /// wide enough for all, or the custom bounds all of them have (then
    /// `Reconciliation.customBoundsIntersected`). A mean is computed
    /// directly while the running sum stays finite, then incrementally.
    public static func compensatedTotal(_ histograms: [NativeHistogram], mean: Bool) throws(HistogramError) -> (NativeHistogram, Reconciliation) {
        let custom = histograms[0].usesCustomBuckets
        guard histograms.allSatisfy({ $0.usesCustomBuckets == custom }) else { throw .incompatibleSchemas }
        var reconciliation = Reconciliation()
        var aligned: [NativeHistogram]
        var layout = NativeHistogram(schema: histograms[0].schema)
        if custom {
            var shared = histograms[0].customValues
            for h in histograms.dropFirst() where h.customValues != shared { shared = sharedBounds(shared, h.customValues) }
            aligned = histograms.map { $0.customValues == shared ? $0 : $0.mappingCustomBuckets(to: shared) }
            reconciliation.customBoundsIntersected = histograms.contains { $0.customValues != shared }
            layout.customValues = shared
        } else {
            let schema = histograms.map(\.schema).min()!
            aligned = histograms.map { $0.reducingResolution(to: schema) }
            guard !aligned.contains(where: { $0.zeroThreshold.isNaN }) else { throw .invalidZeroThreshold }
            // A zero bucket wide enough for all, on a boundary of no one's populated bucket.
            var threshold = aligned.map(\.zeroThreshold).max()!
            var settled = false
            while !settled {
                settled = true
                for h in aligned {
                    let widened = h.zeroCountForLargerThreshold(threshold).threshold
                    if widened > threshold { threshold = widened; settled = false }
                }
            }
            for i in aligned.indices where aligned[i].zeroThreshold != threshold { aligned[i].widenZeroBucket(to: threshold) }
            layout.schema = schema
            layout.zeroThreshold = threshold
        }
        // Every histogram as one vector of fields: count, sum, zero count, then the union of buckets.
        let positive = BucketUnion(aligned.map(\.positive), firstSlot: 3)
        let negative = BucketUnion(aligned.map(\.negative), firstSlot: 3 + positive.indices.count)
        let width = 3 + positive.indices.count + negative.indices.count
        func fields(_ h: NativeHistogram) -> [Double] {
            var v = [Double](repeating: 0, count: width)
            (v[0], v[1], v[2]) = (h.count, h.sum, h.zeroCount)
            for b in h.positive { v[positive.slot(b.index)] += b.count }
            for b in h.negative { v[negative.slot(b.index)] += b.count }
            return v
        }
        let total = mean ? compensatedMean(aligned.map(fields)) : compensatedSum(aligned.map(fields))
        var out = layout
        out.counterResetHint = aligned.dropFirst().reduce(aligned[0].counterResetHint) { combinedHint($0, $1.counterResetHint) }
        (out.count, out.sum, out.zeroCount) = (total[0], total[1], total[2])
        out.positive = positive.indices.map { HistogramBucket($0, total[positive.slot($0)]) }
        out.negative = negative.indices.map { HistogramBucket($0, total[negative.slot($0)]) }
        return (out, reconciliation)
    }

    /// Field-wise Kahan sum of equally long vectors.
    static func compensatedSum(_ vectors: [[Double]]) -> [Double] {
        var sums = [KahanSum](repeating: KahanSum(), count: vectors[0].count)
        for v in vectors { for j in v.indices { sums[j].add(v[j]) } }
        return sums.map(\.value)
    }

    /// Field-wise mean, as Prometheus' `avg_over_time`: the compensated sum
    /// divided by the count while no field of the sum overflows; from the
    /// first overflow on, an incremental mean (for every field).
    static func compensatedMean(_ vectors: [[Double]]) -> [Double] {
        let width = vectors[0].count
        var sum = vectors[0], c = [Double](repeating: 0, count: width)
        var mean = [Double](repeating: 0, count: width)
        var incremental = false
        var count = 1.0
        for v in vectors.dropFirst() {
            count += 1
            if !incremental {
                var next = sum, nextC = c
                for j in 0..<width {
                    var k = KahanSum(sum: next[j], c: nextC[j])
                    k.add(v[j])
                    (next[j], nextC[j]) = (k.sum, k.c)
                }
                if !next.contains(where: \.isInfinite) {
                    (sum, c) = (next, nextC)
                    continue
                }
                incremental = true
                for j in 0..<width {
                    mean[j] = sum[j] / (count - 1)
                    c[j] /= count - 1
                }
            }
            let q = (count - 1) / count
            for j in 0..<width {
                var k = KahanSum(sum: q * mean[j], c: q * c[j])
                k.add(v[j] / count)
                (mean[j], c[j]) = (k.sum, k.c)
            }
        }
        if incremental { return (0..<width).map { mean[$0] + c[$0] } }
        return (0..<width).map { sum[$0] / count + c[$0] / count }
    }
}

/// The union of several histograms' bucket indices on one side (each list
/// ascending), and the slot of each index in a field vector. Indices within
/// a few times their number of each other (the usual case: one layout, or
/// layouts that grew) are looked up in a dense table; a sparse spread falls
/// back to a dictionary.
struct BucketUnion {
    /// The union, ascending.
    let indices: [Int32]
    private let firstSlot: Int
    private let lowest: Int32
    /// Dense: slot offset + 1 per index − `lowest` (0: not in the union).
    private let dense: [Int32]
    private let sparse: [Int32: Int]

    init(_ lists: [[HistogramBucket]], firstSlot: Int) {
        self.firstSlot = firstSlot
        var lowest = Int32.max, highest = Int32.min, total = 0
        for list in lists where !list.isEmpty {
            lowest = Swift.min(lowest, list[0].index)
            highest = Swift.max(highest, list[list.count - 1].index)
            total += list.count
        }
        self.lowest = lowest
        guard total > 0 else {
            (indices, dense, sparse) = ([], [], [:])
            return
        }
        let span = Int(highest) - Int(lowest) + 1
        if span <= 4 * total + 64 {
            var member = [Bool](repeating: false, count: span)
            for list in lists { for b in list { member[Int(b.index - lowest)] = true } }
            var table = [Int32](repeating: 0, count: span)
            var union: [Int32] = []
            for offset in 0..<span where member[offset] {
                union.append(lowest + Int32(offset))
                table[offset] = Int32(union.count)
            }
            (indices, dense, sparse) = (union, table, [:])
        } else {
            let union = Array(Set(lists.flatMap { $0.map(\.index) })).sorted()
            (indices, dense, sparse) = (union, [], Dictionary(uniqueKeysWithValues: union.enumerated().map { ($1, firstSlot + $0) }))
        }
    }

    /// The field slot of `index` (which must be in the union).
    @inline(__always)
    func slot(_ index: Int32) -> Int {
        dense.isEmpty ? sparse[index]! : firstSlot + Int(dense[Int(index - lowest)]) - 1
    }
}
