import Foundation
import Testing
@testable import TSDB
import TSDBTestSupport

func testOptions(blockHours: Int64 = 2) -> DBOptions {
    var o = DBOptions()
    o.blockDuration = blockHours * 3600 * 1000
    o.compactionInterval = nil
    o.walSyncPolicy = .onSegmentClose
    return o
}

func allSamples(_ db: DB, _ matchers: [LabelMatcher] = [], mint: Int64 = .min, maxt: Int64 = .max) throws -> [Labels: [Sample]] {
    var out: [Labels: [Sample]] = [:]
    let ms = matchers.isEmpty ? [try LabelMatcher(.regexMatch, "__name__", ".+")] : matchers
    for s in try db.querier(mint: mint, maxt: maxt).select(ms) { out[s.labels] = try s.samples() }
    return out
}

@Suite("Head and appender")
struct HeadTests {
    let up = Labels(["__name__": "up", "job": "api"])

    @Test func batchSemantics() throws {
        let tmp = TempDir()
        let db = try DB.open(tmp.path, options: testOptions())
        let app = db.appender()
        let ref = try app.append(up, 1000, 1)
        try app.append(ref: ref, 2000, 2)
        // Same timestamp, same bits: silent no-op.
        try app.append(ref: ref, 2000, 2)
        // Same timestamp, other value: duplicate, naming the series and time.
        let dup = #expect(throws: TSDBError.self) { try app.append(ref: ref, 2000, 3) }
        #expect(dup?.code == .duplicateSample)
        #expect(dup?.message.contains("2000") == true && dup?.message.contains("up{job=\"api\"}") == true)
        // Older: out of order; the batch is still usable.
        let ooo = #expect(throws: TSDBError.self) { try app.append(ref: ref, 1500, 9) }
        #expect(ooo?.code == .outOfOrderSample)
        try app.append(ref: ref, 3000, 3)
        // Nothing visible before commit.
        #expect(try allSamples(db).isEmpty)
        let result = try app.commit()
        #expect(result.appended == 3 && result.dropped.isEmpty)
        #expect(try allSamples(db)[up] == [Sample(1000, 1), Sample(2000, 2), Sample(3000, 3)])

        // Against committed data.
        let app2 = db.appender()
        #expect(throws: TSDBError.self) { try app2.append(up, 2500, 1) }
        try app2.append(up, 3000, 3)  // no-op
        #expect(throws: TSDBError.self) { try app2.append(up, 3000, 4) }
        try app2.append(up, 4000, 4)
        app2.rollback()
        try app2.commit()
        #expect(try allSamples(db)[up]?.count == 3)

        // Unknown references are rejected.
        #expect(throws: TSDBError.self) { try db.appender().append(ref: 999, 1, 1) }
        #expect(throws: TSDBError.self) { try db.appender().append(Labels.empty, 1, 1) }
        try db.close()
    }

    @Test("a run of samples by reference: later ones are checked against the earlier, invalid ones reported and left out")
    func sampleRuns() throws {
        let tmp = TempDir()
        let db = try DB.open(tmp.path, options: testOptions())
        let app = db.appender()
        let ref = try app.seriesRef(up)
        #expect(try app.seriesRef(up) == ref)
        var rejected: [(Sample, TSDBError.Code)] = []
        try app.append(ref: ref, samples: [Sample(1000, 1), Sample(2000, 2), Sample(1500, 9), Sample(2000, 5),
                                           Sample(2000, 2), Sample(3000, 3)]) { rejected.append(($0, $1.code)) }
        #expect(rejected.map(\.0) == [Sample(1500, 9), Sample(2000, 5)])
        #expect(rejected.map(\.1) == [.outOfOrderSample, .duplicateSample])
        // A second run of the same series in the same batch continues after the first.
        try app.append(ref: ref, samples: [Sample(2500, 0), Sample(4000, 4)]) { rejected.append(($0, $1.code)) }
        #expect(rejected.count == 3 && rejected[2].1 == .outOfOrderSample)
        #expect(try app.commit().appended == 4)
        #expect(try allSamples(db)[up] == [Sample(1000, 1), Sample(2000, 2), Sample(3000, 3), Sample(4000, 4)])
        // Against committed data, and an unknown reference.
        let next = db.appender()
        try next.append(ref: ref, samples: [Sample(4000, 4), Sample(3500, 1), Sample(5000, 5)]) { rejected.append(($0, $1.code)) }
        #expect(rejected.count == 4 && rejected[3].0 == Sample(3500, 1))
        #expect(throws: TSDBError.self) { try next.append(ref: 999, samples: [Sample(1, 1)]) { _, _ in } }
        #expect(try next.commit().appended == 1)
        try db.close()
    }

    @Test("runs of many series under one lock: checked as single runs, unknown series returned and left out")
    func manyRunsAtOnce() throws {
        let tmp = TempDir()
        let db = try DB.open(tmp.path, options: testOptions())
        let a = Labels(["__name__": "a"]), b = Labels(["__name__": "b"])
        let first = db.appender()
        try first.append(a, 2000, 2)
        try first.commit()
        let app = db.appender()
        let refA = try app.seriesRef(a), refB = try app.seriesRef(b)
        var rejected: [(Sample, TSDBError.Code)] = []
        let runA = [Sample(1000, 1), Sample(2000, 2), Sample(3000, 3)]  // older, a repeat of the newest, new
        let runB = [Sample(1000, 1), Sample(900, 0), Sample(1000, 5), Sample(2000, 2)]
        let runA2 = [Sample(2500, 0), Sample(4000, 4)]  // the same series again in the request
        let unknown = runA.withUnsafeBufferPointer { pa in
            runB.withUnsafeBufferPointer { pb in
                runA2.withUnsafeBufferPointer { pa2 in
                    app.append(runs: [SampleRun(ref: refA, samples: pa), SampleRun(ref: 999, samples: pb),
                                      SampleRun(ref: refB, samples: pb), SampleRun(ref: refA, samples: pa2)]) {
                        rejected.append(($0, $1.code))
                    }
                }
            }
        }
        #expect(unknown == [1])
        #expect(rejected.map(\.0) == [Sample(1000, 1), Sample(900, 0), Sample(1000, 5), Sample(2500, 0)])
        #expect(rejected.map(\.1) == [.outOfOrderSample, .outOfOrderSample, .duplicateSample, .outOfOrderSample])
        #expect(try app.commit().appended == 4)
        let stored = try allSamples(db)
        #expect(stored[a] == [Sample(2000, 2), Sample(3000, 3), Sample(4000, 4)])
        #expect(stored[b] == [Sample(1000, 1), Sample(2000, 2)])
        try db.close()
    }

    @Test func concurrentCommitsToOneSeriesReportDroppedSamples() throws {
        let tmp = TempDir()
        let db = try DB.open(tmp.path, options: testOptions())
        let a = db.appender(), b = db.appender()
        try a.append(up, 2000, 1)
        try b.append(up, 1000, 1)
        try a.commit()
        let r = try b.commit()
        #expect(r.appended == 0 && r.dropped.count == 1 && r.dropped[0].code == .outOfOrderSample)
        try db.close()
    }

    @Test func reopenReplaysEverythingBitExact() throws {
        let tmp = TempDir()
        var written: [Labels: [Sample]] = [:]
        var rng = SeededRandom(seed: 42)
        do {
            let db = try DB.open(tmp.path, options: testOptions())
            for batch in 0..<50 {
                let app = db.appender()
                for s in 0..<20 {
                    let l = Labels(["__name__": "m", "s": String(s)])
                    let sample = Sample(Int64(batch) * 15000 + Int64(s), AdversarialFloats.random(&rng))
                    try app.append(l, sample.t, sample.v)
                    written[l, default: []].append(sample)
                }
                try app.commit()
            }
            try db.close()
        }
        let db = try DB.open(tmp.path, options: testOptions())
        let got = try allSamples(db)
        #expect(got.count == 20)
        for (l, s) in written { #expect(got[l]?.bits == s.bits, "\(l)") }
        #expect(db.replayReport.corruption == nil)
        try db.close()
    }

    @Test("WAL tombstone records hide deleted ranges after replay, also in blocks cut later")
    func walTombstonesAreApplied() throws {
        let tmp = TempDir()
        do {
            let db = try DB.open(tmp.path, options: testOptions())
            let app = db.appender()
            for t in 1...10 { try app.append(up, Int64(t) * 1000, Double(t)) }
            try app.commit()
            try db.close()
        }
        do {  // what a deletion writes (issue 7 adds the API): a tombstone record for ref 1
            let wal = try WAL(directory: tmp.sub("wal"), syncPolicy: .onSegmentClose)
            try wal.log([.tombstones([.init(ref: 1, mint: 3000, maxt: 6000)])])
            try wal.close()
        }
        let db = try DB.open(tmp.path, options: testOptions())
        #expect(try allSamples(db)[up]?.map(\.t) == [1000, 2000, 7000, 8000, 9000, 10000])
        _ = try db.flushHead()
        #expect(try allSamples(db)[up]?.map(\.t) == [1000, 2000, 7000, 8000, 9000, 10000])
        try db.close()
    }

    @Test func secondOpenOfTheSameDirectoryFailsClearly() throws {
        let tmp = TempDir()
        let db = try DB.open(tmp.path, options: testOptions())
        let e = #expect(throws: TSDBError.self) { try DB.open(tmp.path, options: testOptions()) }
        #expect(e?.code == .locked)
        #expect(e?.message.contains("in use") == true)
        try db.close()
        try DB.open(tmp.path, options: testOptions()).close()  // free again after close
    }

    @Test func labelNamesAndValuesWithMatchers() throws {
        let tmp = TempDir()
        let db = try DB.open(tmp.path, options: testOptions())
        let app = db.appender()
        try app.append(Labels(["__name__": "up", "job": "api", "env": "prod"]), 1, 1)
        try app.append(Labels(["__name__": "up", "job": "web"]), 1, 1)
        try app.append(Labels(["__name__": "http", "job": "api", "code": "200"]), 1, 1)
        try app.commit()
        let q = db.querier(mint: 0, maxt: 10)
        #expect(try q.labelNames() == ["__name__", "code", "env", "job"])
        #expect(try q.labelValues("job") == ["api", "web"])
        #expect(try q.labelValues("job", [.equal("__name__", "up")]) == ["api", "web"])
        #expect(try q.labelNames([.equal("job", "web")]) == ["__name__", "job"])
        #expect(try q.select([.equal("__name__", "up")]).map(\.labels["job"]) == ["api", "web"])  // sorted
        try db.close()
    }
}

@Suite("Blocks")
struct BlockTests {
    /// Writes `series` × `hours` of 15 s samples with varied value shapes.
    static func fill(_ db: DB, series: Int, from: Int64 = 0, hours: Int64) throws -> [Labels: [Sample]] {
        var written: [Labels: [Sample]] = [:]
        var rng = SeededRandom(seed: 9)
        let labels = (0..<series).map { Labels(["__name__": "metric_\($0 % 3)", "instance": "host-\($0)", "job": "node"]) }
        var t = from
        while t < from + hours * 3600 * 1000 {
            let app = db.appender()
            for (i, l) in labels.enumerated() {
                let v: Double = switch i % 4 {
                case 0: Double(t / 1000)
                case 1: Double(rng.next() % 1000) / 100
                case 2: 1
                default: AdversarialFloats.random(&rng)
                }
                try app.append(l, t, v)
                written[l, default: []].append(Sample(t, v))
            }
            try app.commit()
            t += 15000
        }
        return written
    }

    @Test func headToBlockToQuerierGivesBackExactlyTheSamples() throws {
        let tmp = TempDir()
        let db = try DB.open(tmp.path, options: testOptions())
        let written = try Self.fill(db, series: 40, hours: 5)
        let metas = try db.compactHead()
        #expect(metas.count == 1)  // 5 h of head: one 2 h block is due (span > 3 h)
        #expect(metas[0].minTime == 0 && metas[0].maxTime == 2 * 3600 * 1000)
        #expect(metas[0].stats.numSeries == 40 && metas[0].stats.numSamples == 40 * 480)
        // Head keeps only what is not in the block.
        #expect(db.head.stats.minTime! >= 2 * 3600 * 1000)
        var got = try allSamples(db)
        for (l, s) in written { #expect(got[l]?.bits == s.bits, "\(l)") }
        // Range restriction across the block/head boundary.
        let window = try allSamples(db, mint: 7_000_000, maxt: 7_400_000)
        for (l, s) in written {
            #expect(window[l]?.bits == s.filter { $0.t >= 7_000_000 && $0.t <= 7_400_000 }.bits)
        }
        try db.close()
        // Blocks and checkpointed WAL survive a reopen.
        let db2 = try DB.open(tmp.path, options: testOptions())
        #expect(db2.blockList.count == 1)
        got = try allSamples(db2)
        for (l, s) in written { #expect(got[l]?.bits == s.bits, "\(l)") }
        try db2.blockList[0].verify()
        // Old samples are now out of bounds for the head.
        #expect(throws: TSDBError.self) { try db2.appender().append(written.keys.first!, 1000, 1) }
        try db2.close()
    }

    @Test func flushHeadWritesAllOfItAndMatchersWorkOnBlocks() throws {
        let tmp = TempDir()
        let db = try DB.open(tmp.path, options: testOptions())
        let written = try Self.fill(db, series: 12, hours: 3)
        let metas = try db.flushHead()
        #expect(metas.count == 2)
        #expect(db.head.stats.numSeries == 0)
        let sel = try db.querier(mint: .min, maxt: .max).select([
            .equal("__name__", "metric_1"), try LabelMatcher(.regexNoMatch, "instance", "host-(1|4)"),
        ])
        let want = written.keys.filter { $0.metricName == "metric_1" && !["host-1", "host-4"].contains($0["instance"]) }
        #expect(Set(sel.map(\.labels)) == Set(want))
        for s in sel { #expect(try s.samples().bits == written[s.labels]!.bits) }
        #expect(db.stats.blockSamples == UInt64(written.values.reduce(0) { $0 + $1.count }))
        try db.close()
    }

    @Test func overlappingBlocksMergeWithoutDuplicates() throws {
        let tmp = TempDir()
        let l = Labels(["__name__": "x"])
        func chunk(_ samples: [Sample]) -> ChunkMeta {
            let c = ChunkEncoder.encode(samples)
            return ChunkMeta(mint: samples.first!.t, maxt: samples.last!.t, encoding: c.encoding, storage: ChunkBytes(c.bytes))
        }
        let a = (0..<100).map { Sample(Int64($0) * 10, Double($0)) }  // 0...990
        let b = (50..<150).map { Sample(Int64($0) * 10 + ($0 % 2 == 0 ? 0 : 5), Double($0)) }  // overlaps, interleaves
        _ = try BlockWriter.write(into: tmp.path, mint: 0, maxt: 1000, series: [SeriesChunks(labels: l, chunks: [chunk(a)])])
        _ = try BlockWriter.write(into: tmp.path, mint: 500, maxt: 1500, series: [SeriesChunks(labels: l, chunks: [chunk(b)])])
        let db = try DB.open(tmp.path, options: testOptions())
        #expect(db.blockList.count == 2)
        let got = try allSamples(db)[l]!
        var want: [Int64: Sample] = [:]
        for s in b { want[s.t] = s }
        for s in a { want[s.t] = s }  // the older block wins ties
        #expect(got == want.values.sorted { $0.t < $1.t })
        #expect(Set(got.map(\.t)).count == got.count)
        try db.close()
    }

    @Test func interruptedBlockWriteIsCleanedOnOpen() throws {
        let tmp = TempDir()
        try FileIO.makeDirectory(tmp.sub("01ARZ3NDEKTSV4RRFFQ69G5FAV.tmp-for-creation/chunks"))
        let db = try DB.open(tmp.path, options: testOptions())
        #expect(db.blockList.isEmpty)
        #expect(!FileIO.exists(tmp.sub("01ARZ3NDEKTSV4RRFFQ69G5FAV.tmp-for-creation")))
        try db.close()
    }

    @Test func corruptedIndexIsAnErrorNotACrash() throws {
        let tmp = TempDir()
        let db = try DB.open(tmp.path, options: testOptions())
        _ = try Self.fill(db, series: 3, hours: 1)
        let meta = try db.flushHead()[0]
        try db.close()
        let path = tmp.sub(meta.ulid + "/index")
        var bytes = try FileIO.readAll(path)
        bytes[bytes.count / 2] ^= 0xff
        try Data(bytes).write(to: URL(fileURLWithPath: path))
        let e = #expect(throws: TSDBError.self) { try DB.open(tmp.path, options: testOptions()) }
        #expect(e?.code == .corruption && e?.file == path)
    }

    @Test("damaged block files give errors naming the file, never wrong samples", arguments: 0..<12)
    func randomDamageInBlockFiles(seed: Int) throws {
        let tmp = TempDir()
        let db = try DB.open(tmp.path, options: testOptions())
        let written = try Self.fill(db, series: 8, hours: 1)
        let meta = try db.flushHead()[0]
        try db.close()
        var rng = SeededRandom(seed: UInt64(seed))
        let file = seed % 2 == 0 ? tmp.sub(meta.ulid + "/chunks/000001") : tmp.sub(meta.ulid + "/index")
        var bytes = try FileIO.readAll(file)
        let at = 8 + Int(rng.next() % UInt64(bytes.count - 8))
        bytes[at] ^= UInt8(truncatingIfNeeded: rng.next() | 1)
        try Data(bytes).write(to: URL(fileURLWithPath: file))
        do {
            let db2 = try DB.open(tmp.path, options: testOptions())
            defer { try? db2.close() }
            let got = try allSamples(db2)
            // Reading succeeded: then every sample must be exactly what was written.
            for (l, s) in got { #expect(s.bits == written[l]?.bits, "silently wrong samples for \(l)") }
            Issue.record("damage at byte \(at) of \(file) went unnoticed")
        } catch let e as TSDBError {
            #expect(e.code == .corruption)
            #expect(e.file == file)
        }
    }

    @Test func tombstonesHideDeletedRanges() throws {
        let tmp = TempDir()
        let db = try DB.open(tmp.path, options: testOptions())
        _ = try Self.fill(db, series: 2, hours: 1)
        let meta = try db.flushHead()[0]
        try db.close()
        try FileIO.writeAtomically(TombstonesFile.encode([Tombstone(ref: 0, mint: 0, maxt: 1_000_000)]),
                                   to: tmp.sub(meta.ulid + "/tombstones"))
        let db2 = try DB.open(tmp.path, options: testOptions())
        let series = try db2.querier(mint: .min, maxt: .max).select([try LabelMatcher(.regexMatch, "__name__", ".+")])
        #expect(try series[0].samples().allSatisfy { $0.t > 1_000_000 })
        #expect(try series[1].samples().first?.t == 0)
        try db2.close()
    }
}
