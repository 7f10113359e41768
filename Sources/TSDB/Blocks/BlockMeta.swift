/// The `meta.json` of a block, field for field as Prometheus writes it, so
/// that tools reading Prometheus block metadata understand ours.
/// `maxTime` is exclusive: the block holds samples with minTime ≤ t < maxTime.
public struct BlockMeta: Codable, Sendable, Equatable {
    public struct Stats: Codable, Sendable, Equatable {
        public var numSamples: UInt64
        public var numSeries: UInt64
        public var numChunks: UInt64
    }

    public struct Compaction: Codable, Sendable, Equatable {
        /// 1 for blocks cut from the head, +1 for every merge.
        public var level: Int
        /// ULIDs of the level-1 blocks whose data this block holds.
        public var sources: [String]
        public var parents: [Parent]?
    }

    public struct Parent: Codable, Sendable, Equatable {
        public var ulid: String
        public var minTime: Int64
        public var maxTime: Int64
    }

    public var ulid: String
    public var minTime: Int64
    public var maxTime: Int64
    public var stats: Stats
    public var compaction: Compaction
    public var version: Int
}
