import Foundation
import Testing
@testable import TSDB
import TSDBTestSupport

@Suite("Leveled compaction")
struct BlockCompactionTests {
    static let hour: Int64 = 3_600_000

    /// `hours` of 2 h blocks: two series, one sample a minute.
    func blocks(_ path: String, hours: Int64) throws -> DB {
        let db = try DB.open(path, options: testOptions())
        let app = db.appender()
        for t in stride(from: Int64(0), to: hours * Self.hour, by: 60_000) {
            try app.append(Labels(["__name__": "a", "k": "1"]), t, Double(t % 7_000))
            try app.append(Labels(["__name__": "b"]), t, Double(t) / 3)
        }
        try app.commit()
        try db.flushHead()
        return db
    }

    @Test("three 2 h blocks become one 6 h block once a newer block exists; every sample stays exactly")
    func adjacentBlocksMerge() throws {
        let tmp = TempDir()
        let db = try blocks(tmp.path, hours: 12)
        let before = try allSamples(db)
        #expect(db.blockList.count == 6)
        let written = try db.compactBlocks()
        // [0, 6 h) is behind the newest block ([10 h, 12 h)); [6 h, 12 h) is not yet.
        #expect(written.map { [$0.minTime, $0.maxTime] } == [[0, 6 * Self.hour]])
        #expect(written[0].compaction.level == 2 && written[0].compaction.parents?.count == 3 && written[0].compaction.sources.count == 3)
        #expect(db.blockList.map(\.minTime) == [0, 6, 8, 10].map { $0 * Self.hour })
        #expect(try allSamples(db) == before)
        #expect(try db.compactBlocks().isEmpty)
        try db.close()
        // Reopened: the same, and the parents' directories are gone.
        let again = try DB.open(tmp.path, options: testOptions())
        #expect(again.blockList.count == 4)
        #expect(try allSamples(again) == before)
        try again.close()
    }

    @Test("overlapping blocks (an import over existing data) are merged, equal samples stored once")
    func overlappingBlocks() throws {
        let tmp = TempDir()
        let db = try blocks(tmp.path, hours: 2)
        let before = try allSamples(db)
        // A second block over the same range with the same samples and one more series.
        let extra = Labels(["__name__": "c"])
        let one = ChunkEncoder.encode([Sample(5, 1)])
        let series = [SeriesChunks(labels: Labels(["__name__": "b"]), chunks: try db.blockList[0].select([.equal("__name__", "b")], mint: 0, maxt: 2 * Self.hour)[0].chunks),
                      SeriesChunks(labels: extra, chunks: [ChunkMeta(mint: 5, maxt: 5, encoding: one.encoding, storage: ChunkBytes(one.bytes))])]
        _ = try BlockWriter.write(into: tmp.path, mint: 0, maxt: 2 * Self.hour, series: series)
        try db.loadNewBlocks()
        #expect(db.blockList.count == 2)
        let written = try db.compactBlocks()
        #expect(written.count == 1 && db.blockList.count == 1)
        var expected = before
        expected[extra] = [Sample(5, 1)]
        #expect(try allSamples(db) == expected)
        try db.close()
    }

    @Test("tombstoned ranges are dropped while merging")
    func tombstonesDropped() throws {
        let tmp = TempDir()
        let db = try blocks(tmp.path, hours: 8)
        try db.delete([.equal("__name__", "a")], mint: Self.hour, maxt: 3 * Self.hour - 1)
        let before = try allSamples(db)
        #expect(try db.compactBlocks().count == 1)  // [0, 6 h) is behind [6 h, 8 h)
        #expect(try allSamples(db) == before)
        #expect(try db.blockList[0].select([.equal("__name__", "a")], mint: 0, maxt: 6 * Self.hour)[0].deleted.isEmpty)
        try db.close()
    }

    @Test("parents left by a crash between writing the merged block and removing them are removed at open")
    func crashLeftovers() throws {
        let tmp = TempDir()
        let db = try blocks(tmp.path, hours: 8)
        let before = try allSamples(db)
        let parents = db.blockList.prefix(3).map(\.directory)
        let copies = parents.map { $0 + ".copy" }
        for (p, c) in zip(parents, copies) { try FileManager.default.copyItem(atPath: p, toPath: c) }
        try db.compactBlocks()
        try db.close()
        for (p, c) in zip(parents, copies) { try FileManager.default.moveItem(atPath: c, toPath: p) }  // as if never removed
        let again = try DB.open(tmp.path, options: testOptions())
        #expect(again.blockList.count == 2)
        for p in parents { #expect(!FileManager.default.fileExists(atPath: p)) }
        #expect(try allSamples(again) == before)
        try again.close()
    }
}
