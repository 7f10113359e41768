/// A series as written into a block: labels and chunk references.
struct BlockSeriesEntry {
    struct ChunkEntry {
        var mint: Int64
        var maxt: Int64
        var ref: UInt64
    }

    var labels: Labels
    var chunks: [ChunkEntry]
}

/// Serialises a block's `index` file: symbols, series, series offset table,
/// postings, postings offset table, and a table of contents at the end.
/// Layout: docs/format/index.md. Series must be given sorted by labels.
enum BlockIndexWriter {
    static let magic: UInt32 = 0x5453_4458  // "TSDX"
    static let tocSize = 5 * 8 + 4

    static func encode(_ series: [BlockSeriesEntry]) throws -> [UInt8] {
        var symbolSet = Set<String>()
        for s in series {
            for l in s.labels.pairs {
                symbolSet.insert(l.name)
                symbolSet.insert(l.value)
            }
        }
        let symbols = symbolSet.sorted { $0.utf8.lexicographicallyPrecedes($1.utf8) }
        var symbolIndex: [String: Int] = [:]
        symbolIndex.reserveCapacity(symbols.count)
        for (i, s) in symbols.enumerated() { symbolIndex[s] = i }

        var out: [UInt8] = []
        out.appendBE32(magic)
        out.append(contentsOf: [1, 0, 0, 0])

        // Symbols.
        let symbolsOffset = out.count
        out.appendUvarint(UInt64(symbols.count))
        for s in symbols { out.appendString(s) }
        appendCRC(&out, from: symbolsOffset)

        // Series, remembering each entry's offset; postings collected on the way.
        let seriesOffset = out.count
        var entryOffsets: [UInt32] = []
        entryOffsets.reserveCapacity(series.count)
        var postings: [Int: [Int: [SeriesRef]]] = [:]  // name sym → value sym → series ordinals
        for (i, s) in series.enumerated() {
            let rel = out.count - seriesOffset
            guard rel <= Int(UInt32.max) else { throw TSDBError(.invalidArgument, "index series section exceeds 4 GiB") }
            entryOffsets.append(UInt32(rel))
            out.appendUvarint(UInt64(s.labels.count))
            for l in s.labels.pairs {
                let n = symbolIndex[l.name]!, v = symbolIndex[l.value]!
                out.appendUvarint(UInt64(n))
                out.appendUvarint(UInt64(v))
                postings[n, default: [:]][v, default: []].append(SeriesRef(i))
            }
            out.appendUvarint(UInt64(s.chunks.count))
            var prevMaxt: Int64 = 0, prevRef: UInt64 = 0
            for (k, c) in s.chunks.enumerated() {
                out.appendVarint(k == 0 ? c.mint : c.mint &- prevMaxt)
                out.appendUvarint(UInt64(bitPattern: c.maxt &- c.mint))
                out.appendVarint(Int64(bitPattern: c.ref &- prevRef))
                prevMaxt = c.maxt
                prevRef = c.ref
            }
        }
        appendCRC(&out, from: seriesOffset)

        // Series offset table: fixed width for O(1) lookup by ordinal.
        let seriesTableOffset = out.count
        out.appendBE32(UInt32(series.count))
        for o in entryOffsets { out.appendBE32(o) }
        appendCRC(&out, from: seriesTableOffset)

        // Postings lists in (name, value) order, then the table pointing at them.
        let postingsOffset = out.count
        var table: [(Int, Int, Int)] = []
        for n in postings.keys.sorted() {
            let values = postings[n]!
            for v in values.keys.sorted() {
                table.append((n, v, out.count - postingsOffset))
                let list = values[v]!
                out.appendUvarint(UInt64(list.count))
                var prev: SeriesRef = 0
                for r in list {
                    out.appendUvarint(r - prev)
                    prev = r
                }
            }
        }
        appendCRC(&out, from: postingsOffset)

        let postingsTableOffset = out.count
        out.appendUvarint(UInt64(table.count))
        for (n, v, off) in table {
            out.appendUvarint(UInt64(n))
            out.appendUvarint(UInt64(v))
            out.appendUvarint(UInt64(off))
        }
        appendCRC(&out, from: postingsTableOffset)

        let tocStart = out.count
        for o in [symbolsOffset, seriesOffset, seriesTableOffset, postingsOffset, postingsTableOffset] {
            out.appendBE64(UInt64(o))
        }
        appendCRC(&out, from: tocStart)
        return out
    }

    static func appendCRC(_ out: inout [UInt8], from start: Int) {
        let crc = out.withUnsafeBytes { CRC32C.checksum(UnsafeRawBufferPointer(rebasing: $0[start...])) }
        out.appendBE32(crc)
    }
}
