extension Series {
    /// Whether the series has native-histogram samples in the chunks read.
    public var hasHistograms: Bool { !histogramChunks.isEmpty }

    /// The native-histogram samples in the query range, in time order,
    /// deleted ranges left out. Where chunks overlap (blocks written late,
    /// head and block during compaction) the chunk listed first wins a
    /// timestamp, as for floats.
    public func histogramSamples() throws -> [HistogramSample] {
        try Self.histogramSamples(histogramChunks, mint: mint, maxt: maxt, deleted: deleted)
    }

    static func histogramSamples(_ chunks: [ChunkMeta], mint: Int64, maxt: Int64,
                                 deleted: [ClosedRange<Int64>]) throws -> [HistogramSample] {
        var out: [HistogramSample] = []
        var sources: [Int] = []  // per sample, the position of its chunk in `chunks`
        var sorted = true
        for (p, c) in chunks.enumerated() where c.maxt >= mint && c.mint <= maxt {
            var it = HistogramChunkIterator(bytes: c.bytes)
            while it.next() {
                let t = it.t
                guard t >= mint && t <= maxt, !deleted.contains(where: { $0.contains(t) }) else { continue }
                if let last = out.last, t <= last.t { sorted = false }
                out.append(HistogramSample(t, it.histogram))
                sources.append(p)
            }
            if let e = it.error { throw e }
        }
        guard !sorted else { return out }
        let order = out.indices.sorted { (out[$0].t, sources[$0]) < (out[$1].t, sources[$1]) }
        var merged: [HistogramSample] = []
        merged.reserveCapacity(out.count)
        for i in order where merged.last?.t != out[i].t { merged.append(out[i]) }
        return merged
    }
}
