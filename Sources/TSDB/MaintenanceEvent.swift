import Foundation

/// What the maintenance job is doing, told to `DBOptions.maintenanceObserver`
/// as it happens: the server turns these into `/metrics` counters and
/// histograms, `tsql compact` into its progress display.
public enum MaintenanceEvent: Sendable {
    /// A compaction begins: it will write one block from `inputs`.
    case compactionStarted(CompactionKind, inputs: [BlockMeta])
    /// Series written so far by the running compaction, of `total`.
    case compactionProgress(series: Int, total: Int)
    /// A compaction ended, successfully or not.
    case compactionFinished(CompactionOutcome)
    /// The head dropped the samples that are now in blocks.
    case headTruncated
    /// A block was deleted by the retention.
    case retentionDeleted(BlockMeta, bytes: Int64, reason: RetentionReason)
}

/// Which kind of compaction writes a block.
public enum CompactionKind: String, Sendable {
    /// A block range of the head becomes a block.
    case head
    /// Blocks (adjacent or overlapping) are merged into one.
    case merge
    /// A block with tombstones is rewritten without the deleted samples.
    case tombstones
}

/// Why the retention deleted a block.
public enum RetentionReason: String, Sendable {
    case time, size
}

/// The result of one compaction.
public struct CompactionOutcome: Sendable {
    public var kind: CompactionKind
    /// Blocks read (none for a head compaction) and their bytes on disk.
    public var inputBlocks: Int
    public var inputBytes: Int64
    /// The block written (nil if the inputs held no sample, or on failure) and its bytes.
    public var output: BlockMeta?
    public var outputBytes: Int64
    public var seconds: Double
    /// Why the compaction failed; nil when it succeeded.
    public var error: String?

    /// Bytes on disk freed (negative when the output is larger, as for a head compaction).
    public var reclaimedBytes: Int64 { error == nil ? inputBytes - outputBytes : 0 }
}
