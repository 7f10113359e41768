import Foundation
import Testing
@testable import TSDB
import TSDBTestSupport

/// `Querier.selectNewest`: the newest sample of head series without decoding,
/// and the full chunks wherever that sample would not be the right answer.
@Suite("Newest-sample selection")
struct NewestSampleTests {
    /// Three series at 15 s up to 20 min; "gone" stops at 10 min, "marker" ends with a staleness marker.
    static func filled() throws -> (DB, TempDir) {
        let tmp = TempDir()
        let db = try DB.open(tmp.path, options: testOptions())
        let app = db.appender()
        for step in 0...80 {
            let t = Int64(step) * 15_000
            try app.append(Labels(["__name__": "m", "s": "live"]), t, Double(step))
            if step <= 40 { try app.append(Labels(["__name__": "m", "s": "gone"]), t, Double(step)) }
            try app.append(Labels(["__name__": "m", "s": "marker"]), t, step == 80 ? StaleNaN.value : Double(step))
        }
        try app.commit()
        return (db, tmp)
    }

    @Test("series whose newest sample is in range hold that sample alone; the rest hold their chunks")
    func newestInRange() throws {
        let (db, tmp) = try Self.filled()
        defer { try? db.close(); _ = tmp }
        let querier = db.querier(mint: 1_000_000, maxt: 1_300_000)
        let newest = try querier.selectNewest([.equal("__name__", "m")])
        let full = try querier.select([.equal("__name__", "m")])
        #expect(newest.map(\.labels) == full.map(\.labels), "same series in the same order")
        let byName = Dictionary(uniqueKeysWithValues: newest.map { ($0.labels["s"], $0) })
        #expect(byName["live"]?.newest == Sample(1_200_000, 80))
        #expect(byName["live"]?.chunks.isEmpty == true)
        #expect(try byName["live"]?.samples() == [Sample(1_200_000, 80)])
        #expect(StaleNaN.isStale(try #require(byName["marker"]?.newest).v), "a staleness marker is the newest sample")
        var kept: [Sample] = []
        try byName["marker"]?.appendSamples(to: &kept, dropStale: true)
        #expect(kept.isEmpty, "dropped when staleness markers are")
        // "gone" ended before the range: nothing in it, as select says.
        #expect(byName["gone"] == nil && !full.contains { $0.labels["s"] == "gone" })
        // The iterator of a newest-only series yields the same one sample.
        var it = try #require(byName["live"]).iterator()
        #expect(it.next() && it.t == 1_200_000 && it.v == 80 && !it.next())
    }

    @Test("a range ending before the newest sample, a deletion or a block in range: the chunks, as select returns them")
    func fallsBackToChunks() throws {
        let (db, tmp) = try Self.filled()
        defer { try? db.close(); _ = tmp }
        let past = try db.querier(mint: 300_000, maxt: 600_000).selectNewest([.equal("s", "live")])
        #expect(past.first?.newest == nil && past.first?.chunks.isEmpty == false)
        #expect(try past.first?.samples().last == Sample(600_000, 40))

        try db.delete([.equal("s", "live")], mint: 1_185_000, maxt: 1_200_000)
        let deleted = try db.querier(mint: 1_000_000, maxt: 1_300_000).selectNewest([.equal("s", "live")])
        #expect(deleted.first?.newest == nil)
        #expect(try deleted.first?.samples().last == Sample(1_170_000, 78), "the deleted newest samples stay hidden")
    }

    @Test("with a block in the range the result is select's (blocks may hold newer samples than the head)")
    func blocksInRange() throws {
        let (db, tmp) = try Self.filled()
        defer { try? db.close(); _ = tmp }
        _ = try db.flushHead()
        let querier = db.querier(mint: 1_000_000, maxt: 1_300_000)
        let newest = try querier.selectNewest([.equal("__name__", "m")])
        #expect(newest.count == 2 && newest.allSatisfy { $0.newest == nil })
        #expect(try newest.map { try $0.samples() } == (try querier.select([.equal("__name__", "m")]).map { try $0.samples() }))
    }
}
