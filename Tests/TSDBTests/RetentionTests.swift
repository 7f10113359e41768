import Foundation
import Testing
@testable import TSDB
import TSDBTestSupport

@Suite("Retention")
struct RetentionTests {
    static let hour: Int64 = 3_600_000
    let up = Labels(["__name__": "up", "job": "api"])

    /// Six 2 h blocks (one sample per minute in [0 h, 12 h)), all flushed.
    func sixBlocks(_ path: String, _ options: DBOptions = testOptions()) throws -> DB {
        let db = try DB.open(path, options: options)
        let app = db.appender()
        for t in stride(from: Int64(0), to: 12 * Self.hour, by: 60_000) { try app.append(up, t, Double(t)) }
        try app.commit()
        try db.flushHead()
        #expect(db.blockList.count == 6)
        return db
    }

    @Test("time: blocks ending at least the retention before the newest block's end are deleted, files and all")
    func timeRetention() throws {
        let tmp = TempDir()
        var o = testOptions()
        o.retentionDuration = 5 * Self.hour
        let db = try sixBlocks(tmp.path, o)
        let before = db.blockList
        let deleted = try db.applyRetention()
        // Newest block ends at 12 h: blocks ending at 2 h, 4 h and 6 h are ≥ 5 h older.
        #expect(deleted.map(\.maxTime) == [2, 4, 6].map { $0 * Self.hour })
        #expect(db.blockList.map(\.minTime) == [6, 8, 10].map { $0 * Self.hour })
        for b in before.prefix(3) { #expect(!FileManager.default.fileExists(atPath: b.directory)) }
        let left = try db.querier(mint: .min, maxt: .max).select([.equal("__name__", "up")])
        #expect(try left.first?.samples().first?.t == 6 * Self.hour)
        #expect(try db.applyRetention().isEmpty)  // nothing more to do
        try db.close()
    }

    @Test("size: the newest blocks that fit (with the WAL) stay; reopening applies the retention too")
    func sizeRetentionAndOpen() throws {
        let tmp = TempDir()
        let db = try sixBlocks(tmp.path)
        let sizes = db.blockList.map(\.size)
        let wal = db.wal.diskSize
        try db.close()
        // Room for the WAL and the three newest blocks, not a fourth.
        var o = testOptions()
        o.retentionBytes = wal + sizes.suffix(3).reduce(0, +) + sizes[2] / 2
        let reopened = try DB.open(tmp.path, options: o)
        #expect(reopened.blockList.map(\.minTime) == [6, 8, 10].map { $0 * Self.hour })
        try reopened.close()
        // Without limits nothing goes.
        let again = try DB.open(tmp.path, options: testOptions())
        #expect(again.blockList.count == 3)
        try again.close()
    }

    @Test func aBlockParkedForDeletionIsRemovedAtOpen() throws {
        let tmp = TempDir()
        let db = try sixBlocks(tmp.path)
        let victim = db.blockList[0].directory
        try db.close()
        try FileManager.default.moveItem(atPath: victim, toPath: victim + ".deleting.tmp")  // a crash mid-deletion
        let reopened = try DB.open(tmp.path, options: testOptions())
        #expect(reopened.blockList.count == 5)
        #expect(!FileManager.default.fileExists(atPath: victim + ".deleting.tmp"))
        try reopened.close()
    }
}
