import Foundation
import Testing
@testable import TSDB
import TSDBTestSupport

@Suite("WAL")
struct WALTests {
    static func records(_ n: Int, seed: UInt64 = 1) -> [WALRecord] {
        var rng = SeededRandom(seed: seed)
        var out: [WALRecord] = []
        for i in 0..<n {
            if i % 5 == 0 {
                out.append(.series([.init(ref: SeriesRef(i + 1), labels: Labels(["__name__": "m\(i)", "i": String(i)]))]))
            }
            out.append(.samples((0..<50).map { k in
                .init(ref: SeriesRef(i / 5 * 5 + 1), t: Int64(i * 1000 + k), v: AdversarialFloats.random(&rng))
            }))
        }
        return out
    }

    static func write(_ dir: String, _ recs: [WALRecord], segmentSize: Int = WAL.defaultSegmentSize) throws {
        let wal = try WAL(directory: dir, segmentSize: segmentSize, syncPolicy: .onSegmentClose)
        for r in recs { try wal.log([r]) }
        try wal.close()
    }

    static func replay(_ dir: String) throws -> ([WALRecord], WALReplayReport) {
        var got: [WALRecord] = []
        let report = try WALReader.replay(directory: dir) { got.append($0) }
        return (got, report)
    }

    @Test func roundTripAcrossSegments() throws {
        let tmp = TempDir()
        let recs = Self.records(200)
        try Self.write(tmp.path, recs, segmentSize: 8 << 10)
        #expect(WAL.segmentNumbers(in: tmp.path).count > 3)
        let (got, report) = try Self.replay(tmp.path)
        #expect(got == recs)
        #expect(report.corruption == nil && report.tornTail == nil)
    }

    /// The resident size of this process's mapping of `path`, from /proc/self/smaps.
    static func residentBytes(ofMapping path: String) throws -> Int? {
        let smaps = String(decoding: try FileIO.readAll("/proc/self/smaps"), as: UTF8.self)
        let path = path.replacingOccurrences(of: "//", with: "/")  // as the kernel prints it
        var inMapping = false
        for line in smaps.split(separator: "\n") {
            if let first = line.first, first.isHexDigit, line.contains("-") && !line.hasSuffix(" kB") {
                inMapping = line.hasSuffix(path)
            } else if inMapping && line.hasPrefix("Rss:") {
                return Int(line.split(separator: " ")[1]).map { $0 * 1024 }
            }
        }
        return nil
    }

    @Test("reading a segment drops the pages behind it from the resident set, and still reads every record")
    func segmentReadsKeepResidencyBounded() throws {
        let tmp = TempDir()
        let recs = Self.records(3_000)
        try Self.write(tmp.path, recs)
        let seg = WAL.segmentPath(tmp.path, 1)
        let size = Int(FileIO.fileSize(seg)!)
        #expect(size > 1 << 20)
        let stride = 256 << 10
        var got: [WALRecord] = []
        var largestResident = 0
        _ = try WALReader.readSegment(seg, releaseEvery: stride) { record in
            got.append(record)
            if got.count % 400 == 0 { largestResident = max(largestResident, try Self.residentBytes(ofMapping: seg) ?? 0) }
        }
        #expect(got == recs)
        #expect(largestResident > 0, "the mapping was found in /proc/self/smaps")
        #expect(largestResident <= 2 * stride, "resident \(largestResident) of a \(size)-byte segment")

        // Without releasing, the whole segment becomes resident: the check above can fail.
        var unreleased = 0
        var count = 0
        _ = try WALReader.readSegment(seg, releaseEvery: .max) { _ in
            count += 1
            if count == recs.count { unreleased = try Self.residentBytes(ofMapping: seg) ?? 0 }
        }
        #expect(unreleased > size / 2)
    }

    @Test func tornTailIsTruncatedAndWritingContinues() throws {
        let tmp = TempDir()
        let recs = Self.records(20)
        try Self.write(tmp.path, recs)
        let seg = WAL.segmentPath(tmp.path, 1)
        let size = Int(FileIO.fileSize(seg)!)
        for cut in [1, 7, 20, 100] {  // cut inside the last record (header and payload)
            let copy = TempDir()
            try FileManager.default.copyItem(atPath: seg, toPath: WAL.segmentPath(copy.path, 1))
            let f = try WritableFile(appendingTo: WAL.segmentPath(copy.path, 1), at: size - cut)
            f.close()
            let (got, report) = try Self.replay(copy.path)
            #expect(got == Array(recs.dropLast()), "cut \(cut)")
            #expect(report.tornTail?.segment == 1)
            #expect(report.corruption == nil)
            // New writes after repair are readable behind the recovered ones.
            let wal = try WAL(directory: copy.path, syncPolicy: .onSegmentClose)
            try wal.log([recs[0]])
            try wal.close()
            let (again, r2) = try Self.replay(copy.path)
            #expect(again == Array(recs.dropLast()) + [recs[0]])
            #expect(r2.tornTail == nil && r2.corruption == nil)
        }
    }

    @Test func zeroFilledTailIsATornTail() throws {
        let tmp = TempDir()
        let recs = Self.records(5)
        try Self.write(tmp.path, recs)
        let h = FileHandle(forWritingAtPath: WAL.segmentPath(tmp.path, 1))!
        h.seekToEndOfFile()
        h.write(Data(count: 4096))
        h.closeFile()
        let (got, report) = try Self.replay(tmp.path)
        #expect(got == recs)
        #expect(report.tornTail != nil && report.corruption == nil)
    }

    @Test func flippedByteInTheMiddleIsReportedWithSegmentAndOffset() throws {
        let tmp = TempDir()
        let recs = Self.records(100)
        try Self.write(tmp.path, recs, segmentSize: 16 << 10)
        let segs = WAL.segmentNumbers(in: tmp.path)
        #expect(segs.count >= 3)
        // Damage the middle of the second segment.
        let path = WAL.segmentPath(tmp.path, segs[1])
        var bytes = try FileIO.readAll(path)
        let at = bytes.count / 2
        bytes[at] ^= 0x5a
        try Data(bytes).write(to: URL(fileURLWithPath: path))
        var firstSegmentRecords = 0
        _ = try WALReader.readSegment(WAL.segmentPath(tmp.path, segs[0])) { _ in firstSegmentRecords += 1 }

        let (got, report) = try Self.replay(tmp.path)
        let err = try #require(report.corruption)
        #expect(err.file == path)
        #expect(report.corruptSegment == segs[1])
        #expect(report.corruptOffset! <= at)
        #expect(got.count > firstSegmentRecords)  // records before the damage were recovered
        #expect(got == Array(recs.prefix(got.count)))  // and they are exactly the first ones
        // Later segments were set aside, not deleted.
        let aside = try #require(report.setAsideDirectory)
        #expect(WAL.segmentNumbers(in: aside) == Array(segs[2...]))
        // After repair the log replays cleanly to the same prefix.
        let (again, r2) = try Self.replay(tmp.path)
        #expect(again == got)
        #expect(r2.corruption == nil)
    }

    @Test func missingSegmentStopsReplayBeforeTheGap() throws {
        let tmp = TempDir()
        let recs = Self.records(100)
        try Self.write(tmp.path, recs, segmentSize: 16 << 10)
        let segs = WAL.segmentNumbers(in: tmp.path)
        var before = 0
        _ = try WALReader.readSegment(WAL.segmentPath(tmp.path, segs[0])) { _ in before += 1 }
        try FileIO.removeAll(WAL.segmentPath(tmp.path, segs[1]))
        let (got, report) = try Self.replay(tmp.path)
        #expect(got == Array(recs.prefix(before)))
        #expect(report.corruption?.message.contains("missing") == true)
    }

    @Test func emptyFilesAndEmptyDirectory() throws {
        let tmp = TempDir()
        let (none, r0) = try Self.replay(tmp.path)
        #expect(none.isEmpty && r0.corruption == nil)
        FileManager.default.createFile(atPath: WAL.segmentPath(tmp.path, 1), contents: Data())
        FileManager.default.createFile(atPath: WAL.segmentPath(tmp.path, 2), contents: Data())
        let (got, report) = try Self.replay(tmp.path)
        #expect(got.isEmpty && report.corruption == nil && report.tornTail == nil)
        let wal = try WAL(directory: tmp.path)
        #expect(wal.currentSegment == 2)  // the empty last segment is reused
        try wal.close()
    }

    @Test("a checkpoint holds the head as chunks: dead series left out, replay restores the head, its open chunks take appends again")
    func checkpointHoldsTheHead() throws {
        let tmp = TempDir()
        let hour: Int64 = 3_600_000
        let db = try DB.open(tmp.path, options: testOptions())
        let live = (0..<5).map { Labels(["__name__": "live", "i": String($0)]) }
        let gone = Labels(["__name__": "gone"])
        var rng = SeededRandom(seed: 7)
        let steps = 5 * 240 + 7  // 5 h at 15 s, and a partial open chunk
        for step in 0..<steps {
            let app = db.appender()
            let t = Int64(step) * 15_000
            for l in live { try app.append(l, t, AdversarialFloats.random(&rng)) }
            if t < hour { try app.append(gone, t, 1) }
            try app.commit()
        }
        try db.delete([.equal("i", "3")], mint: 4 * hour, maxt: 4 * hour + 60_000)
        let before = try allSamples(db)
        #expect(try db.compactHead().count == 2)  // [0, 4 h) to two blocks; the head keeps [4 h, 5 h]

        // The WAL is now the checkpoint alone (and the segment after the cut).
        let wal = tmp.path + "/wal"
        #expect(FileIO.list(wal).filter { $0.hasPrefix("checkpoint.") }.count == 1)
        let (records, report) = try Self.replay(wal)
        #expect(report.checkpoint != nil && report.corruption == nil)
        var series: [SeriesRef] = [], samples = 0, open = 0, stones: [WALRecord.TombstoneRecord] = []
        for r in records {
            switch r {
            case .series(let list): series += list.map(\.ref)
            case .chunks(let list):
                for c in list {
                    samples += c.chunks.reduce(0) { $0 + $1.sampleCount }
                    if c.lastIsOpen { open += 1 }
                }
            case .tombstones(let list): stones += list
            case .samples, .histogramSamples: Issue.record("a checkpoint holds no sample records")
            }
        }
        #expect(series.count == live.count)  // `gone` had nothing left in the head
        #expect(samples == live.count * (steps - 4 * 240))
        #expect(open == live.count)
        #expect(stones.count == 1 && stones[0].mint == 4 * hour)
        try db.close()

        let db2 = try DB.open(tmp.path, options: testOptions())
        #expect(try allSamples(db2) == before)
        let newest = before[live[0]]!.last!
        let chunks = db2.head.stats.numChunks
        let app = db2.appender()
        try app.append(live[0], newest.t, newest.v)  // a repeat of the newest sample: a no-op
        #expect(throws: TSDBError.self) { try app.append(live[0], newest.t, newest.v + 1) }
        try app.append(live[0], newest.t + 15_000, 1)
        #expect(try app.commit().appended == 1)
        #expect(db2.head.stats.numChunks == chunks)  // appended to the reopened chunk, no new one
        #expect(try allSamples(db2)[live[0]] == before[live[0]]! + [Sample(newest.t + 15_000, 1)])
        try db2.close()
    }

    @Test func chunksRecordsRoundTrip() throws {
        var app = XORAppender()
        for i in 0..<50 { app.append(Int64(i) * 1000, Double(i) / 3) }
        let record = WALRecord.chunks([
            .init(ref: 7, chunks: [.init(mint: 0, maxt: 49_000, encoding: .xor, storage: app.chunkBytes)], lastIsOpen: true),
            .init(ref: 9, chunks: [], lastIsOpen: false),
        ])
        var payload: [UInt8] = []
        record.encodePayload(into: &payload)
        let decoded = try payload.withUnsafeBytes { raw in
            var r = ByteReader(raw)
            return try WALRecord.decode(type: WALRecord.RecordType.chunks.rawValue, &r)
        }
        #expect(decoded == record)
        // A truncated payload is an error, not a crash.
        #expect(throws: TSDBError.self) {
            try payload.dropLast(10).withUnsafeBytes { raw in
                var r = ByteReader(raw)
                _ = try WALRecord.decode(type: WALRecord.RecordType.chunks.rawValue, &r)
            }
        }
    }

    @Test func recordDecodingRejectsGarbage() {
        let garbage: [UInt8] = [5, 0xff, 0xff, 0xff]
        garbage.withUnsafeBytes { raw in
            var r = ByteReader(raw)
            #expect(throws: TSDBError.self) { try WALRecord.decode(type: 2, &r) }
            var r2 = ByteReader(raw)
            #expect(throws: TSDBError.self) { try WALRecord.decode(type: 9, &r2) }
        }
    }
}

@Suite("CRC-32C")
struct CRC32CTests {
    @Test("known values, and hardware and table versions agree at every length and alignment")
    func knownValuesAndBothVersionsAgree() {
        #expect(CRC32C.checksum(Array("123456789".utf8)) == 0xE306_9283)  // the standard check value
        #expect(CRC32C.checksum([UInt8](repeating: 0, count: 32)) == 0x8A91_36AA)  // RFC 3720 B.4
        var rng = SystemRandomNumberGenerator()
        let data = (0..<300).map { _ in UInt8.random(in: 0...255, using: &rng) }
        data.withUnsafeBytes { all in
            for start in 0..<9 {
                for end in stride(from: start, through: all.count, by: 7) {
                    let slice = UnsafeRawBufferPointer(rebasing: all[start..<end])
                    #expect(CRC32C.update(0x1234_5678, slice) == CRC32C.updateWithTables(0x1234_5678, slice))
                }
            }
        }
        print("CRC-32C in hardware: \(CRC32C.hardware)")
    }
}
