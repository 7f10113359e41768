/// Writes a block's chunks into numbered segment files (`chunks/000001`, …).
/// Each chunk record: uvarint data length, encoding byte, data, CRC-32C of
/// encoding+data. A chunk reference is `segment << 32 | byte offset`.
/// Layout: docs/format/chunks.md.
final class ChunkSegmentWriter {
    static let magic: UInt32 = 0x5453_4348  // "TSCH"
    static let headerSize = 8
    static let maxSegmentSize = 512 << 20

    let directory: String
    private var file: WritableFile?
    private var segment = 0
    private var buffer: [UInt8] = []
    private var offset = 0

    init(directory: String) throws {
        self.directory = directory
        try FileIO.makeDirectory(directory)
    }

    static func segmentPath(_ dir: String, _ n: Int) -> String { dir + "/" + String(n).leftPadded(to: 6) }

    /// Appends a chunk and returns its reference.
    func write(_ encoding: ChunkEncoding, _ data: UnsafeRawBufferPointer) throws -> UInt64 {
        let need = 10 + 1 + data.count + 4
        if file == nil || offset + need > ChunkSegmentWriter.maxSegmentSize {
            try finishSegment()
            segment += 1
            file = try WritableFile(creating: ChunkSegmentWriter.segmentPath(directory, segment))
            buffer.removeAll(keepingCapacity: true)
            buffer.appendBE32(ChunkSegmentWriter.magic)
            buffer.append(contentsOf: [1, 0, 0, 0])
            offset = ChunkSegmentWriter.headerSize
        }
        let ref = UInt64(segment) << 32 | UInt64(offset)
        let start = buffer.count
        buffer.appendUvarint(UInt64(data.count))
        let crcStart = buffer.count
        buffer.append(encoding.rawValue)
        buffer.append(contentsOf: data)
        let crc = buffer.withUnsafeBytes { CRC32C.checksum(UnsafeRawBufferPointer(rebasing: $0[crcStart...])) }
        buffer.appendBE32(crc)
        offset += buffer.count - start
        if buffer.count >= 1 << 20 {
            try file!.write(buffer)
            buffer.removeAll(keepingCapacity: true)
        }
        return ref
    }

    private func finishSegment() throws {
        guard let f = file else { return }
        try f.write(buffer)
        buffer.removeAll(keepingCapacity: true)
        try f.sync()
        f.close()
        file = nil
    }

    func close() throws {
        try finishSegment()
        try FileIO.syncDirectory(directory)
    }
}

/// Reads chunks of a block from its mmap'd segment files.
final class ChunkSegmentReader: Sendable {
    let files: [MappedFile]

    init(directory: String) throws {
        var files: [MappedFile] = []
        for (i, name) in FileIO.list(directory).enumerated() {
            guard Int(name) == i + 1 else {
                throw TSDBError(.corruption, "unexpected chunk segment \"\(name)\" (expected \(i + 1))", file: directory)
            }
            let f = try MappedFile(path: directory + "/" + name)
            var r = ByteReader(f.bytes, file: f.path)
            guard f.count >= ChunkSegmentWriter.headerSize, try r.be32() == ChunkSegmentWriter.magic else {
                throw TSDBError(.corruption, "not a chunk segment (bad magic)", file: f.path, offset: 0)
            }
            files.append(f)
        }
        self.files = files
    }

    /// The chunk at `ref`, checked for bounds and CRC: damaged chunk files
    /// give an error naming file and offset, never wrong samples. (The CRC
    /// costs about 4 % of decoding the chunk.)
    func chunk(_ ref: UInt64, mint: Int64, maxt: Int64) throws -> ChunkMeta {
        let seg = Int(ref >> 32), off = Int(ref & 0xffff_ffff)
        guard seg >= 1 && seg <= files.count else {
            throw TSDBError(.corruption, "chunk reference \(ref) names missing segment \(seg)")
        }
        let f = files[seg - 1]
        var r = ByteReader(f.bytes, offset: off, file: f.path)
        let n = try r.count(max: r.remaining, what: "chunk length")
        guard let enc = ChunkEncoding(rawValue: try r.u8()) else {
            throw r.error("unknown chunk encoding")
        }
        let data = try r.bytes(n)
        let want = try r.be32()
        guard CRC32C.checksum(UnsafeRawBufferPointer(rebasing: f.bytes[(r.offset - 5 - n)..<(r.offset - 4)])) == want else {
            throw TSDBError(.corruption, "chunk checksum mismatch", file: f.path, offset: off)
        }
        return ChunkMeta(mint: mint, maxt: maxt, encoding: enc, bytes: data, owner: f)
    }

    var size: Int64 { files.reduce(0) { $0 + Int64($1.count) } }
}
