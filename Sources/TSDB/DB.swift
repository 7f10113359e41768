#if canImport(Glibc)
import Glibc
#endif
import Foundation

/// Options of a database. Defaults match Prometheus where both have the notion.
public struct DBOptions: Sendable {
    /// Time span of a block cut from the head (Prometheus: 2 h).
    public var blockDuration: Int64 = 2 * 3600 * 1000
    public var walSegmentSize = WAL.defaultSegmentSize
    public var walSyncPolicy: WALSyncPolicy = .interval(milliseconds: 1000)
    /// How often the background job checks whether the head should be cut
    /// into a block; nil disables the job (call `compactHead()` yourself).
    public var compactionInterval: Double? = 60
    /// Seconds without new series after which the background job puts the
    /// head's new series in label order (see `Head.rankSeriesByLabels`),
    /// instead of waiting for its next compaction check.
    public var rankingQuietPeriod: Double = 2
    /// Largest span of a block made by merging blocks (Prometheus: 10 % of the
    /// retention time, at most 31 days).
    public var maxBlockDuration: Int64 = 31 * 24 * 3600 * 1000
    /// Blocks whose end is this long (ms) before the newest block's end are deleted; nil keeps all.
    public var retentionDuration: Int64?
    /// Beyond this many bytes of blocks and WAL the oldest blocks are deleted; nil for no limit.
    public var retentionBytes: Int64?
    /// Told which WAL segment the replay at open is reading (for `/-/ready`, `/api/v1/status/walreplay`).
    public var replayProgress: (@Sendable (WALReplayProgress) -> Void)?
    /// Told what the maintenance job does (compactions, head truncation,
    /// retention), as it happens; called on the maintenance thread.
    public var maintenanceObserver: (@Sendable (MaintenanceEvent) -> Void)?

    public init() {}

    /// Sets the time retention, and with it the largest merged block (10 % of it, at most 31 days), as Prometheus does.
    public mutating func setRetention(duration: Int64) {
        retentionDuration = duration
        maxBlockDuration = max(blockDuration, min(31 * 24 * 3600 * 1000, duration / 10))
    }
}

/// A time-series database on one directory: the head (in memory, backed by
/// the WAL) plus immutable blocks. Layout:
///
///     <dir>/lock          held (flock) while open
///     <dir>/wal/          WAL segments and checkpoints
///     <dir>/<ulid>/       blocks
///
/// Open with `DB.open`, write through `appender()`, read through
/// `querier(mint:maxt:)`, and `close()` when done.
public final class DB: @unchecked Sendable {
    // @unchecked: `blocks` and `closed` are only touched with `lock` held; the
    // head and WAL are thread-safe themselves.
    public let directory: String
    public let options: DBOptions
    public let head: Head
    let wal: WAL
    private let lock = NSLock()
    let compactionLock = NSLock()
    private var blocks: [Block] = []
    private var closed = false
    private var lockFD: Int32 = -1
    private var compactionThread: Thread?
    /// Wakes the compaction thread before its interval ends.
    private let compactionWakeup = DispatchSemaphore(value: 0)
    /// What the WAL replay at open found.
    public let replayReport: WALReplayReport

    private init(directory: String, options: DBOptions, head: Head, wal: WAL, blocks: [Block],
                 lockFD: Int32, report: WALReplayReport) {
        self.directory = directory
        self.options = options
        self.head = head
        self.wal = wal
        self.blocks = blocks
        self.lockFD = lockFD
        self.replayReport = report
    }

    /// Opens (creating if needed) the database in `directory`: takes the lock,
    /// loads blocks, removes leftovers of interrupted writes, replays the WAL.
    public static func open(_ directory: String, options: DBOptions = DBOptions()) throws -> DB {
        try FileIO.makeDirectory(directory)
        let fd = try acquireLock(directory)
        do {
            var blocks: [Block] = []
            for name in FileIO.list(directory) {
                let path = directory + "/" + name
                if name.hasSuffix(BlockWriter.tmpSuffix) || (name.hasSuffix(".tmp") && FileIO.isDirectory(path)) {
                    try FileIO.removeAll(path)  // an interrupted block write: never renamed, never visible
                    continue
                }
                if ULID.isValid(name) && FileIO.isDirectory(path) {
                    blocks.append(try Block(directory: path))
                }
            }
            // Parents of a merged block left by a crash between writing it and removing them.
            let superseded = supersededBlocks(blocks)
            for b in blocks where superseded.contains(b.meta.ulid) { try FileIO.removeAll(b.directory) }
            blocks.removeAll { superseded.contains($0.meta.ulid) }
            blocks.sort { $0.minTime < $1.minTime }

            let walDir = directory + "/wal"
            try FileIO.makeDirectory(walDir)
            let head = Head(blockDuration: options.blockDuration, wal: nil)
            head.minValidTime = blocks.map(\.maxTime).max() ?? .min
            let report = try replay(walDir, into: head, progress: options.replayProgress)
            let wal = try WAL(directory: walDir, segmentSize: options.walSegmentSize, syncPolicy: options.walSyncPolicy)
            let liveHead = Head(adopting: head, wal: wal)
            liveHead.rankSeriesByLabels()
            let db = DB(directory: directory, options: options, head: liveHead, wal: wal, blocks: blocks,
                        lockFD: fd, report: report)
            try db.applyRetention()
            if let interval = options.compactionInterval { db.startCompactionThread(every: interval) }
            return db
        } catch {
            Glibc.close(fd)
            throw error
        }
    }

    /// Replays the WAL into `head`: one thread reads, checks and decodes
    /// records while this one applies them (itself in parallel shards).
    private static func replay(_ walDir: String, into head: Head,
                               progress: (@Sendable (WALReplayProgress) -> Void)?) throws -> WALReplayReport {
        let queue = BoundedQueue<WALRecord>(capacity: 16)
        let outcome = NSLock()
        nonisolated(unsafe) var result: Result<WALReplayReport, any Error>?  // guarded by `outcome`
        let reader = Thread {
            let r = Result { try WALReader.replay(directory: walDir, progress: progress) { queue.put($0) } }
            outcome.withLock { result = r }
            queue.close()
        }
        reader.name = "wal-replay"
        reader.start()
        var stats = Head.ReplayStats()
        while let record = queue.take() { head.replay(record, stats: &stats) }
        return try outcome.withLock { result! }.get()
    }

    private static func acquireLock(_ directory: String) throws -> Int32 {
        let path = directory + "/lock"
        let fd = Glibc.open(path, O_RDWR | O_CREAT | O_CLOEXEC, 0o644)
        guard fd >= 0 else { throw FileIO.fail("open lock file", path) }
        if flock(fd, LOCK_EX | LOCK_NB) != 0 {
            let holder = (try? FileIO.readAll(path)).map { String(decoding: $0, as: UTF8.self) } ?? "?"
            Glibc.close(fd)
            throw TSDBError(.locked, "data directory \(directory) is in use by another process (pid \(holder.trimmingCharacters(in: .whitespacesAndNewlines)))",
                            file: path)
        }
        let pid = Array("\(getpid())\n".utf8)
        _ = ftruncate(fd, 0)
        _ = pid.withUnsafeBytes { pwrite(fd, $0.baseAddress, $0.count, 0) }
        return fd
    }

    /// A new batch appender. Appenders are cheap; use one per writer.
    public func appender() -> Appender { Appender(head: head) }

    /// A consistent read view of [mint, maxt] (inclusive).
    public func querier(mint: Int64, maxt: Int64) -> Querier {
        let bs = lock.withLock { blocks }
        return Querier(mint: mint, maxt: maxt, blocks: bs, head: head)
    }

    /// The persisted blocks, oldest first.
    public var blockList: [Block] { lock.withLock { blocks } }

    func addBlock(_ b: Block) {
        lock.withLock {
            blocks.append(b)
            blocks.sort { $0.minTime < $1.minTime }
        }
    }

    /// Loads blocks that appeared in the directory since it was opened (moved
    /// in whole by `tsql import`); called by the compaction job, so a running
    /// server sees imported data within a compaction interval.
    @discardableResult
    public func loadNewBlocks() throws -> [BlockMeta] {
        try compactionLock.withLock { try loadNewBlocksLocked() }
    }

    func loadNewBlocksLocked() throws -> [BlockMeta] {
        let known = Set(blockList.map { ($0.directory as NSString).lastPathComponent })
        var added: [BlockMeta] = []
        for name in FileIO.list(directory) where ULID.isValid(name) && !known.contains(name) {
            let path = directory + "/" + name
            guard FileIO.isDirectory(path) else { continue }
            let block = try Block(directory: path)
            addBlock(block)
            added.append(block.meta)
        }
        return added
    }

    /// Swaps a block for its rewritten version (or drops it when `new` is nil).
    func replaceBlock(_ old: Block, with new: Block?) {
        lock.withLock {
            blocks.removeAll { $0 === old }
            if let new { blocks.append(new) }
            blocks.sort { $0.minTime < $1.minTime }
        }
    }

    /// Closes the WAL (fsynced) and releases the directory lock. The head is
    /// not written out: its data is in the WAL and is replayed on next open.
    public func close() throws {
        let already = lock.withLock { () -> Bool in
            defer { closed = true }
            return closed
        }
        if already { return }
        compactionWakeup.signal()  // let the compaction thread see that we are closed
        compactionLock.withLock {}  // wait for a running compaction
        try wal.close()
        if lockFD >= 0 {
            flock(lockFD, LOCK_UN)
            Glibc.close(lockFD)
            lockFD = -1
        }
    }

    deinit { try? close() }

    var isClosed: Bool { lock.withLock { closed } }

    private func startCompactionThread(every seconds: Double) {
        let wakeup = compactionWakeup
        let quiet = min(seconds, options.rankingQuietPeriod)
        head.onCompactable = { wakeup.signal() }
        let t = Thread { [weak self] in
            var lastCheck = DispatchTime.now()
            var createdBefore = -1
            while true {
                // Wakes every quiet period: new series are ranked once their
                // creation pauses (the end of a burst, like a first scrape or
                // an import), or on schedule.
                let signalled = wakeup.wait(timeout: .now() + quiet) == .success
                guard let self, !self.isClosed else { return }
                let due = signalled || DispatchTime.now() >= lastCheck + seconds
                let created = self.head.createdSeriesCount
                if self.head.unrankedSeries > 0 && (created == createdBefore || due) { self.head.rankSeriesByLabels() }
                createdBefore = created
                guard due else { continue }
                lastCheck = .now()
                do { try self.compactHead() } catch let e as TSDBError where e.code == .closed {
                    return
                } catch {
                    FileHandle.standardError.write(Data("tsdb: head compaction failed: \(error)\n".utf8))
                }
            }
        }
        t.name = "tsdb-compaction"
        t.start()
        compactionThread = t
    }
}

extension Head {
    /// Takes over the series of a head built by WAL replay, attaching the live WAL.
    convenience init(adopting other: Head, wal: WAL) {
        self.init(blockDuration: other.blockDuration, wal: wal)
        series = other.series
        other.series = []  // ownership of the retained entries moves here
        byLabels = other.byLabels
        postings = other.postings
        liveSeries = other.liveSeries
        seriesCreated = other.seriesCreated
        minT = other.minT
        maxT = other.maxT
        minValidTime = other.minValidTime
        samplesAppended = other.samplesAppended
        for s in allSeriesLocked { _ = symbols.intern(s.labels) }
    }
}
