import CCRC32C

/// CRC-32C (Castagnoli, polynomial 0x82F63B78 reflected), as used by
/// Prometheus' WAL and index: the CPU's crc32 instruction where there is one
/// (x86-64 SSE 4.2, ~8 bytes per cycle), else slicing-by-8 (1–2 GB/s per core).
public enum CRC32C {
    static let tables: [[UInt32]] = {
        var t = [[UInt32]](repeating: [UInt32](repeating: 0, count: 256), count: 8)
        for i in 0..<256 {
            var c = UInt32(i)
            for _ in 0..<8 { c = c & 1 != 0 ? (c >> 1) ^ 0x82F6_3B78 : c >> 1 }
            t[0][i] = c
        }
        for i in 0..<256 {
            for k in 1..<8 { t[k][i] = (t[k - 1][i] >> 8) ^ t[0][Int(t[k - 1][i] & 0xff)] }
        }
        return t
    }()
    static let flat: [UInt32] = tables.flatMap { $0 }

    /// Whether this CPU computes CRC-32C in hardware (then `update` uses it).
    public static let hardware = tsdb_crc32c_hardware_available() != 0

    /// Continues a checksum: `update(update(0, a), b) == checksum(a + b)`.
    public static func update(_ crc: UInt32, _ data: UnsafeRawBufferPointer) -> UInt32 {
        if hardware, let base = data.baseAddress { return ~tsdb_crc32c_hardware(~crc, base, data.count) }
        return updateWithTables(crc, data)
    }

    /// The portable version: slicing by 8 over lookup tables.
    static func updateWithTables(_ crc: UInt32, _ data: UnsafeRawBufferPointer) -> UInt32 {
        var c = ~crc
        var i = 0
        let n = data.count
        flat.withUnsafeBufferPointer { t in
            while n - i >= 8 {
                let lo = data.loadUnaligned(fromByteOffset: i, as: UInt32.self).littleEndian ^ c
                let hi = data.loadUnaligned(fromByteOffset: i + 4, as: UInt32.self).littleEndian
                c = t[7 * 256 + Int(lo & 0xff)] ^ t[6 * 256 + Int((lo >> 8) & 0xff)]
                    ^ t[5 * 256 + Int((lo >> 16) & 0xff)] ^ t[4 * 256 + Int(lo >> 24)]
                    ^ t[3 * 256 + Int(hi & 0xff)] ^ t[2 * 256 + Int((hi >> 8) & 0xff)]
                    ^ t[1 * 256 + Int((hi >> 16) & 0xff)] ^ t[Int(hi >> 24)]
                i += 8
            }
            while i < n {
                c = t[Int((c ^ UInt32(data[i])) & 0xff)] ^ (c >> 8)
                i += 1
            }
        }
        return ~c
    }

    public static func checksum(_ data: UnsafeRawBufferPointer) -> UInt32 { update(0, data) }

    public static func checksum(_ data: [UInt8]) -> UInt32 {
        data.withUnsafeBytes { checksum($0) }
    }
}
