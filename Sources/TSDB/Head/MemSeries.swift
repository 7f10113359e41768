/// A chunk of a head series as encoded, with its time range: the head's
/// sealed chunks, and what a WAL checkpoint holds of every chunk.
public struct HeadChunk: Equatable, Sendable {
    public let mint: Int64
    public let maxt: Int64
    public let encoding: ChunkEncoding
    public let storage: ChunkBytes

    public init(mint: Int64, maxt: Int64, encoding: ChunkEncoding, storage: ChunkBytes) {
        self.mint = mint; self.maxt = maxt; self.encoding = encoding; self.storage = storage
    }

    var meta: ChunkMeta { ChunkMeta(mint: mint, maxt: maxt, encoding: encoding, storage: storage) }

    /// Samples in it (every encoding starts with a 16-bit count).
    public var sampleCount: Int { storage.count >= 2 ? Int(storage.raw[0]) << 8 | Int(storage.raw[1]) : 0 }

    public static func == (a: Self, b: Self) -> Bool {
        a.mint == b.mint && a.maxt == b.maxt && a.encoding == b.encoding && a.storage.raw.elementsEqual(b.storage.raw)
    }
}

/// One series in the head: identity, sealed chunks and the open chunk being
/// appended to. Mutated only with the head's lock held.
final class MemSeries {
    /// Samples per chunk before it is sealed (as Prometheus: ~120, good compression and seek cost).
    static let samplesPerChunk = 120

    let ref: SeriesRef
    let labels: Labels
    // The hot fields skip dynamic exclusivity checks (~6 % of replay): they
    // are only accessed with the head's lock held, or by the single replay
    // shard that owns this series, so accesses never overlap.
    /// In time order and disjoint (every chunk starts after the previous one ends).
    @exclusivity(unchecked) var sealed: [HeadChunk] = []
    /// The chunk being appended to; empty (count 0) when there is none.
    @exclusivity(unchecked) var open = XORAppender()
    @exclusivity(unchecked) var openMint: Int64 = 0
    /// The open chunk is cut when a sample reaches this time (the next block boundary).
    @exclusivity(unchecked) var openEnd: Int64 = 0
    /// Newest timestamp (committed); `.min` while the series has no sample.
    @exclusivity(unchecked) var maxT: Int64 = .min
    @exclusivity(unchecked) var lastBits: UInt64 = 0
    /// Open histogram chunk and newest histogram; nil until the first histogram sample.
    @exclusivity(unchecked) var histograms: HeadHistograms?
    /// Deleted time ranges (from WAL tombstone records): hidden from queries
    /// and left out when the head is written as a block.
    var deleted: [ClosedRange<Int64>] = []
    /// Whether a series record for it is in the WAL (guarded by the commit lock).
    var walLogged = false
    /// Truncation epoch in which it was created: empty series survive one truncation.
    let createdEpoch: Int

    init(ref: SeriesRef, labels: Labels, epoch: Int) {
        self.ref = ref
        self.labels = labels
        self.createdEpoch = epoch
    }

    var minT: Int64? {
        if let first = sealed.first { return first.mint }
        if open.count > 0 { return openMint }
        return hasOpenHistogramChunk ? histograms?.openMint : nil
    }

    /// Appends a sample known to be newer than `maxT`.
    func append(_ t: Int64, _ v: Double, blockDuration: Int64) {
        if histograms != nil { sealHistogram() }
        if open.count > 0 && (open.count >= MemSeries.samplesPerChunk || t >= openEnd) {
            seal()
        }
        if open.count == 0 {
            openMint = t
            openEnd = Head.rangeStart(t, blockDuration) &+ blockDuration
        }
        open.append(t, v)
        maxT = t
        lastBits = v.bitPattern
    }

    /// Moves the open chunk to the sealed list as it is (XOR). Choosing the
    /// best encoding is left to the block writer, which re-encodes anyway:
    /// doing it here cost a quarter of the append and replay time.
    func seal() {
        guard open.count > 0 else { return }
        sealed.append(HeadChunk(mint: openMint, maxt: open.lastT, encoding: .xor, storage: open.chunkBytes))
        open = XORAppender()
    }

    /// Chunks overlapping [mint, maxt], the open one copied so the reader owns
    /// a stable snapshot, and marked to be read from its last resume point
    /// before `mint`.
    func chunkMetas(mint: Int64, maxt: Int64) -> [ChunkMeta] {
        let openOverlaps = open.count > 0 && open.lastT >= mint && openMint <= maxt
        let openHistogram = openHistogramChunk.flatMap { $0.maxt >= mint && $0.mint <= maxt ? $0 : nil }
        // The overlapping sealed chunks are a run, found from the newest end:
        // queries mostly read recent data, and an instant query then touches
        // one or two chunks' metadata rather than the whole list.
        var end = sealed.count
        while end > 0 && sealed[end - 1].mint > maxt { end -= 1 }
        var start = end
        while start > 0 && sealed[start - 1].maxt >= mint { start -= 1 }
        var out: [ChunkMeta] = []
        out.reserveCapacity(end - start + (openOverlaps || openHistogram != nil ? 1 : 0))  // one allocation, not one per growth
        for c in sealed[start..<end] { out.append(c.meta) }
        if let openHistogram { out.append(openHistogram.meta) }
        if openOverlaps {
            let resume = open.resumePoints.last { $0.t < mint }
            out.append(ChunkMeta(mint: openMint, maxt: open.lastT, encoding: .xor, storage: open.chunkBytes, resume: resume))
        }
        return out
    }

    /// Drops chunks entirely before `mint`; returns the number of chunks dropped.
    func truncate(before mint: Int64) -> Int {
        let before = sealed.count
        sealed.removeAll { $0.maxt < mint }
        var dropped = before - sealed.count
        if open.count > 0 && open.lastT < mint {
            open = XORAppender()
            dropped += 1
        }
        if let state = histograms, state.open.count > 0 && state.open.lastT < mint {
            state.open = HistogramChunkAppender(layoutOf: state.last)
            dropped += 1
        }
        return dropped
    }

    var isEmpty: Bool { sealed.isEmpty && open.count == 0 && !hasOpenHistogramChunk }
    /// Whether the newest sample is a float (`maxT`, `lastBits`) still in a chunk here, not truncated away into a block.
    var holdsNewestFloat: Bool {
        open.count > 0 ? open.lastT == maxT : !hasOpenHistogramChunk && sealed.last.map { $0.maxt == maxT && !$0.encoding.isHistogram } ?? false
    }
    var chunkCount: Int { sealed.count + (open.count > 0 || hasOpenHistogramChunk ? 1 : 0) }
}
