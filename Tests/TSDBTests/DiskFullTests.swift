import Foundation
import Testing
@testable import TSDB
import TSDBTestSupport

/// A full disk, simulated by `WriteFaults` (writes to chosen paths fail with
/// ENOSPC after writing half their bytes): compaction aborts and leaves no
/// trace, reads go on, commits fail with an error, nothing stored is lost or
/// corrupted, and everything works again once there is space.
@Suite("Disk full", .serialized)
struct DiskFullTests {
    static let hour: Int64 = 3_600_000

    func write(_ db: DB, hours: Range<Int64>, value: Double = 1) throws {
        let app = db.appender()
        for t in stride(from: hours.lowerBound * Self.hour, to: hours.upperBound * Self.hour, by: 60_000) {
            try app.append(Labels(["__name__": "a", "k": "1"]), t, Double(t % 7_000) * value)
            try app.append(Labels(["__name__": "b"]), t, Double(t) / 3 * value)
        }
        try app.commit()
    }

    /// Files and directories that are neither a block, the WAL nor the lock.
    func leftovers(_ dir: String) -> [String] {
        FileIO.list(dir).filter { $0.hasSuffix(".tmp") || $0.hasSuffix(BlockWriter.tmpSuffix) }
    }

    func failing(_ pathPart: String, in dir: String) {
        WriteFaults.failWrites { $0.hasPrefix(dir) && $0.contains(pathPart) }
    }

    @Test("a block merge that runs out of space aborts cleanly; reads go on; it succeeds once there is space")
    func mergeOnFullDisk() throws {
        let tmp = TempDir()
        defer { WriteFaults.clear() }
        let db = try DB.open(tmp.path, options: testOptions())
        defer { try? db.close() }
        try write(db, hours: 0..<8)
        try db.flushHead()
        let before = try allSamples(db)
        let blocks = db.blockList.map(\.meta.ulid)

        failing(BlockWriter.tmpSuffix, in: tmp.path)
        #expect { try db.compactBlocks() } throws: { error in
            "\(error)".contains("No space left on device") && "\(error)".contains(BlockWriter.tmpSuffix)
        }
        #expect(db.blockList.map(\.meta.ulid) == blocks)
        #expect(leftovers(tmp.path).isEmpty)
        #expect(try allSamples(db) == before)

        WriteFaults.clear()
        #expect(try db.compactBlocks().count == 1)
        #expect(try allSamples(db) == before)
    }

    @Test("commits fail with an error while the WAL cannot be written; nothing half-written survives; writing resumes after")
    func ingestionOnFullDisk() throws {
        let tmp = TempDir()
        defer { WriteFaults.clear() }
        var expected: [Labels: [Sample]] = [:]
        do {
            let db = try DB.open(tmp.path, options: testOptions())
            defer { try? db.close() }
            try write(db, hours: 0..<1)
            expected = try allSamples(db)

            failing("/wal/", in: tmp.path)
            for _ in 0..<3 {
                #expect { try write(db, hours: 1..<2) } throws: { "\($0)".contains("No space left on device") }
            }
            // The refused samples are not visible; what was stored still is.
            #expect(try allSamples(db) == expected)

            WriteFaults.clear()
            try write(db, hours: 2..<3)
            expected = try allSamples(db)
            #expect(expected[Labels(["__name__": "b"])]?.count == 120)
        }
        // The torn writes were cut off: the replay finds no corruption and every acknowledged sample.
        let reopened = try DB.open(tmp.path, options: testOptions())
        defer { try? reopened.close() }
        #expect(reopened.replayReport.corruption == nil, "\(reopened.replayReport)")
        #expect(try allSamples(reopened) == expected)
    }

    @Test("a head compaction or WAL checkpoint that runs out of space loses nothing, before or after a restart")
    func headCompactionOnFullDisk() throws {
        let tmp = TempDir()
        defer { WriteFaults.clear() }
        var expected: [Labels: [Sample]] = [:]
        do {
            let db = try DB.open(tmp.path, options: testOptions())
            defer { try? db.close() }
            try write(db, hours: 0..<7)
            expected = try allSamples(db)

            // The block write fails: the head keeps everything.
            failing(BlockWriter.tmpSuffix, in: tmp.path)
            #expect(throws: TSDBError.self) { try db.compactHead() }
            #expect(db.blockList.isEmpty && leftovers(tmp.path).isEmpty)
            #expect(try allSamples(db) == expected)

            // The blocks are written, but the checkpoint of what the head
            // still holds ([4 h, 7 h)) fails: the WAL keeps its segments.
            failing("checkpoint", in: tmp.path)
            #expect { try db.compactHead() } throws: { "\($0)".contains("checkpoint") }
            #expect(db.blockList.count == 2)
            #expect(try allSamples(db) == expected)
            #expect(!FileIO.list(tmp.path + "/wal").contains { $0.hasPrefix("checkpoint") })
            WriteFaults.clear()
        }
        let reopened = try DB.open(tmp.path, options: testOptions())
        defer { try? reopened.close() }
        #expect(try allSamples(reopened) == expected)
        #expect(leftovers(tmp.path).isEmpty)
    }
}
