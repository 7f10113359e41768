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

    @Test func checkpointKeepsLiveSeriesAndRecentSamples() throws {
        let tmp = TempDir()
        let recs = Self.records(100)
        try Self.write(tmp.path, recs, segmentSize: 16 << 10)
        let last = WAL.segmentNumbers(in: tmp.path).last!
        let keep: Set<SeriesRef> = [1, 51, 96]
        try Checkpoint.create(walDirectory: tmp.path, through: last, mint: 50_000) { keep.contains($0) }
        #expect(WAL.segmentNumbers(in: tmp.path).isEmpty)
        let (got, report) = try Self.replay(tmp.path)
        #expect(report.checkpoint == last)
        var series: [SeriesRef] = []
        var samples: [WALRecord.SampleRecord] = []
        for r in got {
            if case .series(let s) = r { series += s.map(\.ref) }
            if case .samples(let s) = r { samples += s }
        }
        #expect(series == [1, 51, 96])
        var want: [WALRecord.SampleRecord] = []
        for r in recs { if case .samples(let s) = r { want += s.filter { $0.t >= 50_000 && keep.contains($0.ref) } } }
        #expect(samples == want)
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
