/// A deleted time range [mint, maxt] (both inclusive) of one series.
public struct Tombstone: Sendable, Equatable {
    public var ref: SeriesRef
    public var mint: Int64
    public var maxt: Int64

    public init(ref: SeriesRef, mint: Int64, maxt: Int64) {
        self.ref = ref
        self.mint = mint
        self.maxt = maxt
    }
}

/// A block's `tombstones` file: deleted ranges per series, applied at read
/// time until compaction rewrites the block without them.
/// Layout: docs/format/tombstones.md.
public enum TombstonesFile {
    static let magic: UInt32 = 0x5453_5442  // "TSTB"

    public static func encode(_ stones: [Tombstone]) -> [UInt8] {
        var out: [UInt8] = []
        out.appendBE32(magic)
        out.append(contentsOf: [1, 0, 0, 0])
        let sorted = stones.sorted { ($0.ref, $0.mint) < ($1.ref, $1.mint) }
        out.appendUvarint(UInt64(sorted.count))
        for t in sorted {
            out.appendUvarint(t.ref)
            out.appendVarint(t.mint)
            out.appendVarint(t.maxt)
        }
        out.appendBE32(CRC32C.checksum(out))
        return out
    }

    /// Decodes a tombstones file; ranges grouped by series.
    public static func read(path: String) throws -> [SeriesRef: [ClosedRange<Int64>]] {
        let data = try FileIO.readAll(path)
        return try data.withUnsafeBytes { b in
            var r = ByteReader(b, file: path)
            guard b.count >= 12, try r.be32() == magic else { throw r.error("bad tombstones magic") }
            guard try r.u8() == 1 else { throw r.error("unsupported tombstones version") }
            r.offset = 8
            var tail = ByteReader(b, offset: b.count - 4, file: path)
            guard CRC32C.checksum(UnsafeRawBufferPointer(rebasing: b[0..<(b.count - 4)])) == (try tail.be32()) else {
                throw TSDBError(.corruption, "tombstones checksum mismatch", file: path)
            }
            let n = try r.count(max: b.count, what: "tombstone count")
            var out: [SeriesRef: [ClosedRange<Int64>]] = [:]
            for _ in 0..<n {
                let ref = try r.uvarint()
                let mint = try r.varint()
                let maxt = try r.varint()
                guard mint <= maxt else { throw r.error("tombstone range \(mint)...\(maxt) is inverted") }
                out[ref, default: []].append(mint...maxt)
            }
            return out
        }
    }
}
