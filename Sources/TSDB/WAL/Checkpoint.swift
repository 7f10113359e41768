/// A checkpoint condenses WAL segments whose data is now in blocks: it keeps
/// only the series still in the head and samples at or after `mint`, so
/// replay stays fast and old segments can be deleted.
///
/// `wal/checkpoint.N/` holds what segments ≤ N held that is still needed.
/// It is written to `checkpoint.N.tmp`, fsynced and renamed, then older
/// checkpoints and segments ≤ N are deleted.
public enum Checkpoint {
    public struct Stats: Sendable {
        public var droppedSeries = 0
        public var droppedSamples = 0
        public var keptSeries = 0
        public var keptSamples = 0
    }

    @discardableResult
    public static func create(walDirectory dir: String, through last: Int, mint: Int64,
                              keepSeries: (SeriesRef) -> Bool) throws -> Stats {
        let tmp = dir + "/checkpoint." + WAL.segmentName(last) + ".tmp"
        try FileIO.removeAll(tmp)
        try FileIO.makeDirectory(tmp)
        do {
            return try write(into: tmp, from: dir, through: last, mint: mint, keepSeries: keepSeries)
        } catch {
            try? FileIO.removeAll(tmp)  // a full disk, say: the segments stay as they are
            throw error
        }
    }

    private static func write(into tmp: String, from dir: String, through last: Int, mint: Int64,
                              keepSeries: (SeriesRef) -> Bool) throws -> Stats {
        var stats = Stats()
        let out = try WritableFile(creating: WAL.segmentPath(tmp, 0))
        let writer = FrameWriter(file: out)

        var sources: [String] = []
        let previous = WALReader.latestCheckpoint(in: dir)
        if let (_, p) = previous { sources += WAL.segmentNumbers(in: p).map { WAL.segmentPath(p, $0) } }
        let after = previous?.0 ?? 0
        sources += WAL.segmentNumbers(in: dir).filter { $0 > after && $0 <= last }.map { WAL.segmentPath(dir, $0) }

        for path in sources {
            do {
                _ = try WALReader.readSegment(path) { record in
                    switch record {
                    case .series(let s):
                        let kept = s.filter { keepSeries($0.ref) }
                        stats.keptSeries += kept.count
                        stats.droppedSeries += s.count - kept.count
                        if !kept.isEmpty { try writer.write(.series(kept)) }
                    case .samples(let s):
                        let kept = s.filter { $0.t >= mint && keepSeries($0.ref) }
                        stats.keptSamples += kept.count
                        stats.droppedSamples += s.count - kept.count
                        if !kept.isEmpty { try writer.write(.samples(kept)) }
                    case .tombstones(let ts):
                        let kept = ts.filter { $0.maxt >= mint && keepSeries($0.ref) }
                        if !kept.isEmpty { try writer.write(.tombstones(kept)) }
                    }
                }
            } catch let p as WALReader.Problem {
                let (_, e) = WALReader.describe(p, path: path)
                throw e
            }
        }
        try out.sync()
        out.close()
        try FileIO.syncDirectory(tmp)
        let final = dir + "/checkpoint." + WAL.segmentName(last)
        try FileIO.removeAll(final)
        try FileIO.rename(tmp, final)
        try FileIO.syncDirectory(dir)

        // The new checkpoint is durable: older state can go.
        for name in FileIO.list(dir) where name.hasPrefix("checkpoint.") && dir + "/" + name != final {
            if let n = Int(name.dropFirst("checkpoint.".count).prefix(8)), n < last || name.hasSuffix(".tmp") {
                try FileIO.removeAll(dir + "/" + name)
            }
        }
        for s in WAL.segmentNumbers(in: dir) where s <= last {
            try FileIO.removeAll(WAL.segmentPath(dir, s))
        }
        return stats
    }
}

/// Writes framed records to a file with the WAL's framing (used by checkpoints).
final class FrameWriter {
    let file: WritableFile
    private var payload: [UInt8] = []
    private var frame: [UInt8] = []

    init(file: WritableFile) { self.file = file }

    func write(_ record: WALRecord) throws {
        frame.removeAll(keepingCapacity: true)
        WALFrame.append(record, to: &frame, scratch: &payload)
        try file.write(frame)
    }
}

/// The frame encoder shared by the WAL writer and checkpoints.
enum WALFrame {
    static func append(_ record: WALRecord, to frame: inout [UInt8], scratch payload: inout [UInt8]) {
        payload.removeAll(keepingCapacity: true)
        record.encodePayload(into: &payload)
        let start = frame.count
        frame.append(contentsOf: repeatElement(0, count: WAL.headerSize))
        var flags: UInt8 = 0
        if payload.count > WAL.compressThreshold {
            let n = payload.withUnsafeBytes { LZ4.compress($0, appendingTo: &frame) }
            if n >= payload.count {  // incompressible: store raw
                frame.removeLast(n)
                frame.append(contentsOf: payload)
            } else {
                flags = 1
            }
        } else {
            frame.append(contentsOf: payload)
        }
        let stored = frame.count - start - WAL.headerSize
        frame.putBE32(UInt32(stored), at: start)
        frame[start + 8] = record.type.rawValue
        frame[start + 9] = flags
        frame.putBE32(UInt32(payload.count), at: start + 10)
        let crc = frame.withUnsafeBytes { CRC32C.checksum(UnsafeRawBufferPointer(rebasing: $0[(start + 8)...])) }
        frame.putBE32(crc, at: start + 4)
    }
}
