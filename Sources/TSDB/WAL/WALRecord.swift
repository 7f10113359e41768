/// The logical records of the write-ahead log and their payload codecs.
/// Byte layouts: docs/format/wal.md. Encoders append into a caller's buffer;
/// decoders validate and report the failing offset.
public enum WALRecord: Equatable, Sendable {
    /// New series: head reference and labels.
    case series([SeriesRecord])
    /// Samples of series already defined by a series record.
    case samples([SampleRecord])
    /// Deleted time ranges of series.
    case tombstones([TombstoneRecord])
    /// The head's chunks of series (checkpoints only): what the head held
    /// when the checkpoint was taken, as the encoded chunks themselves.
    case chunks([ChunksRecord])
    /// Native-histogram samples of series already defined by a series record.
    case histogramSamples([HistogramSampleRecord])

    public enum RecordType: UInt8, Sendable {
        case series = 1
        case samples = 2
        case tombstones = 3
        case chunks = 4
        case histogramSamples = 5

        /// Whether LZ4 may pay off: chunks records hold encoded chunks already.
        var compressible: Bool { self != .chunks }
    }

    public struct SeriesRecord: Equatable, Sendable {
        public var ref: SeriesRef
        public var labels: Labels
        public init(ref: SeriesRef, labels: Labels) { self.ref = ref; self.labels = labels }
    }

    public struct SampleRecord: Equatable, Sendable {
        public var ref: SeriesRef
        public var t: Int64
        public var v: Double
        public init(ref: SeriesRef, t: Int64, v: Double) { self.ref = ref; self.t = t; self.v = v }
        public static func == (a: Self, b: Self) -> Bool {
            a.ref == b.ref && a.t == b.t && a.v.bitPattern == b.v.bitPattern
        }
    }

    public struct TombstoneRecord: Equatable, Sendable {
        public var ref: SeriesRef
        public var mint: Int64
        public var maxt: Int64
        public init(ref: SeriesRef, mint: Int64, maxt: Int64) { self.ref = ref; self.mint = mint; self.maxt = maxt }
    }

    /// The chunks of one series, oldest first; the last one is the series'
    /// open chunk (appended to after replay) if `lastIsOpen`.
    public struct ChunksRecord: Equatable, Sendable {
        public var ref: SeriesRef
        public var chunks: [HeadChunk]
        public var lastIsOpen: Bool
        public init(ref: SeriesRef, chunks: [HeadChunk], lastIsOpen: Bool) {
            self.ref = ref; self.chunks = chunks; self.lastIsOpen = lastIsOpen
        }
    }

    public var type: RecordType {
        switch self {
        case .series: .series
        case .samples: .samples
        case .tombstones: .tombstones
        case .chunks: .chunks
        case .histogramSamples: .histogramSamples
        }
    }

    /// Appends the payload (without framing) to `out`.
    public func encodePayload(into out: inout [UInt8]) {
        switch self {
        case .series(let s): Self.encodeSeries(s, into: &out)
        case .samples(let s): Self.encodeSamples(s, into: &out)
        case .histogramSamples(let s): Self.encodeHistogramSamples(s, into: &out)
        case .tombstones(let ts):
            out.appendUvarint(UInt64(ts.count))
            for t in ts {
                out.appendUvarint(t.ref)
                out.appendVarint(t.mint)
                out.appendVarint(t.maxt)
            }
        case .chunks(let list):
            out.appendUvarint(UInt64(list.count))
            for r in list {
                out.appendUvarint(r.ref)
                out.append(r.lastIsOpen ? 1 : 0)
                out.appendUvarint(UInt64(r.chunks.count))
                for c in r.chunks {
                    out.appendVarint(c.mint)
                    out.appendVarint(c.maxt)
                    out.append(c.encoding.rawValue)
                    out.appendUvarint(UInt64(c.storage.count))
                    out.append(contentsOf: c.storage.raw)
                }
            }
        }
    }

    public static func encodeSeries(_ series: [SeriesRecord], into out: inout [UInt8]) {
        out.appendUvarint(UInt64(series.count))
        for s in series {
            out.appendUvarint(s.ref)
            out.appendUvarint(UInt64(s.labels.count))
            for l in s.labels.pairs {
                out.appendString(l.name)
                out.appendString(l.value)
            }
        }
    }

    /// Samples: count, base timestamp, then per sample ref (uvarint),
    /// t - base (varint) and the value's 8 bytes little-endian.
    public static func encodeSamples(_ samples: [SampleRecord], into out: inout [UInt8]) {
        out.appendUvarint(UInt64(samples.count))
        let base = samples.first?.t ?? 0
        out.appendVarint(base)
        out.reserveCapacity(out.count + samples.count * 13)
        for s in samples {
            out.appendUvarint(s.ref)
            out.appendVarint(s.t &- base)
            withUnsafeBytes(of: s.v.bitPattern.littleEndian) { out.append(contentsOf: $0) }
        }
    }

    /// Decodes a payload of the given type. `r` carries file and offset for errors.
    public static func decode(type: UInt8, _ r: inout ByteReader) throws -> WALRecord {
        guard let t = RecordType(rawValue: type) else { throw r.error("unknown WAL record type \(type)") }
        let n = try r.count(max: r.remaining, what: "record entry count")
        switch t {
        case .series:
            var out: [SeriesRecord] = []
            out.reserveCapacity(n)
            for _ in 0..<n {
                let ref = try r.uvarint()
                let nl = try r.count(max: r.remaining / 2, what: "label count")
                var pairs: [Label] = []
                pairs.reserveCapacity(nl)
                for _ in 0..<nl {
                    let name = try r.string()
                    pairs.append(Label(name, try r.string()))
                }
                out.append(SeriesRecord(ref: ref, labels: Labels(pairs)))
            }
            return .series(out)
        case .samples:
            var out: [SampleRecord] = []
            out.reserveCapacity(n)
            let base = try r.varint()
            for _ in 0..<n {
                let ref = try r.uvarint()
                let dt = try r.varint()
                let raw = try r.bytes(8)
                let bits = UInt64(littleEndian: raw.loadUnaligned(as: UInt64.self))
                out.append(SampleRecord(ref: ref, t: base &+ dt, v: Double(bitPattern: bits)))
            }
            return .samples(out)
        case .tombstones:
            var out: [TombstoneRecord] = []
            for _ in 0..<n {
                let ref = try r.uvarint()
                let mint = try r.varint()
                out.append(TombstoneRecord(ref: ref, mint: mint, maxt: try r.varint()))
            }
            return .tombstones(out)
        case .chunks:
            var out: [ChunksRecord] = []
            out.reserveCapacity(n)
            for _ in 0..<n {
                let ref = try r.uvarint()
                let flags = try r.u8()
                let nc = try r.count(max: r.remaining, what: "chunk count")
                var chunks: [HeadChunk] = []
                chunks.reserveCapacity(nc)
                for _ in 0..<nc {
                    let mint = try r.varint()
                    let maxt = try r.varint()
                    let code = try r.u8()
                    guard let encoding = ChunkEncoding(rawValue: code) else { throw r.error("unknown chunk encoding \(code)") }
                    guard mint <= maxt else { throw r.error("chunk time range \(mint)…\(maxt) is reversed") }
                    let length = try r.count(max: r.remaining, what: "chunk length")
                    let bytes = try r.bytes(length)
                    let storage = ChunkBytes(count: length) { $0.copyMemory(from: bytes) }
                    chunks.append(HeadChunk(mint: mint, maxt: maxt, encoding: encoding, storage: storage))
                }
                out.append(ChunksRecord(ref: ref, chunks: chunks, lastIsOpen: flags & 1 != 0))
            }
            return .chunks(out)
        case .histogramSamples:
            return .histogramSamples(try decodeHistogramSamples(count: n, &r))
        }
    }
}
