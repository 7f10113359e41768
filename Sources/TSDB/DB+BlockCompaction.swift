import Foundation

/// Leveled compaction of blocks, as Prometheus plans it: blocks that overlap
/// (imports, late data) are merged first; otherwise adjacent blocks that
/// together fill an aligned window of the next larger range (block
/// duration × 3, × 9, … up to `maxBlockDuration`) are merged once the newest
/// block has moved past the window. A merged block records its level,
/// sources and parents; it is written completely before its parents are
/// removed, and parents left by a crash in between are removed at open.
extension DB {
    /// The compaction ranges: block duration × 3^k, up to the maximum span.
    var compactionRanges: [Int64] {
        var ranges = [options.blockDuration]
        let limit = options.maxBlockDuration
        while ranges.last! * 3 <= limit { ranges.append(ranges.last! * 3) }
        return ranges
    }

    /// The blocks to merge next (oldest first), or nil when nothing is due.
    func compactionPlan(_ blocks: [Block]) -> [Block]? {
        guard blocks.count > 1 else { return nil }
        let sorted = blocks.sorted { ($0.minTime, $0.maxTime) < ($1.minTime, $1.maxTime) }
        // Overlapping blocks first: a run of blocks each starting before the run's end.
        var run: [Block] = [sorted[0]]
        var runEnd = sorted[0].maxTime
        for b in sorted.dropFirst() {
            if b.minTime < runEnd {
                run.append(b)
                runEnd = max(runEnd, b.maxTime)
            } else {
                if run.count > 1 { return run }
                run = [b]
                runEnd = b.maxTime
            }
        }
        if run.count > 1 { return run }
        // Then the oldest aligned window of a larger range that holds several blocks
        // and that the newest block has left behind.
        let newestStart = sorted.last!.minTime
        for range in compactionRanges.dropFirst() {
            var groups: [Int64: [Block]] = [:]
            for b in sorted { groups[Head.rangeStart(b.minTime, range), default: []].append(b) }
            for start in groups.keys.sorted() {
                let group = groups[start]!
                guard group.count > 1, group.allSatisfy({ $0.maxTime <= start + range }), start + range <= newestStart else { continue }
                return group
            }
        }
        return nil
    }

    /// Merges blocks until the plan is empty; returns the metas of the blocks written.
    @discardableResult
    public func compactBlocks() throws -> [BlockMeta] {
        try compactionLock.withLock { try compactBlocksLocked() }
    }

    func compactBlocksLocked() throws -> [BlockMeta] {
        var written: [BlockMeta] = []
        while let plan = compactionPlan(blockList) {
            guard !isClosed else { throw TSDBError(.closed, "database is closed") }
            let meta = try merge(plan)
            written.append(contentsOf: meta.map { [$0] } ?? [])
        }
        return written
    }

    /// Writes one block holding `blocks`' data (tombstoned ranges dropped, equal
    /// timestamps once), adds it, then removes the originals.
    private func merge(_ blocks: [Block]) throws -> BlockMeta? {
        let block = try compaction(.merge, inputs: blocks) { progress in try write(merging: blocks, progress: progress) }
        if let block { addBlock(block) }
        CrashPoints.reach("merge.block-added")
        // The new block is durable: now the parents can go.
        for b in blocks {
            let parked = b.directory + ".deleting.tmp"
            try FileIO.rename(b.directory, parked)
            CrashPoints.reach("merge.parent-parked")
            replaceBlock(b, with: nil)
            try FileIO.removeAll(parked)
        }
        return block?.meta
    }

    /// Writes the block that replaces `blocks` (nil if they hold no sample).
    private func write(merging blocks: [Block], progress: BlockWriter.Progress?) throws -> Block? {
        let mint = blocks.map(\.minTime).min()!, maxt = blocks.map(\.maxTime).max()!
        var byLabels: [Labels: SeriesChunks] = [:]
        for b in blocks {
            for s in try b.select([], mint: mint, maxt: maxt) {
                if var merged = byLabels[s.labels] {
                    merged.chunks += s.chunks
                    merged.deleted += s.deleted
                    byLabels[s.labels] = merged
                } else {
                    byLabels[s.labels] = s
                }
            }
        }
        // Chunks in time order so that the merge keeps the first of equal timestamps deterministically.
        let series = byLabels.values.map { s -> SeriesChunks in
            var s = s
            s.chunks.sort { ($0.mint, $0.maxt) < ($1.mint, $1.maxt) }
            return s
        }.sorted { $0.labels < $1.labels }
        let level = (blocks.map(\.meta.compaction.level).max() ?? 1) + 1
        let sources = Array(Set(blocks.flatMap(\.meta.compaction.sources))).sorted()
        let parents = blocks.map { BlockMeta.Parent(ulid: $0.meta.ulid, minTime: $0.minTime, maxTime: $0.maxTime) }
        let meta = try BlockWriter.write(into: directory, mint: mint, maxt: maxt, series: series, level: level,
                                         sources: sources, parents: parents, progress: progress)
        return try meta.map { try Block(directory: directory + "/" + $0.ulid) }
    }

    /// Blocks that a compacted block lists as its parents (a crash came between
    /// writing it and removing them): they are removed at open.
    static func supersededBlocks(_ blocks: [Block]) -> Set<String> {
        Set(blocks.flatMap { $0.meta.compaction.parents?.map(\.ulid) ?? [] })
    }
}
