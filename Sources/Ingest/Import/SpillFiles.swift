import Foundation
import TSDB

/// Temporary files of an import that does not fit its memory budget: one
/// per block range, holding records of finished chunks and stragglers of
/// the series, read back when that block is written. Removed on deinit.
final class SpillFiles {
    let directory: String
    private var files: [Int64: FileHandle] = [:]

    init(in parent: String) throws {
        directory = parent + "/import-spill-" + ULID.make() + ".tmp"  // a database open removes it if we die
        try FileIO.makeDirectory(directory)
    }

    deinit {
        for f in files.values { try? f.close() }
        try? FileIO.removeAll(directory)
    }

    func path(_ block: Int64) -> String { directory + "/\(block)" }

    /// Record: kind (0 chunk, 1 stragglers), series, mint, maxt, encoding, byte count, bytes.
    func write(series: Int, block: Int64, chunks: [ChunkMeta], late: [Sample]) throws {
        var out: [UInt8] = []
        func header(_ kind: UInt8, _ mint: Int64, _ maxt: Int64, _ encoding: UInt8, _ count: Int) {
            out.append(kind)
            withUnsafeBytes(of: UInt32(series).littleEndian) { out += $0 }
            withUnsafeBytes(of: mint.littleEndian) { out += $0 }
            withUnsafeBytes(of: maxt.littleEndian) { out += $0 }
            out.append(encoding)
            withUnsafeBytes(of: UInt32(count).littleEndian) { out += $0 }
        }
        for c in chunks {
            header(0, c.mint, c.maxt, c.encoding.rawValue, c.bytes.count)
            out += c.bytes
        }
        if !late.isEmpty {
            header(1, 0, 0, 0, late.count * 16)
            for s in late {
                withUnsafeBytes(of: s.t.littleEndian) { out += $0 }
                withUnsafeBytes(of: s.v.bitPattern.littleEndian) { out += $0 }
            }
        }
        let handle: FileHandle
        if let h = files[block] {
            handle = h
        } else {
            FileManager.default.createFile(atPath: path(block), contents: nil)
            guard let h = FileHandle(forWritingAtPath: path(block)) else {
                throw TSDBError(.io, "cannot create spill file", file: path(block))
            }
            files[block] = h
            handle = h
        }
        try handle.write(contentsOf: out)
    }

    /// Gives the spilled chunks and stragglers of `block` back to their builders, oldest first.
    func load(_ block: Int64, into builder: (Int) -> BlockImporter.Builder) throws {
        guard let h = files.removeValue(forKey: block) else { return }
        try h.close()
        let data = try FileIO.readAll(path(block))
        try? FileIO.removeAll(path(block))
        var spilledChunks: [Int: [ChunkMeta]] = [:]
        var spilledLate: [Int: [Sample]] = [:]
        try data.withUnsafeBytes { raw in
            var o = 0
            func read<T: FixedWidthInteger>(_: T.Type) throws -> T {
                guard o + MemoryLayout<T>.size <= raw.count else { throw TSDBError(.corruption, "truncated spill file", file: path(block)) }
                defer { o += MemoryLayout<T>.size }
                return T(littleEndian: raw.loadUnaligned(fromByteOffset: o, as: T.self))
            }
            while o < raw.count {
                let kind = try read(UInt8.self)
                let series = Int(try read(UInt32.self))
                let mint = try read(Int64.self), maxt = try read(Int64.self)
                let encoding = try read(UInt8.self)
                let count = Int(try read(UInt32.self))
                guard o + count <= raw.count else { throw TSDBError(.corruption, "truncated spill file", file: path(block)) }
                if kind == 0, let e = ChunkEncoding(rawValue: encoding) {
                    let bytes = Array(raw[o..<(o + count)])
                    spilledChunks[series, default: []].append(ChunkMeta(mint: mint, maxt: maxt, encoding: e, storage: ChunkBytes(bytes)))
                    o += count
                } else {
                    for _ in 0..<(count / 16) {
                        let t = try read(Int64.self)
                        spilledLate[series, default: []].append(Sample(t, Double(bitPattern: try read(UInt64.self))))
                    }
                }
            }
        }
        for (series, chunks) in spilledChunks {
            let b = builder(series)
            b.chunks = chunks + b.chunks
        }
        for (series, late) in spilledLate {
            let b = builder(series)
            b.late = late + b.late
        }
    }
}
