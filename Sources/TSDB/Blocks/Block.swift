import Foundation

/// An immutable, persisted time range of data: `<ulid>/{meta.json, index,
/// chunks/, tombstones}`, read through mmap. Queries hold a reference to the
/// `Block`; its files may be deleted meanwhile and stay readable until the
/// last reference goes away.
public final class Block: Sendable {
    public let directory: String
    public let meta: BlockMeta
    let index: BlockIndex
    let chunks: ChunkSegmentReader
    let tombstones: [SeriesRef: [ClosedRange<Int64>]]

    public init(directory: String) throws {
        self.directory = directory
        let metaPath = directory + "/meta.json"
        let data = try FileIO.readAll(metaPath)
        do {
            meta = try JSONDecoder().decode(BlockMeta.self, from: Data(data))
        } catch {
            throw TSDBError(.corruption, "cannot parse meta.json: \(error)", file: metaPath)
        }
        index = try BlockIndex(path: directory + "/index")
        chunks = try ChunkSegmentReader(directory: directory + "/chunks")
        let tpath = directory + "/tombstones"
        tombstones = FileIO.exists(tpath) ? try TombstonesFile.read(path: tpath) : [:]
    }

    public var minTime: Int64 { meta.minTime }
    /// Exclusive.
    public var maxTime: Int64 { meta.maxTime }

    /// Series matching `matchers` with their chunks overlapping [mint, maxt].
    func select(_ matchers: [LabelMatcher], mint: Int64, maxt: Int64) throws -> [SeriesChunks] {
        var out: [SeriesChunks] = []
        for ref in index.postings(for: matchers) {
            let entry = try index.series(ref)
            var metas: [ChunkMeta] = []
            for c in entry.chunks where c.maxt >= mint && c.mint <= maxt {
                metas.append(try chunks.chunk(c.ref, mint: c.mint, maxt: c.maxt))
            }
            if !metas.isEmpty {
                out.append(SeriesChunks(labels: entry.labels, chunks: metas, deleted: tombstones[ref] ?? []))
            }
        }
        return out
    }

    func labelNames(_ matchers: [LabelMatcher]) throws -> [String] {
        if matchers.isEmpty { return index.labelNames() }
        var names = Set<String>()
        for ref in index.postings(for: matchers) { for l in try index.series(ref).labels.pairs { names.insert(l.name) } }
        return Array(names)
    }

    func labelValues(_ name: String, _ matchers: [LabelMatcher]) throws -> [String] {
        if matchers.isEmpty { return index.labelValues(name) }
        var values = Set<String>()
        for ref in index.postings(for: matchers) {
            let v = try index.series(ref).labels[name]
            if !v.isEmpty { values.insert(v) }
        }
        return Array(values)
    }

    /// Checks every chunk's CRC (done by reading it) and that it decodes. Throws the first problem.
    public func verify() throws {
        for ref in index.allPostings() {
            for c in try index.series(ref).chunks {
                let meta = try chunks.chunk(c.ref, mint: c.mint, maxt: c.maxt)
                var error: TSDBError?
                if meta.encoding.isHistogram {
                    var it = HistogramChunkIterator(bytes: meta.bytes)
                    while it.next() {}
                    error = it.error
                } else {
                    var it = meta.iterator()
                    while it.next() {}
                    error = it.error
                }
                if let e = error { throw TSDBError(.corruption, "chunk \(c.ref): \(e.message)", file: directory) }
            }
        }
    }

    /// Bytes on disk: chunks, index, meta, tombstones.
    public var size: Int64 {
        chunks.size + Int64(index.file.count) + (FileIO.fileSize(directory + "/meta.json") ?? 0)
            + (FileIO.fileSize(directory + "/tombstones") ?? 0)
    }
}
