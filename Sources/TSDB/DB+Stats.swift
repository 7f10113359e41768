/// Numbers describing what a database holds, for `/api/v1/status/tsdb` and `tsql`.
public struct DBStats: Sendable {
    public var head: Head.Stats
    public var blocks: [BlockMeta]
    /// Bytes on disk of all blocks.
    public var blockBytes: Int64
    public var walBytes: Int64
    /// Samples persisted in blocks.
    public var blockSamples: UInt64 { blocks.reduce(0) { $0 + $1.stats.numSamples } }
}

extension DB {
    public var stats: DBStats {
        let bs = blockList
        return DBStats(head: head.stats, blocks: bs.map(\.meta), blockBytes: bs.reduce(0) { $0 + $1.size },
                       walBytes: wal.diskSize)
    }
}
