/// Deleting data: tombstones that hide it at once (head: a WAL record;
/// blocks: the block's `tombstones` file), and rewriting blocks without it.
extension DB {
    /// Hides the samples in [mint, maxt] of every series matching `matchers`,
    /// in the head and in every block. Durable when this returns.
    public func delete(_ matchers: [LabelMatcher], mint: Int64, maxt: Int64) throws {
        guard mint <= maxt else { return }
        try compactionLock.withLock {
            guard !isClosed else { throw TSDBError(.closed, "database is closed") }
            try head.delete(matchers, mint: mint, maxt: maxt)
            for b in blockList where b.minTime <= maxt && b.maxTime > mint {
                let refs = b.index.postings(for: matchers)
                guard !refs.isEmpty else { continue }
                var stones: [Tombstone] = []
                for (ref, ranges) in b.tombstones {
                    for r in ranges { stones.append(Tombstone(ref: ref, mint: r.lowerBound, maxt: r.upperBound)) }
                }
                let lo = max(mint, b.minTime), hi = min(maxt, b.maxTime - 1)
                for ref in refs { stones.append(Tombstone(ref: ref, mint: lo, maxt: hi)) }
                try FileIO.writeAtomically(TombstonesFile.encode(stones), to: b.directory + "/tombstones")
                try replaceBlock(b, with: Block(directory: b.directory))
            }
        }
    }

    /// Rewrites every block that has tombstones without the deleted samples.
    /// The new block is durable before the old one is removed; after a crash
    /// in between, the next open removes the old one (the new one's parent).
    public func cleanTombstones() throws {
        try compactionLock.withLock {
            guard !isClosed else { throw TSDBError(.closed, "database is closed") }
            for b in blockList where !b.tombstones.isEmpty {
                let rewritten = try compaction(.tombstones, inputs: [b]) { progress in
                    let series = try b.select([], mint: b.minTime, maxt: b.maxTime - 1).sorted { $0.labels < $1.labels }
                    // The old block is the new one's parent: if we crash before it is gone, the next open removes it.
                    let meta = try BlockWriter.write(
                        into: directory, mint: b.minTime, maxt: b.maxTime, series: series,
                        level: b.meta.compaction.level, sources: b.meta.compaction.sources,
                        parents: [.init(ulid: b.meta.ulid, minTime: b.minTime, maxTime: b.maxTime)], progress: progress)
                    return try meta.map { try Block(directory: directory + "/" + $0.ulid) }
                }
                // Queries still reading the old block keep their mappings. Parked
                // first, so that a crash while removing leaves no half block behind.
                CrashPoints.reach("tombstones.block-written")
                let parked = b.directory + ".deleting.tmp"
                try FileIO.rename(b.directory, parked)
                CrashPoints.reach("tombstones.parent-parked")
                replaceBlock(b, with: rewritten)
                try FileIO.removeAll(parked)
            }
        }
    }
}

extension Head {
    /// Logs tombstones for the matching series and applies them.
    func delete(_ matchers: [LabelMatcher], mint: Int64, maxt: Int64) throws {
        let seq: UInt64? = try commitLock.withLock {
            let refs = lock.withLock { postings.postings(for: matchers) }
            guard !refs.isEmpty else { return nil }
            let records = refs.map { WALRecord.TombstoneRecord(ref: $0, mint: mint, maxt: maxt) }
            let seq = try wal?.log([.tombstones(records)])
            lock.withLock {
                for ref in refs { seriesLocked(ref)?.deleted.append(mint...maxt) }
            }
            return seq
        }
        if let seq { try wal?.waitDurable(seq) }
    }
}
