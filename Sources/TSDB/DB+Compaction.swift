/// Cutting the head into blocks.
extension DB {
    /// Writes every full block range the head holds beyond 1.5 block
    /// durations (as Prometheus does, so that late samples of the range being
    /// written are already out of bounds), then truncates the head and
    /// checkpoints the WAL, loads imported blocks, merges blocks (leveled
    /// compaction), and applies the retention.
    /// Returns the metas of the blocks cut from the head.
    @discardableResult
    public func compactHead() throws -> [BlockMeta] {
        try compactionLock.withLock {
            guard !isClosed else { throw TSDBError(.closed, "database is closed") }
            var written: [BlockMeta] = []
            var truncated = false
            while true {
                let (compactable, minT) = head.lock.withLock { (head.isCompactableLocked, head.minT) }
                guard compactable else { break }
                let start = Head.rangeStart(minT, options.blockDuration)
                if let m = try persistHeadRange(start, start + options.blockDuration) { written.append(m) }
                truncated = true
            }
            if truncated { try checkpointWAL() }
            _ = try loadNewBlocksLocked()
            _ = try compactBlocksLocked()
            _ = try applyRetentionLocked()
            return written
        }
    }

    /// Writes all of the head into blocks (one per block range), regardless of
    /// how recent it is; the head is empty afterwards. For shutdown snapshots and tests.
    @discardableResult
    public func flushHead() throws -> [BlockMeta] {
        try compactionLock.withLock {
            guard !isClosed else { throw TSDBError(.closed, "database is closed") }
            var written: [BlockMeta] = []
            var truncated = false
            while true {
                let minT = head.lock.withLock { head.minT }
                guard minT != .max else { break }
                let start = Head.rangeStart(minT, options.blockDuration)
                if let m = try persistHeadRange(start, start + options.blockDuration) { written.append(m) }
                truncated = true
            }
            if truncated { try checkpointWAL() }
            return written
        }
    }

    /// Writes head samples in [start, end) as a block and truncates the head
    /// before `end` (the caller then checkpoints the WAL once).
    private func persistHeadRange(_ start: Int64, _ end: Int64) throws -> BlockMeta? {
        let series = head.select([], mint: start, maxt: end - 1).sorted { $0.labels < $1.labels }
        let meta = try BlockWriter.write(into: directory, mint: start, maxt: end, series: series)
        if let meta { addBlock(try Block(directory: directory + "/" + meta.ulid)) }
        _ = head.truncate(before: end)
        return meta
    }

    /// After head truncation: closes the current WAL segment and condenses
    /// everything up to it into a checkpoint of what the head still holds.
    private func checkpointWAL() throws {
        let mint = head.lock.withLock { head.minValidTime }
        let last = try wal.cut()
        try Checkpoint.create(walDirectory: wal.directory, through: last, mint: mint) { ref in
            head.lock.withLock { head.seriesLocked(ref) != nil }
        }
    }
}
