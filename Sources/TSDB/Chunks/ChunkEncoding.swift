/// How the samples of a chunk are encoded. Stored as the first byte of every
/// chunk record on disk. Every encoding is lossless for all float64 bit patterns
/// it accepts; the encoder only picks a variant when it round-trips exactly.
public enum ChunkEncoding: UInt8, Sendable, CustomStringConvertible {
    /// Gorilla: delta-of-delta timestamps, XOR'd float64 values. Accepts anything.
    case xor = 1
    /// Values that are all integers after scaling by 10^k (k = 0…9), stored as
    /// delta or delta-of-delta integers; timestamps with finer buckets than XOR.
    /// Counters, integer gauges, 1–3 decimal gauges and constants land here.
    case scaledInt = 2
    /// Gorilla XOR values with the sparse timestamp section of `.scaledInt`:
    /// for full-precision floats scraped at a regular interval, whose
    /// timestamps then cost almost nothing.
    case xorSparseTimestamps = 3
    /// Native-histogram samples (`HistogramChunkAppender`): float readers
    /// refuse these, histogram readers read nothing else.
    case floatHistogram = 4

    /// Whether its samples are native histograms rather than floats.
    public var isHistogram: Bool { self == .floatHistogram }

    public var description: String {
        switch self {
        case .xor: "xor"
        case .scaledInt: "scaled-int"
        case .xorSparseTimestamps: "xor-sparse-timestamps"
        case .floatHistogram: "float-histogram"
        }
    }
}

/// One timestamped float sample. Timestamps are milliseconds since the epoch.
public struct Sample: Sendable, Equatable {
    public var t: Int64
    public var v: Double

    public init(_ t: Int64, _ v: Double) {
        self.t = t
        self.v = v
    }

    /// Bit-exact equality (NaN payloads, -0.0 distinct), the notion the storage
    /// engine uses: a sample read back must have the same bits as written.
    public static func == (a: Sample, b: Sample) -> Bool {
        a.t == b.t && a.v.bitPattern == b.v.bitPattern
    }
}

/// Special float values Prometheus gives meaning to.
public enum StaleNaN {
    /// The staleness marker: a NaN with this exact payload ends a series.
    public static let bits: UInt64 = 0x7ff0_0000_0000_0002
    public static let value = Double(bitPattern: bits)
    @inlinable public static func isStale(_ v: Double) -> Bool { v.bitPattern == 0x7ff0_0000_0000_0002 }
}

/// An immutable, encoded chunk: up to a few hundred samples of one series.
public struct Chunk: Sendable {
    public let encoding: ChunkEncoding
    /// The encoded samples; layout per encoding in docs/format/chunks.md.
    public let bytes: [UInt8]

    public init(encoding: ChunkEncoding, bytes: [UInt8]) {
        self.encoding = encoding
        self.bytes = bytes
    }

    /// Number of samples, from the 2-byte header all encodings share.
    public var count: Int { bytes.count < 2 ? 0 : Int(bytes[0]) << 8 | Int(bytes[1]) }

    /// Decodes every sample (for tests and for merging overlapping chunks).
    public func samples() throws -> [Sample] {
        var out: [Sample] = []
        out.reserveCapacity(count)
        let error: TSDBError? = bytes.withUnsafeBytes { raw in
            var it = ChunkIterator(encoding: encoding, bytes: raw)
            while it.next() { out.append(Sample(it.t, it.v)) }
            return it.error
        }
        if let error { throw error }
        return out
    }
}
