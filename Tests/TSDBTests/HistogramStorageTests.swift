import Foundation
import Testing
@testable import TSDB
import TSDBTestSupport

/// Native histograms through the storage engine: appender, head chunks, WAL
/// replay, checkpoints, blocks, deletion, and the querier keeping them apart
/// from float samples.
@Suite("Native histogram storage")
struct HistogramStorageTests {
    let latency = Labels(["__name__": "latency", "job": "api"])
    let mixed = Labels(["__name__": "mixed"])

    /// A steadily growing counter histogram (step `i`).
    static func counter(_ i: Int, hint: NativeHistogram.CounterResetHint = .unknown) -> NativeHistogram {
        let x = Double(i)
        return NativeHistogram(counterResetHint: hint, schema: 1, zeroThreshold: 0.001, zeroCount: x, count: 6 * x,
                               sum: 12.5 * x, positive: [HistogramBucket(0, x), HistogramBucket(1, 2 * x), HistogramBucket(4, x)],
                               negative: [HistogramBucket(-2, x)])
    }

    static func histograms(_ db: DB, _ labels: Labels, mint: Int64 = .min, maxt: Int64 = .max) throws -> [HistogramSample] {
        let series = try db.querier(mint: mint, maxt: maxt).select(labels.pairs.map { LabelMatcher.equal($0.name, $0.value) })
        return try series.first { $0.labels == labels }?.histogramSamples() ?? []
    }

    /// Same timestamps, same histograms (counts, layout, bits of the sum) and hints.
    static func same(_ a: [HistogramSample], _ b: [HistogramSample]) -> Bool {
        a.count == b.count && zip(a, b).allSatisfy {
            $0.t == $1.t && $0.h.isIdentical(to: $1.h) && $0.h.counterResetHint == $1.h.counterResetHint
        }
    }

    @Test("histograms come back apart from floats, in chunks of 120, with the hints Prometheus reads back")
    func headKeepsHistogramsApart() throws {
        let tmp = TempDir()
        let db = try DB.open(tmp.path, options: testOptions())
        let app = db.appender()
        for i in 1...300 { try app.appendHistogram(latency, Int64(i) * 1000, Self.counter(i)) }
        let gauge = Labels(["__name__": "queue"])
        for i in 1...5 {
            var h = Self.counter(6 - i, hint: .gauge)  // falling: a gauge has no resets
            h.sum = -Double(i)
            try app.appendHistogram(gauge, Int64(i) * 1000, h)
        }
        try app.commit()

        let got = try Self.histograms(db, latency)
        #expect(got.map(\.t) == (1...300).map { Int64($0) * 1000 })
        #expect(got.map(\.h.count) == (1...300).map { 6 * Double($0) })
        let unknown = got.indices.filter { got[$0].h.counterResetHint == .unknown }
        #expect(unknown == [0, 120, 240])  // each chunk's first sample
        #expect(got.allSatisfy { [.unknown, .notCounterReset].contains($0.h.counterResetHint) })
        #expect(db.head.stats.numChunks == 3 + 1)
        let gauges = try Self.histograms(db, gauge)
        #expect(gauges.count == 5 && gauges.allSatisfy { $0.h.counterResetHint == .gauge })

        // Float readers see no sample of a histogram series, instant reads included.
        let q = db.querier(mint: .min, maxt: .max)
        for s in try q.select([.equal("__name__", "latency")]) {
            #expect(try s.samples().isEmpty && s.hasHistograms)
        }
        for s in try db.querier(mint: 300_000, maxt: 300_000).selectNewest([.equal("__name__", "latency")]) {
            #expect(!s.isNewestOnly && s.chunks.isEmpty && s.histogramChunks.count == 1)
        }
        try db.close()
    }

    @Test("a counter reset, seen in the counts or hinted, starts a new chunk")
    func counterResetCutsChunk() throws {
        let tmp = TempDir()
        let db = try DB.open(tmp.path, options: testOptions())
        let app = db.appender()
        for i in 1...10 { try app.appendHistogram(latency, Int64(i) * 1000, Self.counter(i)) }
        try app.appendHistogram(latency, 11_000, Self.counter(2))  // counts fell
        try app.appendHistogram(latency, 12_000, Self.counter(3))
        try app.appendHistogram(latency, 13_000, Self.counter(4, hint: .counterReset))  // the producer says so
        try app.appendHistogram(latency, 14_000, Self.counter(5, hint: .notCounterReset))
        var vanished = Self.counter(6)  // a populated bucket is gone: a reset, whatever the hint says
        vanished.positive.removeLast()
        vanished.count -= 6
        vanished.counterResetHint = .notCounterReset
        try app.appendHistogram(latency, 15_000, vanished)
        try app.commit()
        let hints = try Self.histograms(db, latency).map(\.h.counterResetHint)
        #expect(hints == [.unknown] + Array(repeating: .notCounterReset, count: 9)
            + [.unknown, .notCounterReset, .unknown, .notCounterReset, .unknown])
        #expect(db.head.stats.numChunks == 4)
        try db.close()
    }

    @Test("appending checks histograms like floats: repeats are no-ops, conflicts and bad histograms are errors")
    func appenderChecks() throws {
        let tmp = TempDir()
        let db = try DB.open(tmp.path, options: testOptions())
        var app = db.appender()
        try app.appendHistogram(latency, 1000, Self.counter(1))
        try app.appendHistogram(latency, 1000, Self.counter(1))  // same sample again in the batch
        #expect(throws: TSDBError.self) { try app.appendHistogram(latency, 1000, Self.counter(2)) }
        #expect(throws: TSDBError.self) { try app.appendHistogram(latency, 500, Self.counter(1)) }
        #expect(throws: TSDBError.self) { try app.append(latency, 1000, 1) }  // a float where the batch has a histogram
        #expect(try app.commit().appended == 1)

        app = db.appender()
        try app.appendHistogram(latency, 1000, Self.counter(1))  // repeat of what is stored
        let dup = #expect(throws: TSDBError.self) { try app.appendHistogram(latency, 1000, Self.counter(3)) }
        #expect(dup?.code == .duplicateSample && dup?.message.contains("native histogram") == true)
        let float = #expect(throws: TSDBError.self) { try app.append(latency, 1000, 1) }
        #expect(float?.code == .duplicateSample && float?.message.contains("stored value a native histogram") == true)
        let old = #expect(throws: TSDBError.self) { try app.appendHistogram(latency, 999, Self.counter(1)) }
        #expect(old?.code == .outOfOrderSample)
        var negative = Self.counter(2)
        negative.positive[1].count = -1
        let bad = #expect(throws: TSDBError.self) { try app.appendHistogram(latency, 2000, negative) }
        #expect(bad?.code == .invalidArgument && bad?.message.contains("negative") == true)
        var custom = NativeHistogram(schema: NativeHistogram.customBucketsSchema, count: 1, positive: [HistogramBucket(3, 1)],
                                     customValues: [1, 2])
        #expect(throws: TSDBError.self) { try app.appendHistogram(latency, 2000, custom) }  // bucket 3 beyond the bounds
        custom.customValues = [1, 2, 4]
        try app.appendHistogram(latency, 2000, custom)
        #expect(try app.commit().appended == 1)
        #expect(try Self.histograms(db, latency).map(\.t) == [1000, 2000])
        try db.close()
    }

    @Test("one batch may switch a series between floats and histograms; the WAL replays it in the same order")
    func mixedBatchReplays() throws {
        let tmp = TempDir()
        do {
            let db = try DB.open(tmp.path, options: testOptions())
            let app = db.appender()
            try app.append(mixed, 1000, 1)
            try app.appendHistogram(mixed, 2000, Self.counter(2))
            try app.appendHistogram(mixed, 3000, Self.counter(3))
            try app.append(mixed, 4000, 4)
            try app.appendHistogram(mixed, 5000, Self.counter(5))
            try app.append(latency, 5000, 9)
            let result = try app.commit()
            #expect(result.appended == 6 && result.dropped.isEmpty)
            #expect(try allSamples(db)[mixed]?.map(\.t) == [1000, 4000])
            #expect(try Self.histograms(db, mixed).map(\.t) == [2000, 3000, 5000])
            try db.close()
        }
        let db = try DB.open(tmp.path, options: testOptions())
        #expect(db.replayReport.corruption == nil)
        #expect(try allSamples(db)[mixed]?.bits == [Sample(1000, 1), Sample(4000, 4)].bits)
        let h = try Self.histograms(db, mixed)
        #expect(h.map(\.t) == [2000, 3000, 5000])
        // Each switch cut a chunk: every histogram is the first of its chunk.
        #expect(h.map(\.h.counterResetHint) == [.unknown, .notCounterReset, .unknown])
        try db.close()
    }

    @Test("histograms survive replay, checkpoint and blocks bit for bit, and the open chunk is appended to again")
    func replayCheckpointAndBlocks() throws {
        let tmp = TempDir()
        var written: [Labels: [HistogramSample]] = [:]
        var rng = SeededRandom(seed: 7)
        let step: Int64 = 60_000
        func fill(_ db: DB, from: Int, to: Int) throws {
            for i in from..<to {
                let app = db.appender()
                for s in 0..<3 {
                    let l = Labels(["__name__": "h", "s": String(s)])
                    var h = Self.counter(i + 1)
                    h.sum = AdversarialFloats.random(&rng)  // any bits, NaN payloads included
                    if s == 2 && i % 50 == 49 { h = Self.counter(1) }  // resets now and then
                    try app.appendHistogram(l, Int64(i) * step, h)
                    written[l, default: []].append(HistogramSample(Int64(i) * step, h))
                    try app.append(Labels(["__name__": "f", "s": String(s)]), Int64(i) * step, Double(i))
                }
                try app.commit()
            }
        }
        var first: [Labels: [HistogramSample]] = [:]
        do {
            let db = try DB.open(tmp.path, options: testOptions())
            try fill(db, from: 0, to: 300)  // 5 h
            for l in written.keys { first[l] = try Self.histograms(db, l) }
            try db.close()
        }
        do {  // WAL replay gives what the head held
            let db = try DB.open(tmp.path, options: testOptions())
            #expect(db.replayReport.corruption == nil)
            for (l, h) in first { #expect(Self.same(try Self.histograms(db, l), h), "\(l)") }
            let metas = try db.compactHead()  // a 2 h block, then a checkpoint of the rest
            #expect(metas.count == 1 && metas[0].stats.numSamples == 2 * 3 * 120)
            for (l, h) in first { #expect(Self.same(try Self.histograms(db, l), h), "\(l) after compaction") }
            try db.close()
        }
        let db = try DB.open(tmp.path, options: testOptions())
        #expect(db.blockList.count == 1)
        try db.blockList[0].verify()
        for (l, h) in first { #expect(Self.same(try Self.histograms(db, l), h), "\(l) after checkpoint replay") }
        let chunksBefore = db.head.stats.numChunks
        try fill(db, from: 300, to: 301)  // one more sample each: into the restored open chunks
        #expect(db.head.stats.numChunks == chunksBefore)
        for (l, h) in written { #expect(try Self.histograms(db, l).map(\.h.sum.bitPattern) == h.map(\.h.sum.bitPattern)) }
        #expect(try allSamples(db)[Labels(["__name__": "f", "s": "1"])]?.count == 301)
        try db.close()
    }

    @Test("deleting a range hides histogram samples in the head, and blocks are written without them")
    func deletion() throws {
        let tmp = TempDir()
        let db = try DB.open(tmp.path, options: testOptions())
        let app = db.appender()
        for i in 1...20 { try app.appendHistogram(latency, Int64(i) * 1000, Self.counter(i)) }
        try app.commit()
        try db.delete([.equal("__name__", "latency")], mint: 5000, maxt: 9000)
        let want = (1...20).filter { !(5...9).contains($0) }.map { Int64($0) * 1000 }
        #expect(try Self.histograms(db, latency).map(\.t) == want)
        _ = try db.flushHead()
        #expect(db.blockList.count == 1)
        #expect(try Self.histograms(db, latency).map(\.t) == want)
        #expect(try Self.histograms(db, latency, mint: 10_000, maxt: 12_000).map(\.h.count) == [60, 66, 72])
        try db.close()
    }

    @Test("overlapping blocks merge histogram samples; the older block wins a timestamp")
    func overlappingBlocks() throws {
        let tmp = TempDir()
        func chunk(_ samples: [(Int64, NativeHistogram)]) -> ChunkMeta {
            var a = HistogramChunkAppender(layoutOf: samples[0].1)
            for (t, h) in samples { a.append(t, h) }
            return ChunkMeta(mint: samples.first!.0, maxt: samples.last!.0, encoding: .floatHistogram, storage: a.chunkBytes)
        }
        let a = (0..<10).map { (Int64($0) * 10, Self.counter($0 + 1)) }  // 0…90
        let b = (5..<15).map { (Int64($0) * 10 + ($0 % 2 == 0 ? 0 : 5), Self.counter(100 + $0)) }
        _ = try BlockWriter.write(into: tmp.path, mint: 0, maxt: 100, series: [SeriesChunks(labels: latency, chunks: [chunk(a)])])
        _ = try BlockWriter.write(into: tmp.path, mint: 50, maxt: 150, series: [SeriesChunks(labels: latency, chunks: [chunk(b)])])
        let db = try DB.open(tmp.path, options: testOptions())
        var want: [Int64: Double] = [:]
        for (t, h) in b { want[t] = h.count }
        for (t, h) in a { want[t] = h.count }
        let got = try Self.histograms(db, latency)
        #expect(got.map(\.t) == want.keys.sorted())
        #expect(got.map(\.h.count) == want.keys.sorted().map { want[$0]! })
        let merged = try db.compactBlocks()
        #expect(merged.count == 1)
        let after = try Self.histograms(db, latency)
        #expect(after.map(\.t) == got.map(\.t) && after.map(\.h.count) == got.map(\.h.count))
        // One chunk per run without a fall in the counts: b's 55 → a's 60 and b's 75 → a's 80 are resets.
        #expect(after.filter { $0.h.counterResetHint == .unknown }.map(\.t) == [0, 60, 80])
        try db.close()
    }

    @Test("WAL histogram records round-trip bit for bit, and damaged ones are errors with an offset")
    func walRecordCodec() throws {
        var rng = SeededRandom(seed: 11)
        var records: [WALRecord.HistogramSampleRecord] = []
        for i in 0..<40 {
            var h = Self.counter(i, hint: NativeHistogram.CounterResetHint(rawValue: UInt8(i % 4))!)
            h.sum = AdversarialFloats.random(&rng)
            h.zeroThreshold = i % 7 == 0 ? .nan : h.zeroThreshold
            if i % 5 == 0 { h = NativeHistogram(schema: -53, count: 3, sum: 1, positive: [HistogramBucket(0, 1), HistogramBucket(2, 2)], customValues: [0.5, 1, 8]) }
            records.append(.init(ref: UInt64(i % 3 + 1), t: Int64(i) * 15_000 - 100_000, h: h))
        }
        var payload: [UInt8] = []
        WALRecord.histogramSamples(records).encodePayload(into: &payload)
        let decoded = try payload.withUnsafeBytes { raw in
            var r = ByteReader(raw, file: "test")
            return try WALRecord.decode(type: WALRecord.RecordType.histogramSamples.rawValue, &r)
        }
        #expect(decoded == .histogramSamples(records))
        for cut in stride(from: 0, to: payload.count, by: 7) {
            let e = #expect(throws: TSDBError.self) {
                try Array(payload[..<cut]).withUnsafeBytes { raw in
                    var r = ByteReader(raw, file: "test")
                    _ = try WALRecord.decode(type: WALRecord.RecordType.histogramSamples.rawValue, &r)
                }
            }
            #expect(e?.code == .corruption)
        }
    }
}
