/// The histogram-samples record: layout in docs/format/wal.md.
extension WALRecord {
    public struct HistogramSampleRecord: Sendable, Equatable {
        public var ref: SeriesRef
        public var t: Int64
        public var h: NativeHistogram
        public init(ref: SeriesRef, t: Int64, h: NativeHistogram) { self.ref = ref; self.t = t; self.h = h }

        /// Bit-exact, hint included: what was logged is what replays.
        public static func == (a: Self, b: Self) -> Bool {
            var x: [UInt8] = [], y: [UInt8] = []
            encode(a.h, into: &x)
            encode(b.h, into: &y)
            return a.ref == b.ref && a.t == b.t && x == y
        }
    }

    /// Count, base timestamp, then per sample: ref, t - base, and the histogram.
    static func encodeHistogramSamples(_ samples: [HistogramSampleRecord], into out: inout [UInt8]) {
        out.appendUvarint(UInt64(samples.count))
        let base = samples.first?.t ?? 0
        out.appendVarint(base)
        for s in samples {
            out.appendUvarint(s.ref)
            out.appendVarint(s.t &- base)
            encode(s.h, into: &out)
        }
    }

    /// Hint (u8), schema (zz), zero threshold, zero count, count and sum (8
    /// bytes LE each), custom bounds (count, 8 bytes each), then per side
    /// (positive, negative) the span count, spans (offset zz, length) and
    /// one 8-byte count per bucket.
    static func encode(_ h: NativeHistogram, into out: inout [UInt8]) {
        func double(_ v: Double) { withUnsafeBytes(of: v.bitPattern.littleEndian) { out.append(contentsOf: $0) } }
        out.append(h.counterResetHint.rawValue)
        out.appendVarint(Int64(h.schema))
        double(h.zeroThreshold)
        double(h.zeroCount)
        double(h.count)
        double(h.sum)
        out.appendUvarint(UInt64(h.customValues.count))
        for v in h.customValues { double(v) }
        for side in [h.positive, h.negative] {
            let (spans, counts) = NativeHistogram.spans(of: side)
            out.appendUvarint(UInt64(spans.count))
            for s in spans {
                out.appendVarint(Int64(s.offset))
                out.appendUvarint(UInt64(s.length))
            }
            for c in counts { double(c) }
        }
    }

    static func decodeHistogramSamples(count n: Int, _ r: inout ByteReader) throws -> [HistogramSampleRecord] {
        var out: [HistogramSampleRecord] = []
        out.reserveCapacity(n)
        let base = try r.varint()
        for _ in 0..<n {
            let ref = try r.uvarint()
            let dt = try r.varint()
            out.append(HistogramSampleRecord(ref: ref, t: base &+ dt, h: try decodeHistogram(&r)))
        }
        return out
    }

    static func decodeHistogram(_ r: inout ByteReader) throws -> NativeHistogram {
        func double() throws -> Double {
            Double(bitPattern: UInt64(littleEndian: try r.bytes(8).loadUnaligned(as: UInt64.self)))
        }
        let hintCode = try r.u8()
        guard let hint = NativeHistogram.CounterResetHint(rawValue: hintCode) else {
            throw r.error("unknown histogram counter-reset hint \(hintCode)")
        }
        let schemaCode = try r.varint()
        guard let schema = Int32(exactly: schemaCode) else { throw r.error("histogram schema \(schemaCode) out of range") }
        var h = NativeHistogram(counterResetHint: hint, schema: schema)
        h.zeroThreshold = try double()
        h.zeroCount = try double()
        h.count = try double()
        h.sum = try double()
        let bounds = try r.count(max: r.remaining / 8, what: "custom bound count")
        h.customValues = try (0..<bounds).map { _ in try double() }
        for positive in [true, false] {
            let spanCount = try r.count(max: r.remaining / 2, what: "histogram span count")
            var spans: [HistogramSpan] = []
            spans.reserveCapacity(spanCount)
            var buckets = 0
            for _ in 0..<spanCount {
                let offset = try r.varint()
                let length = try r.uvarint()
                guard let o = Int32(exactly: offset), let l = UInt32(exactly: length), buckets + Int(l) <= r.remaining / 8 else {
                    throw r.error("histogram span (offset \(offset), length \(length)) does not fit the record")
                }
                buckets += Int(l)
                spans.append(HistogramSpan(offset: o, length: l))
            }
            let counts = try (0..<buckets).map { _ in try double() }
            do {
                let list = try NativeHistogram.buckets(spans: spans, counts: counts)
                if positive { h.positive = list } else { h.negative = list }
            } catch {
                throw r.error("invalid histogram: \(error)")
            }
        }
        return h
    }
}
