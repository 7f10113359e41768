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

    static let headerSize = 16

    /// `baseTime` (the block's minTime) makes first-chunk times small offsets.
    static func encode(_ series: [BlockSeriesEntry], baseTime: Int64) throws -> [UInt8] {
        var symbolSet = Set<String>()
        for s in series {
            for l in s.labels.pairs {
                symbolSet.insert(l.name)
                symbolSet.insert(l.value)
            }
        }
        let symbols = symbolSet.sorted { $0.utf8Precedes($1) }
        var symbolIndex: [String: Int] = [:]
        symbolIndex.reserveCapacity(symbols.count)
        for (i, s) in symbols.enumerated() { symbolIndex[s] = i }

        var out: [UInt8] = []
        out.appendBE32(magic)
        out.append(contentsOf: [1, 0, 0, 0])
        out.appendBE64(UInt64(bitPattern: baseTime))

        // Symbols.
        let symbolsOffset = out.count
        out.appendUvarint(UInt64(symbols.count))
        for s in symbols { out.appendString(s) }
        appendCRC(&out, from: symbolsOffset)

        // Label pairs, sorted by (name, value) symbol: a pair's ordinal is its
        // position in the postings table, and series entries refer to it.
        var pairSet = Set<Pair>()
        for s in series { for l in s.labels.pairs { pairSet.insert(Pair(name: symbolIndex[l.name]!, value: symbolIndex[l.value]!)) } }
        let pairs = pairSet.sorted()
        var ordinal: [Pair: Int] = [:]
        ordinal.reserveCapacity(pairs.count)
        for (i, p) in pairs.enumerated() { ordinal[p] = i }

        // Series, remembering each entry's offset; postings collected on the way.
        let seriesOffset = out.count
        var entryOffsets: [UInt32] = []
        entryOffsets.reserveCapacity(series.count)
        var postings = [[SeriesRef]](repeating: [], count: pairs.count)
        for (i, s) in series.enumerated() {
            let rel = out.count - seriesOffset
            guard rel <= Int(UInt32.max) else { throw TSDBError(.invalidArgument, "index series section exceeds 4 GiB") }
            entryOffsets.append(UInt32(rel))
            out.appendUvarint(UInt64(s.labels.count))
            var previous = -1
            for l in s.labels.pairs {
                let o = ordinal[Pair(name: symbolIndex[l.name]!, value: symbolIndex[l.value]!)]!
                out.appendUvarint(UInt64(o - previous - 1))  // ordinals increase along sorted labels
                previous = o
                postings[o].append(SeriesRef(i))
            }
            out.appendUvarint(UInt64(s.chunks.count))
            var prevMaxt: Int64 = 0, prevRef: UInt64 = 0
            for (k, c) in s.chunks.enumerated() {
                out.appendVarint(c.mint &- (k == 0 ? baseTime : prevMaxt))
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

        // Postings lists in pair order, then the table pointing at them.
        let postingsOffset = out.count
        var listOffsets: [Int] = []
        listOffsets.reserveCapacity(pairs.count)
        for list in postings {
            listOffsets.append(out.count - postingsOffset)
            out.appendUvarint(UInt64(list.count))
            var prev: SeriesRef = 0
            for r in list {
                out.appendUvarint(r - prev)
                prev = r
            }
        }
        appendCRC(&out, from: postingsOffset)

        let postingsTableOffset = out.count
        out.appendUvarint(UInt64(pairs.count))
        for (p, off) in zip(pairs, listOffsets) {
            out.appendUvarint(UInt64(p.name))
            out.appendUvarint(UInt64(p.value))
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

    struct Pair: Hashable, Comparable {
        var name: Int
        var value: Int
        static func < (a: Pair, b: Pair) -> Bool { (a.name, a.value) < (b.name, b.value) }
    }

    static func appendCRC(_ out: inout [UInt8], from start: Int) {
        let crc = out.withUnsafeBytes { CRC32C.checksum(UnsafeRawBufferPointer(rebasing: $0[start...])) }
        out.appendBE32(crc)
    }
}
