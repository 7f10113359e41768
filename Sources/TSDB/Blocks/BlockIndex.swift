/// Reads a block's `index` file through mmap. Symbols and the postings table
/// are decoded at open (small); series entries and postings lists are
/// decoded on demand. Every section's CRC is checked at open.
final class BlockIndex: IndexReader, Sendable {
    let file: MappedFile
    let symbols: [String]
    let symbolLookup: [String: Int]
    /// name symbol → (value symbol, postings offset) sorted by value.
    let postingsTable: [Int: [(value: Int, offset: Int)]]
    /// (name symbol, value symbol) by pair ordinal (position in the postings table).
    let pairs: [(name: Int, value: Int)]
    let seriesCount: Int
    let seriesOffset: Int
    let seriesTableOffset: Int
    let postingsOffset: Int
    /// Base of the first chunk time of every series (the block's minTime).
    let baseTime: Int64

    init(path: String) throws {
        file = try MappedFile(path: path)
        let b = file.bytes
        guard b.count >= BlockIndexWriter.headerSize + BlockIndexWriter.tocSize else {
            throw TSDBError(.corruption, "index file too short (\(b.count) bytes)", file: path)
        }
        var h = ByteReader(b, file: path)
        guard try h.be32() == BlockIndexWriter.magic else { throw TSDBError(.corruption, "bad index magic", file: path, offset: 0) }
        guard try h.u8() == 1 else { throw TSDBError(.corruption, "unsupported index version", file: path, offset: 4) }
        h.offset = 8
        baseTime = Int64(bitPattern: try h.be64())

        let tocStart = b.count - BlockIndexWriter.tocSize
        var toc = ByteReader(b, offset: tocStart, file: path)
        var offs: [Int] = []
        for _ in 0..<5 { offs.append(Int(clamping: try toc.be64())) }
        try BlockIndex.checkCRC(b, tocStart, tocStart + 40, path: path, what: "table of contents")
        let ends = Array(offs.dropFirst()) + [tocStart]
        for i in 0..<5 {
            guard offs[i] >= BlockIndexWriter.headerSize && offs[i] + 4 <= ends[i] && ends[i] <= tocStart else {
                throw TSDBError(.corruption, "index section \(i) has invalid bounds", file: path, offset: tocStart)
            }
            try BlockIndex.checkCRC(b, offs[i], ends[i] - 4, path: path, what: "section \(i)")
        }

        var r = ByteReader(b, offset: offs[0], file: path)
        let n = try r.count(max: ends[0] - offs[0], what: "symbol count")
        var symbols: [String] = []
        symbols.reserveCapacity(n)
        var lookup: [String: Int] = [:]
        lookup.reserveCapacity(n)
        for i in 0..<n {
            let s = try r.string()
            symbols.append(s)
            lookup[s] = i
        }
        self.symbols = symbols
        self.symbolLookup = lookup

        var t = ByteReader(b, offset: offs[2], file: path)
        seriesCount = Int(try t.be32())
        guard seriesCount * 4 + 8 <= ends[2] - offs[2] else {
            throw t.error("series table of \(seriesCount) entries does not fit its section")
        }
        seriesOffset = offs[1]
        seriesTableOffset = offs[2] + 4
        postingsOffset = offs[3]

        var p = ByteReader(b, offset: offs[4], file: path)
        let entries = try p.count(max: ends[4] - offs[4], what: "postings table size")
        var table: [Int: [(value: Int, offset: Int)]] = [:]
        var pairs: [(name: Int, value: Int)] = []
        pairs.reserveCapacity(entries)
        for _ in 0..<entries {
            let name = try p.count(max: n - 1, what: "symbol index")
            let value = try p.count(max: n - 1, what: "symbol index")
            let off = try p.count(max: ends[3] - offs[3], what: "postings offset")
            table[name, default: []].append((value, off))
            pairs.append((name, value))
        }
        postingsTable = table
        self.pairs = pairs
    }

    static func checkCRC(_ b: UnsafeRawBufferPointer, _ start: Int, _ end: Int, path: String, what: String) throws {
        var r = ByteReader(b, offset: end, file: path)
        let want = try r.be32()
        guard CRC32C.checksum(UnsafeRawBufferPointer(rebasing: b[start..<end])) == want else {
            throw TSDBError(.corruption, "index \(what) checksum mismatch", file: path, offset: start)
        }
    }

    func labelNames() -> [String] {
        postingsTable.keys.sorted().map { symbols[$0] }
    }

    func labelValues(_ name: String) -> [String] {
        guard let n = symbolLookup[name], let vs = postingsTable[n] else { return [] }
        return vs.map { symbols[$0.value] }
    }

    func postings(_ name: String, _ value: String) -> [SeriesRef] {
        guard let n = symbolLookup[name], let v = symbolLookup[value], let vs = postingsTable[n] else { return [] }
        var lo = 0, hi = vs.count
        while lo < hi {
            let mid = (lo + hi) / 2
            if vs[mid].value < v { lo = mid + 1 } else { hi = mid }
        }
        guard lo < vs.count, vs[lo].value == v else { return [] }
        var r = ByteReader(file.bytes, offset: postingsOffset + vs[lo].offset, file: file.path)
        do {
            let count = try r.count(max: seriesCount, what: "postings length")
            var out: [SeriesRef] = []
            out.reserveCapacity(count)
            var prev: SeriesRef = 0
            for _ in 0..<count {
                prev &+= try r.uvarint()
                out.append(prev)
            }
            return out
        } catch {
            return []  // the section CRC was verified at open; unreachable for intact files
        }
    }

    func allPostings() -> [SeriesRef] { (0..<SeriesRef(seriesCount)).map { $0 } }

    /// Labels and chunk entries of the series with ordinal `ref`.
    func series(_ ref: SeriesRef) throws -> BlockSeriesEntry {
        guard ref < seriesCount else { throw TSDBError(.corruption, "series \(ref) out of range", file: file.path) }
        var t = ByteReader(file.bytes, offset: seriesTableOffset + Int(ref) * 4, file: file.path)
        var r = ByteReader(file.bytes, offset: seriesOffset + Int(try t.be32()), file: file.path)
        let nl = try r.count(max: 1 << 16, what: "label count")
        var pairs: [Label] = []
        pairs.reserveCapacity(nl)
        var ordinal = -1
        for _ in 0..<nl {
            ordinal += 1 + (try r.count(max: self.pairs.count, what: "label pair ordinal delta"))
            guard ordinal < self.pairs.count else { throw r.error("label pair ordinal \(ordinal) out of range") }
            let p = self.pairs[ordinal]
            pairs.append(Label(symbols[p.name], symbols[p.value]))
        }
        let nc = try r.count(max: r.remaining, what: "chunk count")
        var chunks: [BlockSeriesEntry.ChunkEntry] = []
        chunks.reserveCapacity(nc)
        var prevMaxt: Int64 = 0, prevRef: UInt64 = 0
        for k in 0..<nc {
            let d = try r.varint()
            let mint = (k == 0 ? baseTime : prevMaxt) &+ d
            let maxt = mint &+ Int64(bitPattern: try r.uvarint())
            let ref = prevRef &+ UInt64(bitPattern: try r.varint())
            chunks.append(.init(mint: mint, maxt: maxt, ref: ref))
            prevMaxt = maxt
            prevRef = ref
        }
        return BlockSeriesEntry(labels: Labels(sortedUnchecked: pairs), chunks: chunks)
    }
}
