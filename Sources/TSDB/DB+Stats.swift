/// Numbers describing what a database holds, for `/api/v1/status/tsdb` and `tsql`.
public struct DBStats: Sendable {
    /// One persisted block: its metadata and its size on disk.
    public struct BlockStats: Sendable {
        public var meta: BlockMeta
        /// Bytes on disk: chunk segments, index, meta.json, tombstones.
        public var bytes: Int64
    }

    public var head: Head.Stats
    /// Blocks, oldest first.
    public var blocks: [BlockStats]
    public var walBytes: Int64

    /// Bytes on disk of all blocks.
    public var blockBytes: Int64 { blocks.reduce(0) { $0 + $1.bytes } }
    /// Samples persisted in blocks.
    public var blockSamples: UInt64 { blocks.reduce(0) { $0 + $1.meta.stats.numSamples } }
}

extension DB {
    public var stats: DBStats {
        DBStats(head: head.stats, blocks: blockList.map { .init(meta: $0.meta, bytes: $0.size) }, walBytes: wal.diskSize)
    }
}
