/// The histogram side of a head series, allocated at its first histogram
/// sample: the open histogram chunk and the newest histogram sample.
/// Mutated only with the head's lock held, like the series.
final class HeadHistograms {
    /// The chunk being appended to; empty (count 0) when there is none.
    var open: HistogramChunkAppender
    var openMint: Int64 = 0
    /// The open chunk is cut when a sample reaches this time (the next block boundary).
    var openEnd: Int64 = 0
    /// The newest histogram sample as stored (for duplicates and reset detection).
    var last: NativeHistogram
    var lastT: Int64

    init(_ t: Int64, _ h: NativeHistogram) {
        open = HistogramChunkAppender(layoutOf: h)
        last = h
        lastT = t
    }
}

extension MemSeries {
    /// Whether the newest sample is a histogram.
    var newestIsHistogram: Bool { histograms.map { $0.lastT == maxT && maxT != .min } ?? false }

    /// Whether (t, v) repeats the newest sample exactly (appending it is a no-op).
    func isNewest(_ t: Int64, _ v: Double) -> Bool {
        t == maxT && v.bitPattern == lastBits && !newestIsHistogram
    }

    /// Whether (t, h) repeats the newest sample exactly (appending it is a no-op).
    func isNewest(_ t: Int64, _ h: NativeHistogram) -> Bool {
        guard t == maxT, newestIsHistogram, let last = histograms?.last else { return false }
        return last.isIdentical(to: h)
    }

    /// Whether a histogram chunk is open (then the float chunk is not).
    var hasOpenHistogramChunk: Bool { (histograms?.open.count ?? 0) > 0 }

    /// Appends a histogram sample known to be newer than `maxT`, cutting
    /// chunks as `HistogramChunkCuts` says.
    func appendHistogram(_ t: Int64, _ h: NativeHistogram, blockDuration: Int64) {
        if open.count > 0 { seal() }
        let state: HeadHistograms
        if let existing = histograms {
            state = existing
            if state.open.count > 0 && (t >= state.openEnd
                || HistogramChunkCuts.startsNewChunk(h, after: state.last, in: state.open, maxSamples: MemSeries.samplesPerChunk)) {
                sealHistogram()
            }
        } else {
            state = HeadHistograms(t, h)
            histograms = state
        }
        let first = state.open.count == 0
        if first {
            // The empty appender left by the last cut (or by creation) is reused when the layout is the same.
            if !state.open.layout.matches(h) { state.open = HistogramChunkAppender(layoutOf: h) }
            state.openMint = t
            state.openEnd = Head.rangeStart(t, blockDuration) &+ blockDuration
        }
        let stored = HistogramChunkCuts.stored(h, firstInChunk: first)
        state.open.append(t, stored)
        state.last = stored
        state.lastT = t
        maxT = t
    }

    /// Moves the open histogram chunk to the sealed list.
    func sealHistogram() {
        guard let state = histograms, state.open.count > 0 else { return }
        sealed.append(HeadChunk(mint: state.openMint, maxt: state.open.lastT, encoding: .floatHistogram,
                                storage: state.open.chunkBytes))
        state.open = HistogramChunkAppender(layoutOf: state.last)
    }

    /// The open histogram chunk as a `HeadChunk` (a copy), if there is one.
    var openHistogramChunk: HeadChunk? {
        guard let state = histograms, state.open.count > 0 else { return nil }
        return HeadChunk(mint: state.openMint, maxt: state.open.lastT, encoding: .floatHistogram, storage: state.open.chunkBytes)
    }
}
