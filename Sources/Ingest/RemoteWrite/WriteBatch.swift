import TSDB

/// A remote-write request decoded in one pass into flat arrays, for the
/// receiver's hot path: per series, where its encoded labels lie in the
/// payload and a hash of them (to find a known series without building
/// strings or `Labels`), and its samples in one shared array. Nothing is
/// allocated per series; labels are decoded only when asked for.
public struct WriteBatch: Sendable {
    /// One series of the request.
    public struct Series: Sendable {
        /// The encoded label fields (tags included): `payload[labelStart..<labelEnd]`,
        /// or `detachedLabels[…]` when the request interleaves labels with samples.
        let labelStart: Int
        let labelEnd: Int
        let detached: Bool
        /// Hash of the encoded label fields.
        public let labelHash: UInt64
        /// This series' samples: `samples[sampleStart..<sampleEnd]`.
        public let sampleStart: Int
        public let sampleEnd: Int
    }

    /// The decompressed request.
    public let payload: [UInt8]
    public private(set) var series: [Series] = []
    public private(set) var samples: [Sample] = []
    /// The request's metadata entries (field 3), decoded in the same pass.
    public private(set) var metadata: [MetricMetadata] = []
    /// Native-histogram samples (`TimeSeries` field 4) with the index of
    /// their series, in request order; empty for most requests.
    public private(set) var histograms: [(series: Int, sample: HistogramSample)] = []
    /// Label fields of series whose labels were not contiguous in the payload.
    private var detachedLabels: [UInt8] = []

    /// Decodes the series of a (decompressed) request; malformed input is an
    /// error naming the byte offset. Labels are checked when decoded (`labels(of:)`).
    public init(_ payload: [UInt8]) throws(WriteRequest.DecodeError) {
        self.payload = payload
        let r: Result<Void, WriteRequest.DecodeError> = payload.withUnsafeBytes { raw in
            do throws(WriteRequest.DecodeError) {
                try scan(raw)
                return .success(())
            } catch {
                return .failure(error)
            }
        }
        try r.get()
    }

    private mutating func scan(_ raw: UnsafeRawBufferPointer) throws(WriteRequest.DecodeError) {
        var r = ProtoReader(raw)
        while !r.isAtEnd {
            let (field, wire) = try r.key()
            if field == 3 && wire == 2 {
                var m = try r.message()
                metadata.append(try WriteRequest.decodeMetadata(&m))
                continue
            }
            guard field == 1 && wire == 2 else { try r.skip(wire); continue }
            var s = try r.message()
            var labelStart = -1, labelEnd = -1
            var contiguous = true
            var detachedStart = -1
            let sampleStart = samples.count
            while !s.isAtEnd {
                let fieldStart = s.absoluteOffset
                let (f, w) = try s.key()
                switch (f, w) {
                case (1, 2):
                    _ = try s.message()
                    if labelStart < 0 {
                        (labelStart, labelEnd) = (fieldStart, s.absoluteOffset)
                    } else if fieldStart == labelEnd && contiguous {
                        labelEnd = s.absoluteOffset
                    } else {
                        if contiguous {  // move what we have so far aside, then keep appending there
                            contiguous = false
                            detachedStart = detachedLabels.count
                            detachedLabels += raw[labelStart..<labelEnd]
                        }
                        detachedLabels += raw[fieldStart..<s.absoluteOffset]
                    }
                case (2, 2):
                    var m = try s.message()
                    var v = 0.0, t: Int64 = 0
                    while !m.isAtEnd {
                        let (sf, sw) = try m.key()
                        switch (sf, sw) {
                        case (1, 1): v = Double(bitPattern: try m.fixed64())
                        case (2, 0): t = Int64(bitPattern: try m.varint())
                        default: try m.skip(sw)
                        }
                    }
                    samples.append(Sample(t, v))
                case (4, 2):
                    var m = try s.message()
                    histograms.append((series.count, try WriteRequest.decodeHistogram(&m)))
                default:
                    try s.skip(w)
                }
            }
            let entry: Series
            if contiguous {
                let (start, end) = labelStart < 0 ? (0, 0) : (labelStart, labelEnd)
                entry = Series(labelStart: start, labelEnd: end, detached: false,
                               labelHash: Self.hash(UnsafeRawBufferPointer(rebasing: raw[start..<end])),
                               sampleStart: sampleStart, sampleEnd: samples.count)
            } else {
                let hash = detachedLabels.withUnsafeBytes { Self.hash(UnsafeRawBufferPointer(rebasing: $0[detachedStart...])) }
                entry = Series(labelStart: detachedStart, labelEnd: detachedLabels.count, detached: true, labelHash: hash,
                               sampleStart: sampleStart, sampleEnd: samples.count)
            }
            series.append(entry)
        }
    }

    /// Unsafe views of every series' label bytes and samples, valid inside `withView`.
    public struct View {
        let series: UnsafeBufferPointer<Series>
        let payload: UnsafeRawBufferPointer
        let detached: UnsafeRawBufferPointer
        let allSamples: UnsafeBufferPointer<Sample>

        public var count: Int { series.count }
        public func labelHash(_ i: Int) -> UInt64 { series[i].labelHash }

        /// Series `i`'s encoded label fields.
        public func labelBytes(_ i: Int) -> UnsafeRawBufferPointer {
            let s = series[i]
            return UnsafeRawBufferPointer(rebasing: (s.detached ? detached : payload)[s.labelStart..<s.labelEnd])
        }

        /// Series `i`'s samples.
        public func samples(_ i: Int) -> UnsafeBufferPointer<Sample> {
            UnsafeBufferPointer(rebasing: allSamples[series[i].sampleStart..<series[i].sampleEnd])
        }
    }

    /// Runs `body` with views of the batch without copying or reference counting per series.
    public func withView<R>(_ body: (View) throws -> R) rethrows -> R {
        try series.withUnsafeBufferPointer { series in
            try payload.withUnsafeBytes { payload in
                try detachedLabels.withUnsafeBytes { detached in
                    try samples.withUnsafeBufferPointer { samples in
                        try body(View(series: series, payload: payload, detached: detached, allSamples: samples))
                    }
                }
            }
        }
    }

    /// Calls `body` with series `i`'s encoded label fields.
    public func withLabelBytes<R>(of i: Int, _ body: (UnsafeRawBufferPointer) throws -> R) rethrows -> R {
        let s = series[i]
        let bytes = s.detached ? detachedLabels : payload
        return try bytes.withUnsafeBytes { try body(UnsafeRawBufferPointer(rebasing: $0[s.labelStart..<s.labelEnd])) }
    }

    /// Series `i`'s samples.
    public func samples(of i: Int) -> ArraySlice<Sample> { samples[series[i].sampleStart..<series[i].sampleEnd] }

    /// Series `i`'s native-histogram samples.
    public func histograms(of i: Int) -> [HistogramSample] { histograms.filter { $0.series == i }.map(\.sample) }

    /// Series `i`'s labels, decoded and validated (UTF-8, names non-empty).
    public func labels(of i: Int) throws(WriteRequest.DecodeError) -> Labels {
        let base = series[i].detached ? 0 : series[i].labelStart
        let r: Result<Labels, WriteRequest.DecodeError> = withLabelBytes(of: i) { bytes in
            do throws(WriteRequest.DecodeError) {
                var fields = ProtoReader(bytes, base: base)
                var raw: [(name: [UInt8], value: [UInt8])] = []
                while !fields.isAtEnd {
                    _ = try fields.key()
                    var l = try fields.message()
                    var name: [UInt8] = [], value: [UInt8] = []
                    while !l.isAtEnd {
                        let (f, w) = try l.key()
                        switch (f, w) {
                        case (1, 2): name = try l.byteString()
                        case (2, 2): value = try l.byteString()
                        default: try l.skip(w)
                        }
                    }
                    raw.append((name, value))
                }
                do { return .success(try Labels(validating: raw)) } catch {
                    throw WriteRequest.DecodeError(message: "\(error)", offset: base)
                }
            } catch {
                return .failure(error)
            }
        }
        return try r.get()
    }

    /// A fast, deterministic 64-bit hash of the label bytes (8 bytes per step).
    static func hash(_ bytes: UnsafeRawBufferPointer) -> UInt64 {
        var h: UInt64 = 0x9E37_79B9_7F4A_7C15 ^ UInt64(bytes.count)
        var i = 0
        while i + 8 <= bytes.count {
            h = (h ^ bytes.loadUnaligned(fromByteOffset: i, as: UInt64.self)) &* 0xff51_afd7_ed55_8ccd
            h ^= h >> 32
            i += 8
        }
        var tail: UInt64 = 0
        var shift: UInt64 = 0
        while i < bytes.count {
            tail |= UInt64(bytes[i]) << shift
            shift += 8
            i += 1
        }
        h = (h ^ tail) &* 0xc4ce_b9fe_1a85_ec53
        h ^= h >> 29
        return h
    }
}
