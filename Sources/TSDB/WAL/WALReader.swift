import Foundation

/// What reading a WAL found, for the startup log and `/api/v1/status/walreplay`.
public struct WALReplayReport: Sendable, CustomStringConvertible {
    public var checkpoint: Int?
    public var firstSegment: Int?
    public var lastSegment: Int?
    public var records = 0
    public var bytes = 0
    /// A record cut off at the end of the last segment (a crash mid-write).
    /// The segment is truncated here; nothing acknowledged is lost.
    public var tornTail: (segment: Int, offset: Int)?
    /// Damage that is not a torn tail: records before it were recovered,
    /// everything from here on was set aside into `setAsideDirectory`.
    public var corruption: TSDBError?
    public var corruptSegment: Int?
    public var corruptOffset: Int?
    public var setAsideDirectory: String?

    public var description: String {
        var s = "WAL replay: \(records) records, \(bytes) bytes"
        if let c = checkpoint { s += ", checkpoint \(c)" }
        if let a = firstSegment, let b = lastSegment { s += ", segments \(a)...\(b)" }
        if let t = tornTail { s += "; torn tail in segment \(t.segment) at byte \(t.offset) truncated" }
        if let c = corruption { s += "; CORRUPTION: \(c)" }
        if let d = setAsideDirectory { s += "; later data moved to \(d)" }
        return s
    }
}

/// Reads framed records from WAL segment files, validating each frame.
/// Where a WAL replay is: the segment numbers it covers and the one being read.
public struct WALReplayProgress: Sendable, Equatable {
    public var min: Int
    public var max: Int
    public var current: Int

    public init(min: Int, max: Int, current: Int) {
        self.min = min
        self.max = max
        self.current = current
    }
}

public enum WALReader {
    enum Problem: Error {
        /// The frame at `offset` is incomplete or invalid and extends to the end of the file.
        case tail(offset: Int)
        case corrupt(offset: Int, TSDBError)
    }

    /// Reads one segment file, calling `body` for every valid record. Stops at
    /// the first invalid frame and throws a `Problem` saying where.
    static func readSegment(_ path: String, releaseEvery stride: Int = releaseStride,
                            body: (WALRecord) throws -> Void) throws -> (records: Int, bytes: Int) {
        let file = try MappedFile(path: path)
        let data = file.bytes
        var offset = 0
        var records = 0
        var raw: [UInt8] = []
        var released = 0
        while offset < data.count {
            if offset - released >= stride {
                file.releasePages(before: offset)
                released = offset
            }
            let remaining = data.count - offset
            guard remaining >= WAL.headerSize else { throw Problem.tail(offset: offset) }
            var r = ByteReader(data, offset: offset, file: path)
            let stored = Int(try r.be32())
            let crc = try r.be32()
            let type = try r.u8()
            let flags = try r.u8()
            let rawLength = Int(try r.be32())
            if stored == 0 && crc == 0 && type == 0 && allZero(data, from: offset) {
                throw Problem.tail(offset: offset)  // zero-filled tail after a crash
            }
            guard stored <= remaining - WAL.headerSize else { throw Problem.tail(offset: offset) }
            let framed = UnsafeRawBufferPointer(rebasing: data[(offset + 8)..<(offset + WAL.headerSize + stored)])
            guard CRC32C.checksum(framed) == crc else {
                let end = offset + WAL.headerSize + stored
                if end == data.count || allZero(data, from: end) { throw Problem.tail(offset: offset) }
                throw Problem.corrupt(
                    offset: offset,
                    TSDBError(.corruption, "WAL record checksum mismatch", file: path, offset: offset))
            }
            let payload = UnsafeRawBufferPointer(rebasing: data[(offset + WAL.headerSize)..<(offset + WAL.headerSize + stored)])
            let record: WALRecord
            do {
                if flags & 1 != 0 {
                    guard rawLength <= 1 << 30, LZ4.decompress(payload, rawLength: rawLength, into: &raw) else {
                        throw TSDBError(.corruption, "WAL record does not decompress", file: path, offset: offset)
                    }
                    record = try raw.withUnsafeBytes { buf in
                        var pr = ByteReader(UnsafeRawBufferPointer(rebasing: buf[0..<rawLength]), file: path)
                        return try WALRecord.decode(type: type, &pr)
                    }
                } else {
                    var pr = ByteReader(payload, base: offset + WAL.headerSize, file: path)
                    record = try WALRecord.decode(type: type, &pr)
                }
            } catch let e as TSDBError {
                throw Problem.corrupt(offset: offset, TSDBError(.corruption, "bad WAL record: \(e.message)", file: path, offset: offset))
            }
            try body(record)
            records += 1
            offset += WAL.headerSize + stored
        }
        return (records, data.count)
    }

    /// How far a read goes before it drops the pages behind it from the
    /// resident set: a checkpoint or replay of 128 MiB segments then adds a
    /// few MiB to the RSS, not the segment.
    static let releaseStride = 4 << 20

    static func allZero(_ data: UnsafeRawBufferPointer, from: Int) -> Bool {
        var i = from
        while i < data.count {
            if data[i] != 0 { return false }
            i += 1
        }
        return true
    }

    /// Latest complete checkpoint directory in `dir`: (number, path).
    public static func latestCheckpoint(in dir: String) -> (Int, String)? {
        FileIO.list(dir).compactMap { name -> (Int, String)? in
            guard name.hasPrefix("checkpoint."), !name.hasSuffix(".tmp"),
                  let n = Int(name.dropFirst("checkpoint.".count)) else { return nil }
            return (n, dir + "/" + name)
        }.max { $0.0 < $1.0 }
    }

    /// Replays the whole log (latest checkpoint, then the segments after it)
    /// into `body`, and repairs what it finds: a torn tail is truncated; on
    /// corruption the damaged segment is truncated at the bad record and all
    /// later segments are moved to `wal/corrupted.<ms>/`, so that new writes
    /// continue from a clean end and nothing is silently deleted.
    public static func replay(directory dir: String, progress: ((WALReplayProgress) -> Void)? = nil,
                              body: (WALRecord) throws -> Void) throws -> WALReplayReport {
        var report = WALReplayReport()
        var startAfter = 0
        if let (n, path) = latestCheckpoint(in: dir) {
            report.checkpoint = n
            startAfter = n
            for seg in WAL.segmentNumbers(in: path) {
                do {
                    let (recs, bytes) = try readSegment(WAL.segmentPath(path, seg), body: body)
                    report.records += recs
                    report.bytes += bytes
                } catch let p as Problem {
                    // A checkpoint is written completely before it is renamed into
                    // place, so any damage in it is corruption, never a torn tail.
                    let (off, err) = describe(p, path: WAL.segmentPath(path, seg))
                    report.corruption = err
                    report.corruptOffset = off
                    return report
                }
            }
        }
        let segments = WAL.segmentNumbers(in: dir).filter { $0 > startAfter }
        for (i, seg) in segments.enumerated() {
            let path = WAL.segmentPath(dir, seg)
            if report.firstSegment == nil { report.firstSegment = seg }
            if i > 0 && seg != segments[i - 1] + 1 {
                report.corruption = TSDBError(
                    .corruption, "WAL segment \(WAL.segmentName(segments[i - 1] + 1)) is missing (next is \(WAL.segmentName(seg)))",
                    file: dir)
                report.corruptSegment = segments[i - 1]
                report.corruptOffset = FileIO.fileSize(WAL.segmentPath(dir, segments[i - 1])).map(Int.init)
                try setAside(dir: dir, segments: Array(segments[i...]), report: &report)
                return report
            }
            report.lastSegment = seg
            progress?(WALReplayProgress(min: segments[0], max: segments[segments.count - 1], current: seg))
            do {
                let (recs, bytes) = try readSegment(path, body: body)
                report.records += recs
                report.bytes += bytes
            } catch let p as Problem {
                let isLast = i == segments.count - 1
                switch p {
                case .tail(let off) where isLast:
                    report.tornTail = (seg, off)
                    try truncate(path, at: off)
                    return report
                default:
                    let (off, err) = describe(p, path: path)
                    report.corruption = err
                    report.corruptSegment = seg
                    report.corruptOffset = off
                    try truncate(path, at: off)
                    try setAside(dir: dir, segments: Array(segments[(i + 1)...]), report: &report)
                    return report
                }
            }
        }
        return report
    }

    static func describe(_ p: Problem, path: String) -> (Int, TSDBError) {
        switch p {
        case .tail(let off):
            return (off, TSDBError(.corruption, "WAL record is truncated", file: path, offset: off))
        case .corrupt(let off, let e):
            return (off, e)
        }
    }

    static func truncate(_ path: String, at offset: Int) throws {
        let f = try WritableFile(appendingTo: path, at: offset)
        try f.sync()
        f.close()
    }

    static func setAside(dir: String, segments: [Int], report: inout WALReplayReport) throws {
        guard !segments.isEmpty else { return }
        let aside = dir + "/corrupted.\(Int64(Date().timeIntervalSince1970 * 1000))"
        try FileIO.makeDirectory(aside)
        for s in segments {
            try FileIO.rename(WAL.segmentPath(dir, s), WAL.segmentPath(aside, s))
        }
        try FileIO.syncDirectory(dir)
        report.setAsideDirectory = aside
    }
}
