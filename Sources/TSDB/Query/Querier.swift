import Dispatch
import Synchronization

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
    /// head keeps ranks), so sources are merged, not sorted. The sources are
    /// read concurrently: selecting is serial work before a query's parallel
    /// decoding, a fifth of an 8 h range query over 2,700 series.
    public func select(_ matchers: [LabelMatcher]) throws -> [Series] {
        let sources = try selectSources(matchers)
        if sources.count == 1 { return sources[0].map(series) }
        // A block's tombstones apply to its own chunks only: resolve them
        // before mixing chunks of several sources.
        let resolved = try sources.map { list in
            list.contains { !$0.deleted.isEmpty } ? try list.map { $0.deleted.isEmpty ? $0 : try $0.applyingTombstones() } : list
        }
        return Self.merge(resolved, mint: mint, maxt: maxt)
    }

    /// Each block's and the head's matching series, read concurrently when there are several.
    private func selectSources(_ matchers: [LabelMatcher]) throws -> [[SeriesChunks]] {
        let count = blocks.count + (head == nil ? 0 : 1)
        if count <= 1 {
            if let b = blocks.first { return [try b.select(matchers, mint: mint, maxt: maxt)] }
            return head.map { [$0.select(matchers, mint: mint, maxt: maxt)] } ?? []
        }
        let results = SourceSlots(count: count)
        DispatchQueue.concurrentPerform(iterations: count) { i in
            results.set(i, Result {
                i < blocks.count ? try blocks[i].select(matchers, mint: mint, maxt: maxt) : head!.select(matchers, mint: mint, maxt: maxt)
            })
        }
        return try results.values()
    }

    /// Lists sorted by labels as one list of series; a series in several gets
    /// the chunks of all, in list order. One pass over all lists: each
    /// series' chunk list is built once.
    static func merge(_ lists: [[SeriesChunks]], mint: Int64, maxt: Int64) -> [Series] {
        var out: [Series] = []
        out.reserveCapacity(lists.map(\.count).max() ?? 0)
        var next = [Int](repeating: 0, count: lists.count)
        var holders: [Int] = []  // the lists whose next series has the smallest labels
        while true {
            holders.removeAll(keepingCapacity: true)
            for l in lists.indices where next[l] < lists[l].count {
                guard let h = holders.first else { holders.append(l); continue }
                let candidate = lists[l][next[l]].labels, smallest = lists[h][next[h]].labels
                if candidate == smallest {
                    holders.append(l)
                } else if candidate < smallest {
                    holders.removeAll(keepingCapacity: true)
                    holders.append(l)
                }
            }
            guard let first = holders.first else { return out }
            let s = lists[first][next[first]]
            var chunks = s.chunks
            var deleted = s.deleted
            if holders.count > 1 {
                chunks.reserveCapacity(holders.reduce(0) { $0 + lists[$1][next[$1]].chunks.count })
                for l in holders.dropFirst() {
                    chunks += lists[l][next[l]].chunks
                    deleted += lists[l][next[l]].deleted
                }
            }
            out.append(Series(labels: s.labels, chunks: chunks, deleted: deleted, mint: mint, maxt: maxt, newest: s.newest))
            for l in holders { next[l] += 1 }
        }
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

/// One result slot per source of `Querier.select`, filled concurrently.
private final class SourceSlots: Sendable {
    private let slots: Mutex<[Result<[SeriesChunks], any Error>?]>

    init(count: Int) { slots = Mutex(Array(repeating: nil, count: count)) }

    func set(_ i: Int, _ r: Result<[SeriesChunks], any Error>) { slots.withLock { $0[i] = r } }

    /// The lists in source order; the first error if any source failed.
    func values() throws -> [[SeriesChunks]] { try slots.withLock { $0 }.map { try $0!.get() } }
}
