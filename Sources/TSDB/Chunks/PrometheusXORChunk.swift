/// Encodes samples as a chunk in Prometheus' own XOR format
/// (`chunkenc.XORChunk`), for peers that decode chunks themselves (remote
/// read's streamed response). It differs from our XOR encoding in one
/// place: the second timestamp's delta is an unsigned varint, not zig-zag.
/// Timestamps must be strictly increasing; at most 65535 samples.
public enum PrometheusXORChunk {
    public static func encode(_ samples: some Collection<Sample>) -> [UInt8] {
        precondition(samples.count <= Int(UInt16.max), "a chunk holds at most 65535 samples")
        var writer = BitWriter(capacity: 16 + samples.count * 2)
        writer.writeBits(UInt64(samples.count), count: 16)
        var values = XORValueWriter()
        var lastT: Int64 = 0, lastDelta: Int64 = 0
        for (i, s) in samples.enumerated() {
            switch i {
            case 0:
                writer.writeVarint(s.t)
                values.writeFirst(s.v.bitPattern, to: &writer)
            case 1:
                lastDelta = s.t &- lastT
                writer.writeUvarint(UInt64(bitPattern: lastDelta))
                values.write(s.v.bitPattern, to: &writer)
            default:
                let delta = s.t &- lastT
                writer.writeTimestampDoD(delta &- lastDelta)
                lastDelta = delta
                values.write(s.v.bitPattern, to: &writer)
            }
            lastT = s.t
        }
        return writer.bytes
    }
}
