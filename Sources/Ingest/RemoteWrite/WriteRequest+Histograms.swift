import TSDB

/// Native histograms in remote write 1.0 (`prometheus.Histogram`, TimeSeries
/// field 4): integer histograms (counts as deltas between buckets, how
/// Prometheus sends scraped histograms) and float histograms (absolute
/// counts), both decoded to `NativeHistogram`.
extension WriteRequest {
    /// Decodes one `Histogram` message. Malformed input (spans that need
    /// another number of buckets, a schema out of range) is an error at the
    /// message's offset; whether the histogram is valid to store is the
    /// appender's check.
    static func decodeHistogram(_ m: inout ProtoReader) throws(DecodeError) -> HistogramSample {
        let start = m.absoluteOffset
        var h = NativeHistogram()
        var t: Int64 = 0
        var spans: [[HistogramSpan]] = [[], []]  // negative, positive
        var deltas: [[Int64]] = [[], []]
        var counts: [[Double]] = [[], []]
        var schema: Int64 = 0
        while !m.isAtEnd {
            let (f, w) = try m.key()
            switch (f, w) {
            case (1, 0): h.count = Double(try m.varint())
            case (2, 1): h.count = Double(bitPattern: try m.fixed64())
            case (3, 1): h.sum = Double(bitPattern: try m.fixed64())
            case (4, 0): schema = Self.zigzag(try m.varint())
            case (5, 1): h.zeroThreshold = Double(bitPattern: try m.fixed64())
            case (6, 0): h.zeroCount = Double(try m.varint())
            case (7, 1): h.zeroCount = Double(bitPattern: try m.fixed64())
            case (8, 2), (11, 2):
                var s = try m.message()
                spans[f == 8 ? 0 : 1].append(try decodeSpan(&s))
            case (9, _), (12, _): try readSint64s(&m, wire: w, into: &deltas[f == 9 ? 0 : 1])
            case (10, _), (13, _): try readDoubles(&m, wire: w, into: &counts[f == 10 ? 0 : 1])
            case (14, 0):
                let code = try m.varint()
                guard let hint = NativeHistogram.CounterResetHint(rawValue: UInt8(clamping: code)), code < 4 else {
                    throw m.fail("unknown histogram reset hint \(code)")
                }
                h.counterResetHint = hint
            case (15, 0): t = Int64(bitPattern: try m.varint())
            case (16, _): try readDoubles(&m, wire: w, into: &h.customValues)
            default: try m.skip(w)
            }
        }
        guard let s = Int32(exactly: schema) else {
            throw DecodeError(message: "histogram schema \(schema) out of range", offset: start)
        }
        h.schema = s
        for side in 0..<2 {
            var absolute = counts[side]
            if !deltas[side].isEmpty {
                guard absolute.isEmpty else {
                    throw DecodeError(message: "histogram has both bucket deltas and bucket counts", offset: start)
                }
                var running: Int64 = 0
                absolute = deltas[side].map { running &+= $0; return Double(running) }
            }
            do {
                let buckets = try NativeHistogram.buckets(spans: spans[side], counts: absolute)
                if side == 0 { h.negative = buckets } else { h.positive = buckets }
            } catch {
                throw DecodeError(message: "\(side == 0 ? "negative" : "positive") side: \(error)", offset: start)
            }
        }
        return HistogramSample(t, h)
    }

    private static func decodeSpan(_ s: inout ProtoReader) throws(DecodeError) -> HistogramSpan {
        var span = HistogramSpan(offset: 0, length: 0)
        while !s.isAtEnd {
            let (f, w) = try s.key()
            switch (f, w) {
            case (1, 0):
                let v = zigzag(try s.varint())
                guard let o = Int32(exactly: v) else { throw s.fail("span offset \(v) out of range") }
                span.offset = o
            case (2, 0):
                let v = try s.varint()
                guard let l = UInt32(exactly: v) else { throw s.fail("span length \(v) out of range") }
                span.length = l
            default: try s.skip(w)
            }
        }
        return span
    }

    /// A repeated sint64, packed (wire 2) or not (wire 0).
    private static func readSint64s(_ m: inout ProtoReader, wire: Int, into out: inout [Int64]) throws(DecodeError) {
        switch wire {
        case 0: out.append(zigzag(try m.varint()))
        case 2:
            var p = try m.message()
            while !p.isAtEnd { out.append(zigzag(try p.varint())) }
        default: throw m.fail("bucket deltas with wire type \(wire)")
        }
    }

    /// A repeated double, packed (wire 2) or not (wire 1).
    private static func readDoubles(_ m: inout ProtoReader, wire: Int, into out: inout [Double]) throws(DecodeError) {
        switch wire {
        case 1: out.append(Double(bitPattern: try m.fixed64()))
        case 2:
            var p = try m.message()
            while !p.isAtEnd { out.append(Double(bitPattern: try p.fixed64())) }
        default: throw m.fail("doubles with wire type \(wire)")
        }
    }

    static func zigzag(_ v: UInt64) -> Int64 { Int64(bitPattern: v >> 1) ^ -Int64(bitPattern: v & 1) }

    /// A float histogram message (absolute counts, packed), the encoder's counterpart.
    static func encodeHistogram(_ s: HistogramSample, _ out: inout [UInt8]) {
        let h = s.h
        func double(_ field: Int, _ v: Double) {
            varint(UInt64(field << 3 | 1), &out)
            withUnsafeBytes(of: v.bitPattern.littleEndian) { out += $0 }
        }
        func zz(_ v: Int64) -> UInt64 { UInt64(bitPattern: (v << 1) ^ (v >> 63)) }
        double(2, h.count)
        double(3, h.sum)
        varint(4 << 3, &out)
        varint(zz(Int64(h.schema)), &out)
        double(5, h.zeroThreshold)
        double(7, h.zeroCount)
        for (spanField, countField, buckets) in [(8, 10, h.negative), (11, 13, h.positive)] {
            let (spans, counts) = NativeHistogram.spans(of: buckets)
            for span in spans {
                var sb: [UInt8] = []
                varint(1 << 3, &sb)
                varint(zz(Int64(span.offset)), &sb)
                varint(2 << 3, &sb)
                varint(UInt64(span.length), &sb)
                field(spanField, sb, &out)
            }
            if !counts.isEmpty {
                var packed: [UInt8] = []
                for c in counts { withUnsafeBytes(of: c.bitPattern.littleEndian) { packed += $0 } }
                field(countField, packed, &out)
            }
        }
        varint(14 << 3, &out)
        varint(UInt64(h.counterResetHint.rawValue), &out)
        varint(15 << 3, &out)
        varint(UInt64(bitPattern: s.t), &out)
        if !h.customValues.isEmpty {
            var packed: [UInt8] = []
            for c in h.customValues { withUnsafeBytes(of: c.bitPattern.littleEndian) { packed += $0 } }
            field(16, packed, &out)
        }
    }
}
