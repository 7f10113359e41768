import Foundation
import Testing
@testable import TSDB
import TSDBTestSupport

/// Selections come back sorted by labels (byte order) whatever the order the
/// series were created in: from the head through its label ranks (series
/// created since the last ranking merged in by labels), from a block by its
/// index order, and from several sources merged.
@Suite("Selection order")
struct SelectionOrderTests {
    /// Label sets in a scrambled creation order, with shared prefixes and non-ASCII values.
    static func scrambled(_ n: Int, seed: UInt64) -> [Labels] {
        var rng = SeededRandom(seed: seed)
        let hosts = ["a", "b", "Z", "é", "host-10", "host-9", "host-100", "日本"]
        return (0..<n).map { i in
            var pairs: [String: String] = ["__name__": i % 3 == 0 ? "m" : "m_total", "host": hosts[Int(rng.next() % 8)],
                                           "i": String(i)]
            if rng.next() % 2 == 0 { pairs["zone"] = "z\(rng.next() % 4)" }
            return Labels(pairs)
        }.shuffled(using: &rng)
    }

    static func append(_ db: DB, _ sets: [Labels], at t: Int64) throws {
        let app = db.appender()
        for l in sets { try app.append(l, t, 1) }
        try app.commit()
    }

    @Test("the background job ranks new series once their creation pauses, not only at its next compaction check")
    func rankedAfterBurst() async throws {
        let tmp = TempDir()
        var options = testOptions()
        options.compactionInterval = 3600
        options.rankingQuietPeriod = 0.05
        let db = try DB.open(tmp.path, options: options)
        defer { try? db.close(); _ = tmp }
        try Self.append(db, Self.scrambled(200, seed: 3), at: 1_000)
        #expect(db.head.unrankedSeries == 200)
        for _ in 0..<600 where db.head.unrankedSeries > 0 { try await Task.sleep(for: .milliseconds(50)) }
        #expect(db.head.unrankedSeries == 0, "ranked within 30 s although the next check is an hour away")
    }

    @Test("head: ranked series, series created after the ranking, and both mixed")
    func headOrder() throws {
        let tmp = TempDir()
        let db = try DB.open(tmp.path, options: testOptions())
        defer { try? db.close(); _ = tmp }
        let first = Self.scrambled(300, seed: 1)
        try Self.append(db, first, at: 1_000)
        #expect(db.head.unrankedSeries == 300)
        let unranked = try db.querier(mint: 0, maxt: 10_000).select([])
        #expect(unranked.map(\.labels) == first.sorted(by: <), "nothing ranked yet: sorted by labels")

        db.head.rankSeriesByLabels()
        #expect(db.head.unrankedSeries == 0)
        #expect(try db.querier(mint: 0, maxt: 10_000).select([]).map(\.labels) == first.sorted(by: <))

        // New series interleave with the ranked ones.
        let later = Self.scrambled(120, seed: 2).map { $0.setting("late", to: "1") }
        try Self.append(db, later, at: 2_000)
        #expect(db.head.unrankedSeries == 120)
        let all = (first + later).sorted(by: <)
        let mixed = try db.querier(mint: 0, maxt: 10_000).select([])
        #expect(mixed.map(\.labels) == all)
        let some = try db.querier(mint: 0, maxt: 10_000).select([.equal("host", "é")])
        #expect(some.map(\.labels) == all.filter { $0["host"] == "é" })
        let newest = try db.querier(mint: 0, maxt: 10_000).selectNewest([try LabelMatcher(.regexMatch, "host", "a|Z|日本")])
        #expect(newest.map(\.labels) == all.filter { ["a", "Z", "日本"].contains($0["host"]) })

        db.head.rankSeriesByLabels()
        #expect(try db.querier(mint: 0, maxt: 10_000).select([]).map(\.labels) == all)
    }

    @Test("merging sources: each series once, in label order, with every source's chunks and deletions in source order")
    func mergeOfThreeSources() {
        func series(_ name: String, _ mint: Int64, deleted: [ClosedRange<Int64>] = []) -> SeriesChunks {
            let meta = ChunkMeta(mint: mint, maxt: mint + 9, encoding: .xor, storage: ChunkBytes([0, 0]))
            return SeriesChunks(labels: Labels(["__name__": name]), chunks: [meta], deleted: deleted)
        }
        let lists = [
            [series("a", 0), series("c", 0), series("e", 0)],
            [series("b", 10), series("c", 10, deleted: [12...13]), series("e", 10)],
            [series("c", 20), series("d", 20), series("f", 20, deleted: [21...22])],
        ]
        let merged = Querier.merge(lists, mint: 0, maxt: 100)
        #expect(merged.map { $0.labels.metricName } == ["a", "b", "c", "d", "e", "f"])
        #expect(merged.map { $0.chunks.map(\.mint) } == [[0], [10], [0, 10, 20], [20], [0, 10], [20]])
        #expect(merged[2].deleted == [12...13] && merged[5].deleted == [21...22] && merged[0].deleted.isEmpty)
        #expect(Querier.merge([[], lists[1], []], mint: 0, maxt: 100).map { $0.labels.metricName } == ["b", "c", "e"])
        #expect(Querier.merge([[], []], mint: 0, maxt: 100).isEmpty)
    }

    @Test("blocks list series in label order; several blocks and the head merge, chunks of one series joined")
    func blocksAndHeadMerge() throws {
        let tmp = TempDir()
        let db = try DB.open(tmp.path, options: testOptions())
        defer { try? db.close(); _ = tmp }
        let sets = Self.scrambled(200, seed: 3)
        try Self.append(db, Array(sets[..<150]), at: 1_000)
        _ = try db.flushHead()
        try Self.append(db, Array(sets[100...]), at: 3 * 3_600_000)  // 50 series in both
        let block = try #require(db.blockList.first)
        let fromBlock = try block.select([], mint: 0, maxt: .max)
        #expect(fromBlock.map(\.labels) == Array(sets[..<150]).sorted(by: <))

        let merged = try db.querier(mint: 0, maxt: .max).select([])
        #expect(merged.map(\.labels) == sets.sorted(by: <))
        for s in merged {
            let inBlock = sets[..<150].contains(s.labels), inHead = sets[100...].contains(s.labels)
            #expect(try s.samples().map(\.t) == (inBlock ? [1_000] : []) + (inHead ? [3 * 3_600_000] : []), "\(s.labels)")
        }
    }
}
