/// A read view over [mint, maxt] (inclusive, milliseconds) of the blocks and
/// the head as they were when it was created. Selecting returns series
/// sorted by labels, each merging its chunks from every source.
public final class Querier: Sendable {
    public let mint: Int64
    public let maxt: Int64
    let blocks: [Block]
    let head: Head?

    init(mint: Int64, maxt: Int64, blocks: [Block], head: Head?) {
        self.mint = mint
        self.maxt = maxt
        self.blocks = blocks.filter { $0.minTime <= maxt && $0.maxTime > mint }
        self.head = head
    }

    /// Series matching all `matchers` (at least one sample in range not guaranteed
    /// when tombstones hide it), sorted by labels. Every source lists its
    /// series in label order already (a block's index is written so, the
    /// head keeps ranks), so sources are merged, not sorted.
    public func select(_ matchers: [LabelMatcher]) throws -> [Series] {
        var sources: [[SeriesChunks]] = []
        for b in blocks { sources.append(try b.select(matchers, mint: mint, maxt: maxt)) }
        if let head { sources.append(head.select(matchers, mint: mint, maxt: maxt)) }
        if sources.count == 1 { return sources[0].map(series) }
        var merged: [SeriesChunks] = []
        for list in sources {
            // A block's tombstones apply to its own chunks only: resolve them
            // before mixing chunks of several sources.
            let resolved = try list.map { $0.deleted.isEmpty ? $0 : try $0.applyingTombstones() }
            merged = Self.merge(merged, resolved)
        }
        return merged.map(series)
    }

    /// Two lists sorted by labels as one; a series in both gets the chunks of both.
    static func merge(_ a: [SeriesChunks], _ b: [SeriesChunks]) -> [SeriesChunks] {
        if a.isEmpty { return b }
        if b.isEmpty { return a }
        var out: [SeriesChunks] = []
        out.reserveCapacity(max(a.count, b.count))
        var (i, j) = (0, 0)
        while i < a.count && j < b.count {
            if a[i].labels == b[j].labels {
                var both = a[i]
                both.chunks += b[j].chunks
                out.append(both)
                (i, j) = (i + 1, j + 1)
            } else if a[i].labels < b[j].labels {
                out.append(a[i])
                i += 1
            } else {
                out.append(b[j])
                j += 1
            }
        }
        out.append(contentsOf: a[i...])
        out.append(contentsOf: b[j...])
        return out
    }

    private func series(_ s: SeriesChunks) -> Series {
        Series(labels: s.labels, chunks: s.chunks, deleted: s.deleted, mint: mint, maxt: maxt, newest: s.newest)
    }

    /// The series `select` returns, but each holding only its newest sample in
    /// [mint, maxt] where the head knows it without decoding (the range has no
    /// block and the series no deletion); the others hold their chunks. For
    /// readers that want the newest sample only, like an instant selector at
    /// one time: the samples before it are not returned.
    public func selectNewest(_ matchers: [LabelMatcher]) throws -> [Series] {
        guard blocks.isEmpty, let head else { return try select(matchers) }
        return head.select(matchers, mint: mint, maxt: maxt, newestOnly: true).map(series)
    }

    /// Label names of series matching `matchers` (all series if empty), sorted.
    public func labelNames(_ matchers: [LabelMatcher] = []) throws -> [String] {
        var names = Set<String>()
        for b in blocks { names.formUnion(try b.labelNames(matchers)) }
        if let head { names.formUnion(head.labelNames(matchers)) }
        return names.sorted { $0.utf8Precedes($1) }
    }

    /// Values of label `name` among series matching `matchers`, sorted.
    public func labelValues(_ name: String, _ matchers: [LabelMatcher] = []) throws -> [String] {
        var values = Set<String>()
        for b in blocks { values.formUnion(try b.labelValues(name, matchers)) }
        if let head { values.formUnion(head.labelValues(name, matchers)) }
        return values.sorted { $0.utf8Precedes($1) }
    }
}

extension SeriesChunks {
    /// The same series with deleted ranges removed from its chunks (re-encoded).
    func applyingTombstones() throws -> SeriesChunks {
        let prepared = try BlockWriter.clip(self, mint: .min, maxt: .max)
        let metas = prepared.map { p -> ChunkMeta in
            let storage = ChunkBytes(Array(p.bytes))
            return ChunkMeta(mint: p.mint, maxt: p.maxt, encoding: p.encoding, storage: storage)
        }
        return SeriesChunks(labels: labels, chunks: metas)
    }
}
