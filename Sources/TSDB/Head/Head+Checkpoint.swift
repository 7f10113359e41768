/// The head as a WAL checkpoint: written from memory (series, encoded
/// chunks, deleted ranges) rather than by re-reading and filtering old
/// segments, and restored chunk by chunk on replay.
extension Head {
    /// Series per chunks record (a record is decoded whole on replay).
    static let checkpointSeriesPerRecord = 1_000

    /// What the head holds now, as WAL records: series, then their chunks,
    /// then their deleted ranges. Takes the head lock once; the sealed chunks
    /// are shared, not copied, and the open ones copied (a few hundred bytes
    /// each). The caller holds `commitLock` and has just cut the WAL, so the
    /// records stand exactly for the segments before the cut.
    func checkpointRecords() -> [WALRecord] {
        var series: [WALRecord.SeriesRecord] = []
        var chunks: [WALRecord.ChunksRecord] = []
        var tombstones: [WALRecord.TombstoneRecord] = []
        lock.withLock {
            for s in allSeriesLocked {
                series.append(.init(ref: s.ref, labels: s.labels))
                var stored = s.sealed
                let hasOpen = s.open.count > 0 || s.hasOpenHistogramChunk
                if s.open.count > 0 { stored.append(HeadChunk(mint: s.openMint, maxt: s.open.lastT, encoding: .xor, storage: s.open.chunkBytes)) }
                if let c = s.openHistogramChunk { stored.append(c) }
                if !stored.isEmpty { chunks.append(.init(ref: s.ref, chunks: stored, lastIsOpen: hasOpen)) }
                for d in s.deleted { tombstones.append(.init(ref: s.ref, mint: d.lowerBound, maxt: d.upperBound)) }
            }
        }
        var records: [WALRecord] = []
        let n = Head.checkpointSeriesPerRecord
        for i in stride(from: 0, to: series.count, by: n) { records.append(.series(Array(series[i..<min(i + n, series.count)]))) }
        for i in stride(from: 0, to: chunks.count, by: n) { records.append(.chunks(Array(chunks[i..<min(i + n, chunks.count)]))) }
        if !tombstones.isEmpty { records.append(.tombstones(tombstones)) }
        return records
    }

    /// Replays a chunks record (lock held): each chunk newer than what its
    /// series holds and not yet in a block is taken as it is; the newest
    /// one is decoded for the series' newest sample, and becomes the open
    /// chunk again if it was open.
    func replayChunksLocked(_ list: [WALRecord.ChunksRecord], stats: inout ReplayStats) {
        for r in list {
            let ref = stats.aliases[r.ref] ?? r.ref
            guard let s = seriesLocked(ref) else {
                stats.unknownRefs += r.chunks.reduce(0) { $0 + $1.sampleCount }
                continue
            }
            for (i, c) in r.chunks.enumerated() {
                let count = c.sampleCount
                if c.maxt < minValidTime {
                    stats.outOfBounds += count
                    continue
                }
                if c.mint <= s.maxT {
                    stats.rejected += count
                    continue
                }
                s.seal()
                s.sealHistogram()
                if c.encoding.isHistogram {
                    restoreHistograms(c, into: s, open: r.lastIsOpen && i == r.chunks.count - 1)
                } else if i == r.chunks.count - 1 {
                    restoreNewest(c, into: s, open: r.lastIsOpen)
                } else {
                    s.sealed.append(c)
                    s.maxT = c.maxt
                }
                minT = min(minT, c.mint)
                maxT = max(maxT, s.maxT)
                samplesAppended &+= UInt64(count)
                stats.samples += count
            }
        }
    }

    /// Takes a histogram chunk: its last sample becomes the series' newest
    /// histogram, and an open chunk is appended to again, rebuilt sample by
    /// sample (the same bytes: hints are taken as stored).
    private func restoreHistograms(_ c: HeadChunk, into s: MemSeries, open: Bool) {
        var it = HistogramChunkIterator(bytes: c.storage.raw)
        var samples: [HistogramSample] = []
        while it.next() { samples.append(HistogramSample(it.t, it.histogram)) }
        guard let last = samples.last, it.error == nil else {
            // Damaged: kept as it is (readers report the damage), appended to no more.
            s.sealed.append(c)
            s.maxT = c.maxt
            return
        }
        let state = s.histograms ?? HeadHistograms(last.t, last.h)
        s.histograms = state
        state.last = last.h
        state.lastT = last.t
        s.maxT = last.t
        if open {
            var appender = HistogramChunkAppender(layoutOf: samples[0].h)
            for x in samples { appender.append(x.t, x.h) }
            state.open = appender
            state.openMint = c.mint
            state.openEnd = Head.rangeStart(c.mint, blockDuration) &+ blockDuration
        } else {
            s.sealed.append(c)
        }
    }

    /// Takes a series' newest chunk: its last sample becomes the series'
    /// newest (for the duplicate check), and an open XOR chunk is appended
    /// to again, rebuilt sample by sample (same bytes, same resume points).
    private func restoreNewest(_ c: HeadChunk, into s: MemSeries, open: Bool) {
        var it = ChunkIterator(encoding: c.encoding, bytes: c.storage.raw)
        var appender = XORAppender()
        var last: (t: Int64, bits: UInt64)?
        while it.next() {
            if open { appender.append(it.t, it.v) }
            last = (it.t, it.v.bitPattern)
        }
        if open && c.encoding == .xor && it.error == nil, let last {
            s.open = appender
            s.openMint = c.mint
            s.openEnd = Head.rangeStart(c.mint, blockDuration) &+ blockDuration
            s.maxT = last.t
            s.lastBits = last.bits
            return
        }
        s.sealed.append(c)
        s.maxT = last?.t ?? c.maxt
        s.lastBits = last?.bits ?? 0
    }
}
