/// A checkpoint replaces WAL segments whose data is now in blocks: it holds
/// what the head held when the segments were closed — its series, their
/// chunks as encoded, their deleted ranges — so replay starts from it and
/// the segments can be deleted.
///
/// `wal/checkpoint.N/` stands for segments ≤ N. It is written to
/// `checkpoint.N.tmp`, fsynced and renamed, then older checkpoints and
/// segments ≤ N are deleted.
public enum Checkpoint {
    /// Writes `records` (from `Head.checkpointRecords`, taken when segment
    /// `last` was closed) as the checkpoint for segments ≤ `last`.
    public static func create(walDirectory dir: String, through last: Int, records: [WALRecord]) throws {
        let tmp = dir + "/checkpoint." + WAL.segmentName(last) + ".tmp"
        try FileIO.removeAll(tmp)
        try FileIO.makeDirectory(tmp)
        do {
            let out = try WritableFile(creating: WAL.segmentPath(tmp, 0))
            let writer = FrameWriter(file: out)
            for r in records { try writer.write(r) }
            try out.sync()
            out.close()
            try FileIO.syncDirectory(tmp)
        } catch {
            try? FileIO.removeAll(tmp)  // a full disk, say: the segments stay as they are
            throw error
        }
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
        if payload.count > WAL.compressThreshold && record.type.compressible {
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
