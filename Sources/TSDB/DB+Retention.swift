import Foundation

/// Retention: whole blocks are deleted once they are older than the time
/// retention or once storage exceeds the size retention, as Prometheus does
/// (`--storage.tsdb.retention.time` / `.size`).
extension DB {
    /// Deletes the blocks beyond the retention in `options` and returns their metas.
    /// Time: a block goes when the newest block's end is at least `retentionDuration`
    /// after its own end. Size: counting from the newest block, and starting with
    /// the WAL, the first block that takes the total beyond `retentionBytes` goes
    /// with all older ones. A block is first renamed (atomically) out of the way,
    /// then removed; queries already reading it keep their mapped files.
    @discardableResult
    public func applyRetention() throws -> [BlockMeta] {
        try compactionLock.withLock { try applyRetentionLocked() }
    }

    /// `applyRetention` with `compactionLock` held (no block is being written or rewritten).
    func applyRetentionLocked() throws -> [BlockMeta] {
        let newestFirst = blockList.reversed().map { $0 }
        var doomed: [ObjectIdentifier: RetentionReason] = [:]
        if let retention = options.retentionDuration, retention > 0, let newest = newestFirst.first {
            for (i, b) in newestFirst.enumerated() where i > 0 && newest.maxTime - b.maxTime >= retention {
                for old in newestFirst[i...] { doomed[ObjectIdentifier(old)] = .time }
                break
            }
        }
        if let limit = options.retentionBytes, limit > 0 {
            var total = wal.diskSize
            for (i, b) in newestFirst.enumerated() {
                total += b.size
                if total > limit {
                    for old in newestFirst[i...] where doomed[ObjectIdentifier(old)] == nil { doomed[ObjectIdentifier(old)] = .size }
                    break
                }
            }
        }
        var deleted: [BlockMeta] = []
        for b in newestFirst.reversed() {
            guard let reason = doomed[ObjectIdentifier(b)] else { continue }
            let bytes = b.size
            let parked = b.directory + ".deleting.tmp"  // removed at the next open if we crash now
            try FileIO.rename(b.directory, parked)
            replaceBlock(b, with: nil)
            try FileIO.removeAll(parked)
            deleted.append(b.meta)
            report(.retentionDeleted(b.meta, bytes: bytes, reason: reason))
        }
        return deleted
    }
}
