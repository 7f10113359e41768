import Foundation
import Testing
@testable import TSDB
import TSDBTestSupport

@Suite("Concurrency and snapshots")
struct ConcurrencyTests {
    @Test("a query sees whole commits: every series has the same samples while a writer commits")
    func snapshotsAreConsistent() throws {
        let tmp = TempDir()
        let db = try DB.open(tmp.path, options: testOptions())
        let labels = (0..<50).map { Labels(["__name__": "m", "s": String($0)]) }
        let writer = Thread {
            for t in 1...400 {
                let app = db.appender()
                for l in labels { try! app.append(l, Int64(t) * 1000, Double(t)) }
                try! app.commit()
            }
        }
        writer.start()
        var checks = 0
        while checks < 200 {
            let series = try db.querier(mint: .min, maxt: .max).select([.equal("__name__", "m")])
            let counts = Set(try series.map { try $0.samples().count })
            #expect(counts.count <= 1, "a query saw a partial commit: sample counts \(counts.sorted())")
            if counts.first == 400 { break }
            checks += 1
        }
        while !writer.isFinished { Thread.sleep(forTimeInterval: 0.01) }
        try db.close()
    }

    @Test("concurrent commits with fsync on every commit (group commit) all land")
    func groupCommit() throws {
        let tmp = TempDir()
        var o = testOptions()
        o.walSyncPolicy = .always
        do {
            let db = try DB.open(tmp.path, options: o)
            let done = DispatchGroup()
            for w in 0..<4 {
                done.enter()
                Thread {
                    let app = db.appender()
                    for t in 1...100 {
                        try! app.append(Labels(["__name__": "g", "writer": String(w)]), Int64(t), Double(w * 1000 + t))
                        try! app.commit()
                    }
                    done.leave()
                }.start()
            }
            done.wait()
            try db.close()
        }
        let db = try DB.open(tmp.path, options: o)
        let got = try allSamples(db)
        #expect(got.count == 4)
        for (l, s) in got {
            let w = Int(l["writer"])!
            #expect(s == (1...100).map { Sample(Int64($0), Double(w * 1000 + $0)) })
        }
        try db.close()
    }
}

@Suite("Background compaction")
struct BackgroundCompactionTests {
    @Test("a commit that makes the head compactable wakes the compaction job at once")
    func blockIsCutPromptly() throws {
        let tmp = TempDir()
        var o = testOptions()
        o.compactionInterval = 3600  // the timer alone would not fire during the test
        let db = try DB.open(tmp.path, options: o)
        _ = try BlockTests.fill(db, series: 5, hours: 4)
        var waited = 0.0
        // The block is listed a moment before the head drops what it holds: wait for both.
        while (db.blockList.isEmpty || db.head.stats.minTime! < 2 * 3600 * 1000) && waited < 30 {
            Thread.sleep(forTimeInterval: 0.05)
            waited += 0.05
        }
        #expect(db.blockList.count == 1, "no block after \(waited) s")
        #expect(db.head.stats.minTime! >= 2 * 3600 * 1000)
        try db.close()
    }
}

@Suite("Querier details")
struct QuerierTests {
    @Test("series iterator seeks across chunks and through merged overlaps")
    func seriesIteratorSeek() throws {
        func chunk(_ range: StrideTo<Int>) -> ChunkMeta {
            let samples = range.map { Sample(Int64($0), Double($0)) }
            let c = ChunkEncoder.encode(samples)
            return ChunkMeta(mint: samples.first!.t, maxt: samples.last!.t, encoding: c.encoding, storage: ChunkBytes(c.bytes))
        }
        let plain = [chunk(stride(from: 0, to: 100, by: 2)), chunk(stride(from: 100, to: 200, by: 2)), chunk(stride(from: 200, to: 300, by: 2))]
        let overlapping = [chunk(stride(from: 0, to: 150, by: 2)), chunk(stride(from: 101, to: 300, by: 2))]
        /// The timestamp `seek` lands on, or nil.
        func seek(_ it: inout SeriesIterator, _ t: Int64) -> Int64? { it.seek(to: t) ? it.t : nil }
        func next(_ it: inout SeriesIterator) -> Int64? { it.next() ? it.t : nil }
        for chunks in [plain, overlapping] {
            var it = SeriesIterator(chunks: chunks, mint: 10, maxt: 251)
            #expect(seek(&it, 0) == 10)  // clipped to mint
            let landed = seek(&it, 151)
            #expect(landed == 151 || landed == 152)
            #expect(seek(&it, 120) == landed)  // never moves backwards
            #expect((next(&it) ?? 0) > landed ?? .max)
            let end = seek(&it, 250)  // 250 in the plain chunks; only odd times after 148 in the overlap
            #expect(end == 250 || end == 251)
            #expect(next(&it) == nil)  // clipped to maxt
            var fresh = SeriesIterator(chunks: chunks, mint: 10, maxt: 251)
            #expect(seek(&fresh, 252) == nil)
        }
    }

    @Test("label queries respect the querier's time range; stats count what is stored")
    func timeRangeAndStats() throws {
        let tmp = TempDir()
        let db = try DB.open(tmp.path, options: testOptions(blockHours: 1))
        let hour: Int64 = 3600 * 1000
        let app = db.appender()
        try app.append(Labels(["__name__": "old", "job": "a"]), 0, 1)
        try app.commit()
        #expect(try db.flushHead().count == 1)
        try app.append(Labels(["__name__": "new", "job": "b"]), 5 * hour, 1)
        try app.commit()
        #expect(try db.querier(mint: 4 * hour, maxt: 6 * hour).labelValues("job") == ["b"])
        #expect(try db.querier(mint: 0, maxt: 6 * hour).labelValues("job") == ["a", "b"])
        #expect(try db.querier(mint: 0, maxt: hour - 1).labelValues("__name__").contains("old"))
        let s = db.stats
        #expect(s.blocks.count == 1 && s.blockSamples == 1)
        #expect(s.head.numSeries == 1 && s.head.minTime == 5 * hour && s.head.maxTime == 5 * hour)
        #expect(s.blockBytes > 0 && s.walBytes > 0 && s.blocks[0].bytes == s.blockBytes)
        #expect(s.blocks[0].bytes == db.blockList[0].size)
        try db.close()
    }

    @Test("after a block is durable the WAL keeps only a checkpoint and newer segments")
    func walIsReleasedAfterBlocks() throws {
        let tmp = TempDir()
        var o = testOptions()
        o.walSegmentSize = 64 << 10
        let db = try DB.open(tmp.path, options: o)
        _ = try BlockTests.fill(db, series: 30, hours: 5)
        let before = db.stats.walBytes
        let segmentsBefore = WAL.segmentNumbers(in: tmp.sub("wal"))
        #expect(try db.compactHead().count == 1)
        let segmentsAfter = WAL.segmentNumbers(in: tmp.sub("wal"))
        #expect(WALReader.latestCheckpoint(in: tmp.sub("wal")) != nil)
        #expect(segmentsAfter.allSatisfy { $0 > segmentsBefore.last! })
        #expect(db.stats.walBytes < before)
        // Nothing more is due: another run writes nothing and leaves the WAL alone.
        #expect(try db.compactHead().isEmpty)
        #expect(WAL.segmentNumbers(in: tmp.sub("wal")) == segmentsAfter)
        try db.close()
    }
}
