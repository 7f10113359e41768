import TSDB

/// A remote-write 1.0 request (`prometheus.WriteRequest`): series with labels
/// and samples. Decoded by hand from the protobuf wire format because it is
/// the hot path of ingestion; malformed input is an error naming the byte offset.
public struct WriteRequest: Sendable {
    public struct TimeSeries: Sendable {
        public var labels: Labels
        public var samples: [Sample]
        public var histograms: [HistogramSample] = []

        public init(labels: Labels, samples: [Sample], histograms: [HistogramSample] = []) {
            self.labels = labels
            self.samples = samples
            self.histograms = histograms
        }
    }

    public var timeseries: [TimeSeries]
    /// Metric families' type, help and unit (field 3; Prometheus sends them in requests of their own).
    public var metadata: [MetricMetadata] = []

    public init(timeseries: [TimeSeries], metadata: [MetricMetadata] = []) {
        self.timeseries = timeseries
        self.metadata = metadata
    }

    public struct DecodeError: Error, CustomStringConvertible, Equatable {
        public var message: String
        public var offset: Int
        public var description: String { "invalid remote-write request at byte \(offset): \(message)" }
    }

    /// Decodes the (already decompressed) protobuf bytes.
    public static func decode(_ bytes: [UInt8]) throws(DecodeError) -> WriteRequest {
        let batch = try WriteBatch(bytes)
        var series: [TimeSeries] = []
        for i in batch.series.indices {
            series.append(TimeSeries(labels: try batch.labels(of: i), samples: Array(batch.samples(of: i)),
                                     histograms: batch.histograms(of: i)))
        }
        return WriteRequest(timeseries: series, metadata: batch.metadata)
    }

    /// The request's metadata entries (field 3).
    public static func metadata(_ bytes: [UInt8]) throws(DecodeError) -> [MetricMetadata] {
        try WriteBatch(bytes).metadata
    }

    /// One `MetricMetadata` message.
    static func decodeMetadata(_ m: inout ProtoReader) throws(DecodeError) -> MetricMetadata {
        var entry = MetricMetadata(family: "", kind: .unknown)
        while !m.isAtEnd {
            let (f, w) = try m.key()
            switch (f, w) {
            case (1, 0): entry.kind = .init(remoteWrite: try m.varint())
            case (2, 2): entry.family = try m.string()
            case (4, 2): entry.help = try m.string()
            case (5, 2): entry.unit = try m.string()
            default: try m.skip(w)
            }
        }
        return entry
    }
}

/// A bounds-checked reader of protobuf wire format.
struct ProtoReader {
    let bytes: UnsafeRawBufferPointer
    var offset = 0
    let base: Int

    init(_ bytes: UnsafeRawBufferPointer, base: Int = 0) {
        self.bytes = bytes
        self.base = base
    }

    var isAtEnd: Bool { offset >= bytes.count }
    var absoluteOffset: Int { base + offset }

    func fail(_ m: String) -> WriteRequest.DecodeError { WriteRequest.DecodeError(message: m, offset: base + offset) }

    /// LEB128, via the storage engine's bounds-checked reader.
    mutating func varint() throws(WriteRequest.DecodeError) -> UInt64 {
        // Tags and lengths are mostly one byte.
        if offset < bytes.count, bytes[offset] < 0x80 {
            defer { offset += 1 }
            return UInt64(bytes[offset])
        }
        var r = ByteReader(bytes, offset: offset)
        do {
            let v = try r.uvarint()
            offset = r.offset
            return v
        } catch {
            throw fail((error as? TSDBError)?.message ?? "invalid varint")
        }
    }

    mutating func key() throws(WriteRequest.DecodeError) -> (Int, Int) {
        let k = try varint()
        return (Int(k >> 3), Int(k & 7))
    }

    mutating func fixed64() throws(WriteRequest.DecodeError) -> UInt64 {
        guard bytes.count - offset >= 8 else { throw fail("truncated fixed64") }
        defer { offset += 8 }
        return UInt64(littleEndian: bytes.loadUnaligned(fromByteOffset: offset, as: UInt64.self))
    }

    mutating func length() throws(WriteRequest.DecodeError) -> Int {
        let n = try varint()
        guard n <= UInt64(bytes.count - offset) else { throw fail("length \(n) runs past the end") }
        return Int(n)
    }

    mutating func byteString() throws(WriteRequest.DecodeError) -> [UInt8] {
        let n = try length()
        defer { offset += n }
        return Array(UnsafeRawBufferPointer(rebasing: bytes[offset..<(offset + n)]))
    }

    /// A UTF-8 string field; invalid UTF-8 is an error at the first bad byte.
    mutating func string() throws(WriteRequest.DecodeError) -> String {
        let n = try length()
        let start = offset
        let b = Array(UnsafeRawBufferPointer(rebasing: bytes[offset..<(offset + n)]))
        offset += n
        if let s = String(validating: b, as: UTF8.self) { return s }
        var parser = Unicode.UTF8.ForwardParser()
        var input = b.makeIterator()
        var valid = 0
        while case .valid(let scalar) = parser.parseScalar(from: &input) { valid += scalar.count }
        throw WriteRequest.DecodeError(message: "invalid UTF-8 in string", offset: base + start + valid)
    }

    mutating func message() throws(WriteRequest.DecodeError) -> ProtoReader {
        let n = try length()
        defer { offset += n }
        return ProtoReader(UnsafeRawBufferPointer(rebasing: bytes[offset..<(offset + n)]), base: base + offset)
    }

    mutating func skip(_ wire: Int) throws(WriteRequest.DecodeError) {
        switch wire {
        case 0: _ = try varint()
        case 1:
            guard bytes.count - offset >= 8 else { throw fail("truncated fixed64") }
            offset += 8
        case 2: offset += try length()
        case 5:
            guard bytes.count - offset >= 4 else { throw fail("truncated fixed32") }
            offset += 4
        default: throw fail("unsupported wire type \(wire)")
        }
    }
}

extension WriteRequest {
    /// Protobuf wire format of the request (the decoder's counterpart; used
    /// to send remote write and by tests).
    public func encode() -> [UInt8] {
        var out: [UInt8] = []
        for series in timeseries {
            var ts: [UInt8] = []
            for l in series.labels.pairs {
                var lb: [UInt8] = []
                Self.field(1, Array(l.name.utf8), &lb)
                Self.field(2, Array(l.value.utf8), &lb)
                Self.field(1, lb, &ts)
            }
            for s in series.samples {
                var sb: [UInt8] = [0x09]  // field 1, fixed64
                withUnsafeBytes(of: s.v.bitPattern.littleEndian) { sb += $0 }
                Self.varint(2 << 3, &sb)  // field 2, varint
                Self.varint(UInt64(bitPattern: s.t), &sb)
                Self.field(2, sb, &ts)
            }
            for h in series.histograms {
                var hb: [UInt8] = []
                Self.encodeHistogram(h, &hb)
                Self.field(4, hb, &ts)
            }
            Self.field(1, ts, &out)
        }
        for m in metadata {
            var mb: [UInt8] = []
            Self.varint(1 << 3, &mb)
            Self.varint(m.kind.remoteWriteValue, &mb)
            Self.field(2, Array(m.family.utf8), &mb)
            Self.field(4, Array(m.help.utf8), &mb)
            Self.field(5, Array(m.unit.utf8), &mb)
            Self.field(3, mb, &out)
        }
        return out
    }

    public init(_ series: [(Labels, [Sample])], metadata: [MetricMetadata] = []) {
        timeseries = series.map { TimeSeries(labels: $0.0, samples: $0.1) }
        self.metadata = metadata
    }

    static func varint(_ v: UInt64, _ out: inout [UInt8]) {
        var v = v
        while v >= 0x80 {
            out.append(UInt8(v & 0x7f) | 0x80)
            v >>= 7
        }
        out.append(UInt8(v))
    }

    static func field(_ n: Int, _ payload: [UInt8], _ out: inout [UInt8]) {
        varint(UInt64(n << 3 | 2), &out)
        varint(UInt64(payload.count), &out)
        out += payload
    }
}
