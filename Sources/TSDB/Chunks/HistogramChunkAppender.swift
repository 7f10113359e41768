/// Streams native-histogram samples into a histogram chunk, the way
/// `XORAppender` does floats. All samples of a chunk share one bucket layout
/// (schema, zero threshold, bucket indices, custom bounds), written once in
/// the chunk's header; a sample with another layout starts a new chunk
/// (`canAppend`). Per sample: the timestamp as in XOR chunks, the
/// counter-reset hint, then count, zero count, sum and every bucket count,
/// each Gorilla-XOR'd with the same field of the previous sample.
/// Layout: docs/format/chunks.md, "Histogram chunks".
public struct HistogramChunkAppender: ~Copyable {
    var writer: BitWriter
    public private(set) var count = 0
    public private(set) var lastT: Int64 = 0
    private var lastDelta: Int64 = 0
    /// The layout every sample of the chunk has.
    public let layout: HistogramLayout
    /// One XOR state per field: count, zero count, sum, then the buckets in order.
    private var fields: [XORValueWriter]

    /// A chunk whose samples have `first`'s layout (`first` is not appended).
    public init(layoutOf first: NativeHistogram) {
        layout = HistogramLayout(first)
        fields = Array(repeating: XORValueWriter(), count: 3 + layout.positive.count + layout.negative.count)
        writer = BitWriter(capacity: 64)
        writer.writeBits(0, count: 16)  // sample count, patched in `bytes`
        layout.write(to: &writer)
    }

    /// Whether `h` has this chunk's layout (and the chunk has room).
    public func canAppend(_ h: NativeHistogram) -> Bool {
        count < Int(UInt16.max) && layout.matches(h)
    }

    /// Appends a sample; `h` must have the chunk's layout (`canAppend`).
    public mutating func append(_ t: Int64, _ h: NativeHistogram) {
        precondition(layout.matches(h), "histogram layout differs from the chunk's")
        switch count {
        case 0: writer.writeVarint(t)
        case 1:
            lastDelta = t &- lastT
            writer.writeVarint(lastDelta)
        default:
            let delta = t &- lastT
            writer.writeTimestampDoD(delta &- lastDelta)
            lastDelta = delta
        }
        lastT = t
        writer.writeBits(UInt64(h.counterResetHint.rawValue), count: 2)
        var k = 0
        func put(_ v: Double) {
            if count == 0 { fields[k].writeFirst(v.bitPattern, to: &writer) } else { fields[k].write(v.bitPattern, to: &writer) }
            k += 1
        }
        put(h.count)
        put(h.zeroCount)
        put(h.sum)
        for b in h.positive { put(b.count) }
        for b in h.negative { put(b.count) }
        count += 1
    }

    /// The chunk bytes so far in storage of their own (a stable snapshot).
    public var chunkBytes: ChunkBytes {
        ChunkBytes(count: writer.byteCount) { dst in
            writer.copy(into: dst)
            dst[0] = UInt8(truncatingIfNeeded: count >> 8)
            dst[1] = UInt8(truncatingIfNeeded: count)
        }
    }

    /// The chunk bytes so far, with the sample count filled in.
    public var bytes: [UInt8] {
        var b = writer.bytes
        b[0] = UInt8(truncatingIfNeeded: count >> 8)
        b[1] = UInt8(truncatingIfNeeded: count)
        return b
    }
}

/// What the samples of one histogram chunk share: schema, zero threshold,
/// the indices of their buckets and the custom bounds.
public struct HistogramLayout: Sendable, Equatable {
    public var schema: Int32
    public var zeroThreshold: Double
    public var positive: [Int32]
    public var negative: [Int32]
    public var customValues: [Double]

    public init(_ h: NativeHistogram) {
        schema = h.schema
        zeroThreshold = h.zeroThreshold
        positive = h.positive.map(\.index)
        negative = h.negative.map(\.index)
        customValues = h.customValues
    }

    init(schema: Int32, zeroThreshold: Double, positive: [Int32], negative: [Int32], customValues: [Double]) {
        (self.schema, self.zeroThreshold, self.positive, self.negative, self.customValues) =
            (schema, zeroThreshold, positive, negative, customValues)
    }

    /// Whether `h` has this layout (the zero threshold compared bit for bit).
    public func matches(_ h: NativeHistogram) -> Bool {
        h.schema == schema && h.zeroThreshold.bitPattern == zeroThreshold.bitPattern
            && h.positive.count == positive.count && h.negative.count == negative.count
            && zip(h.positive, positive).allSatisfy { $0.index == $1 } && zip(h.negative, negative).allSatisfy { $0.index == $1 }
            && h.customValues.elementsEqual(customValues) { $0.bitPattern == $1.bitPattern }
    }

    /// Flags (bit 0: custom bounds follow), schema, zero threshold, both sides' spans, custom bounds.
    func write(to w: inout BitWriter) {
        let custom = !customValues.isEmpty
        w.writeBits(custom ? 1 : 0, count: 8)
        w.writeVarint(Int64(schema))
        w.writeBits(zeroThreshold.bitPattern, count: 64)
        for side in [positive, negative] {
            let spans = NativeHistogram.spans(of: side.map { HistogramBucket($0, 0) }).spans
            w.writeUvarint(UInt64(spans.count))
            for s in spans {
                w.writeVarint(Int64(s.offset))
                w.writeUvarint(UInt64(s.length))
            }
        }
        if custom {
            w.writeUvarint(UInt64(customValues.count))
            for v in customValues { w.writeBits(v.bitPattern, count: 64) }
        }
    }
}
