/// Iterates the samples of one series over its chunks (from any mix of head
/// and blocks) in timestamp order, restricted to [mint, maxt], skipping
/// deleted ranges. Non-overlapping chunks are decoded lazily one after the
/// other without allocation; overlapping ones (late blocks, head/block
/// overlap during compaction) are merged, and on equal timestamps the chunk
/// listed first wins, so nothing is returned twice.
public struct SeriesIterator {
    private let chunks: [ChunkMeta]
    private let mint: Int64
    private let maxt: Int64
    private let deleted: [ClosedRange<Int64>]
    private var chunkIndex = -1
    private var current: ChunkIterator?
    private var merged: [Sample]?
    private var mergedIndex = -1
    public private(set) var t: Int64 = .min
    public private(set) var v: Double = 0
    public private(set) var error: TSDBError?

    public init(chunks: [ChunkMeta], mint: Int64 = .min, maxt: Int64 = .max, deleted: [ClosedRange<Int64>] = []) {
        let sorted = chunks.enumerated().sorted { ($0.element.mint, $0.offset) < ($1.element.mint, $1.offset) }
        var overlap = false
        for i in sorted.indices.dropFirst() where sorted[i].element.mint <= sorted[i - 1].element.maxt { overlap = true }
        self.chunks = sorted.map(\.element)
        self.mint = mint
        self.maxt = maxt
        self.deleted = deleted
        if overlap { merged = SeriesIterator.merge(chunks, mint: mint, maxt: maxt, error: &error) }
    }

    /// Decodes all chunks and merges them; chunks earlier in `chunks` win ties.
    static func merge(_ chunks: [ChunkMeta], mint: Int64, maxt: Int64, error: inout TSDBError?) -> [Sample] {
        var all: [(Sample, Int)] = []
        for (p, c) in chunks.enumerated() where c.maxt >= mint && c.mint <= maxt {
            var it = c.iterator()
            while it.next() {
                if it.t >= mint && it.t <= maxt { all.append((Sample(it.t, it.v), p)) }
            }
            if let e = it.error { error = e }
        }
        all.sort { ($0.0.t, $0.1) < ($1.0.t, $1.1) }
        var out: [Sample] = []
        out.reserveCapacity(all.count)
        for (s, _) in all where out.last?.t != s.t { out.append(s) }
        return out
    }

    private func isDeleted(_ t: Int64) -> Bool {
        for r in deleted where r.contains(t) { return true }
        return false
    }

    /// Advances to the next sample; false at the end (check `error` then).
    public mutating func next() -> Bool {
        while true {
            guard advanceRaw() else { return false }
            if deleted.isEmpty || !isDeleted(t) { return true }
        }
    }

    private mutating func advanceRaw() -> Bool {
        if let m = merged {
            mergedIndex += 1
            guard mergedIndex < m.count else { return false }
            t = m[mergedIndex].t
            v = m[mergedIndex].v
            return true
        }
        while true {
            if current != nil {
                while current!.next() {
                    let ct = current!.t
                    if ct < mint { continue }
                    if ct > maxt { current = nil; chunkIndex = chunks.count; return false }
                    t = ct
                    v = current!.v
                    return true
                }
                if let e = current!.error { error = e; current = nil; chunkIndex = chunks.count; return false }
                current = nil
            }
            chunkIndex += 1
            while chunkIndex < chunks.count && chunks[chunkIndex].maxt < mint { chunkIndex += 1 }
            guard chunkIndex < chunks.count, chunks[chunkIndex].mint <= maxt else { return false }
            current = chunks[chunkIndex].iterator()
        }
    }

    /// Advances to the first sample at or after `target`; stays if already there.
    public mutating func seek(to target: Int64) -> Bool {
        if t != .min && t >= target && (chunkIndex >= 0 || mergedIndex >= 0) { return true }
        if merged == nil {
            // Skip whole chunks that end before the target.
            while chunkIndex + 1 < chunks.count && chunks[chunkIndex + 1].maxt < target && current == nil {
                chunkIndex += 1
            }
            if current != nil && chunkIndex < chunks.count && chunks[chunkIndex].maxt < target {
                current = nil
                while chunkIndex + 1 < chunks.count && chunks[chunkIndex + 1].maxt < target { chunkIndex += 1 }
            }
        }
        while next() {
            if t >= target { return true }
        }
        return false
    }
}

/// One series of a query result: its labels and the chunks to read, float
/// and native-histogram chunks apart (float readers never see the others).
public struct Series: Sendable {
    public let labels: Labels
    /// Float chunks.
    public let chunks: [ChunkMeta]
    /// Native-histogram chunks (read with `histogramSamples()`).
    public let histogramChunks: [ChunkMeta]
    public let deleted: [ClosedRange<Int64>]
    let mint: Int64
    let maxt: Int64
    /// From `Querier.selectNewest`: the one sample this series reads as (no chunks).
    let newest: Sample?
    /// Whether reading it is a copy of one sample (see `Querier.selectNewest`), not a decode.
    public var isNewestOnly: Bool { newest != nil }
    /// Bytes of encoded chunks reading it decodes (XOR chunks hold about a
    /// sample per byte or two): what the evaluator weighs parallel work by.
    public var encodedByteCount: Int { newest != nil ? 0 : chunks.reduce(0) { $0 + $1.bytes.count } }
    /// Bytes of encoded native-histogram chunks (see `Parallel.histogramWeight`).
    public var encodedHistogramByteCount: Int { histogramChunks.reduce(0) { $0 + $1.bytes.count } }

    init(labels: Labels, chunks: [ChunkMeta], deleted: [ClosedRange<Int64>], mint: Int64, maxt: Int64, newest: Sample? = nil) {
        self.labels = labels
        if chunks.contains(where: { $0.encoding.isHistogram }) {
            self.chunks = chunks.filter { !$0.encoding.isHistogram }
            self.histogramChunks = chunks.filter { $0.encoding.isHistogram }
        } else {
            self.chunks = chunks
            self.histogramChunks = []
        }
        self.deleted = deleted
        self.mint = mint
        self.maxt = maxt
        self.newest = newest
    }

    public func iterator() -> SeriesIterator {
        if let newest {
            var one = XORAppender()
            one.append(newest.t, newest.v)
            let chunk = ChunkMeta(mint: newest.t, maxt: newest.t, encoding: .xor, storage: one.chunkBytes)
            return SeriesIterator(chunks: [chunk], mint: mint, maxt: maxt)
        }
        return SeriesIterator(chunks: chunks, mint: mint, maxt: maxt, deleted: deleted)
    }

    /// All samples in the query range (convenience for tests and small reads).
    public func samples() throws -> [Sample] {
        var out: [Sample] = []
        try appendSamples(to: &out)
        return out
    }

    /// Appends the samples in the query range to `out` (a buffer the caller
    /// reuses across series), staleness markers left out when `dropStale`.
    /// Chunks that follow each other in time are bulk-decoded; overlapping
    /// chunks and deletions go through the merging iterator.
    public func appendSamples(to out: inout [Sample], dropStale: Bool = false) throws {
        if let newest {
            if !(dropStale && StaleNaN.isStale(newest.v)) { out.append(newest) }
            return
        }
        if deleted.isEmpty && isSequential {
            try decodeInOrder { $0.decodeAll(into: &out, mint: mint, maxt: maxt, dropStale: dropStale) }
            return
        }
        var it = iterator()
        while it.next() {
            if !(dropStale && StaleNaN.isStale(it.v)) { out.append(Sample(it.t, it.v)) }
        }
        if let e = it.error { throw e }
    }

    /// Hands the samples in the query range, staleness markers included, to
    /// `sampler` in time order (call `sampler.finish()` afterwards). Like
    /// `appendSamples`, without storing them.
    public func sample(into sampler: inout StepSampler) throws {
        if let newest {
            sampler.append(newest.t, newest.v)
            return
        }
        if deleted.isEmpty && isSequential {
            try decodeInOrder { $0.decodeAll(into: &sampler, mint: mint, maxt: maxt) }
            return
        }
        var it = iterator()
        while it.next() { sampler.append(it.t, it.v) }
        if let e = it.error { throw e }
    }

    /// Runs `decode` on each chunk that reaches into the query range, in
    /// order, until it returns false (a sample past `maxt`). Only for chunks
    /// in time order without overlaps.
    private func decodeInOrder(_ decode: (inout ChunkIterator) -> Bool) throws {
        // Through a buffer pointer: `for c in chunks` copied every chunk's
        // metadata, retaining and releasing its owner (the array keeps it alive).
        try chunks.withUnsafeBufferPointer { chunks in
            for i in chunks.indices where chunks[i].maxt >= mint {
                if chunks[i].mint > maxt { break }
                var it = ChunkIterator(encoding: chunks[i].encoding, bytes: chunks[i].bytes)
                if let resume = chunks[i].resume { it.resume(at: resume) }
                let more = decode(&it)
                if let e = it.error { throw e }
                if !more { break }
            }
        }
    }

    /// Whether the chunks are in time order without overlaps.
    private var isSequential: Bool {
        for i in chunks.indices.dropFirst() where chunks[i].mint <= chunks[i - 1].maxt { return false }
        return true
    }
}
