import Foundation

/// When the WAL calls fsync. Every policy survives a crash of the process
/// (kill -9): `commit()` returns only after the record is in the kernel's
/// page cache. The policies differ for power loss / kernel crash.
public enum WALSyncPolicy: Sendable, Equatable {
    /// fsync only when a segment is finished: power loss may lose the current segment's tail.
    case onSegmentClose
    /// fsync at most this often in the background: power loss loses at most that window.
    case interval(milliseconds: Int)
    /// fsync before every commit returns (group commit: concurrent commits share an fsync).
    case always
}

/// Write-ahead log: numbered, size-bounded segment files in one directory,
/// holding framed records (length, CRC-32C, type, flags, LZ4 payload).
/// Layout: docs/format/wal.md. Thread-safe; writes are serialised.
public final class WAL: @unchecked Sendable {
    // @unchecked: every mutable field is only touched with `lock` held.
    public static let defaultSegmentSize = 128 << 20
    /// Records whose payload is larger than this are LZ4-compressed.
    static let compressThreshold = 64
    static let headerSize = 14

    public let directory: String
    public let segmentSize: Int
    public let syncPolicy: WALSyncPolicy
    private let lock = NSLock()
    private let syncLock = NSLock()
    private var file: WritableFile?
    public private(set) var currentSegment: Int
    private var frameBuffer: [UInt8] = []
    private var payloadBuffer: [UInt8] = []
    private var writeSeq: UInt64 = 0
    private var syncedSeq: UInt64 = 0
    private var syncThread: Thread?
    private var closed = false

    /// Opens the log for appending, starting a fresh segment numbered after
    /// every existing one, or reusing the last one if it is empty (replay
    /// must have run and repaired first).
    public init(directory: String, segmentSize: Int = WAL.defaultSegmentSize,
                syncPolicy: WALSyncPolicy = .interval(milliseconds: 1000)) throws {
        self.directory = directory
        self.segmentSize = segmentSize
        self.syncPolicy = syncPolicy
        try FileIO.makeDirectory(directory)
        let last = WAL.segmentNumbers(in: directory).last ?? 0
        let lastIsEmpty = last > 0 && FileIO.fileSize(WAL.segmentPath(directory, last)) == 0
        currentSegment = lastIsEmpty ? last : last + 1
        file = try WritableFile(creating: WAL.segmentPath(directory, currentSegment))
        try FileIO.syncDirectory(directory)
        if case .interval(let ms) = syncPolicy { startSyncThread(every: ms) }
    }

    deinit { try? close() }

    public static func segmentName(_ n: Int) -> String { String(n).leftPadded(to: 8) }
    public static func segmentPath(_ dir: String, _ n: Int) -> String { dir + "/" + segmentName(n) }

    /// Numbers of the segment files in `dir` (names of 8 digits), ascending.
    public static func segmentNumbers(in dir: String) -> [Int] {
        FileIO.list(dir).compactMap { $0.count == 8 && $0.allSatisfy(\.isNumber) ? Int($0) : nil }.sorted()
    }

    /// Frames `records` and writes them with one write(2), so that they are
    /// in the page cache when it returns. Returns a sequence number to pass
    /// to `waitDurable` (which fsyncs under the `.always` policy).
    @discardableResult
    public func log(_ records: [WALRecord]) throws -> UInt64 {
        try lock.withLock {
            guard !closed, let f = file else { throw TSDBError(.closed, "WAL is closed") }
            frameBuffer.removeAll(keepingCapacity: true)
            for r in records { appendFrame(r) }
            if f.size > 0 && f.size + frameBuffer.count > segmentSize {
                try cutLocked()
            }
            try file!.write(frameBuffer)
            writeSeq += 1
            return writeSeq
        }
    }

    /// Under `.always`, returns once the write `seq` is on disk, sharing one
    /// fsync among all commits waiting at the same time. No-op otherwise.
    public func waitDurable(_ seq: UInt64) throws {
        if syncPolicy == .always { try sync(upTo: seq) }
    }

    private func appendFrame(_ record: WALRecord) {
        WALFrame.append(record, to: &frameBuffer, scratch: &payloadBuffer)
    }

    /// Finishes the current segment (fsynced) and starts the next one.
    /// Returns the number of the finished segment.
    @discardableResult
    public func cut() throws -> Int {
        try lock.withLock {
            let done = currentSegment
            try cutLocked()
            return done
        }
    }

    /// The next segment is created before the current one is closed, so that
    /// a failure (a full disk) leaves the log appending where it was.
    private func cutLocked() throws {
        try file?.sync()
        let next = try WritableFile(creating: WAL.segmentPath(directory, currentSegment + 1))
        try FileIO.syncDirectory(directory)
        file?.close()
        file = next
        currentSegment += 1
    }

    /// fsyncs everything written so far. Concurrent callers share one fsync.
    public func sync() throws {
        let seq = lock.withLock { writeSeq }
        try sync(upTo: seq)
    }

    private func sync(upTo seq: UInt64) throws {
        try syncLock.withLock {
            let (f, target): (WritableFile?, UInt64) = lock.withLock { (file, writeSeq) }
            guard seq > lock.withLock({ syncedSeq }), let f else { return }
            try f.sync()
            lock.withLock { syncedSeq = max(syncedSeq, target) }
        }
    }

    private func startSyncThread(every ms: Int) {
        let t = Thread { [weak self] in
            while true {
                Thread.sleep(forTimeInterval: Double(ms) / 1000)
                guard let self, !self.lock.withLock({ self.closed }) else { return }
                try? self.sync()
            }
        }
        t.name = "wal-sync"
        t.start()
        syncThread = t
    }

    /// Total size in bytes of the WAL directory (segments and checkpoints).
    public var diskSize: Int64 {
        var total: Int64 = 0
        for name in FileIO.list(directory) {
            let p = directory + "/" + name
            if FileIO.isDirectory(p) {
                for f in FileIO.list(p) { total += FileIO.fileSize(p + "/" + f) ?? 0 }
            } else {
                total += FileIO.fileSize(p) ?? 0
            }
        }
        return total
    }

    public func close() throws {
        let f: WritableFile? = lock.withLock {
            if closed { return nil }
            closed = true
            return file
        }
        try f?.sync()
        f?.close()
    }
}
