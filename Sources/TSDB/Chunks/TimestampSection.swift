/// The timestamp section of a scaled-int chunk: t0, then either a regular
/// grid `t0 + j·step` with the samples that are off the grid listed as
/// (gap, offset), or delta-of-deltas with the non-zero ones listed. One
/// jittered scrape is one grid exception but three non-zero dods; irregular
/// series are better served by dods. The smaller is chosen per chunk.
struct TimestampSection {
    var grid: Bool
    var t0: Int64
    /// Grid: the step; dod mode: t1 - t0.
    var step: Int64
    /// (sample index, value) of the exceptions, ascending.
    var exceptions: [(Int, Int64)]
    /// First sample index an exception can have (grid 1, dod 2).
    var firstIndex: Int

    init(_ samples: [Sample]) {
        let n = samples.count
        t0 = samples[0].t
        var dodList: [(Int, Int64)] = []
        var dodStep: Int64 = 0
        if n >= 2 { dodStep = samples[1].t &- samples[0].t }
        if n >= 3 {
            for j in 2..<n {
                let dod = (samples[j].t &- samples[j - 1].t) &- (samples[j - 1].t &- samples[j - 2].t)
                if dod != 0 { dodList.append((j, dod)) }
            }
        }
        var gridList: [(Int, Int64)] = []
        var gridStep: Int64 = 0
        if n >= 2 {
            gridStep = median((1..<n).map { samples[$0].t &- samples[$0 - 1].t })
            for j in 1..<n {
                let off = samples[j].t &- (t0 &+ Int64(j) &* gridStep)
                if off != 0 { gridList.append((j, off)) }
            }
        }
        func cost(_ list: [(Int, Int64)], from: Int) -> Int {
            let (gaps, values) = TimestampSection.split(list, from: from)
            return RiceCode.best(gaps).bits + RiceCode.best(values).bits
        }
        if n >= 2 && cost(gridList, from: 1) < cost(dodList, from: 2) {
            grid = true; step = gridStep; exceptions = gridList; firstIndex = 1
        } else {
            grid = false; step = dodStep; exceptions = dodList; firstIndex = 2
        }
    }

    /// Gaps (samples skipped since the previous exception) and zig-zag values.
    static func split(_ list: [(Int, Int64)], from: Int) -> (gaps: [UInt64], values: [UInt64]) {
        var prev = from - 1
        var gaps: [UInt64] = [], values: [UInt64] = []
        for (j, v) in list {
            gaps.append(UInt64(j - prev - 1))
            values.append(PackedInts.zigzag(v))
            prev = j
        }
        return (gaps, values)
    }

    func write(to w: inout BitWriter) {
        w.writeVarint(t0)
        w.writeVarint(step)
        w.writeUvarint(UInt64(exceptions.count))
        guard !exceptions.isEmpty else { return }
        let (gaps, values) = TimestampSection.split(exceptions, from: firstIndex)
        let kg = RiceCode.best(gaps).k, kv = RiceCode.best(values).k
        w.writeBits(UInt64(kg), count: 4)
        w.writeBits(UInt64(kv), count: 4)
        for (g, v) in zip(gaps, values) {
            RiceCode.write(g, k: kg, to: &w)
            RiceCode.write(v, k: kv, to: &w)
        }
    }
}
