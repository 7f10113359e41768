import Foundation

/// Writes an immutable block directory from series chunks: chunk segments,
/// index, tombstones and meta.json go into `<ulid>.tmp-for-creation/`, are
/// fsynced, and the directory is renamed to `<ulid>` in one step, so a block
/// is either wholly there or not at all.
public enum BlockWriter {
    static let tmpSuffix = ".tmp-for-creation"
    /// Samples per chunk in blocks. Larger than the head's 120: the fixed cost
    /// of a chunk (first sample verbatim, framing, CRC, index entry) is then
    /// spread over more samples, and decoding a whole chunk still takes only
    /// a few microseconds when a query seeks into it.
    public static let samplesPerChunk = 480

    /// Told the number of series written so far and the total, now and then.
    public typealias Progress = (_ written: Int, _ total: Int) -> Void

    /// Writes the samples of `series` with mint ≤ t < maxt. Series must be
    /// sorted by labels; their chunks may overlap (they are merged). Returns
    /// nil when the range holds no sample (no block is created).
    public static func write(into parent: String, mint: Int64, maxt: Int64, series: [SeriesChunks],
                             level: Int = 1, sources: [String]? = nil,
                             parents: [BlockMeta.Parent]? = nil, progress: Progress? = nil) throws -> BlockMeta? {
        let ulid = ULID.make()
        let tmp = parent + "/" + ulid + tmpSuffix
        try FileIO.removeAll(tmp)
        try FileIO.makeDirectory(tmp)
        do {
            let chunkWriter = try ChunkSegmentWriter(directory: tmp + "/chunks")
            var entries: [BlockSeriesEntry] = []
            entries.reserveCapacity(series.count)
            var numSamples: UInt64 = 0, numChunks: UInt64 = 0
            var actualMin = Int64.max, actualMax = Int64.min
            for (i, s) in series.enumerated() {
                if let progress, i % 4096 == 0 { progress(i, series.count) }
                var entry = BlockSeriesEntry(labels: s.labels, chunks: [])
                for c in try clip(s, mint: mint, maxt: maxt) {
                    let ref = try chunkWriter.write(c.encoding, c.bytes)
                    entry.chunks.append(.init(mint: c.mint, maxt: c.maxt, ref: ref))
                    numSamples += UInt64(Int(c.bytes[0]) << 8 | Int(c.bytes[1]))
                    numChunks += 1
                    actualMin = min(actualMin, c.mint)
                    actualMax = max(actualMax, c.maxt)
                }
                if !entry.chunks.isEmpty { entries.append(entry) }
            }
            progress?(series.count, series.count)
            try chunkWriter.close()
            CrashPoints.reach("block.chunks-written")
            if entries.isEmpty {
                try FileIO.removeAll(tmp)
                return nil
            }
            try writeFile(try BlockIndexWriter.encode(entries, baseTime: mint), tmp + "/index")
            try writeFile(TombstonesFile.encode([]), tmp + "/tombstones")
            let meta = BlockMeta(
                ulid: ulid, minTime: mint, maxTime: maxt,
                stats: .init(numSamples: numSamples, numSeries: UInt64(entries.count), numChunks: numChunks),
                compaction: .init(level: level, sources: sources ?? [ulid], parents: parents),
                version: 1)
            try writeFile(try encodeMeta(meta), tmp + "/meta.json")
            try FileIO.syncDirectory(tmp)
            CrashPoints.reach("block.before-rename")
            try FileIO.rename(tmp, parent + "/" + ulid)
            try FileIO.syncDirectory(parent)
            return meta
        } catch {
            try? FileIO.removeAll(tmp)
            throw error
        }
    }

    static func encodeMeta(_ meta: BlockMeta) throws -> [UInt8] {
        let enc = JSONEncoder()
        enc.outputFormatting = [.prettyPrinted, .sortedKeys]
        do { return Array(try enc.encode(meta)) } catch {
            throw TSDBError(.io, "cannot encode meta.json: \(error)")
        }
    }

    static func writeFile(_ data: [UInt8], _ path: String) throws {
        let f = try WritableFile(creating: path)
        try f.write(data)
        try f.sync()
        f.close()
    }

    /// An encoded chunk ready to be written.
    struct PreparedChunk {
        var mint: Int64
        var maxt: Int64
        var encoding: ChunkEncoding
        var bytes: UnsafeRawBufferPointer
        var owner: AnyObject
    }

    /// The samples of one series in [mint, maxt), merged (the first chunk wins
    /// on equal timestamps), without deleted ranges, re-encoded with the best
    /// encoding in runs of `samplesPerChunk`.
    static func clip(_ s: SeriesChunks, mint: Int64, maxt: Int64) throws -> [PreparedChunk] {
        let chunks = s.chunks.filter { $0.maxt >= mint && $0.mint < maxt }
        guard chunks.contains(where: { $0.encoding.isHistogram }) else { return try clipFloats(chunks, s.deleted, mint: mint, maxt: maxt) }
        var out = try clipFloats(chunks.filter { !$0.encoding.isHistogram }, s.deleted, mint: mint, maxt: maxt)
        out += try clipHistograms(chunks.filter { $0.encoding.isHistogram }, s.deleted, mint: mint, maxt: maxt)
        out.sort { $0.mint < $1.mint }
        return out
    }

    private static func clipFloats(_ chunks: [ChunkMeta], _ deleted: [ClosedRange<Int64>], mint: Int64, maxt: Int64) throws -> [PreparedChunk] {
        var it = SeriesIterator(chunks: chunks, mint: mint, maxt: maxt - 1, deleted: deleted)
        var out: [PreparedChunk] = []
        var run: [Sample] = []
        func flush() {
            guard !run.isEmpty else { return }
            let c = ChunkEncoder.encode(run)
            let storage = ChunkBytes(c.bytes)
            out.append(PreparedChunk(mint: run.first!.t, maxt: run.last!.t, encoding: c.encoding, bytes: storage.raw, owner: storage))
            run.removeAll(keepingCapacity: true)
        }
        while it.next() {
            run.append(Sample(it.t, it.v))
            if run.count == samplesPerChunk { flush() }
        }
        if let e = it.error { throw e }
        flush()
        return out
    }

    /// The histogram samples of the chunks in [mint, maxt), merged, without
    /// deleted ranges, in new chunks of up to `samplesPerChunk` cut where
    /// `HistogramChunkCuts` says (a layout change, a counter reset).
    private static func clipHistograms(_ chunks: [ChunkMeta], _ deleted: [ClosedRange<Int64>], mint: Int64, maxt: Int64) throws -> [PreparedChunk] {
        let samples = try Series.histogramSamples(chunks, mint: mint, maxt: maxt - 1, deleted: deleted)
        var out: [PreparedChunk] = []
        var start = 0
        while start < samples.count {
            var appender = HistogramChunkAppender(layoutOf: samples[start].h)
            var previous = HistogramChunkCuts.stored(samples[start].h, firstInChunk: true)
            appender.append(samples[start].t, previous)
            var end = start + 1
            while end < samples.count
                    && !HistogramChunkCuts.startsNewChunk(samples[end].h, after: previous, in: appender, maxSamples: samplesPerChunk) {
                previous = HistogramChunkCuts.stored(samples[end].h, firstInChunk: false)
                appender.append(samples[end].t, previous)
                end += 1
            }
            let storage = appender.chunkBytes
            out.append(PreparedChunk(mint: samples[start].t, maxt: samples[end - 1].t, encoding: .floatHistogram,
                                     bytes: storage.raw, owner: storage))
            start = end
        }
        return out
    }
}
