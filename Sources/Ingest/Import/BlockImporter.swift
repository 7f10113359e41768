import Dispatch
import Foundation
import Synchronization
import TSDB

/// Builds blocks from samples arriving in any order across series and time
/// (a backfill): per series and block range the samples go into an
/// in-memory XOR chunk while they come in time order (about 1–2 bytes per
/// sample), and into a side list when they do not (sorted at the end).
/// When what is held passes `memoryBudget`, finished chunks (and
/// stragglers) are spilled to one temporary file per block range, so memory
/// stays bounded by the budget plus the blocks being written. Nothing
/// touches the database until `write(into:)`, which writes every block into
/// a staging directory first and then moves them in, so a failure before
/// that leaves the database as it was.
public final class BlockImporter {
    public struct Options: Sendable {
        /// Length of the blocks written (Prometheus: 2 h).
        public var blockDuration: Int64 = 2 * 3600 * 1000
        /// Labels added to (or replacing those of) every series.
        public var extraLabels: [Label] = []
        /// Bytes of chunks held in memory before they are spilled to disk.
        public var memoryBudget = 256 << 20
        /// Where spill files go (a fresh directory in it, removed at the end).
        public var spillDirectory = NSTemporaryDirectory()

        public init() {}
    }

    /// What an import held and wrote.
    public struct Summary: Sendable {
        public var series = 0
        public var samples = 0
        public var minTime = Int64.max
        public var maxTime = Int64.min
        /// Samples repeated with the same timestamp and value (kept once).
        public var duplicates = 0
        /// Samples repeated with the same timestamp and another value (the first one is kept).
        public var conflicts = 0
        public var firstConflict: String?
        public var blocks: [BlockMeta] = []
    }

    /// The samples of one series in one block range.
    final class Builder {
        var chunks: [ChunkMeta] = []
        var appender = XORAppender()
        var chunkMint: Int64 = 0
        var lastT: Int64?
        var late: [Sample] = []

        /// Adds a sample; returns the bytes it made the builder hold for good
        /// (a finished chunk, or a straggler).
        func add(_ t: Int64, _ v: Double) -> Int {
            if let last = lastT, t <= last {
                late.append(Sample(t, v))
                return MemoryLayout<Sample>.stride
            }
            if appender.count == 0 { chunkMint = t }
            appender.append(t, v)
            lastT = t
            return appender.count == BlockWriter.samplesPerChunk ? cut() : 0
        }

        @discardableResult
        func cut() -> Int {
            let bytes = appender.bytes
            chunks.append(ChunkMeta(mint: chunkMint, maxt: lastT!, encoding: .xor, storage: ChunkBytes(bytes)))
            appender = XORAppender()
            return bytes.count
        }

        /// The chunks in time order, duplicates resolved (counted in `summary`).
        func finish(_ labels: Labels, _ summary: inout Summary) throws -> [ChunkMeta] {
            if appender.count > 0 { cut() }
            guard !late.isEmpty else { return chunks }
            var all: [Sample] = []
            for c in chunks {
                var it = c.iterator()
                while it.next() { all.append(Sample(it.t, it.v)) }
            }
            all += late  // arrival order after the in-order run: the stable sort keeps the first one written first
            let sorted = all.enumerated().sorted { ($0.element.t, $0.offset) < ($1.element.t, $1.offset) }.map(\.element)
            var merged: [Sample] = []
            merged.reserveCapacity(sorted.count)
            for s in sorted {
                if let last = merged.last, last.t == s.t {
                    if last.v.bitPattern == s.v.bitPattern {
                        summary.duplicates += 1
                    } else {
                        summary.conflicts += 1
                        if summary.firstConflict == nil {
                            summary.firstConflict = "\(labels) at \(s.t): \(last.v) kept, \(s.v) dropped"
                        }
                    }
                    continue
                }
                merged.append(s)
            }
            summary.samples -= all.count - merged.count
            return stride(from: 0, to: merged.count, by: BlockWriter.samplesPerChunk).map { start in
                let run = merged[start..<min(start + BlockWriter.samplesPerChunk, merged.count)]
                let c = ChunkEncoder.encode(Array(run))
                return ChunkMeta(mint: run.first!.t, maxt: run.last!.t, encoding: c.encoding, storage: ChunkBytes(c.bytes))
            }
        }
    }

    public let options: Options
    private(set) var labels: [Labels] = []
    private var index: [Labels: Int] = [:]
    /// Per series, its builders by block start.
    private var builders: [[Int64: Builder]] = []
    private var cached: (series: Int, block: Int64, builder: Builder)?
    public private(set) var summary = Summary()
    /// Bytes of finished chunks and stragglers held in memory.
    private var held = 0
    private var spill: SpillFiles?
    /// How often memory was spilled to disk.
    public private(set) var spills = 0

    public init(options: Options = Options()) {
        self.options = options
    }

    /// The series number of a label set (a new one is created), extra labels applied.
    public func series(_ labels: Labels) -> Int {
        var l = labels
        if !options.extraLabels.isEmpty {
            l = Labels(labels.pairs.filter { p in !options.extraLabels.contains { $0.name == p.name } } + options.extraLabels)
        }
        if let i = index[l] { return i }
        index[l] = self.labels.count
        self.labels.append(l)
        builders.append([:])
        summary.series += 1
        return self.labels.count - 1
    }

    /// Adds one sample of series `i` (from `series(_:)`).
    public func add(series i: Int, _ t: Int64, _ v: Double) {
        let start = Head.rangeStart(t, options.blockDuration)
        let builder: Builder
        if let c = cached, c.series == i, c.block == start {
            builder = c.builder
        } else if let b = builders[i][start] {
            builder = b
            cached = (i, start, b)
        } else {
            builder = Builder()
            builders[i][start] = builder
            cached = (i, start, builder)
        }
        held += builder.add(t, v)
        if held > options.memoryBudget { spillToDisk() }
        summary.samples += 1
        if t < summary.minTime { summary.minTime = t }
        if t > summary.maxTime { summary.maxTime = t }
    }

    /// Moves every finished chunk and straggler to the spill files.
    private func spillToDisk() {
        do {
            if spill == nil { spill = try SpillFiles(in: options.spillDirectory) }
            for (i, perBlock) in builders.enumerated() {
                for (start, b) in perBlock where !b.chunks.isEmpty || !b.late.isEmpty {
                    try spill!.write(series: i, block: start, chunks: b.chunks, late: b.late)
                    b.chunks.removeAll()
                    b.late.removeAll()
                }
            }
            held = 0
            spills += 1
        } catch {
            // Cannot spill (disk full?): keep going in memory rather than lose data.
            held = 0
        }
    }

    /// Writes one block per block range into `directory` (a database's data
    /// directory): all blocks are written to `import-<ulid>.tmp/` first (which
    /// a database open removes if we die), then renamed into place. Returns the summary.
    public func write(into directory: String, progress: (@Sendable (Int, Int) -> Void)? = nil) throws -> Summary {
        let staging = directory + "/import-" + ULID.make() + ".tmp"
        try FileIO.makeDirectory(staging)
        defer { try? FileIO.removeAll(staging) }
        let order = labels.indices.sorted { labels[$0] < labels[$1] }
        let starts = Set(builders.flatMap(\.keys)).sorted()
        // A batch of blocks at a time (one per core): their series resolved
        // (spilled data read back, duplicates counted), then written in parallel,
        // each writer re-encoding its chunks on its own core.
        let batch = max(1, ProcessInfo.processInfo.activeProcessorCount)
        var written: [BlockMeta] = []
        let done = Atomic<Int>(0)
        for first in stride(from: 0, to: starts.count, by: batch) {
            let range = first..<min(first + batch, starts.count)
            var perBlock: [[SeriesChunks]] = []
            for start in starts[range] {
                try spill?.load(start, into: { i in builders[i][start]! })
                var series: [SeriesChunks] = []
                for i in order {
                    guard let b = builders[i][start] else { continue }
                    series.append(SeriesChunks(labels: labels[i], chunks: try b.finish(labels[i], &summary)))
                    builders[i][start] = nil
                }
                perBlock.append(series)
            }
            let results = Mutex([Result<BlockMeta?, any Error>?](repeating: nil, count: range.count))
            let duration = options.blockDuration
            let blocks = perBlock, batchStarts = Array(starts[range]), total = starts.count
            DispatchQueue.concurrentPerform(iterations: blocks.count) { n in
                let r = Result { try BlockWriter.write(into: staging, mint: batchStarts[n], maxt: batchStarts[n] + duration, series: blocks[n]) }
                results.withLock { $0[n] = r }
                progress?(done.add(1, ordering: .relaxed).newValue, total)
            }
            for r in results.withLock({ $0 }) {
                if let meta = try r!.get() { written.append(meta) }
            }
        }
        spill = nil
        for meta in written {
            try FileIO.rename(staging + "/" + meta.ulid, directory + "/" + meta.ulid)
        }
        try FileIO.syncDirectory(directory)
        summary.blocks = written
        cached = nil
        return summary
    }
}
