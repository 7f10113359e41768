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
        let block = try compaction(.head, inputs: []) { progress in
            let series = head.select([], mint: start, maxt: end - 1).sorted { $0.labels < $1.labels }
            let meta = try BlockWriter.write(into: directory, mint: start, maxt: end, series: series, progress: progress)
            return try meta.map { try Block(directory: directory + "/" + $0.ulid) }
        }
        if let block { addBlock(block) }
        _ = head.truncate(before: end)
        report(.headTruncated)
        return block?.meta
    }

    /// Tells the observer that something happened.
    func report(_ event: MaintenanceEvent) { options.maintenanceObserver?(event) }

    /// Runs one compaction that writes a block from `inputs` (none for the
    /// head), telling the observer when it starts, how far it is and how it
    /// ended (time, bytes, the error if it failed).
    func compaction(_ kind: CompactionKind, inputs: [Block],
                    _ write: (_ progress: BlockWriter.Progress?) throws -> Block?) throws -> Block? {
        guard let observer = options.maintenanceObserver else { return try write(nil) }
        let started = ContinuousClock.now
        var outcome = CompactionOutcome(kind: kind, inputBlocks: inputs.count, inputBytes: inputs.reduce(0) { $0 + $1.size },
                                        output: nil, outputBytes: 0, seconds: 0, error: nil)
        observer(.compactionStarted(kind, inputs: inputs.map(\.meta)))
        defer {
            let took = ContinuousClock.now - started
            outcome.seconds = Double(took.components.seconds) + Double(took.components.attoseconds) / 1e18
            observer(.compactionFinished(outcome))
        }
        do {
            let block = try write { observer(.compactionProgress(series: $0, total: $1)) }
            outcome.output = block?.meta
            outcome.outputBytes = block?.size ?? 0
            return block
        } catch {
            outcome.error = "\(error)"
            throw error
        }
    }

    /// After head truncation: closes the current WAL segment and writes what
    /// the head holds then as the checkpoint standing for every segment up to
    /// it. Commits wait meanwhile (the commit lock), so that the head has
    /// applied exactly the records before the cut.
    private func checkpointWAL() throws {
        let (last, records) = try head.commitLock.withLock { (try wal.cut(), head.checkpointRecords()) }
        try Checkpoint.create(walDirectory: wal.directory, through: last, records: records)
    }
}
