import TSDB

/// Streaming access to a remote-write request: each series' encoded label
/// bytes and its samples, without building strings or `Labels` — receivers
/// look the series up by its raw label bytes and decode labels only for
/// series they have not seen.
extension WriteRequest {
    /// One series as it appears on the wire.
    public struct RawSeries {
        /// The encoded label submessages, concatenated in wire order.
        public let labelBytes: [UInt8]
        /// Deterministic hash of `labelBytes`.
        public let labelHash: UInt64
        public let samples: [Sample]
        let labelFields: [[UInt8]]

        /// The labels, decoded and validated (UTF-8, names non-empty).
        public func labels() throws(DecodeError) -> Labels {
            var raw: [(name: [UInt8], value: [UInt8])] = []
            raw.reserveCapacity(labelFields.count)
            for field in labelFields {
                let r: Result<(name: [UInt8], value: [UInt8]), DecodeError> = field.withUnsafeBytes { b in
                    do throws(DecodeError) {
                        var l = ProtoReader(b)
                        var name: [UInt8] = [], value: [UInt8] = []
                        while !l.isAtEnd {
                            let (f, w) = try l.key()
                            switch (f, w) {
                            case (1, 2): name = try l.byteString()
                            case (2, 2): value = try l.byteString()
                            default: try l.skip(w)
                            }
                        }
                        return .success((name, value))
                    } catch {
                        return .failure(error)
                    }
                }
                raw.append(try r.get())
            }
            do { return try Labels(validating: raw) } catch {
                throw DecodeError(message: "\(error)", offset: 0)
            }
        }
    }

    /// Calls `body` for every series of the (decompressed) request, in order.
    public static func forEachSeries(_ bytes: [UInt8], _ body: (RawSeries) throws -> Void) throws {
        try bytes.withUnsafeBytes { raw in
            var r = ProtoReader(raw)
            while !r.isAtEnd {
                let (field, wire) = try r.key()
                guard field == 1 && wire == 2 else { try r.skip(wire); continue }
                var s = try r.message()
                var labelBytes: [UInt8] = []
                var fields: [[UInt8]] = []
                var samples: [Sample] = []
                var hasher = StableHasher()
                while !s.isAtEnd {
                    let (f, w) = try s.key()
                    switch (f, w) {
                    case (1, 2):
                        let sub = try s.message()
                        let field = Array(sub.bytes)
                        hasher.combine(field)
                        hasher.combine(0xff)
                        labelBytes += field
                        fields.append(field)
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
                    default:
                        try s.skip(w)
                    }
                }
                try body(RawSeries(labelBytes: labelBytes, labelHash: hasher.finalize(), samples: samples, labelFields: fields))
            }
        }
    }
}
